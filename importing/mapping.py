"""From a file's columns to the template's: proposals, value mappings.

`propose_mapping(table, config)` looks at each column's header and at what
its cells hold (a column of email addresses is a contact email, a column of
theme labels is themes, long texts are a summary...) and proposes, for each
template field, at most one column. A person confirms or edits it.

`unmatched_values(...)` lists the values of coded columns that name no code,
with how often and where they occur and the closest codes; a person maps them
by hand (`ColumnMapping.values`), and the mapping can be saved by name.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from config.call_config import CallConfig, normalise_term
from importing.fields import (
    CODED_FIELDS,
    FIELDS_BY_NAME,
    MULTI_VALUED,
    NO_WORDS,
    REQUIRED_FIELDS,
    TEMPLATE_FIELDS,
    VALUE_MAPPED_FIELDS,
    YES_WORDS,
)
from importing.reading import Table
from importing.submission_rules import EMAIL_RE
from importing.values import CodeResolver, ValueProblem, parse_date, parse_yes_no

SAMPLE = 200
THRESHOLD = 0.5
_SEPARATORS = re.compile(r"[;,\r\n]+")
_REFERENCE_LIKE = re.compile(r"^[A-Za-z]{1,10}[-/_ ]?\d+$")


@dataclass
class ColumnMapping:
    """Template field -> the file's header; field -> {value as in file: code}.

    A value mapped to "" is left out. For `anonymous`, values map to "yes" or "no".
    """

    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"columns": dict(self.columns), "values": {f: dict(v) for f, v in self.values.items() if v}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnMapping:
        columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items() if k in FIELDS_BY_NAME and v}
        values = {
            str(f): {str(k): str(v) for k, v in (m or {}).items()}
            for f, m in (data.get("values") or {}).items()
            if f in VALUE_MAPPED_FIELDS
        }
        return cls(columns, values)

    def field_for(self, header: str) -> str | None:
        for name, mapped in self.columns.items():
            if mapped == header:
                return name
        return None

    def value_map(self, field_name: str) -> dict[str, str]:
        """The field's value mappings keyed by normalised value."""
        return {normalise_term(k): v for k, v in self.values.get(field_name, {}).items()}

    def check(self, table: Table) -> list[str]:
        """Problems with the mapping itself (missing required columns, unknown headers)."""
        problems = []
        used: dict[str, str] = {}
        for name, header in self.columns.items():
            if header not in table.headers:
                problems.append(
                    f"The column \u201c{header}\u201d chosen for {FIELDS_BY_NAME[name].label} is not in this file."
                )
            elif header in used:
                problems.append(
                    f"The column \u201c{header}\u201d is chosen for both {FIELDS_BY_NAME[used[header]].label} "
                    f"and {FIELDS_BY_NAME[name].label}."
                )
            used[header] = name
        return problems


def header_score(header: str, field_name: str) -> float:
    """How well a header names a field, 0..1."""
    norm = normalise_term(header)
    if not norm:
        return 0.0
    padded = f" {norm} "
    best = 0.0
    for alias in FIELDS_BY_NAME[field_name].aliases:
        alias = normalise_term(alias)
        if norm == alias:
            return 1.0
        if f" {alias} " in padded:
            best = max(best, 0.6 + 0.3 * len(alias) / len(norm))
        ratio = SequenceMatcher(None, norm, alias, autojunk=False).ratio()
        if ratio >= 0.85:
            best = max(best, 0.9 * ratio)
    return best


def _sample(values: Sequence[str]) -> list[str]:
    out = []
    for v in values:
        if v.strip():
            out.append(v)
            if len(out) >= SAMPLE:
                break
    return out


