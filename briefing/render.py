"""The briefing as one self-contained HTML file: Jinja2 with autoescape on, CSS inline, figures as data: URIs.

Nothing in the file points anywhere: no script, no link, no remote font or image;
each figure is an `<img>` whose source is its SVG as a `data:image/svg+xml`
URI (an SVG drawn as an image runs no script and fetches nothing), with alt
text. Every value from the content is escaped by the template's autoescape, so
contributor text cannot become markup. Fonts are named, not fetched: DejaVu
and Noto (Debian's fonts-dejavu-core, fonts-noto-core) cover accents, Greek,
Cyrillic, Arabic and more.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from briefing.content import Briefing

_ENV = Environment(
    loader=PackageLoader("briefing", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def stylesheet() -> str:
    return resources.files("briefing").joinpath("templates/briefing.css").read_text(encoding="utf-8")


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def render_html(briefing: Briefing, svgs: Sequence[bytes]) -> str:
    """The document; `svgs`: the SVG of each of `briefing.figures`, in order."""
    figures = briefing.figures
    if len(svgs) != len(figures):
        raise ValueError(f"{len(figures)} figures but {len(svgs)} images")
    sources = {f.key: data_uri(svg) for f, svg in zip(figures, svgs, strict=True)}
    if len(sources) != len(figures):
        raise ValueError("two figures share a key")
    return _ENV.get_template("briefing.html").render(b=briefing, sources=sources, css=stylesheet())
