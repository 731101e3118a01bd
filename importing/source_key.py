"""The source key: a column whose values name each response of a form (its
response ID, or any column the coordinator picks), so that a re-export of the
form updates the submissions its rows made instead of adding them again.

* `guess_key(table)` proposes a column whose header says it is an ID
  ("Response ID", "ID", "Submission ID", "Respondent ID", ...) and whose values
  are all filled and all different.
* `KeyMatcher` matches each row of a file to a stored submission by its key
  (or, for a submission imported before it had one, by its reference: the
  submission then takes the row's key). Every row needs a key value, and a
  value may stand in one row only: a repeated value is refused, naming the
  rows. A row whose key and reference name two different submissions, or whose
  reference names a submission with another key, is refused: a re-export
  never moves a key from one submission to another.

Pure: the plan (`importing.plan`) asks it which stored submission a row is.
Keys are stored as typed (cleaned of surrounding spaces), compared exactly.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from config import limits
from config.call_config import normalise_term
from importing.reading import Table
from importing.values import clean_text

SOURCE_KEY = "source_key"  # the name of the key among a planned row's changes
KEY_LABEL = "Key (response ID)"
MAX_KEY = limits.SOURCE_KEY
# Headers that name a response's identifier in the exports of common form tools
# (Microsoft Forms "ID", SurveyMonkey "Respondent ID", Jotform "Submission ID", Typeform "Response ID", ...).
KEY_HEADERS = frozenset(
    normalise_term(h)
    for h in (
        "id",
        "response id",
        "responseid",
        "response_id",
        "response number",
        "response no",
        "submission id",
        "submission number",
        "respondent id",
        "entry id",
        "record id",
        "unique id",
        "token",
        "response token",
    )
)

# (row, value shown, problem, suggestion): importing.plan makes each a RowProblem of the key's column.
KeyProblem = tuple[int, str, str, str]


class _Stored(Protocol):
    """A stored submission, as importing.plan.ExistingSubmission holds it (read-only)."""

    @property
    def id(self) -> int: ...
    @property
    def reference(self) -> str: ...
    @property
    def source_key(self) -> str | None: ...


def looks_like_key_header(header: str) -> bool:
    norm = normalise_term(header)
    if not norm:
        return False
    return norm in KEY_HEADERS or (norm.endswith(" id") and norm.split()[0] in {"response", "submission", "entry"})


def guess_key(table: Table) -> str | None:
    """The first column that looks like the form's response ID: a header that says so, every value
    filled and none twice (a column of the same value in two rows cannot tell them apart)."""
    if not table.rows:
        return None
    for header in table.headers:
        if not looks_like_key_header(header):
            continue
        values = [clean_text(v) or "" for v in table.column(header)]
        if all(values) and len(set(values)) == len(values) and max(map(len, values)) <= MAX_KEY:
            return header
    return None


def new_row_needs(missing: Sequence[str]) -> tuple[str, str]:
    """The problem (and suggestion) of a row that would add a submission to a file without a required column."""
    return (
        "This row would add a new submission (it matches none stored), but the file has no column for "
        f"{', '.join(missing)}, which a new submission needs.",
        "Add those columns to the file, or check the row's key: a file with some columns only can update "
        "submissions, not add them.",
    )


def change_label(name: str, labels: Mapping[str, str]) -> str:
    """A changed field's name in words (the key's own, or the template's label)."""
    return KEY_LABEL if name == SOURCE_KEY else labels.get(name, name)


class KeyMatcher:
    """Matches a file's rows to stored submissions by the key column `header`."""

    def __init__(self, table: Table, header: str, existing: Sequence[_Stored]) -> None:
        self.header = header
        self.index = table.headers.index(header)
        self.by_key = {e.source_key: e for e in existing if e.source_key}
        self.by_reference = {e.reference: e for e in existing}
        self.keys_by_row: dict[int, str] = {}
        rows_of: dict[str, list[int]] = defaultdict(list)
        for raw in table.rows:
            value = clean_text(raw.cells[self.index]) or ""
            if value:
                rows_of[value].append(raw.number)
        self.repeated = {value: numbers for value, numbers in rows_of.items() if len(numbers) > 1}

    def match(self, cells: Sequence[str], reference: str | None, number: int) -> tuple[Any, list[KeyProblem]]:
        """The stored submission this row is (None: a new one), and the row's key problems."""
        value = clean_text(cells[self.index]) or ""
        if not value:
            return None, [
                (
                    number,
                    "",
                    f"This row has no value in \u201c{self.header}\u201d, the key that matches the file's "
                    "rows to the submissions they made.",
                    "Give every row its value in that column, or choose another key column (or none).",
                )
            ]
        if len(value) > MAX_KEY:
            return None, [(number, value[:100], f"A key has at most {MAX_KEY} characters.", "")]
        if value in self.repeated:
            others = ", ".join(str(n) for n in self.repeated[value] if n != number)
            return None, [
                (
                    number,
                    value,
                    f"The same key is also in row{'s' if len(self.repeated[value]) > 2 else ''} {others}: "
                    "one key must name one response.",
                    "Remove the repeated rows, or choose another key column.",
                )
            ]
        self.keys_by_row[number] = value
        return self._stored(value, reference, number)

    def _stored(self, value: str, reference: str | None, number: int) -> tuple[Any, list[KeyProblem]]:
        keyed = self.by_key.get(value)
        referenced = self.by_reference.get(reference) if reference else None
        if keyed is not None and referenced is not None and keyed.id != referenced.id:
            return None, [
                (
                    number,
                    value,
                    f"This key belongs to {keyed.reference}, but the row's reference is {referenced.reference}, "
                    "another submission.",
                    "Check the row: a re-export cannot move a response to another submission.",
                )
            ]
        if keyed is not None:
            return keyed, []
        if referenced is not None and referenced.source_key and referenced.source_key != value:
            return None, [
                (
                    number,
                    value,
                    f"The reference {referenced.reference} belongs to a submission with another key; "
                    "a re-export cannot give a submission a new key.",
                    "Check the row's reference and key.",
                )
            ]
        return referenced, []

    def assign(self, rows: Sequence[Any], existing: Sequence[_Stored]) -> None:
        """Give each planned row its key; a stored submission without one takes it (a change)."""
        stored_keys = {e.id: e.source_key for e in existing}
        for r in rows:
            r.source_key = self.keys_by_row.get(r.row)
            if r.submission_id is not None and r.source_key and not stored_keys.get(r.submission_id):
                r.changes[SOURCE_KEY] = (None, r.source_key)
                r.action = "update"
