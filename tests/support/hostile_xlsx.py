"""Hostile Excel workbooks, built by hand: small files that would expand into
millions of cells or strings, and an archive whose declared sizes lie.

Each returns the bytes of an `.xlsx` file; its parts are written in pieces
(generators) so that building one takes little memory. Used by
tests/importing/test_reading_bounds.py and bench/import_bench.py.
"""

from __future__ import annotations

import io
import struct
import zipfile
from collections.abc import Iterable, Iterator

from importing.reading import column_letter

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
ROOT_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
WORKBOOK = (
    f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
WORKBOOK_RELS = (
    f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'sharedStrings" Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
    'Target="styles.xml"/></Relationships>'
)
STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="{MAIN_NS}">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="0" fillId="1" borderId="0" xfId="0" applyFill="1"/></cellXfs>'
    "</styleSheet>"
)
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>title</t></is></c></row>'


def _sheet(rows: Iterable[str]) -> Iterator[bytes]:
    yield (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}"><sheetData>' + HEADER_ROW).encode()
    chunk: list[str] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= 2_000:
            yield "".join(chunk).encode()
            chunk.clear()
    yield ("".join(chunk) + "</sheetData></worksheet>").encode()


def _package(sheet: Iterable[bytes], strings: Iterable[bytes] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", STYLES)
        with archive.open("xl/sharedStrings.xml", "w") as part:
            wrote = False
            for piece in strings:
                part.write(piece)
                wrote = True
            if not wrote:
                part.write(f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}"/>'.encode())
        with archive.open("xl/worksheets/sheet1.xml", "w") as part:
            for piece in sheet:
                part.write(piece)
    return buffer.getvalue()


def styled_empty_cells(rows: int, columns: int = 100) -> bytes:
    """`rows` rows of `columns` empty cells that only carry a style: nothing
    to read, but each one is a cell to parse. (A cell's and a row's position
    may be left out: they follow the one before.)"""
    row = "<row>" + '<c s="1"/>' * columns + "</row>"
    return _package(_sheet(row for _ in range(rows)))


def repeated_cells(rows: int, columns: int = 100) -> bytes:
    """`rows` rows of `columns` cells, each the first shared string."""
    row = "<row>" + '<c t="s"><v>0</v></c>' * columns + "</row>"
    strings = [f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}"><si><t>x</t></si></sst>'.encode()]
    return _package(_sheet(row for _ in range(rows)), strings)


def far_cells(rows: int, column: int = 999) -> bytes:
    """`rows` rows holding one cell each, far to the right: a reader that
    pads every row to its last cell makes `column` cells of each."""
    letters = column_letter(column - 1)
    return _package(
        _sheet(
            f'<row r="{n}"><c r="{letters}{n}" t="inlineStr"><is><t>x</t></is></c></row>' for n in range(2, rows + 2)
        )
    )


def shared_strings_bomb(strings: int) -> bytes:
    """A sheet of two cells and a table of `strings` shared strings."""

    def table() -> Iterator[bytes]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN_NS}">'.encode()
        for start in range(0, strings, 5_000):
            yield b"<si><t>x</t></si>" * min(5_000, strings - start)
        yield b"</sst>"

    return _package(_sheet(['<row r="2"><c r="A2" t="s"><v>0</v></c></row>']), table())


def lying_sizes(rows: int, columns: int = 100, declared: int = 1_000) -> bytes:
    """`styled_empty_cells`, with the sheet's uncompressed size written in the
    archive's headers as `declared` bytes (the data expand far beyond it)."""
    content = bytearray(styled_empty_cells(rows, columns))
    name = b"xl/worksheets/sheet1.xml"
    # Local file header: size at offset 22; central directory entry: at offset 24.
    # A zip64 extra field, when there is one, carries its own copy of the size.
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := content.find(signature, start)) != -1:
            start = at + 4
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            name_length = struct.unpack_from("<H", content, at + (26 if signature == b"PK\x03\x04" else 28))[0]
            if bytes(content[name_at : name_at + name_length]) != name:
                continue
            extra_length = struct.unpack_from("<H", content, at + (28 if signature == b"PK\x03\x04" else 30))[0]
            extra_at = name_at + name_length
            if struct.unpack_from("<I", content, at + size_at)[0] != 0xFFFFFFFF:
                struct.pack_into("<I", content, at + size_at, declared)
            _patch_zip64(content, extra_at, extra_length, declared)
    return bytes(content)


def _patch_zip64(content: bytearray, at: int, length: int, declared: int) -> None:
    end = at + length
    while at + 4 <= end:
        tag, size = struct.unpack_from("<HH", content, at)
        if tag == 0x0001 and size >= 8:
            struct.pack_into("<Q", content, at + 4, declared)  # the first field is the uncompressed size
        at += 4 + size