def content_scores(
    values: Sequence[str], config: CallConfig, resolvers: Mapping[str, CodeResolver] | None = None
) -> dict[str, float]:
    """What a column's cells look like: field -> score 0..1."""
    sample = Counter(_sample(values))  # each distinct value is judged once, weighed by its count
    n = sum(sample.values())
    if not n:
        return {}
    resolvers = resolvers or {name: CodeResolver(config.vocabulary(name)) for name in CODED_FIELDS}
    scores = _pattern_scores(sample, n)
    lengths = sorted(len(v) for v in sample.elements())
    if lengths[n // 2] >= 150:
        scores["summary"] = 0.55
        return scores  # long free text: not codes
    for name in CODED_FIELDS:
        matched, total = _code_match(sample, name, resolvers[name])
        if total and matched / total >= 0.5:
            scores[name] = 0.5 + 0.4 * matched / total
    return scores


def _is_date(v: str) -> bool:
    try:
        return parse_date(v) is not None
    except ValueProblem:
        return False


def _pattern_scores(sample: Counter, n: int) -> dict[str, float]:
    """Scores for the fields recognised by their shape: emails, dates, yes/no, links, references."""
    scores: dict[str, float] = {}

    def share(test) -> float:
        return sum(count for v, count in sample.items() if test(v)) / n

    emails = share(lambda v: bool(EMAIL_RE.match(v.strip())))
    if emails >= 0.6:
        scores["contact_email"] = 0.9 * emails
    dates = share(_is_date)
    if dates >= 0.8:
        scores["received_at"] = 0.7 * dates
    words = YES_WORDS + NO_WORDS
    yes_no = share(lambda v: normalise_term(v) in words)
    if yes_no >= 0.9 and share(lambda v: v.strip().isdigit()) < 1.0:
        scores["anonymous"] = 0.6 * yes_no
    links = share(lambda v: v.strip().lower().startswith(("http://", "https://", "www.")))
    if links >= 0.6:
        scores["links"] = 0.8 * links
    refs = share(lambda v: bool(_REFERENCE_LIKE.match(v.strip())))
    if refs >= 0.9 and len(sample) == n:
        scores["reference"] = 0.6
    return scores


def _code_match(sample: Counter, name: str, resolver: CodeResolver) -> tuple[float, float]:
    """How many cells read as codes of `name`, out of how many could (weighed by count)."""
    matched = total = 0.0
    for v, count in sample.items():
        # Bare numbers are ids, counts or yes/no as often as codes: no evidence either way.
        if all(p.strip().isdigit() for p in _SEPARATORS.split(v) if p.strip()):
            continue
        total += count
        if name in MULTI_VALUED:
            codes, unknown = resolver.many(v)
            matched += count * len(codes) / max(1, len(codes) + len(unknown))
        else:
            matched += count if resolver.one(v)[0] else 0
    return matched, total


def propose_mapping(table: Table, config: CallConfig) -> ColumnMapping:
    """The best guess of which column holds which template field."""
    candidates: list[tuple[float, int, str]] = []
    resolvers = {name: CodeResolver(config.vocabulary(name)) for name in CODED_FIELDS}
    for i, header in enumerate(table.headers):
        content = content_scores(table.column(header), config, resolvers)
        for spec in TEMPLATE_FIELDS:
            h = header_score(header, spec.name)
            c = content.get(spec.name, 0.0)
            score = max(h, c) + 0.2 * min(h, c)
            if score >= THRESHOLD:
                candidates.append((score, i, spec.name))
    candidates.sort(key=lambda x: (-x[0], x[1], x[2]))
    columns: dict[str, str] = {}
    taken: set[int] = set()
    for _score, i, name in candidates:
        if name in columns or i in taken:
            continue
        columns[name] = table.headers[i]
        taken.add(i)
    ordered = {spec.name: columns[spec.name] for spec in TEMPLATE_FIELDS if spec.name in columns}
    return ColumnMapping(ordered, {})


def missing_required(mapping: ColumnMapping) -> list[str]:
    return [name for name in REQUIRED_FIELDS if not mapping.columns.get(name)]


@dataclass(frozen=True)
class UnmatchedValue:
    field: str
    value: str  # as first seen in the file
    count: int  # cells it occurs in
    rows: tuple[int, ...]  # file rows (the first few)
    suggestions: tuple[str, ...]  # closest codes, best first


def unmatched_values(table: Table, mapping: ColumnMapping, config: CallConfig) -> list[UnmatchedValue]:
    """Every distinct value of a mapped coded (or yes/no) column that names nothing."""
    out: list[UnmatchedValue] = []
    for name in VALUE_MAPPED_FIELDS:
        header = mapping.columns.get(name)
        if header is None or header not in table.headers:
            continue
        index = table.headers.index(header)
        first: dict[str, str] = {}
        counts: Counter[str] = Counter()
        rows: dict[str, list[int]] = {}
        resolver = None if name == "anonymous" else CodeResolver(config.vocabulary(name), mapping.value_map(name))
        yes_no_map = mapping.value_map(name) if name == "anonymous" else {}
        for row in table.rows:
            raw = row.cells[index]
            if resolver is None:
                try:
                    parse_yes_no(raw, yes_no_map)
                    unknown = []
                except ValueProblem:
                    unknown = [raw.strip()]
            elif name in MULTI_VALUED:
                unknown = resolver.many(raw)[1]
            else:
                single = resolver.one(raw)[1]
                unknown = [single] if single else []
            for value in unknown:
                key = normalise_term(value)
                first.setdefault(key, value)
                counts[key] += 1
                if len(rows.setdefault(key, [])) < 5:
                    rows[key].append(row.number)
        for key in sorted(counts, key=lambda k: (-counts[k], k)):
            suggestions = ("yes", "no") if resolver is None else tuple(resolver.suggest(first[key]))
            out.append(UnmatchedValue(name, first[key], counts[key], tuple(rows[key]), suggestions))
    return out


def saved_mapping_fit(table: Table, mapping: ColumnMapping) -> float:
    """Share of a saved mapping's columns present in this file (0 if it maps no required field)."""
    if not mapping.columns or missing_required(mapping):
        return 0.0
    present = sum(1 for header in mapping.columns.values() if header in table.headers)
    return present / len(mapping.columns)


def best_saved_mapping(table: Table, saved: Mapping[str, ColumnMapping]) -> str | None:
    """The name of the saved mapping that fits this file entirely, if any (most columns first)."""
    fitting = [(len(m.columns), name) for name, m in saved.items() if saved_mapping_fit(table, m) == 1.0]
    if not fitting:
        return None
    return max(fitting)[1]
