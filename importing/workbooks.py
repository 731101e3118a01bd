"""Reading an XLSX workbook into a `Table` (called by `importing.reading.read_table`).

Before a workbook is parsed, its archive is checked against the bounds in
`config.settings.ImportLimits` (each one a setting): the uncompressed size
of its parts (as the archive lists them, and again as they are unpacked), the
cells of its sheets and the entries of its table of texts (counted in the
unpacked bytes, without parsing them), and the time taken; the cells are
counted again as the sheet is read. A file past a bound is refused with a
message naming the bound and its limit, before it can take the server's
memory or minutes of its time.

A formula cell gives the result the spreadsheet saved with it; a formula
without a saved result, or whose result is an error (#REF!), refuses the
file naming the cells (`Sheet1!B7`): formula text is never imported. The
sheet's merged cells are read from its XML (a read-only worksheet does not
list them) for the header row (`importing.reading._build_table`).
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any

from config.settings import ImportLimits
from formats.archives import ArchiveTooLarge, UnpackBudget
from importing import reading
from importing.reading import (
    MAX_BLANK_RUN,
    ImportRefused,
    Merge,
    Table,
    _build_table,
    _check_shape,
    _Deadline,
    _too_many_cells,
    _too_many_rows,
    cell_text,
    column_letter,
    describe_size,
)

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
            if rows > reading.MAX_ROWS:  # read at the call: a test may lower it
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


_FORMULA_TAG = re.compile(_TAG_PREFIX + rb"f[\s/>]")
_MERGE_REF = re.compile(rb"<(?:[A-Za-z_][\w.\-]*:)?mergeCell\b[^>]*?\bref=\"([A-Z]{1,3})(\d+)(?::([A-Z]{1,3})(\d+))?\"")
FORMULA_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A", "#GETTING_DATA"})
MAX_NAMED_CELLS = 10


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _scan_sheet(content: bytes, worksheet: object) -> tuple[list[Merge], bool]:
    """A read-only worksheet's merged cells and whether it has formula cells,
    from its XML read in pieces (never whole; its size was checked by
    `check_workbook`)."""
    path = str(getattr(worksheet, "_worksheet_path", "")).lstrip("/")
    merges: list[Merge] = []
    formulas = False
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        if path not in archive.namelist():
            return merges, formulas
        with archive.open(path) as part:
            carry = b""
            while True:
                chunk = part.read(_CHUNK)
                data = carry + chunk
                # Scan up to the last "<" (every tag before it is whole); the rest waits for the next piece.
                cut = data.rfind(b"<") if chunk else -1
                body, carry = (data, b"") if cut == -1 else (data[:cut], data[cut:])
                formulas = formulas or bool(_FORMULA_TAG.search(body))
                merges += merged_ranges(body)
                if not chunk:
                    return merges, formulas


def merged_ranges(part: bytes) -> list[Merge]:
    """The merged cells of a sheet's XML (read-only worksheets do not list them)."""
    merges = []
    for first_col, first_row, last_col, last_row in _MERGE_REF.findall(part):
        merges.append(
            (
                int(first_row),
                _column_number(first_col),
                int(last_row or first_row),
                _column_number(last_col or first_col),
            )
        )
    return merges


def _formula_cells(content: bytes, chosen: str, deadline: _Deadline) -> set[tuple[int, int]]:
    """The (row, column) of every formula cell of a sheet (1-based), within the time limit."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False)
    found: set[tuple[int, int]] = set()
    try:
        for row in workbook[chosen].iter_rows():
            deadline.check()
            found.update((cell.row, cell.column) for cell in row if getattr(cell, "data_type", None) == "f")
    finally:
        workbook.close()
    return found


def _refuse_formulas(chosen: str, missing: list[str], sheets: tuple[str, ...]) -> ImportRefused:
    named = ", ".join(missing[:MAX_NAMED_CELLS]) + (
        f" and {len(missing) - MAX_NAMED_CELLS} more" if len(missing) > MAX_NAMED_CELLS else ""
    )
    return ImportRefused(
        f"The sheet \u201c{chosen}\u201d has formula cells without a usable saved result: {named}. A formula "
        "is never imported as text. Open the workbook in your spreadsheet, correct those cells (or replace "
        "each formula by its value) and save it, then import it again.",
        sheets=sheets,
    )


def read_xlsx(
    content: bytes,
    filename: str,
    *,
    limits: ImportLimits,
    sheet: str | None,
    deadline: _Deadline,
    header_row: int | None,
) -> Table:
    import openpyxl  # imported here: CSV-only callers need not load it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            check_workbook(archive, limits, deadline)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if isinstance(exc, ImportRefused):
            raise
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None
    try:
        # data_only: a formula cell gives the result the spreadsheet saved with it, never its text.
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds of error on a damaged workbook
        raise ImportRefused("This Excel workbook is damaged and cannot be read. Save it again and retry.") from None
    try:
        chosen, worksheet, sheets = _open_sheet(workbook, sheet)
        try:
            merges, has_formulas = _scan_sheet(content, worksheet)
            formulas = _formula_cells(content, chosen, deadline) if has_formulas else set()
            records, missing = _sheet_records(worksheet, chosen, formulas, limits, deadline)
        except ImportRefused as exc:
            raise ImportRefused(str(exc), sheets=sheets) from None
        except Exception:  # noqa: BLE001 - a damaged sheet fails while it is read, in many ways
            raise ImportRefused(
                f"The sheet \u201c{chosen}\u201d of this workbook is damaged and cannot be read.", sheets=sheets
            ) from None
    finally:
        workbook.close()
    if missing:
        raise _refuse_formulas(chosen, missing, sheets)
    try:
        return _build_table(
            records, filename=filename, kind="xlsx", sheet=chosen, sheets=sheets, merges=merges, header_row=header_row
        )
    except ImportRefused as exc:
        raise ImportRefused(str(exc), sheets=sheets) from None


def _open_sheet(workbook: Any, sheet: str | None) -> tuple[str, Any, tuple[str, ...]]:
    """(name, worksheet, every sheet's name) of the chosen sheet (the first by default)."""
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
    return chosen, worksheet, sheets


def _sheet_records(
    worksheet: Any, chosen: str, formulas: set[tuple[int, int]], limits: ImportLimits, deadline: _Deadline
) -> tuple[list[tuple[int, list[str]]], list[str]]:
    """The sheet's rows as (row number, cell texts), and its formula cells without a usable saved result."""
    records: list[tuple[int, list[str]]] = []
    missing: list[str] = []
    blank_run = total = 0
    for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
        _check_shape(number, len(values))
        # Rows are padded to their last cell: count what is really made.
        total += len(values)
        if total > limits.max_cells:
            raise _too_many_cells(limits, f"The sheet \u201c{chosen}\u201d")
        deadline.check()
        if formulas:
            missing += [
                f"{chosen}!{column_letter(i)}{number}"
                for i, v in enumerate(values)
                if (number, i + 1) in formulas and (v is None or (isinstance(v, str) and v in FORMULA_ERRORS))
            ]
        cells = [cell_text(v) for v in values]
        if any(c.strip() for c in cells):
            blank_run = 0
        else:
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
        records.append((number, cells))
    return records, missing
