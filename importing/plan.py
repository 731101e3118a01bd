"""What an import would do, worked out before anything is written.

`build_plan(table, mapping=..., config=..., existing=...)` reads every row
through the mapping, checks it (`importing.submission_rules.check_submission`
plus the file's own rules), and decides for each row whether it adds a
submission, updates one (matched by `reference`, with the changes field by
field), or changes nothing. It finds two rows with the same reference and
likely duplicates (same title and organisation, or same contact and title,
compared case-insensitively with whitespace collapsed), against the existing
submissions and within the file. The result is plain data: the database side
(`data_access.imports`) applies it in one transaction, or not at all.

Rules worth knowing:
* Only mapped columns are read: a field the file has no column for keeps its
  stored value on update (and its default on a new submission). A mapped
  column with an empty cell empties the field.
* A row without a reference whose mapped values equal an existing
  submission's is that submission, unchanged: importing the same file twice
  changes nothing even when it carries no references.
* Contact details removed under the retention policy are not restored by a
  re-import.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from access.visibility import IDENTITY_FIELDS
from config import limits
from config.call_config import MULTI_VALUED, CallConfig
from importing.display import jsonable
from importing.fields import FIELD_NAMES, FIELDS_BY_NAME, REQUIRED_FIELDS
from importing.mapping import ColumnMapping
from importing.reading import RawRow, Table, column_letter
from importing.source_key import KeyMatcher, new_row_needs
from importing.submission_rules import Problem, SubmissionInput, check_submission
from importing.values import CodeResolver, ValueProblem, clean_text, parse_date, parse_yes_no, split_links

assert set(FIELD_NAMES) == {f.name for f in dataclasses.fields(SubmissionInput)}

MAX_EMAIL = limits.imported_field("contact_email")
MAX_SHOWN_VALUE = 300
MAX_DUPLICATE_PARTNERS = 5
DEFAULTS: dict[str, Any] = {
    **dict.fromkeys(FIELD_NAMES),
    "title": "",
    "summary": "",
    "anonymous": False,
    **{name: [] for name in (*MULTI_VALUED, "links")},
}
Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class ExistingSubmission:
    """A stored submission as plain data: `values` has every template field
    but `reference`, shaped as `SubmissionInput` holds them."""

    id: int
    reference: str
    version: int
    values: Mapping[str, Any]
    contact_purged: bool = False
    source_key: str | None = None  # the form's response ID it was imported from (importing.source_key)


@dataclass(frozen=True)
class RowProblem:
    row: int | None  # the file's row number; None for the file as a whole
    column: str
    value: str
    problem: str
    suggestion: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": "" if self.row is None else self.row,
            "column": self.column,
            "value": self.value,
            "problem": self.problem,
            "suggestion": self.suggestion,
        }


@dataclass
class PlannedRow:
    row: int
    action: str  # "add", "update" or "unchanged"
    data: SubmissionInput  # the submission as it will be stored (reference filled in)
    submission_id: int | None = None
    expected_version: int | None = None
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # update: field -> (old, new)
    reference_generated: bool = False
    source_key: str | None = None  # the row's value in the key column, when a key is chosen

    def reference(self) -> str:
        """The submission's reference, which the plan fills in on every row."""
        if self.data.reference is None:
            raise ValueError(f"row {self.row} was planned without a reference")
        return self.data.reference

    def stored(self) -> tuple[int, int]:
        """An update's submission id and the version the plan saw, which the plan sets on every update."""
        if self.submission_id is None or self.expected_version is None:
            raise ValueError(f"row {self.row} is not an update of a stored submission")
        return self.submission_id, self.expected_version


@dataclass(frozen=True)
class DuplicateMatch:
    """A row that adds or changes a submission looking like another one."""

    row: int
    reference: str
    title: str
    other_reference: str
    other_title: str
    reason: str
    other_submission_id: int | None = None  # an existing submission...
    other_row: int | None = None  # ...or another row of the file that adds one


