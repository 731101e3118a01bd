"""Fixing a problem cell in place: a person's corrected value for one cell of
the file, used instead of the file's (the file itself is never changed).

A `Correction` names the cell by its row number (as the spreadsheet shows
it) and its column's header, and keeps the cell's original text, the new
value, who made it and when. `apply_corrections` gives the table as read
through the corrections, and the corrections that no longer apply, each with
the reason in words: the cell is not in the file as now read (another header
row or sheet), it no longer holds the original text, or its column is no
longer imported or now goes to another field. A corrected value is then read
and checked exactly like the file's cells (`importing.plan.build_plan`):
`refused_corrections` lists those whose cell still has a problem.

Before that, `check_value` refuses what no cell of a readable file can hold:
control characters (a NUL, an escape) and values longer than the longest
field (`config.limits`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from config import limits
from importing.fields import FIELDS_BY_NAME
from importing.mapping import ColumnMapping
from importing.plan import ImportPlan, RowProblem
from importing.reading import Table, column_letter

MAX_CORRECTION = max(limits.imported_field(name) for name in FIELDS_BY_NAME)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


class CorrectionRefused(ValueError):
    """The corrected value cannot be used; the message says why, in words."""


@dataclass(frozen=True)
class Correction:
    row: int  # the file's row number, as a spreadsheet shows it
    column: str  # the file's header of the cell's column
    original: str  # the cell's text in the file
    value: str  # the corrected value
    field: str = ""  # the template field the column went to when the correction was made
    by: str = ""  # who made it
    at: str = ""  # when (ISO 8601, UTC)

    def describe(self) -> str:
        return f"row {self.row}, {self.column}: {self.original[:40]!r} -> {self.value[:40]!r}"

    def cell(self) -> tuple[int, str]:
        return self.row, self.column

    def as_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Correction:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@dataclass(frozen=True)
class StaleCorrection:
    correction: Correction
    reason: str


def check_value(value: str) -> str:
    """The value as it will be read, or CorrectionRefused: no control characters, not too long."""
    if not isinstance(value, str):
        raise CorrectionRefused("A correction is text.")
    if len(value) > MAX_CORRECTION:
        raise CorrectionRefused(
            f"This correction has {len(value):,} characters; no field takes more than {MAX_CORRECTION:,}. "
            "Nothing was changed."
        )
    if _CONTROL.search(value):
        raise CorrectionRefused(
            "This correction holds a control character (such as a NUL or an escape), which a cell of a file "
            "to import cannot hold. Type it again without it; nothing was changed."
        )
    return value


_FIX = re.compile(r"\s*(\d+)\s*:([^=]+)=(.*)", re.DOTALL)


def parse_fix(given: str, table: Table, mapping: ColumnMapping, *, by: str) -> Correction:
    """A correction written ROW:COLUMN=VALUE (the command line's --fix): ROW as the
    spreadsheet numbers it, COLUMN the file's header, the template field its column
    goes to, or its letter. CorrectionRefused, in words, for a cell the file does not have."""
    match = _FIX.fullmatch(given)
    if match is None:
        raise CorrectionRefused(f"{given[:60]!r}: write ROW:COLUMN=VALUE, e.g. --fix '7:Date=05/07/2021'.")
    number, name, value = int(match[1]), match[2].strip(), match[3]
    letters = {column_letter(i): h for i, h in enumerate(table.headers)}
    header = name if name in table.headers else mapping.columns.get(name) or letters.get(name.upper())
    if header is None or header not in table.headers:
        raise CorrectionRefused(
            f"the file has no column {name[:60]!r} (give its header, the template column it goes to, or its "
            "letter); nothing was imported."
        )
    row = next((r for r in table.rows if r.number == number), None)
    if row is None:
        raise CorrectionRefused(f"row {number} is not a row of submissions in the file; nothing was imported.")
    try:
        value = check_value(value)
    except CorrectionRefused as exc:
        raise CorrectionRefused(f"row {number}, {header}: {exc}") from None
    at = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return Correction(number, header, row.cells[table.headers.index(header)], value, by=by, at=at)


def corrections_from_fixes(fixes: Sequence[str], table: Table, mapping: ColumnMapping, *, by: str) -> list[Correction]:
    """The command line's --fix corrections, all of which must apply (CorrectionRefused otherwise)."""
    _table, applied, stale = apply_corrections(table, [parse_fix(f, table, mapping, by=by) for f in fixes], mapping)
    if stale:
        raise CorrectionRefused(f"row {stale[0].correction.row}, {stale[0].correction.column}: {stale[0].reason}")
    return applied


def apply_corrections(
    table: Table, corrections: Iterable[Correction], mapping: ColumnMapping
) -> tuple[Table, list[Correction], list[StaleCorrection]]:
    """The table read through the corrections that still apply; those, and
    those that no longer do (with the reason). The later correction of a cell wins."""
    latest: dict[tuple[int, str], Correction] = {}
    for c in corrections:
        latest[c.cell()] = c
    if not latest:
        return table, [], []
    positions = {row.number: i for i, row in enumerate(table.rows)}
    rows = list(table.rows)
    applied: list[Correction] = []
    stale: list[StaleCorrection] = []
    for c in latest.values():
        reason = _why_not(table, positions, mapping, c)
        if reason:
            stale.append(StaleCorrection(c, reason))
            continue
        i, column = positions[c.row], table.headers.index(c.column)
        cells = list(rows[i].cells)
        cells[column] = check_value(c.value)
        rows[i] = dataclasses.replace(rows[i], cells=tuple(cells))
        applied.append(c if c.field else dataclasses.replace(c, field=mapping.field_for(c.column) or ""))
    applied.sort(key=lambda c: (c.row, table.headers.index(c.column)))
    return dataclasses.replace(table, rows=tuple(rows)), applied, stale


def _why_not(table: Table, positions: dict[int, int], mapping: ColumnMapping, c: Correction) -> str:
    if c.column not in table.headers or c.row not in positions:
        return (
            "This cell is not in the file as it is read now (another header row or sheet was chosen), so the "
            "correction does not apply."
        )
    if table.rows[positions[c.row]].cells[table.headers.index(c.column)] != c.original:
        return "This cell no longer holds the text that was corrected, so the correction does not apply."
    field = mapping.field_for(c.column)
    if field is None:
        return "This column is no longer imported (the mapping changed), so the correction does not apply."
    if c.field and field != c.field:
        return (
            f"This column now goes to {FIELDS_BY_NAME[field].label}, not {FIELDS_BY_NAME[c.field].label} as when it "
            "was corrected, so the correction does not apply: correct the cell again if it is still needed."
        )
    return ""


def refused_corrections(plan: ImportPlan, corrections: Sequence[Correction]) -> dict[Correction, list[RowProblem]]:
    """The corrections whose cell still has a problem in the plan read through them, with those problems."""
    by_cell: dict[tuple[int, str], list[RowProblem]] = {}
    for p in plan.problems:
        if p.row is not None:
            by_cell.setdefault((p.row, p.column), []).append(p)
    return {c: by_cell[c.cell()] for c in corrections if c.cell() in by_cell}


def refused_lines(plan: ImportPlan) -> list[str]:
    """A line for each correction of the plan whose cell still has a problem."""
    return [
        f"the correction of row {c.row}, {c.column} did not fix it: {problems[0].problem}"
        for c, problems in refused_corrections(plan, plan.corrections).items()
    ]


def correctable(plan: ImportPlan) -> list[tuple[int, str, list[RowProblem]]]:
    """The cells with problems that a correction can fix: (row, column, problems), in the
    file's order. A cell of a column that is imported; not a row's cells beyond the header."""
    mapped = set(plan.mapping.columns.values()) & set(plan.table.headers)
    cells: dict[tuple[int, str], list[RowProblem]] = {}
    for p in plan.problems:
        if p.row is not None and p.column in mapped:
            cells.setdefault((p.row, p.column), []).append(p)
    order = {h: i for i, h in enumerate(plan.table.headers)}
    return [
        (row, column, problems)
        for (row, column), problems in sorted(cells.items(), key=lambda kv: (kv[0][0], order[kv[0][1]]))
    ]


def cell_text(table: Table, row: int, column: str) -> str:
    """The text of one cell of the table (as read, corrections included)."""
    index = table.headers.index(column)
    return next(r.cells[index] for r in table.rows if r.number == row)


def provenance(corrections: Iterable[Correction]) -> dict[int, dict[str, dict[str, object]]]:
    """Per row number, the corrections as kept in the import's list of changes: keyed by
    template field (so that erasing a submission, or removing contact details under the
    retention policy, strips them as it strips the field's values)."""
    out: dict[int, dict[str, dict[str, object]]] = {}
    for c in corrections:
        out.setdefault(c.row, {})[c.field] = {
            "column": c.column,
            "original": c.original,
            "new": c.value,
            "by": c.by,
            "at": c.at,
        }
    return out
