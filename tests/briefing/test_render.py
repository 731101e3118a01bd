"""The briefing's renderers on their own: every value escaped, nothing that points outside the file, a PDF
that fetches nothing, and figures drawn offline by the system's Chromium (kaleido)."""

from __future__ import annotations

import html
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import plotly.graph_objects as go
import pytest

from briefing.content import Briefing, Entry, Figure, Group, Section, Table
from briefing.figures import FigureError, chromium_path, drawer, to_svg
from briefing.pdf import html_to_pdf
from briefing.render import render_html
from tests.conftest import unavailable
from tests.support.briefing import external_references, read_html
from tests.support.security import PAYLOAD

FORBIDDEN_TAGS = {"script", "iframe", "object", "embed", "link", "base", "frame", "svg", "style_remote"}


def hostile_briefing(final: bool = False, figures: tuple[Figure, ...] = ()) -> Briefing:
    text = f"Hostile {PAYLOAD} Łukasz Москва"
    table = Table(columns=(text, "n"), rows=((text, "1"),), caption=text)
    entry = Entry(reference="CFE-0001", title=text, contributor=text, summary=text, score="4.00", reviews=3, note=text)
    return Briefing(
        title=text,
        organisers=text,
        conference=text,
        generated="07 December 2026",
        final=final,
        scope=(text,),
        intro=(text,),
        themes=((text, (text, text)),),
        sections=(
            Section("intake", text, (text,), figures, (Group(text, (entry,), text),), (table,)),
            Section("methods", "Methods annex", (text,)),
        ),
    )


def test_every_value_is_text_never_markup():
    page = render_html(hostile_briefing(), [])
    read = read_html(page)
    assert "<script" not in page.replace("&lt;script", "")
    assert not {tag for tag, _ in read.tags} & FORBIDDEN_TAGS
    assert not [attrs for _, attrs in read.tags if any(name.startswith("on") for name in attrs)]
    assert read.elements("img") == []  # the payload's <img> is text
    assert external_references(read) == []
    assert read.text.count("<script>window.__xss=1</script>") >= 10  # shown, as text, wherever it was put
    assert html.escape("<script>window.__xss=1</script>", quote=False) in page
    assert "Łukasz Москва" in read.text


def test_draft_and_final():
    draft, final = render_html(hostile_briefing(), []), render_html(hostile_briefing(final=True), [])
    assert 'class="watermark"' in draft and "Draft: not for circulation" in draft
    assert 'class="watermark"' not in final and "DRAFT" not in final


def test_each_figure_needs_its_image():
    figure = Figure("f", "A figure", "Words for it", "Caption", spec={})
    with pytest.raises(ValueError, match="1 figures but 0 images"):
        render_html(hostile_briefing(figures=(figure,)), [])
    page = render_html(hostile_briefing(figures=(figure,)), [b"<svg xmlns='http://www.w3.org/2000/svg'/>"])
    [img] = read_html(page).elements("img")
    assert img["alt"] == "Words for it" and img["src"].startswith("data:image/svg+xml;base64,")


class _Watch(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self):
        type(self).asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def watched_server():
    """A local web server that notes every request: anything the renderers fetch shows up here."""
    _Watch.asked = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Watch)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Watch.asked
    server.shutdown()
    server.server_close()


def test_the_pdf_fetches_nothing_but_data_uris(watched_server):
    base, asked = watched_server
    page = (
        f'<html><head><link rel="stylesheet" href="{base}/style.css"><style>@import url({base}/imported.css);'
        f"body {{ background: url({base}/bg.png) }}</style></head><body><p>Text</p>"
        f'<img src="{base}/pixel.png"><img src="file:///etc/hostname">'
        '<img alt="inline" src="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIHdpZHRoPSIxMCIgaGVpZ2h0PSIxMCIvPg==">'
        "</body></html>"
    )
    pdf = html_to_pdf(page)
    assert pdf.startswith(b"%PDF")
    assert asked == []


def _chromium_or_skip():
    if not os.access(chromium_path(), os.X_OK):
        unavailable(f"no Chromium at {chromium_path()}")


def test_figures_are_drawn_as_svg_offline(watched_server):
    _chromium_or_skip()
    base, asked = watched_server
    fig = go.Figure(go.Bar(x=["Łukasz", "Москва"], y=[3, 5]), layout={"title": {"text": "Counts"}})
    fig.add_layout_image(source=f"{base}/logo.png", x=0, y=1, sizex=0.2, sizey=0.2, xref="paper", yref="paper")
    [svg] = to_svg([fig.to_dict()])
    text = svg.decode("utf-8")
    assert text.startswith("<svg") and "Counts" in text and "Москва" in text
    assert asked == []  # neither the layout image nor MathJax from a CDN: nothing was fetched


def test_no_browser_is_said_in_words(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    with pytest.raises(FigureError, match="no browser at /nonexistent/chromium"):
        to_svg([go.Figure().to_dict()])
    assert to_svg([]) == []


def test_a_drawer_started_early_draws_once_or_closes_unused():
    _chromium_or_skip()
    with drawer() as unused:
        pass  # the browser started and is closed again, nothing drawn
    assert unused._result.done()
    with drawer() as d:
        [svg] = d.draw([go.Figure(go.Bar(x=["a"], y=[1]), layout={"title": {"text": "Once"}}).to_dict()])
        assert b"Once" in svg
        with pytest.raises(RuntimeError, match="draws once"):
            d.draw([])