@dataclass
class ImportPlan:
    table: Table
    mapping: ColumnMapping
    rows: list[PlannedRow]
    problems: list[RowProblem]
    warnings: list[RowProblem]
    duplicates: list[DuplicateMatch]
    fingerprint: str = ""
    # Cells a person corrected in the preview (importing.corrections): those read, those that no longer apply.
    corrections: list[Any] = field(default_factory=list)
    stale_corrections: list[Any] = field(default_factory=list)
    header_picked: bool = False  # the header row was picked by the person (else found in the file)

    @property
    def ok(self) -> bool:
        return not self.problems

    def rows_with(self, action: str) -> list[PlannedRow]:
        return [r for r in self.rows if r.action == action]

    @property
    def counts(self) -> dict[str, int]:
        actions: defaultdict[str, int] = defaultdict(int)
        for r in self.rows:
            actions[r.action] += 1
        return {
            "rows": len(self.table.rows),
            "added": actions["add"],
            "updated": actions["update"],
            "unchanged": actions["unchanged"],
            "skipped_blank": self.table.blank_rows,
            # Pairs, as many as the flags the import writes: a row like two others is two flags.
            "likely_duplicates": len(self.duplicates),
            "rows_with_problems": len({p.row for p in self.problems if p.row is not None}),
            "problems": len(self.problems),
            "warnings": len(self.warnings),
        }


def shown(value: str) -> str:
    return value if len(value) <= MAX_SHOWN_VALUE else value[: MAX_SHOWN_VALUE - 1] + "\u2026"


def _comparable(name: str, value: Any) -> Any:
    """A value as compared for "did it change": code lists as sets, "" as nothing."""
    if name in MULTI_VALUED:
        return tuple(sorted(value or ()))
    if name == "links":
        return tuple(value or ())
    if value == "":
        return None
    return value


def _norm(text: str | None) -> str:
    return " ".join((text or "").casefold().split())


