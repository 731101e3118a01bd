"""Reading a spreadsheet's bytes into a plain table, or refusing it in words.

`read_table(content, filename, max_bytes=...)` checks the size, works out what
the file really is (CSV text or an XLSX workbook) from its bytes, checks that
its name agrees, decodes CSV text (UTF-8 with or without BOM, UTF-16 with BOM,
Windows-1252 as a fallback), finds the header row, and returns a `Table`:
the headers and every non-blank row with its row number as a spreadsheet
would show it. Anything that is not a readable spreadsheet raises
`ImportRefused` with a sentence a non-programmer can act on.

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
import zipfile
from collections import OrderedDict
from dataclasses import dataclass

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
# An XLSX file is a zip archive; refuse one that would expand to more than
# this many times the upload limit (a "zip bomb" or a sheet of empty rows).
MAX_EXPANSION = 40
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
                if "mimetype" in names and b"opendocument.spreadsheet" in archive.read("mimetype"):
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


def read_table(content: bytes, filename: str, *, max_bytes: int, sheet: str | None = None) -> Table:
    """The file as a `Table`; `ImportRefused` with a plain message if it cannot be read.

    The last few tables read are kept, keyed by the bytes' SHA-256, file name,
    sheet and limit: the Import page reads the same upload on every rerun, and
    a preview and its import read it again (a `Table` is immutable)."""
    check_size(len(content), max_bytes)
    key = (hashlib.sha256(content).hexdigest(), filename, sheet or None, max_bytes)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    table = _read_table(content, filename, max_bytes=max_bytes, sheet=sheet)
    with _RECENT_LOCK:
        _RECENT[key] = table
        while len(_RECENT) > RECENT_TABLES:
            _RECENT.popitem(last=False)
    return table


def _read_table(content: bytes, filename: str, *, max_bytes: int, sheet: str | None) -> Table:
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
        return _read_xlsx(content, filename, max_bytes=max_bytes, sheet=sheet)
    text, encoding = decode_text(content)
    if ext in XLSX_EXTENSIONS:
        raise ImportRefused(
            f"This file is named {ext} but it is not an Excel workbook: it is a text (CSV) file. Rename it to "
            ".csv, or open it in your spreadsheet and save it as an Excel workbook, and import it again."
        )
    if sheet not in (None, ""):
        raise ImportRefused("A CSV file has no sheets; choose a sheet only for an Excel workbook.")
    return _read_csv(text, filename, encoding)


def decode_text(content: bytes) -> tuple[str, str]:
    """(text, encoding name) of a CSV file, or ImportRefused for binary data."""
    garbage = (
        "This file does not look like a spreadsheet: it contains binary data. Import a CSV file or an Excel "
        "workbook (.xlsx)."
    )
    if content.startswith(codecs.BOM_UTF16_LE) or content.startswith(codecs.BOM_UTF16_BE):
        try:
            text, encoding = content.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportRefused(garbage) from None
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


def _read_csv(text: str, filename: str, encoding: str) -> Table:
    delimiter = _pick_delimiter(text)
    records: list[tuple[int, list[str]]] = []
    try:
        for number, cells in enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1):
            _check_shape(number, len(cells))
            records.append((number, cells))
    except csv.Error as exc:
        raise ImportRefused(f"The file cannot be read as CSV ({exc}). Save it again from your spreadsheet.") from None
    return _build_table(records, filename=filename, kind="csv", encoding=encoding, delimiter=delimiter)


def _check_shape(row_number: int, n_cells: int) -> None:
    if row_number > MAX_ROWS:
        raise ImportRefused(
            f"The file has more than {MAX_ROWS:,} rows, far more than a call for evidence receives. Check that "
            "this is the right file, or split it into smaller files."
        )
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


def _read_xlsx(content: bytes, filename: str, *, max_bytes: int, sheet: str | None) -> Table:
    import openpyxl  # imported here: CSV-only callers need not load it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None
    if expanded > MAX_EXPANSION * max(max_bytes, 1024 * 1024):
        raise ImportRefused(
            "This workbook expands to far more data than its size suggests, so it is not read. Save the sheet "
            "you need as CSV, or copy it into a new workbook, and import that."
        )
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
        blank_run = 0
        try:
            for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
                _check_shape(number, len(values))
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
    def blank(cells: list[str]) -> bool:
        return not "".join(cells).strip()

    where = f"The sheet \u201c{sheet}\u201d" if sheet else "The file"
    start = next((i for i, (_, cells) in enumerate(records) if not blank(cells)), None)
    if start is None:
        raise ImportRefused(f"{where} is empty: it has no header row and no submissions.")
    header_row, raw_headers = records[start]
    body = records[start + 1 :]
    while body and blank(body[-1][1]):
        body.pop()
    if not body:
        raise ImportRefused(
            f"{where} has a header row but no submissions under it. Fill in at least one row below the header."
        )
    # Columns: every named header, plus unnamed ones that hold data.
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
    rows: list[RawRow] = []
    blank_rows = 0
    n_header = len(raw_headers)
    for number, cells in body:
        if blank(cells):
            blank_rows += 1
            continue
        picked = tuple(cells[i] if i < len(cells) else "" for i in columns)
        extra = tuple(c for c in cells[n_header:] if c.strip())
        rows.append(RawRow(number, picked, extra))
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
