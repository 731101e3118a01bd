"""Documents made by the project: the demo call's synthetic evidence, and the
files tests build.

`make_pdf(pages)` writes a small valid PDF by hand (one standard font, text
lines, no compression); `make_docx(paragraphs)` writes a Word document with
python-docx. Both take optional metadata, so that tests can build files that
carry identifying metadata (`documents.metadata` must remove it).
`demo_documents(themes)` returns a few PDFs and Word documents per theme,
synthetic like the rest of the demo (no real organisation or person).
Pure: arguments in, bytes out.
"""

from __future__ import annotations

import io
import random
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

LINES_PER_PAGE = 48
LINE_WIDTH = 90


def _pdf_string(text: str) -> bytes:
    """A PDF literal string in the standard font's encoding (Latin-1; others become '?')."""
    raw = text.encode("latin-1", errors="replace")
    return b"(" + raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"


def _page_lines(text: str) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines += textwrap.wrap(paragraph, LINE_WIDTH) or [""]
    return lines[:LINES_PER_PAGE]


def make_pdf(pages: Sequence[str], *, info: Mapping[str, str] | None = None) -> bytes:
    """A PDF with one page per text (lines wrapped; a page's text past its last line is cut).

    `info` fills the document information dictionary ("/Author": ..., say)."""
    objects: list[bytes] = []
    n_pages = max(1, len(pages))
    font_id = 3 + 2 * n_pages
    page_ids = [3 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = b" ".join(b"%d 0 R" % i for i in page_ids)
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n_pages))
    for i, text in enumerate(pages or [""]):
        body = [b"BT /F1 11 Tf 14 TL 56 780 Td"]
        body += [_pdf_string(line) + b" Tj T*" for line in _page_lines(text)]
        body.append(b"ET")
        stream = b"\n".join(body)
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 %d 0 R >> >> "
            b"/Contents %d 0 R >>" % (font_id, page_ids[i] + 1)
        )
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    trailer_extra = b""
    if info:
        entries = b" ".join(b"/" + key.lstrip("/").encode("ascii") + b" " + _pdf_string(v) for key, v in info.items())
        objects.append(b"<< " + entries + b" >>")
        trailer_extra = b" /Info %d 0 R" % len(objects)
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body_bytes))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % offset for offset in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer_extra, xref)
    )
    return out.getvalue()


def make_docx(
    paragraphs: Sequence[str],
    *,
    heading: str | None = None,
    table: Sequence[Sequence[str]] = (),
    core: Mapping[str, str] | None = None,
) -> bytes:
    """A Word document: an optional heading, the paragraphs, an optional table.

    `core` sets core properties by python-docx's names ("author",
    "last_modified_by", "comments", ...); without it they are left blank."""
    import docx  # imported here: only the demo and tests write documents

    document = docx.Document()
    properties = document.core_properties
    for name in ("author", "last_modified_by", "title", "subject", "keywords", "comments", "category"):
        setattr(properties, name, "")
    for name, value in (core or {}).items():
        setattr(properties, name, value)
    if heading:
        document.add_heading(heading, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=max(len(r) for r in table))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@dataclass(frozen=True)
class DemoDocument:
    theme: str  # the theme id it belongs to
    filename: str
    kind: str  # "pdf" or "docx"
    content: bytes


# Synthetic material, in the demo's voice: places, projects and people that do not exist.
_TOPICS = {
    "sources_of_harm": (
        "Disrupting exploiters",
        [
            "Partnership mapping of places where young people were approached by adults offering work or gifts.",
            "Joint patrols with licensing officers at takeaway shops and hotels near transport hubs.",
            "Information sharing agreements between schools, housing and the police, reviewed every quarter.",
        ],
    ),
    "support_responses": (
        "Supporting young people and families",
        [
            "Trauma-informed key work for young people referred through the National Referral Mechanism.",
            "Independent advocates who stay with a young person from first contact to court and beyond.",
            "Parent peer support groups run with a survivor-led organisation, meeting weekly in community venues.",
        ],
    ),
}
_DOCUMENT_KINDS = (
    ("evaluation", "Evaluation report", "pdf"),
    ("toolkit", "Practitioner toolkit", "docx"),
    ("programme", "Programme description", "pdf"),
)
_FINDINGS = (
    "Referrals rose by a third over the pilot year, and most young people stayed engaged for six months or more.",
    "Practitioners reported more confidence in spotting early signs, though case recording remained uneven.",
    "Families valued a single named worker; waiting times for specialist therapy were the main barrier.",
)
NOTICE = "Synthetic demo document: this organisation, project and evaluation do not exist."


def demo_documents(themes: Sequence[str], *, seed: int = 15) -> list[DemoDocument]:
    """Three documents per theme (two PDFs and a Word document), the same for the same seed."""
    rng = random.Random(seed)  # noqa: S311 (synthetic text, not security)
    documents = []
    for theme in themes:
        topic, practices = _TOPICS.get(theme, (theme.replace("_", " ").capitalize(), _TOPICS["support_responses"][1]))
        for slug, label, kind in _DOCUMENT_KINDS:
            town = rng.choice(["Brackford", "Lowmere", "Eastwick Vale", "Ardlow", "Kestrel Bay"])
            title = f"{label}: {topic} in {town}"
            body = [
                f"{title}.",
                f"This {label.lower()} describes work in {town} on {topic.lower()}.",
                *rng.sample(practices, k=len(practices)),
                rng.choice(_FINDINGS),
                NOTICE,
            ]
            filename = f"{theme}-{slug}.{kind}"
            if kind == "pdf":
                content = make_pdf(["\n\n".join(body), f"Annex: method\n\n{rng.choice(_FINDINGS)}\n\n{NOTICE}"])
            else:
                content = make_docx(body[1:], heading=title, table=[["Measure", "Result"], ["Referrals", "up 34%"]])
            documents.append(DemoDocument(theme=theme, filename=filename, kind=kind, content=content))
    return documents
