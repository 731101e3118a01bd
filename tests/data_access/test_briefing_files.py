"""Both formats of the briefing from the demo call made hostile (tests.support.briefing): sections and
figures present (SVG with alt text), the pages' numbers in its tables, no anonymous identity, no
reference outside the file, hostile text escaped; the PDF's text read back with pypdf and its pages
drawn to PNG with pdftoppm (under the test's folder, to be looked at); every file audit-logged."""

from __future__ import annotations

import hashlib
import html
import io
import shutil
import subprocess

import pytest
from markupsafe import escape
from pypdf import PdfReader

from briefing.content import ANONYMOUS_LABEL, SECTIONS
from data_access import audit
from data_access.briefing import BriefingError, BriefingOptions, gather
from data_access.briefing_files import make_briefing, write_briefing
from tests.conftest import unavailable
from tests.support.briefing import HIDDEN, HOSTILE_ORG, NON_LATIN, external_references, make_hostile, read_html

pytestmark = pytest.mark.slow


def _rows_html(table) -> list[str]:
    return ["<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table.rows]


def _pdf_text(pdf: bytes) -> tuple[PdfReader, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return reader, "\n".join(page.extract_text() or "" for page in reader.pages)


def test_both_formats_from_the_demo_call(demo_db, call_config, tmp_path):
    db = demo_db
    demo = make_hostile(db, call_config)
    options = BriefingOptions()
    with db.read() as s:
        content = gather(s, config=call_config, options=options)
    page = make_briefing(db, config=call_config, options=options, fmt="html")
    text = page.content.decode("utf-8")
    read = read_html(text)
    (tmp_path / page.filename).write_bytes(page.content)
    assert page.filename.endswith("_briefing-draft_" + page.filename.rsplit("_", 1)[1]) and page.mime == "text/html"

    # Sections, figures (SVG, each with its words), and the content's own tables, row for row.
    assert [a["data-section"] for a in read.elements("section")] == ["call", *SECTIONS]
    images = read.elements("img")
    assert len(images) == len(content.figures) == 5
    assert [i["alt"] for i in images] == [f.alt for f in content.figures] and all(i["alt"] for i in images)
    svgs = read.svgs()
    assert len(svgs) == 5 and all(s.startswith("<svg") and "<text" in s for s in svgs)
    for svg, figure in zip(svgs, content.figures, strict=True):  # each drawn with its own title
        assert html.unescape(figure.spec["layout"]["title"]["text"]) in html.unescape(svg)
    for table in [f.table for f in content.figures if f.table] + [t for s in content.sections for t in s.tables]:
        for row in _rows_html(table):
            assert row in text

    # Nothing points outside the file; contributor text is text.
    assert external_references(read) == []
    assert not {tag for tag, _ in read.tags} & {"script", "iframe", "object", "embed", "link", "base"}
    assert "<script>window" not in text and "<img src=x" not in text and "<b>bold</b>" not in text
    assert html.escape(HOSTILE_ORG, quote=False) in text and demo.anonymous_title in read.text
    assert NON_LATIN in read.text

    # The anonymous contributor: title and the neutral label only.
    assert ANONYMOUS_LABEL in read.text
    for value in HIDDEN.values():
        assert value not in text

    pdf = make_briefing(db, config=call_config, options=options, fmt="pdf")
    (tmp_path / pdf.filename).write_bytes(pdf.content)
    reader, pdf_text = _pdf_text(pdf.content)
    flat = " ".join(pdf_text.split())
    for heading in ["The call and its two themes", *SECTIONS.values()]:
        assert heading in flat
    assert ANONYMOUS_LABEL in flat and "Москва" in flat and "Ωμέγα" in flat and "Łukasz" in flat
    assert "window.__xss=1" in flat  # the hostile title, printed as text
    for value in HIDDEN.values():
        assert value not in flat
    assert f"{content.sections[0].paragraphs[0].split(';')[0]}" in flat  # "300 submissions came in"
    assert "DRAFT" in flat
    fonts = {str(f) for p in reader.pages for f in (p["/Resources"].get("/Font") or {}).values()}
    assert len(reader.pages) >= 8 and fonts
    links = [a.get_object() for p in reader.pages for a in (p.get("/Annots") or [])]
    assert not [a for a in links if "/URI" in (a.get("/A") or {})]  # no link out of the document
    images_drawn = _pdf_pages_to_png(tmp_path / pdf.filename, tmp_path / "pages")
    assert len(images_drawn) == len(reader.pages)


def _pdf_pages_to_png(pdf_path, folder) -> list:
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        unavailable("pdftoppm (Debian's poppler-utils) is not installed")
    folder.mkdir()
    subprocess.run([pdftoppm, "-r", "60", "-png", str(pdf_path), str(folder / "page")], check=True, timeout=300)
    pngs = sorted(folder.glob("page-*.png"))
    assert all(p.read_bytes().startswith(b"\x89PNG") and p.stat().st_size > 2000 for p in pngs)
    return pngs


def test_a_final_pdf_of_some_sections_and_its_audit_entry(demo_db, call_config, tmp_path):
    db = demo_db
    make_hostile(db, call_config)
    options = BriefingOptions(sections=("line_up", "methods"), final=True)
    file, target = write_briefing(db, call_config, options, fmt="pdf", out=tmp_path)
    assert target == tmp_path / file.filename and "briefing-draft" not in file.filename
    _, flat = _pdf_text(target.read_bytes())
    assert "DRAFT" not in flat and "Methods annex" in flat and "What came in" not in flat
    with db.read() as s:
        [entry] = audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).to_dict("records")
    assert entry["actor"] == "manage.py"
    assert entry["new"]["sha256"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert entry["new"]["sections"] == ["line_up", "methods"] and entry["new"]["final"] is True
    with pytest.raises(BriefingError, match="exists; choose a new file name"):
        write_briefing(db, call_config, options, fmt="pdf", out=target)
    with pytest.raises(BriefingError, match="Unknown format 'docx'"):
        write_briefing(db, call_config, options, fmt="docx", out=tmp_path / "x.docx")
    with db.read() as s:
        assert len(audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing"))) == 1
