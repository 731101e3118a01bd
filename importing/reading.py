"""Reading a spreadsheet's bytes into a plain table, or refusing it in words.

`read_table(content, filename, max_bytes=...)` checks the size, works out what
the file really is (CSV text or an XLSX workbook) from its bytes, checks that
its name agrees, decodes CSV text (UTF-8 with or without BOM, UTF-16 and UTF-32 with or
without BOM, Windows-1252 as a fallback), finds the header row, and returns a `Table`:
the headers and every non-blank row with its row number as a spreadsheet
would show it. Anything that is not a readable spreadsheet raises
`ImportRefused` with a sentence a non-programmer can act on.

Before a workbook is parsed, its archive is checked against the bounds in
`config.settings.ImportLimits` (each one a setting): the uncompressed size
of its parts (as the archive lists them, and again as they are unpacked), the
cells of its sheets and the entries of its table of texts (counted in the
unpacked bytes, without parsing them), and the time taken; the cells are
counted again as the sheet is read. A file past a bound is refused with a
message naming the bound and its limit, before it can take the server's
memory or minutes of its time.

Cells are kept as typed: a cell reading `=SUM(A1)` stays exactly that (in an
XLSX workbook, a formula's text is read, never its result). Only numbers,
dates and true/false cells of a workbook are turned into text.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import itertools
import re
import threading
import time
import zipfile
from collections import OrderedDict
from dataclasses import dataclass

from config.settings import ImportLimits
from formats.archives import ArchiveTooLarge, UnpackBudget

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
# An XLSX file is a zip archive of XML parts. Parts that openpyxl parses
# whole into a tree (workbook, styles, relationships, properties, chart
# sheets) may hold at most this many elements: a real workbook's styles hold a
# few thousand (Excel's own limit is 64,000 cell formats).
MAX_PART_ELEMENTS = 300_000
_CHUNK = 1024 * 1024
_TAG_PREFIX = rb"<(?:[A-Za-z_][\w.\-]*:)?"
_CELL_TAG = re.compile(_TAG_PREFIX + rb"c[\s/>]")
_ROW_TAG = re.compile(_TAG_PREFIX + rb"row[\s/>]")
_STRING_TAG = re.compile(_TAG_PREFIX + rb"si[\s/>]")
# In a workbook, this many blank rows in a row end the sheet (formatted but
# empty rows can run to the bottom of the sheet).
MAX_BLANK_RUN = 10_000
CONTROL_SHARE = 0.01
# Far beyond any call for evidence; a file past these is a wrong file, and
# reading it whole would take the server's memory.
MAX_ROWS = 200_000
MAX_COLUMNS = 1_000
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RECENT_TABLES = 4
_RECENT: OrderedDict[tuple, Table] = OrderedDict()
_RECENT_LOCK = threading.Lock()
csv.field_size_limit(64 * 1024 * 1024)


class ImportRefused(ValueError):
    """The file cannot be imported at all; the message says why, in words.

    `sheets` lists a workbook's sheets when they are known, so that a person
    can pick another one after the first could not be read."""

    def __init__(self, message: str, *, sheets: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.sheets = sheets


@dataclass(frozen=True)
class RawRow:
    number: int  # the row number a spreadsheet shows (the header is a row too)
    cells: tuple[str, ...]  # one per header column, "" where the row is short
    extra: tuple[str, ...] = ()  # filled cells beyond the header's last column


@dataclass(frozen=True)
class Table:
    filename: str
    kind: str  # "csv" or "xlsx"
    headers: tuple[str, ...]
    rows: tuple[RawRow, ...]
    header_row: int
    blank_rows: int  # entirely empty rows between the header and the last row
    encoding: str | None = None  # CSV only
    delimiter: str | None = None  # CSV only
    sheet: str | None = None  # XLSX only
    sheets: tuple[str, ...] = ()

    def column(self, header: str) -> list[str]:
        index = self.headers.index(header)
        return [row.cells[index] for row in self.rows]


def describe_size(n_bytes: int) -> str:
    if n_bytes < 1024 * 1024:
        return f"{max(1, round(n_bytes / 1024))} KB"
    return f"{n_bytes / (1024 * 1024):.1f} MB"


def _extension(filename: str) -> str:
    name = filename.lower().strip()
    return name[name.rfind(".") :] if "." in name else ""


def sniff_kind(content: bytes) -> str:
    """What the bytes are: "xlsx", "ods", "xls", "zip" or "text"."""
    if content.startswith(b"PK\x03\x04") or content.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                names = set(archive.namelist())
                if "xl/workbook.xml" in names:
                    return "xlsx"
                if "mimetype" in names:
                    with archive.open("mimetype") as part:  # only its start: it could be a bomb
                        if b"opendocument.spreadsheet" in part.read(200):
                            return "ods"
        except (zipfile.BadZipFile, OSError, KeyError, ValueError):
            return "zip"
        return "zip"
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    return "text"


def check_size(n_bytes: int, max_bytes: int) -> None:
    """Refuse a file over the size limit (the setting EVIDENCE_MAX_UPLOAD_MB)."""
    if n_bytes > max_bytes:
        raise ImportRefused(
            f"The file is {describe_size(n_bytes)}; the largest file that can be imported is "
            f"{describe_size(max_bytes)}. Split it into smaller files, or ask the administrator to raise the "
            "limit (setting EVIDENCE_MAX_UPLOAD_MB)."
        )


def read_table(
    content: bytes, filename: str, *, max_bytes: int, sheet: str | None = None, limits: ImportLimits | None = None
) -> Table:
    """The file as a `Table`; `ImportRefused` with a plain message if it cannot be read.

    `max_bytes` is the upload limit; `limits` the other bounds (the settings'
    defaults when not given; `Settings.import_limits` gives the deployment's).

    The last few tables read are kept, keyed by the bytes' SHA-256, file name,
    sheet and limits: the Import page reads the same upload on every rerun, and
    a preview and its import read it again (a `Table` is immutable)."""
    check_size(len(content), max_bytes)
    limits = limits or ImportLimits()
    key = (hashlib.sha256(content).hexdigest(), filename, sheet or None, max_bytes, limits)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    table = _read_table(content, filename, limits=limits, sheet=sheet, deadline=_Deadline(limits.max_seconds))
    with _RECENT_LOCK:
        _RECENT[key] = table
        while len(_RECENT) > RECENT_TABLES:
            _RECENT.popitem(last=False)
    return table


class _Deadline:
    """Refuses the file once reading it has taken longer than the limit."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.ends:
            raise ImportRefused(
                f"Reading this file took longer than {self.seconds:g} seconds, the limit, so it was stopped. Check "
                "that it is the right file, or save the sheet you need as CSV and import that (setting "
                "EVIDENCE_IMPORT_MAX_SECONDS)."
            )


def _too_many_cells(limits: ImportLimits, where: str = "The file") -> ImportRefused:
    return ImportRefused(
        f"{where} holds more than {limits.max_cells:,} cells (rows times columns, empty formatted cells "
        f"included); the limit is {limits.max_cells:,} (setting EVIDENCE_IMPORT_MAX_CELLS). Check that this is "
        "the right file, delete the unused rows and columns, or split it into smaller files."
    )


def _read_table(
    content: bytes, filename: str, *, limits: ImportLimits, sheet: str | None, deadline: _Deadline
) -> Table:
    if not content.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise ImportRefused("The file is empty: it has no header row and no submissions.")
    kind = sniff_kind(content)
    ext = _extension(filename)
    if kind == "xls":
        raise ImportRefused(
            "This is an old-style Excel file (.xls). Open it in your spreadsheet and save it as an Excel "
            "workbook (.xlsx) or as CSV, then import that."
        )
    if kind == "ods":
        raise ImportRefused(
            "This is an OpenDocument spreadsheet (.ods). Save it as an Excel workbook (.xlsx) or as CSV, then "
            "import that."
        )
    if kind == "zip":
        raise ImportRefused(
            "This file is a zip archive or a damaged workbook, not a spreadsheet. Import a CSV file or an Excel "
            "workbook (.xlsx)."
        )
    if kind == "xlsx":
        if ext in CSV_EXTENSIONS:
            raise ImportRefused(
                f"This file is named {ext} but it is an Excel workbook. Rename it to .xlsx (or save it as CSV "
                "from your spreadsheet) and import it again."
            )
        return _read_xlsx(content, filename, limits=limits, sheet=sheet, deadline=deadline)
    text, encoding = decode_text(content)
    if ext in XLSX_EXTENSIONS:
        raise ImportRefused(
            f"This file is named {ext} but it is not an Excel workbook: it is a text (CSV) file. Rename it to "
            ".csv, or open it in your spreadsheet and save it as an Excel workbook, and import it again."
        )
    if sheet not in (None, ""):
        raise ImportRefused("A CSV file has no sheets; choose a sheet only for an Excel workbook.")
    return _read_csv(text, filename, encoding, limits=limits, deadline=deadline)


def decode_text(content: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file, or ImportRefused for binary data."""
    garbage = (
        "This file does not look like a spreadsheet: it contains binary data. Import a CSV file or an Excel "
        "workbook (.xlsx)."
    )
    wide = _wide_encoding(content)
    if wide is not None:
        codec, encoding = wide
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            raise ImportRefused(garbage) from None
        text = text.removeprefix("\ufeff")
    elif b"\x00" in content:
        raise ImportRefused(garbage)
    elif content.startswith(codecs.BOM_UTF8):
        try:
            text, encoding = content[len(codecs.BOM_UTF8) :].decode("utf-8"), "UTF-8 with BOM"
        except UnicodeDecodeError:
            raise ImportRefused(
                "This file says it is UTF-8 text but some of its characters are not. Save it again as "
                "\u201cCSV UTF-8\u201d from your spreadsheet."
            ) from None
    else:
        try:
            text, encoding = content.decode("utf-8"), "UTF-8"
        except UnicodeDecodeError:
            high = len(_HIGH_BYTE.findall(content))
            in_utf8 = sum(len(m) for m in _UTF8_SEQUENCE.findall(content))
            if in_utf8 >= high / 2:
                # Mostly UTF-8 with a few bytes that are not: read as Windows-1252,
                # every accented letter of the UTF-8 part would come out garbled.
                raise ImportRefused(
                    "This file mixes two kinds of text encoding (for example rows pasted from another program), so "
                    "some characters cannot be read correctly. Open it in your spreadsheet and save it again as "
                    "\u201cCSV UTF-8\u201d, then import that."
                ) from None
            try:
                text, encoding = content.decode("cp1252"), "Windows-1252"
            except UnicodeDecodeError:
                raise ImportRefused(garbage) from None
    if "\x00" in text:
        raise ImportRefused(garbage)
    controls = len(_CONTROL_CHARACTERS.findall(text))
    if controls > max(2, len(text) * CONTROL_SHARE):
        raise ImportRefused(garbage)
    return text, encoding


_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "UTF-32"),  # before UTF-16's: FF FE 00 00 starts with FF FE
    (codecs.BOM_UTF32_BE, "utf-32", "UTF-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
# Text in UTF-16 or UTF-32 without a byte-order mark is recognised by where
# its zero bytes stand in the first few kilobytes: ASCII-range characters
# (delimiters, line breaks, digits, most headers) have zero high bytes.
WIDE_SAMPLE = 8192
WIDE_SHARE = 0.9


def _wide_encoding(content: bytes) -> tuple[str, str] | None:
    """(codec, name) of UTF-16 or UTF-32 text, with or without a byte-order mark; None otherwise."""
    for bom, codec, name in _WIDE_BOMS:
        if content.startswith(bom):
            return codec, name
    if b"\x00" not in content[:WIDE_SAMPLE]:
        return None
    sample = content[:WIDE_SAMPLE]
    for width, codec_le, codec_be, name in (
        (4, "utf-32-le", "utf-32-be", "UTF-32"),
        (2, "utf-16-le", "utf-16-be", "UTF-16"),
    ):
        if len(content) % width or len(sample) < 2 * width:
            continue
        sample = sample[: len(sample) - len(sample) % width]
        units = len(sample) // width
        # Per position within a code unit: the share of zero bytes.
        zeros = [sample[i::width].count(0) / units for i in range(width)]
        if width == 4:
            little = zeros[2] == 1.0 and zeros[3] == 1.0 and zeros[0] < 0.5
            big = zeros[0] == 1.0 and zeros[1] == 1.0 and zeros[3] < 0.5
        else:
            little = zeros[1] >= WIDE_SHARE and zeros[0] < 0.5
            big = zeros[0] >= WIDE_SHARE and zeros[1] < 0.5
        if little:
            return codec_le, f"{name} (little-endian, no byte-order mark)"
        if big:
            return codec_be, f"{name} (big-endian, no byte-order mark)"
    return None


def _pick_delimiter(text: str) -> str:
    sample = text[: 64 * 1024]
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        try:
            records = list(itertools.islice(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter), 40))
        except csv.Error:
            continue
        records = [r for r in records if any(c.strip() for c in r)]
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:-1] or records[1:]  # the sample's last record may be cut short
        consistent = sum(1 for r in body if len(r) == width) / len(body) if body else 1.0
        score = consistent + min(width, 50) / 1000
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(text: str, filename: str, encoding: str, *, limits: ImportLimits, deadline: _Deadline) -> Table:
    delimiter = _pick_delimiter(text)
    records: list[tuple[int, list[str]]] = []
    total = 0
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            _check_shape(number, len(cells))
            total += len(cells)
            if total > limits.max_cells:
                raise _too_many_cells(limits)
            if number % 256 == 0:
                deadline.check()
            records.append((number, cells))
        deadline.check()
    except csv.Error as exc:
        raise ImportRefused(f"The file cannot be read as CSV ({exc}). Save it again from your spreadsheet.") from None
    return _build_table(records, filename=filename, kind="csv", encoding=encoding, delimiter=delimiter)


def _too_many_rows(where: str = "The file") -> ImportRefused:
    return ImportRefused(
        f"{where} has more than {MAX_ROWS:,} rows, far more than a call for evidence receives. Check that "
        "this is the right file, or split it into smaller files."
    )


def _check_shape(row_number: int, n_cells: int) -> None:
    if row_number > MAX_ROWS:
        raise _too_many_rows()
    if n_cells > MAX_COLUMNS:
        raise ImportRefused(
            f"Row {row_number} has {n_cells:,} cells; more than {MAX_COLUMNS:,} columns cannot be a list of "
            "submissions. Check that this is the right file or sheet."
        )


def cell_text(value: object) -> str:
    """A workbook cell as the text a person sees (formulas as typed)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    text = getattr(value, "text", None)  # an array formula keeps its text here
    return text if isinstance(text, str) else str(value)


def check_workbook(archive: zipfile.ZipFile, limits: ImportLimits, deadline: _Deadline) -> None:
    """Refuse a workbook past a bound before openpyxl parses any of it.

    The parts' uncompressed sizes as the archive lists them are added up
    first; then every part is unpacked in pieces (never whole), counting the
    bytes it really gives (a listing can lie), and, without parsing the XML,
    its sheets' cells and rows, the entries of its table of texts, and the
    elements of the parts openpyxl would parse whole."""
    budget = UnpackBudget(limits.max_expanded_bytes)
    try:
        budget.check_listing(archive.infolist())
        for info in archive.infolist():
            _check_part(archive, info, limits, deadline, budget)
    except ArchiveTooLarge as exc:
        raise _too_large(int(exc.found), limits) from None
    except ImportRefused:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError):
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None


def _part_kind(name: str) -> str | None:
    """What a workbook's part (its lower-case name) is counted for: "sheet"
    (cells and rows), "strings" (the table of texts), "whole" (a part
    openpyxl parses whole in a read-only workbook: its elements), or None
    (others, such as comments or calcChain, it does not read)."""
    if name.startswith("xl/worksheets/") and name.endswith(".xml"):
        return "sheet"
    if name.endswith("sharedstrings.xml"):
        return "strings"
    if name in ("[content_types].xml", "xl/workbook.xml", "xl/styles.xml") or (
        name.endswith(".rels") or name.startswith(("docprops/", "xl/chartsheets/"))
    ):
        return "whole"
    return None


def _check_part(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ImportLimits, deadline: _Deadline, budget: UnpackBudget
) -> None:
    """Unpack one part in pieces (counted by `budget`), refusing it past a bound."""
    kind = _part_kind(info.filename.lower())
    cells = rows = entries = elements = 0
    carry = b""
    for chunk in budget.chunks(archive, info, _CHUNK):
        deadline.check()
        data = carry + chunk
        # Count up to the last "<": every tag before it is whole.
        cut = data.rfind(b"<")
        body, carry = (data, b"") if cut == -1 else (data[:cut], data[cut : cut + 256])
        if kind == "sheet":
            cells += len(_CELL_TAG.findall(body))
            rows += len(_ROW_TAG.findall(body))
            if cells > limits.max_cells:
                raise _too_many_cells(limits, "A sheet of this workbook")
            if rows > MAX_ROWS:
                raise _too_many_rows("A sheet of this workbook")
        elif kind == "strings":
            entries += len(_STRING_TAG.findall(body))
            if entries > limits.max_cells:
                raise ImportRefused(
                    f"The workbook's table of texts holds more than {limits.max_cells:,} entries; the "
                    f"limit is {limits.max_cells:,} (setting EVIDENCE_IMPORT_MAX_CELLS). Save the sheet "
                    "you need as CSV, or copy it into a new workbook, and import that."
                )
        elif kind == "whole":
            elements += body.count(b"<") - body.count(b"</") - body.count(b"<?") - body.count(b"<!")
            if elements > MAX_PART_ELEMENTS:
                raise ImportRefused(
                    f"The workbook's part {info.filename} holds more than {MAX_PART_ELEMENTS:,} "
                    "entries (formatting, names or links), far more than a real workbook. Save the "
                    "sheet you need as CSV, or copy it into a new workbook, and import that."
                )
    # What is left after the last piece is the part's last tag.
    if kind == "sheet" and len(_CELL_TAG.findall(carry)) + cells > limits.max_cells:
        raise _too_many_cells(limits, "A sheet of this workbook")


def _too_large(n_bytes: int, limits: ImportLimits) -> ImportRefused:
    return ImportRefused(
        f"This workbook unpacks to more than {describe_size(limits.max_expanded_bytes)} (at least "
        f"{describe_size(n_bytes)}); the limit is {describe_size(limits.max_expanded_bytes)} (setting "
        "EVIDENCE_IMPORT_MAX_EXPANDED_MB). Save the sheet you need as CSV, or copy it into a new workbook, and "
        "import that."
    )


def _read_xlsx(content: bytes, filename: str, *, limits: ImportLimits, sheet: str | None, deadline: _Deadline) -> Table:
    import openpyxl  # imported here: CSV-only callers need not load it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            check_workbook(archive, limits, deadline)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if isinstance(exc, ImportRefused):
            raise
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a damaged workbook
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None
    try:
        sheets = tuple(workbook.sheetnames)
        if not sheets:
            raise ImportRefused("This workbook has no sheets.")
        chosen = sheet or sheets[0]
        if chosen not in sheets:
            raise ImportRefused(
                f"The workbook has no sheet called \u201c{chosen}\u201d. Its sheets are: "
                + ", ".join(f"\u201c{s}\u201d" for s in sheets)
                + ".",
                sheets=sheets,
            )
        worksheet = workbook[chosen]
        if not hasattr(worksheet, "iter_rows"):
            raise ImportRefused(
                f"\u201c{chosen}\u201d is a chart, not a sheet of data. Choose another sheet.", sheets=sheets
            )
        worksheet.reset_dimensions()  # some tools write a wrong size; read what is there
        records: list[tuple[int, list[str]]] = []
        blank_run = total = 0
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                _check_shape(number, len(values))
                # Rows are padded to their last cell: count what is really made.
                total += len(values)
                if total > limits.max_cells:
                    raise _too_many_cells(limits, f"The sheet \u201c{chosen}\u201d")
                deadline.check()
                cells = [cell_text(v) for v in values]
                if any(c.strip() for c in cells):
                    blank_run = 0
                else:
                    blank_run += 1
                    if blank_run > MAX_BLANK_RUN:
                        break
                records.append((number, cells))
        except ImportRefused as exc:
            raise ImportRefused(str(exc), sheets=sheets) from None
        except Exception:  # noqa: BLE001 - a damaged sheet fails while it is read, in many ways
            raise ImportRefused(
                f"The sheet \u201c{chosen}\u201d of this workbook is damaged and cannot be read.", sheets=sheets
            ) from None
    finally:
        workbook.close()
    try:
        return _build_table(records, filename=filename, kind="xlsx", sheet=chosen, sheets=sheets)
    except ImportRefused as exc:
        raise ImportRefused(str(exc), sheets=sheets) from None


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: how a spreadsheet names a column."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _build_table(
    records: list[tuple[int, list[str]]],
    *,
    filename: str,
    kind: str,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
    sheets: tuple[str, ...] = (),
) -> Table:
    """The records (row number, cells) read from a file or sheet as a `Table`:
    the first filled row is the header, then its columns, then the rows under it."""
    where = f"The sheet \u201c{sheet}\u201d" if sheet else "The file"
    header_row, raw_headers, body = _split_header(records, where)
    columns, headers = _columns(raw_headers, body)
    rows, blank_rows = _body_rows(body, columns, n_header=len(raw_headers))
    return Table(
        filename=filename,
        kind=kind,
        headers=tuple(headers),
        rows=tuple(rows),
        header_row=header_row,
        blank_rows=blank_rows,
        encoding=encoding,
        delimiter=delimiter,
        sheet=sheet,
        sheets=sheets,
    )


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


