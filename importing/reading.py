"""Reading a spreadsheet's bytes into a plain table, or refusing it in words.

`read_table(content, filename, max_bytes=...)` checks the size, works out what
the file really is (CSV text or an XLSX workbook) from its bytes, checks that
its name agrees, decodes CSV text (UTF-8 with or without BOM, UTF-16 and UTF-32 with or
without BOM, Windows-1252 as a fallback), finds the header row, and returns a `Table`:
the headers and every non-blank row with its row number as a spreadsheet
would show it. Anything that is not a readable spreadsheet raises
`ImportRefused` with a sentence a non-programmer can act on.

A workbook is read by `importing.workbooks` (its bounds: `ImportLimits`).

Cells are kept as typed: a CSV cell reading `=SUM(A1)` stays exactly that
text. In an XLSX workbook a formula cell gives the result the spreadsheet
saved with it; a formula without a saved result (or whose result is an error
such as #REF!) refuses the file, naming the cells (`Sheet1!B7`): formula text
is never imported. Only numbers, dates and true/false cells of a workbook
are turned into text. Merged cells in the header row give their text to each
column they span; a group-header row above the real headers is found (or
the person picks the header row: `header_row`).
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
from collections.abc import Sequence
from dataclasses import dataclass

from config.settings import ImportLimits

CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
XLSX_EXTENSIONS = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")
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
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based, as in a sheet)
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
    # The header row was guessed (a sparse group-header row above it, or the
    # first filled row) and could be another: the person is asked to confirm.
    header_unsure: bool = False
    header_choices: tuple[int, ...] = ()  # the first filled rows, each of which could be the header

    def column(self, header: str) -> list[str]:
        index = self.headers.index(header)
        return [row.cells[index] for row in self.rows]


def header_row_words(table: Table, *, picked: bool, how: str) -> str:
    """Which row was read as the header, and how it was chosen, in words; `how` says how to pick another."""
    if picked:
        return (
            f"{table.header_row} (given with --header-row)"
            if how.startswith("give --")
            else f"{table.header_row} (picked)"
        )
    if table.header_unsure:
        return (
            f"{table.header_row} (guessed: row {table.header_choices[0]} fills few columns and looks like a row of "
            f"group headings; {how} to read another row as the header)"
        )
    return f"{table.header_row} (found: the first row with the column names)"


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
    content: bytes,
    filename: str,
    *,
    max_bytes: int,
    sheet: str | None = None,
    limits: ImportLimits | None = None,
    header_row: int | None = None,
) -> Table:
    """The file as a `Table`; `ImportRefused` with a plain message if it cannot be read.

    `max_bytes` is the upload limit; `limits` the other bounds (the settings'
    defaults when not given; `Settings.import_limits` gives the deployment's).
    `header_row` is the row number of the header when the person picked it
    (otherwise it is found: see `_split_header`).

    The last few tables read are kept, keyed by the bytes' SHA-256, file name,
    sheet and limits: the Import page reads the same upload on every rerun, and
    a preview and its import read it again (a `Table` is immutable)."""
    check_size(len(content), max_bytes)
    limits = limits or ImportLimits()
    key = (hashlib.sha256(content).hexdigest(), filename, sheet or None, max_bytes, limits, header_row)
    with _RECENT_LOCK:
        if key in _RECENT:
            _RECENT.move_to_end(key)
            return _RECENT[key]
    table = _read_table(
        content, filename, limits=limits, sheet=sheet, deadline=_Deadline(limits.max_seconds), header_row=header_row
    )
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
    content: bytes,
    filename: str,
    *,
    limits: ImportLimits,
    sheet: str | None,
    deadline: _Deadline,
    header_row: int | None,
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
        from importing.workbooks import read_xlsx  # here: it imports this module; CSV callers need not load it

        return read_xlsx(content, filename, limits=limits, sheet=sheet, deadline=deadline, header_row=header_row)
    text, encoding = decode_text(content)
    if ext in XLSX_EXTENSIONS:
        raise ImportRefused(
            f"This file is named {ext} but it is not an Excel workbook: it is a text (CSV) file. Rename it to "
            ".csv, or open it in your spreadsheet and save it as an Excel workbook, and import it again."
        )
    if sheet not in (None, ""):
        raise ImportRefused("A CSV file has no sheets; choose a sheet only for an Excel workbook.")
    return _read_csv(text, filename, encoding, limits=limits, deadline=deadline, header_row=header_row)


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


def _read_csv(
    text: str, filename: str, encoding: str, *, limits: ImportLimits, deadline: _Deadline, header_row: int | None
) -> Table:
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
    return _build_table(
        records, filename=filename, kind="csv", encoding=encoding, delimiter=delimiter, header_row=header_row
    )


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
    merges: Sequence[Merge] = (),
    header_row: int | None = None,
) -> Table:
    """The records (row number, cells) read from a file or sheet as a `Table`:
    the header row (found, or the one picked), then its columns, then the rows under it."""
    where = f"The sheet \u201c{sheet}\u201d" if sheet else "The file"
    found = _find_header(records, merges, where, header_row)
    raw_headers = _expand_merged(records, found.index, merges)
    header_row, body = found.number, _body_after(records, found.index, where)
    if _is_second_header(body[0][1]):  # SurveyMonkey's "Response" / "Open-Ended Response" row
        body = _body_after(records, records.index(body[0]), where)
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
        header_unsure=found.unsure,
        header_choices=found.choices,
    )


# The words of a second header row under the questions, as SurveyMonkey exports them: a row whose
# every filled cell is one of these is part of the header, not a submission.
SECOND_HEADER_WORDS = frozenset({"response", "open-ended response", "other (please specify)"})


def _is_second_header(cells: list[str]) -> bool:
    """SurveyMonkey's row of "Response" / "Open-Ended Response", or Qualtrics's row of {"ImportId": ...}."""
    words = {c.strip().casefold() for c in cells} - {""}
    return bool(words) and (words <= SECOND_HEADER_WORDS or all(w.startswith('{"importid"') for w in words))


def _blank(cells: list[str]) -> bool:
    return not "".join(cells).strip()


MAX_HEADER_CHOICES = 5  # the first filled rows offered as the header


@dataclass(frozen=True)
class _Header:
    index: int  # in the records
    number: int  # as the sheet shows it
    unsure: bool
    choices: tuple[int, ...]


def _filled(cells: Sequence[str]) -> int:
    return sum(1 for c in cells if c.strip())


def _find_header(
    records: list[tuple[int, list[str]]], merges: Sequence[Merge], where: str, picked: int | None
) -> _Header:
    """The header row: the one picked, or the first filled row, unless that row
    is a group-header row above the real headers: a first row with a cell
    merged down into the next row, or with a cell merged across columns and
    filling at most half the columns the next row fills, is one (sure); a
    first row as sparse without merged cells (a CSV file has none) probably
    is one (unsure: the person is asked to confirm)."""
    filled = [i for i, (_, cells) in enumerate(records) if not _blank(cells)]
    if not filled:
        raise ImportRefused(f"{where} is empty: it has no header row and no submissions.")
    choices = tuple(records[i][0] for i in filled[:MAX_HEADER_CHOICES])
    if picked is not None:
        index = next((i for i, (number, _) in enumerate(records) if number == picked), None)
        if index is None or _blank(records[index][1]):
            raise ImportRefused(
                f"Row {picked} of {where.lower().removeprefix('the ')} is empty or beyond its end, so it cannot be "
                "the header row. Pick the row that holds the column names."
            )
        return _Header(index, picked, False, choices)
    first = filled[0]
    if len(filled) < 3:  # a header and one row: nothing else can be the header
        return _Header(first, records[first][0], False, choices)
    second = filled[1]
    number, cells = records[first]
    below = records[second][0]
    down = any(r1 == number and r2 >= below for r1, _c1, r2, _c2 in merges)
    across = any(r1 == number and c2 > c1 for r1, c1, _r2, c2 in merges)
    sparse = _filled(cells) * 2 <= _filled(records[second][1])
    if down or (across and sparse):
        return _Header(second, below, False, choices)
    if sparse:
        return _Header(second, below, True, choices)
    return _Header(first, number, False, choices)


def _expand_merged(records: list[tuple[int, list[str]]], index: int, merges: Sequence[Merge]) -> list[str]:
    """The header row's cells, a merged cell's text given to every column it
    spans (and to a header cell merged with the row above), so that no column
    under a merged header is left without a name."""
    number, cells = records[index]
    headers = list(cells)
    by_number = dict(records[: index + 1])
    for r1, c1, r2, c2 in merges:
        if not r1 <= number <= r2:
            continue
        source = by_number.get(r1, [])
        text = source[c1 - 1] if c1 - 1 < len(source) else ""
        if c2 > len(headers):
            headers += [""] * (c2 - len(headers))
        for column in range(c1 - 1, c2):
            if not headers[column].strip():
                headers[column] = text
    return headers


def _body_after(records: list[tuple[int, list[str]]], index: int, where: str) -> list[tuple[int, list[str]]]:
    """The records under the header, without trailing blank ones; refused if there are none."""
    body = records[index + 1 :]
    while body and _blank(body[-1][1]):
        body.pop()
    if not body:
        raise ImportRefused(
            f"{where} has a header row but no submissions under it. Fill in at least one row below the header."
        )
    return body


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