def duplicate_keys(values: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """The keys under which two submissions are likely duplicates."""
    title = _norm(values.get("title"))
    if not title:
        return []
    keys = []
    organisation = _norm(values.get("organisation"))
    if organisation:
        keys.append(("same title and organisation", title, organisation))
    for contact in (values.get("contact_name"), values.get("contact_email")):
        if _norm(contact):
            keys.append(("same contact and title", title, _norm(contact)))
    return keys


class _RowReader:
    """Reads one row's mapped cells into values, collecting problems."""

    def __init__(self, table: Table, mapping: ColumnMapping, config: CallConfig) -> None:
        self.index = {
            name: table.headers.index(header) for name, header in mapping.columns.items() if header in table.headers
        }
        self.headers = table.headers
        self.resolvers = {
            name: CodeResolver(config.vocabulary(name), mapping.value_map(name))
            for name in self.index
            if FIELDS_BY_NAME[name].kind in ("code", "codes")
        }
        self.yes_no_map = mapping.value_map("anonymous")
        self.fields = [(name, i, FIELDS_BY_NAME[name].kind, table.headers[i]) for name, i in self.index.items()]

    def column(self, name: str) -> str:
        if name in self.index:
            return self.headers[self.index[name]]
        return FIELDS_BY_NAME[name].label

    def read(self, cells: Sequence[str], number: int, problems: list[RowProblem]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, i, kind, column in self.fields:
            raw = cells[i]
            longest = limits.imported_field(name)
            if kind != "email" and len(raw) > longest:
                problems.append(
                    RowProblem(
                        number,
                        column,
                        shown(raw),
                        f"This cell has {len(raw):,} characters; the most for {FIELDS_BY_NAME[name].label.lower()} "
                        f"is {longest:,}.",
                        "Shorten it in the file and import it again.",
                    )
                )
            if kind in ("text", "reference", "email"):
                text = clean_text(raw)
                values[name] = (text or "") if name in ("title", "summary") else text
                if kind == "email" and text and len(text) > MAX_EMAIL:
                    problems.append(
                        RowProblem(
                            number,
                            column,
                            shown(raw),
                            f"This email address is too long: {len(text):,} characters; the most is {MAX_EMAIL:,}.",
                        )
                    )
            elif kind == "date":
                try:
                    values[name] = parse_date(raw)
                except ValueProblem as exc:
                    problems.append(RowProblem(number, column, shown(raw), exc.problem, exc.suggestion))
            elif kind == "yesno":
                try:
                    values[name] = bool(parse_yes_no(raw, self.yes_no_map))
                except ValueProblem as exc:
                    problems.append(RowProblem(number, column, shown(raw), exc.problem, exc.suggestion))
            elif kind == "links":
                values[name] = split_links(raw)
            else:
                resolver = self.resolvers[name]
                if kind == "codes":
                    values[name], unknown = resolver.many(raw)
                else:
                    values[name], one_unknown = resolver.one(raw)
                    unknown = [one_unknown] if one_unknown else []
                for value in unknown:
                    hint = resolver.did_you_mean(value)
                    problems.append(
                        RowProblem(
                            number,
                            column,
                            shown(value),
                            f"This is not one of the {FIELDS_BY_NAME[name].label.lower()} of this call.",
                            (hint + " " if hint else "") + "You can map this value to a code on the Import page.",
                        )
                    )
        return values


def build_plan(
    table: Table,
    *,
    mapping: ColumnMapping,
    config: CallConfig,
    existing: Sequence[ExistingSubmission] = (),
    existing_flag_pairs: Iterable[frozenset[int]] = (),
    progress: Progress | None = None,
) -> ImportPlan:
    """Every problem, and what importing `table` through `mapping` would do."""
    warnings: list[RowProblem] = []
    checker = _RowChecker(table, mapping, config, existing, warnings)
    problems = _mapping_problems(table, mapping, matched=checker.can_match)
    candidates: list[tuple[int, dict[str, Any], ExistingSubmission | None]] = []
    total = max(1, len(table.rows))
    for n, raw_row in enumerate(table.rows):
        if progress and n % 500 == 0:
            progress(0.8 * n / total, f"Checking row {raw_row.number}")
        row_problems, values, match = checker.check(raw_row)
        problems.extend(row_problems)
        if not row_problems:
            candidates.append((raw_row.number, values, match))
    problems.extend(_unmapped_rule_problems(checker.unmapped_rule_rows))
    repeated, repeat_problems = _repeated_references(table, checker.reader)
    problems.extend(repeat_problems)
    candidates = [c for c in candidates if (c[1]["reference"] or "") not in repeated]
    problems.sort(key=lambda p: (p.row is not None, p.row or 0))

    if progress:
        progress(0.85, "Comparing with the submissions already stored")
    # With a key, a key not stored is a new response: rows are not matched by equal values (a partial file's few).
    alike = () if checker.keys else existing
    rows = _decide(candidates, mapped=set(checker.reader.index), existing=existing, config=config, alike=alike)
    if checker.keys:
        checker.keys.assign(rows, existing)
    duplicates = _likely_duplicates(rows, existing, {frozenset(p) for p in existing_flag_pairs})
    plan = ImportPlan(table, mapping, rows, problems, warnings, duplicates)
    plan.fingerprint = fingerprint(plan)
    if progress:
        progress(1.0, "Checked")
    return plan


def _mapping_problems(table: Table, mapping: ColumnMapping, *, matched: bool) -> list[RowProblem]:
    """Problems of the mapping as a whole: its own checks, and required fields with no column
    (unless rows can match stored submissions, by key or reference: then only a new row needs them)."""
    problems = [RowProblem(None, "", "", message, "Choose the columns again.") for message in mapping.check(table)]
    for name in () if matched else REQUIRED_FIELDS:
        if name not in mapping.columns:
            label = FIELDS_BY_NAME[name].label
            problems.append(
                RowProblem(
                    None,
                    label,
                    "",
                    f"No column of the file is chosen for {label}, which every submission needs.",
                    "Choose the column that holds it, or add one to the file.",
                )
            )
    return problems


class _RowChecker:
    """Checks one row of the file: its cells, its values merged over the stored submission it
    updates, and the submission rules. Warnings go to the plan's shared list."""

    def __init__(
        self,
        table: Table,
        mapping: ColumnMapping,
        config: CallConfig,
        existing: Sequence[ExistingSubmission],
        warnings: list[RowProblem],
    ) -> None:
        self.table = table
        self.config = config
        self.reader = _RowReader(table, mapping, config)
        self.mapped = set(self.reader.index)
        self.unmapped_required = {name for name in REQUIRED_FIELDS if name not in mapping.columns}
        self.by_reference = {e.reference: e for e in existing}
        key = mapping.key if mapping.key in table.headers else None
        self.keys = KeyMatcher(table, key, existing) if key else None
        # Rows can match stored submissions (so a file with some columns only updates those fields).
        self.can_match = self.keys is not None or "reference" in self.mapped
        self.match_column = self.keys.header if self.keys else self.reader.column("reference")
        self.unmatched = 0  # the last row that matches no submission it may: its root fault, said alone
        self.warnings = warnings
        # A rule on fields none of which has a column: its message -> the rows it fails (said once).
        self.unmapped_rule_rows: dict[str, list[int]] = {}

    def check(self, raw_row: RawRow) -> tuple[list[RowProblem], dict[str, Any], ExistingSubmission | None]:
        number = raw_row.number
        row_problems = [self._extra_cells(raw_row)] if raw_row.extra else []
        parsed = self.reader.read(raw_row.cells, number, row_problems)
        match = self._match(raw_row, parsed.get("reference"), row_problems)
        values = self._values(parsed, match, number)
        self._submission_problems(SubmissionInput(**values), raw_row, row_problems)
        return row_problems, values, match

    def _match(self, raw_row: RawRow, reference: str | None, row_problems: list[RowProblem]) -> Any:
        """The stored submission the row is (by key, else by reference), or None for a new one, which
        needs every required field: a file with some columns only can update, not add."""
        if self.keys is None:
            match = self.by_reference.get(reference or "")
        else:
            match, key_problems = self.keys.match(raw_row.cells, reference, raw_row.number)
            row_problems.extend(RowProblem(n, self.keys.header, shown(v), p, s) for n, v, p, s in key_problems)
            if key_problems:
                self.unmatched = raw_row.number
                return None
        if match is None and self.unmapped_required and self.can_match:
            missing = [FIELDS_BY_NAME[n].label for n in REQUIRED_FIELDS if n in self.unmapped_required]
            value = raw_row.cells[self.keys.index] if self.keys else reference or ""
            row_problems.append(RowProblem(raw_row.number, self.match_column, shown(value), *new_row_needs(missing)))
            self.unmatched = raw_row.number
        return match

    def _extra_cells(self, raw_row: RawRow) -> RowProblem:
        extra = raw_row.extra
        return RowProblem(
            raw_row.number,
            f"after column {column_letter(len(self.table.headers) - 1)}",
            shown("; ".join(extra)),
            f"This row has {len(extra)} filled cell{'s' if len(extra) != 1 else ''} beyond "
            "the last column of the header.",
            "A value may contain a comma or line break without quotes, or the header lacks a column. "
            "Correct the row or add a header for those cells.",
        )

    def _values(self, parsed: dict[str, Any], match: ExistingSubmission | None, number: int) -> dict[str, Any]:
        """The file's values over the stored submission's (or the defaults); purged contact details stay purged."""
        values = (
            dict(match.values) if match else {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
        )
        for name, value in parsed.items():
            if name == "reference":
                continue
            if match and match.contact_purged and name in IDENTITY_FIELDS:
                if value and value != values.get(name):
                    self.warnings.append(
                        RowProblem(
                            number,
                            self.reader.column(name),
                            "",
                            "This submission's contact details were removed under the retention policy; "
                            "they are not restored from the file.",
                        )
                    )
                continue
            values[name] = value
        values["reference"] = parsed.get("reference")
        return values

    def _submission_problems(self, data: SubmissionInput, raw_row: RawRow, row_problems: list[RowProblem]) -> None:
        """The submission rules' problems: errors to the row (one per cell), the rest to the warnings.

        The row's root faults come first: cells beyond the header (the row is
        out of line), then each cell that cannot be read, then the rules on one
        field, and last a rule on several fields, which is left out when one
        of its fields already has a problem or the row is out of line (that
        fault explains it), or when none of its fields has a column (said once
        for the file)."""
        dependent: list[tuple[Problem, RowProblem]] = []
        for p in check_submission(data, self.config):
            if p.field in self.unmapped_required:
                continue  # said once for the whole file
            column = self._column_of(p.field)
            raw = raw_row.cells[self.reader.index[p.field]] if p.field in self.reader.index else p.value
            problem = RowProblem(raw_row.number, column, shown(raw), p.problem, p.suggestion)
            if p.severity != "error":
                self.warnings.append(problem)
            elif p.depends_on:
                dependent.append((p, problem))
            elif not any(q.column == column for q in row_problems):
                row_problems.append(problem)  # else "unknown theme" already says why there is none
        for p, problem in dependent:
            if self.unmatched == raw_row.number:
                continue  # the row matches no submission it may (a key's problem, a new row lacking columns)
            if not any(name in self.mapped for name in p.depends_on):
                self.unmapped_rule_rows.setdefault(p.problem, []).append(raw_row.number)
                continue
            columns = {self.reader.column(name) for name in p.depends_on} | {problem.column}
            if raw_row.extra or any(q.column in columns for q in row_problems):
                continue
            row_problems.append(problem)

    def _column_of(self, field: str) -> str:
        if field == "organisation" and "organisation" not in self.mapped and "contact_name" not in self.mapped:
            return "Organisation / Contact name"
        return self.reader.column(field)


def _unmapped_rule_problems(failures: dict[str, list[int]]) -> list[RowProblem]:
    """One problem for the file per rule that fails on fields no column is chosen for."""
    problems = []
    for message, numbers in failures.items():
        shown_rows = ", ".join(str(n) for n in numbers[:10]) + (
            f" and {len(numbers) - 10} more" if len(numbers) > 10 else ""
        )
        problems.append(
            RowProblem(
                None,
                "Organisation / Contact name",
                "",
                f"No column of the file is chosen for Organisation, Contact name or Anonymous, so row"
                f"{'s' if len(numbers) != 1 else ''} {shown_rows} cannot say who "
                f"{'they are' if len(numbers) != 1 else 'it is'} from: {message}",
                "Choose the column that holds the organisation or the contact's name (or whether the "
                "submission is anonymous), or add one to the file.",
            )
        )
    return problems


def _repeated_references(table: Table, reader: _RowReader) -> tuple[set[str], list[RowProblem]]:
    """References used by more than one row of the file, and a problem for each such row."""
    rows_by_reference: dict[str, list[int]] = defaultdict(list)
    if "reference" in reader.index:
        for raw_row in table.rows:
            reference = clean_text(raw_row.cells[reader.index["reference"]])
            if reference:
                rows_by_reference[reference].append(raw_row.number)
    repeated = {ref: numbers for ref, numbers in rows_by_reference.items() if len(numbers) > 1}
    problems = []
    for ref, numbers in repeated.items():
        for number in numbers:
            others = ", ".join(str(x) for x in numbers if x != number)
            problems.append(
                RowProblem(
                    number,
                    reader.column("reference"),
                    shown(ref),
                    f"The same reference is also used in row{'s' if len(numbers) > 2 else ''} {others}.",
                    "Each submission needs its own reference; leave it empty to have one generated.",
                )
            )
    return set(repeated), problems


def _decide(
    candidates: list[tuple[int, dict[str, Any], ExistingSubmission | None]],
    *,
    mapped: set[str],
    existing: Sequence[ExistingSubmission],
    config: CallConfig,
    alike: Sequence[ExistingSubmission],
) -> list[PlannedRow]:
    compared = [name for name in FIELD_NAMES if name in mapped and name != "reference"]
    claimed = {match.id for _, _, match in candidates if match is not None}
    unkeyed: dict[tuple, list[ExistingSubmission]] | None = None
    rows: list[PlannedRow] = []
    for number, values, match in candidates:
        if match is None and not values["reference"]:
            # A row without a reference that equals a stored submission (of `alike`) is that submission.
            if unkeyed is None:
                unkeyed = defaultdict(list)
                for e in alike:
                    if e.id not in claimed:
                        unkeyed[tuple(_comparable(f, e.values.get(f)) for f in compared)].append(e)
            same = unkeyed.get(tuple(_comparable(f, values.get(f)) for f in compared))
            if same:
                match = same.pop(0)
                claimed.add(match.id)
                values["reference"] = match.reference
        if match is None:
            rows.append(PlannedRow(number, "add", SubmissionInput(**values)))
            continue
        values["reference"] = match.reference
        changes = {
            name: (match.values.get(name), values.get(name))
            for name in FIELD_NAMES
            if name != "reference" and _comparable(name, match.values.get(name)) != _comparable(name, values.get(name))
        }
        rows.append(
            PlannedRow(
                number,
                "update" if changes else "unchanged",
                SubmissionInput(**values),
                submission_id=match.id,
                expected_version=match.version,
                changes=changes,
            )
        )
    _fill_references(rows, existing, config.reference_prefix)
    return rows


def _fill_references(rows: list[PlannedRow], existing: Sequence[ExistingSubmission], prefix: str) -> None:
    """Generate `PREFIX-0042` references for new rows without one, after every number in use."""
    pattern = re.compile(rf"^{re.escape(prefix)}-(\d+)$")
    numbers = [int(m.group(1)) for ref in (e.reference for e in existing) if (m := pattern.match(ref))]
    numbers += [int(m.group(1)) for r in rows if r.data.reference and (m := pattern.match(r.data.reference))]
    following = max(numbers, default=0) + 1
    for r in rows:
        if not r.data.reference:
            r.data.reference = f"{prefix}-{following:04d}"
            r.reference_generated = True
            following += 1


# identity, reference, title, changed by this import, row of the file
_Member = tuple[tuple[str, int], str, str, bool, int | None]


def _likely_duplicates(
    rows: list[PlannedRow], existing: Sequence[ExistingSubmission], flagged: set[frozenset[int]]
) -> list[DuplicateMatch]:
    """Rows that add or change a submission and look like another one
    (pairs of stored submissions already flagged, open or decided, are not flagged again)."""
    members, groups = _after_import(rows, existing)
    found: dict[frozenset, DuplicateMatch] = {}
    for key, indexes in groups.items():
        if len(indexes) >= 2:
            _flag_group(key[0], [members[i] for i in indexes], flagged, found)
    return sorted(found.values(), key=lambda d: (d.row, d.other_reference))


def _after_import(
    rows: list[PlannedRow], existing: Sequence[ExistingSubmission]
) -> tuple[list[_Member], dict[tuple[str, str, str], list[int]]]:
    """Everything after this import (untouched stored submissions, then the file's rows), and the
    positions of those sharing each duplicate key."""
    touched = {r.submission_id for r in rows if r.submission_id is not None}
    members: list[_Member] = []
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    for e in existing:
        if e.id in touched:
            continue
        for key in duplicate_keys(e.values):
            groups[key].append(len(members))
        members.append((("submission", e.id), e.reference, e.values.get("title") or "", False, None))
    for r in rows:
        identity = ("submission", r.submission_id) if r.submission_id is not None else ("row", r.row)
        for key in duplicate_keys(vars(r.data)):
            groups[key].append(len(members))
        members.append((identity, r.data.reference or "", r.data.title, r.action != "unchanged", r.row))
    return members, groups


def _flag_group(
    reason: str, group: list[_Member], flagged: set[frozenset[int]], found: dict[frozenset, DuplicateMatch]
) -> None:
    """Pair each changed member of a group sharing one key with those before it (a few at most)."""
    for pos, (identity, reference, title, changed, row) in enumerate(group):
        if not changed:
            continue
        partners = [other for other in group[:pos] if other[0] != identity][:MAX_DUPLICATE_PARTNERS]
        for other in partners:
            pair = frozenset((identity, other[0]))
            ids = frozenset(x[1] for x in pair if x[0] == "submission")
            if len(ids) == 2 and ids in flagged:
                continue
            if pair in found:
                if reason not in found[pair].reason:
                    found[pair] = dataclasses.replace(found[pair], reason=f"{found[pair].reason}; {reason}")
                continue
            found[pair] = DuplicateMatch(
                row=row or 0,
                reference=reference,
                title=title,
                other_reference=other[1],
                other_title=other[2],
                reason=reason,
                other_submission_id=other[0][1] if other[0][0] == "submission" else None,
                other_row=other[4] if other[0][0] == "row" else None,
            )


def fingerprint(plan: ImportPlan) -> str:
    """A digest of what the plan would write: if the stored data changes
    between a preview and the import, the import's own plan differs."""
    payload = {
        "counts": plan.counts,
        "rows": [
            [
                r.row,
                r.action,
                r.data.reference,
                r.submission_id,
                r.expected_version,
                {k: jsonable(v) for k, v in sorted(r.changes.items())},
                r.source_key,
            ]
            for r in plan.rows
        ],
        "duplicates": [[d.row, d.other_reference, d.other_row, d.reason] for d in plan.duplicates],
        "problems": [p.as_dict() for p in plan.problems],
        "corrections": [[c.row, c.column, c.value] for c in plan.corrections],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode("utf-8")).hexdigest()


PROBLEM_COLUMNS = ["row", "column", "value", "problem", "suggestion"]


def problems_csv(problems: Iterable[RowProblem]) -> bytes:
    """The problem table as a CSV file (formula cells neutralised by the shared writer)."""
    from formats.csv_export import to_csv_bytes

    return to_csv_bytes(PROBLEM_COLUMNS, [p.as_dict() for p in problems])