def _split_header(
    records: list[tuple[int, list[str]]], where: str
) -> tuple[int, list[str], list[tuple[int, list[str]]]]:
    """(header row number, header cells, the records under it without trailing
    blank ones); refused if there is no header, or nothing under it."""
    start = next((i for i, (_, cells) in enumerate(records) if not _blank(cells)), None)
    if start is None:
        raise ImportRefused(f"{where} is empty: it has no header row and no submissions.")
    header_row, raw_headers = records[start]
    body = records[start + 1 :]
    while body and _blank(body[-1][1]):
        body.pop()
    if not body:
        raise ImportRefused(
            f"{where} has a header row but no submissions under it. Fill in at least one row below the header."
        )
    return header_row, raw_headers, body


def _columns(raw_headers: list[str], body: list[tuple[int, list[str]]]) -> tuple[list[int], list[str]]:
    """The columns kept (their indexes) and their headers: every named header,
    plus unnamed ones that hold data, named by their letter; a repeated name
    gets its column's letter too."""
    unnamed = {i for i, h in enumerate(raw_headers) if not h.strip()}
    used = {i for i in unnamed if any(i < len(cells) and cells[i].strip() for _, cells in body)}
    columns: list[int] = []
    headers: list[str] = []
    seen: set[str] = set()
    for i in range(len(raw_headers)):  # cells beyond the header are reported per row
        name = " ".join(raw_headers[i].split())
        if not name:
            if i not in used:
                continue
            name = f"(column {column_letter(i)})"
        if name.casefold() in seen:
            name = f"{name} (column {column_letter(i)})"
        seen.add(name.casefold())
        columns.append(i)
        headers.append(name)
    return columns, headers


def _body_rows(body: list[tuple[int, list[str]]], columns: list[int], *, n_header: int) -> tuple[list[RawRow], int]:
    """The filled rows (their kept cells, and filled cells beyond the header's
    last column) and how many blank rows lie between them."""
    rows: list[RawRow] = []
    blank_rows = 0
    for number, cells in body:
        if _blank(cells):
            blank_rows += 1
            continue
        picked = tuple(cells[i] if i < len(cells) else "" for i in columns)
        extra = tuple(c for c in cells[n_header:] if c.strip())
        rows.append(RawRow(number, picked, extra))
    return rows, blank_rows
