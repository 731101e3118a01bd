"""Plain text from a document, for reading in the app and for search.

`extract_text(content, kind)` returns an `Extracted`: the text (bounded by
`DocumentLimits.max_text_chars`, cut at that length with `truncated` set),
and a note for people when there is something to say (an image has no text;
a PDF page past the bound was not read). PDF page by page (pypdf, at most
`max_pdf_pages` pages), DOCX paragraphs and tables in order (python-docx),
PPTX slides' text frames and tables (python-pptx), XLSX cells (openpyxl,
read-only, values not formulas, at most `max_sheet_cells`), ODT paragraphs
and headings (defusedxml; annotations left out), plain text as decoded by
`documents.sniff`. Nothing is executed or fetched: no macros (refused
before), no links followed. Call it on the copy `documents.metadata.clean`
returned, after `documents.sniff.sniff` accepted the original.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from defusedxml.ElementTree import fromstring

from config.settings import DocumentLimits
from documents.errors import PARSER_ERRORS, DocumentRefused
from documents.sniff import Source, as_stream, decode_text
from formats.archives import UnpackBudget

IMAGE_NOTE = "An image holds no text to read or search (the app does not read text in pictures)."
ODF_TEXT_NS = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
ODF_OFFICE_NS = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"


READ_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, SyntaxError, *PARSER_ERRORS)


@dataclass(frozen=True)
class Extracted:
    text: str
    truncated: bool = False
    note: str | None = None


class _Collector:
    """Pieces of text up to a number of characters."""

    def __init__(self, max_chars: int) -> None:
        self.max_chars = max_chars
        self.pieces: list[str] = []
        self.length = 0
        self.truncated = False

    def add(self, piece: str) -> bool:
        """Add a piece (a paragraph, a page); False once the text is full."""
        if self.truncated:
            return False
        room = self.max_chars - self.length
        if len(piece) > room:
            piece, self.truncated = piece[:room], True
        self.pieces.append(piece)
        self.length += len(piece) + 1
        return not self.truncated

    def result(self, note: str | None = None) -> Extracted:
        if self.truncated:
            cut = f"The text was cut at {self.max_chars:,} characters."
            note = f"{note} {cut}" if note else cut
        return Extracted("\n".join(self.pieces).strip(), self.truncated, note)


def extract_text(source: Source, kind: str, *, limits: DocumentLimits | None = None) -> Extracted:
    """The document's text (bytes, or a seekable binary file object read in
    place), bounded; `DocumentRefused("damaged", ...)` when it cannot be read."""
    limits = limits or DocumentLimits()
    if kind in ("png", "jpeg"):
        return Extracted("", note=IMAGE_NOTE)
    collector = _Collector(limits.max_text_chars)
    readers = {"pdf": _pdf, "docx": _docx, "pptx": _pptx, "xlsx": _xlsx, "odt": _odt, "text": _plain}
    reader = readers.get(kind)
    if reader is None:
        raise ValueError(f"unknown document kind {kind!r}")
    try:
        stream = as_stream(source)
        stream.seek(0)
        note = _fill(collector, reader(stream, limits))
    except DocumentRefused:
        raise
    except READ_ERRORS:
        raise DocumentRefused(
            "damaged", "The text of this document could not be read. Save it again (or as PDF) and attach it."
        ) from None
    return collector.result(note)


def _fill(collector: _Collector, pieces: Iterable[str]) -> str | None:
    """Add the pieces until the text is full; a piece that starts with NOTE: is a note instead."""
    note = None
    for piece in pieces:
        if piece.startswith("\x00NOTE:"):
            note = piece.removeprefix("\x00NOTE:")
        elif not collector.add(piece):
            break
    return note


def _pdf(stream: BinaryIO, limits: DocumentLimits) -> Iterator[str]:
    from pypdf import PdfReader

    reader = PdfReader(stream)
    pages = reader.pages
    for number, page in enumerate(pages, start=1):
        if number > limits.max_pdf_pages:
            yield f"\x00NOTE:Only the first {limits.max_pdf_pages:,} of its {len(pages):,} pages were read."
            return
        yield page.extract_text() or ""


def _docx(stream: BinaryIO, _limits: DocumentLimits) -> Iterator[str]:
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table

    document = docx.Document(stream)
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            yield from _rows((cell.text for cell in row.cells) for row in block.rows)
        else:  # every w:t, so a tracked insertion's text is read too (a deletion's is w:delText)
            yield "".join(node.text or "" for node in block._p.iter(qn("w:t")))


def _rows(rows: Iterable[Iterable[Any]]) -> Iterator[str]:
    for row in rows:
        yield "\t".join("" if value is None else str(value) for value in row)


def _pptx(stream: BinaryIO, _limits: DocumentLimits) -> Iterator[str]:
    import pptx

    deck = pptx.Presentation(stream)
    for number, slide in enumerate(deck.slides, start=1):
        yield f"Slide {number}"
        for shape in slide.shapes:
            if shape.has_text_frame:
                yield shape.text_frame.text
            if getattr(shape, "has_table", False) and shape.has_table:
                yield from _rows((cell.text for cell in row.cells) for row in shape.table.rows)


def _xlsx(stream: BinaryIO, limits: DocumentLimits) -> Iterator[str]:
    import openpyxl

    book = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    cells = 0
    try:
        for sheet in book.worksheets:
            yield f"Sheet: {sheet.title}"
            for row in sheet.iter_rows(values_only=True):
                cells += len(row)
                if cells > limits.max_sheet_cells:
                    yield f"\x00NOTE:Only the first {limits.max_sheet_cells:,} cells were read."
                    return
                if any(value is not None for value in row):
                    yield from _rows([row])
    finally:
        book.close()


def _odt(stream: BinaryIO, limits: DocumentLimits) -> Iterator[str]:
    budget = UnpackBudget(limits.max_expanded_bytes, limits.max_entries)
    with zipfile.ZipFile(stream) as archive:
        root = fromstring(budget.read(archive, archive.getinfo("content.xml")))
    body = root.find(f"{{{ODF_OFFICE_NS}}}body")
    if body is None:
        return
    yield from _odf_blocks(body)


def _odf_blocks(element: Any) -> Iterator[str]:
    """Paragraphs and headings in order, without annotations or tracked (deleted) text."""
    for child in element:
        tag = child.tag
        if tag in (f"{{{ODF_OFFICE_NS}}}annotation", f"{{{ODF_TEXT_NS}}}tracked-changes"):
            continue
        if tag in (f"{{{ODF_TEXT_NS}}}p", f"{{{ODF_TEXT_NS}}}h"):
            yield "".join(_odf_inline(child))
        else:
            yield from _odf_blocks(child)


def _odf_inline(element: Any) -> Iterator[str]:
    if element.text:
        yield element.text
    for child in element:
        if child.tag == f"{{{ODF_OFFICE_NS}}}annotation":
            pass
        elif child.tag == f"{{{ODF_TEXT_NS}}}s":
            yield " "
        elif child.tag == f"{{{ODF_TEXT_NS}}}tab":
            yield "\t"
        else:
            yield from _odf_inline(child)
        if child.tail:
            yield child.tail


def _plain(stream: BinaryIO, limits: DocumentLimits) -> Iterator[str]:
    text = decode_text(stream.read(limits.max_bytes + 1))
    if text is None:
        raise DocumentRefused("damaged", "This text file is not UTF-8 or UTF-16 text and cannot be read.")
    yield text
