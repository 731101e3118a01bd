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
from importing.source_key import guess_key
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
    # The source key: the header of the column whose values name each response (a form's response ID),
    # matching a re-export's rows to the submissions they made (importing.source_key). None: no key.
    key: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "columns": dict(self.columns),
            "values": {f: dict(v) for f, v in self.values.items() if v},
        }
        if self.key:
            data["key"] = self.key
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ColumnMapping:
        columns = {str(k): str(v) for k, v in (data.get("columns") or {}).items() if k in FIELDS_BY_NAME and v}
        values = {
            str(f): {str(k): str(v) for k, v in (m or {}).items()}
            for f, m in (data.get("values") or {}).items()
            if f in VALUE_MAPPED_FIELDS
        }
        return cls(columns, values, str(data["key"]) if data.get("key") else None)

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
        if self.key and self.key not in table.headers:
            problems.append(f"The column \u201c{self.key}\u201d chosen as the key is not in this file.")
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


_ORGANISATION_TEXT = (
    "trust council services service ltd limited charity foundation collective police nhs university network "
    "partnership project centre center association group authority society cic forum alliance unit team agency "
    "board office company department church school college hospital club commissioner institute ministry "
    "coalition federation consortium programme program initiative constabulary borough county city"
)
_ORGANISATION_WORDS = frozenset(_ORGANISATION_TEXT.split())  # words that make a name an organisation's
_NAME_CHARACTERS = frozenset("-'’.")


def _looks_like_person(value: str) -> bool:
    """Two to four capitalised words of letters, none an organisation's word."""
    words = value.split()
    if not 2 <= len(words) <= 4:
        return False
    return all(
        w[0].isupper()
        and all(ch.isalpha() or ch in _NAME_CHARACTERS for ch in w)
        and normalise_term(w) not in _ORGANISATION_WORDS
        for w in words
    )


def _looks_like_organisation(value: str) -> bool:
    words = normalise_term(value).split()
    return 0 < len(words) <= 10 and "@" not in value and any(w in _ORGANISATION_WORDS for w in words)


def answer_of(value: str) -> str | None:
    """The answer, "yes" or "no", of a yes/no cell, also of one that goes on after its
    first word ("Yes, please keep me anonymous", "No - you may name us")."""
    norm = normalise_term(value)
    if norm in YES_WORDS:
        return "yes"
    if norm in NO_WORDS:
        return "no"
    words = norm.split()
    if 1 < len(words) <= 15 and words[0] in ("yes", "no"):
        return words[0]
    return None


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
    yes_no = share(lambda v: answer_of(v) is not None)
    if yes_no >= 0.9 and share(lambda v: v.strip().isdigit()) < 1.0:
        scores["anonymous"] = 0.6 * yes_no
    links = share(lambda v: v.strip().lower().startswith(("http://", "https://", "www.")))
    if links >= 0.6:
        scores["links"] = 0.8 * links
    people = share(_looks_like_person)
    if people >= 0.6 and (len(sample) > 1 or n == 1):  # one name in every row is a label ("IP Address"), not people
        scores["contact_name"] = 0.7 * people
    organisations = share(_looks_like_organisation)
    if organisations >= 0.5:
        scores["organisation"] = 0.7 * organisations
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


# Words in a question's header that say what a yes/no question is about.
_ANONYMITY_WORDS = re.compile(
    r"anonym|confidential|identif|(publish|use|share|print|credit|name)\w* (your|our|my) (name|organi[sz]ation)"
    r"|(name|names|named|credited)\b.*\b(publish|public|report)"
)
# A question asking permission to name the contributor ("Can we publish your name?"): its Yes means NOT
# anonymous, so its answers are read the other way. Not when it also speaks of anonymity or a negation.
_NAMING_WORDS = re.compile(
    r"(publish|use|share|print|credit|name)\w* (your|our|my) (name|organi[sz]ation)"
    r"|(name|names|named|credited)\b.*\b(publish|public|report)"
)
_NOT_NAMING = re.compile(r"anonym|confidential|\bnot\b|n't|\bkeep\b|\bwithhold|\bhide")


def asks_to_name(header: str) -> bool:
    """Whether a yes/no question's Yes means the contributor may be named (so: not anonymous)."""
    text = header.casefold()
    return bool(_NAMING_WORDS.search(text)) and not _NOT_NAMING.search(text)


_PRESENTING_WORDS = re.compile(r"\bpresent(ing|ation)?\b|\bspeak|\btalk about|webinar|conference|\bevent\b")
HIGH, CHECK, LOW = "high", "check", "low"


@dataclass(frozen=True)
class Guess:
    """Why a column was proposed for a field, and how sure the proposal is:
    high (header and cells agree, or an exact header), check (one of them
    only), low (the column is empty, or its cells say otherwise)."""

    field: str
    header: str
    confidence: str
    reason: str  # our words, never the file's


@dataclass
class Proposal:
    mapping: ColumnMapping
    guesses: dict[str, Guess]  # by header


def _yes_no_topic(header: str) -> str | None:
    """The field a yes/no question's header asks about, by its words."""
    norm = normalise_term(header)
    if _ANONYMITY_WORDS.search(norm):
        return "anonymous"
    if _PRESENTING_WORDS.search(norm):
        return "presentation_preference"
    return None


def _judge(name: str, h: float, c: float, filled: float, topic: str | None) -> tuple[float, str, str]:
    """(score, confidence, reason) of `name` for a column with header score `h`,
    content score `c`, a share `filled` of non-empty cells, and, for a yes/no
    column, the topic its header names."""
    if topic is not None:
        if name == topic:
            about = "anonymity" if topic == "anonymous" else "presenting"
            return 1.2, HIGH, f"a yes/no question about {about}"
        if name in ("anonymous", "presentation_preference"):
            return 0.0, LOW, ""  # a yes/no question about the other one
    score = max(h, c) + 0.2 * min(h, c)
    if not filled:
        return 0.6 * h, LOW, "the header names it, but the column is empty"
    score += 0.05 * filled  # a fuller column beats an emptier one with as good a header
    checkable = FIELDS_BY_NAME[name].kind != "text" or name in ("contact_name", "summary")
    if h >= 0.6 and c >= 0.5:
        return score, HIGH, "the header names it and the cells look like it"
    if c >= 0.5:
        return score, CHECK, "the cells look like it; the header does not say"
    if checkable and h < 1.0:
        return score, CHECK, "the header names it, but the cells do not look like it"
    if h >= 0.85:
        return score, HIGH, "the header names it"
    return score, CHECK, "the header is close to its name"


# What form tools write in a cell they were not given: Microsoft Forms fills Email and Name with
# "anonymous" when the form does not record who answered. A column holding only these holds nothing.
PLACEHOLDERS = frozenset({"anonymous"})


def _only_placeholders(cells: Sequence[str]) -> bool:
    words = {v.strip().casefold() for v in cells} - {""}
    return bool(words) and words <= PLACEHOLDERS


def _read_the_other_way(table: Table, header: str | None, guesses: dict[str, Guess]) -> dict[str, dict[str, str]]:
    """For a column of Anonymous whose question asks to name the contributor, its plain yes/no
    answers mapped the other way (the guess says so); otherwise nothing. A sentence says what it
    means ("Yes, please keep me anonymous") and is left to its own reading."""
    if header is None or not asks_to_name(header):
        return {}
    answers = {v.strip() for v in table.column(header) if normalise_term(v) in (*YES_WORDS, *NO_WORDS)}
    if not answers:
        return {}
    guesses[header] = Guess(
        "anonymous",
        header,
        CHECK,
        "a yes/no question asking whether the name may be given: its answers are read the other way "
        "(Yes: not anonymous; No: anonymous)",
    )
    return {"anonymous": {a: "no" if answer_of(a) == "yes" else "yes" for a in sorted(answers)}}


def propose(table: Table, config: CallConfig) -> Proposal:
    """The best guess of which column holds which template field, and why."""
    candidates: list[tuple[float, int, str, str, str]] = []
    resolvers = {name: CodeResolver(config.vocabulary(name)) for name in CODED_FIELDS}
    n_rows = max(1, len(table.rows))
    key = guess_key(table)  # the form's response ID: the key, not the office's reference
    for i, header in enumerate(table.headers):
        cells = table.column(header)
        if _only_placeholders(cells):
            continue  # only "anonymous": not proposed for anything
        filled = sum(1 for v in cells if v.strip()) / n_rows
        content = content_scores(cells, config, resolvers)
        topic = _yes_no_topic(header) if "anonymous" in content else None
        for spec in TEMPLATE_FIELDS:
            h = header_score(header, spec.name)
            score, confidence, reason = _judge(spec.name, h, content.get(spec.name, 0.0), filled, topic)
            if score >= THRESHOLD and not (header == key and spec.name == "reference"):
                candidates.append((score, i, spec.name, confidence, reason))
    candidates.sort(key=lambda x: (-x[0], x[1], x[2]))
    columns: dict[str, str] = {}
    guesses: dict[str, Guess] = {}
    taken: set[int] = set()
    for _score, i, name, confidence, reason in candidates:
        if name in columns or i in taken:
            continue
        columns[name] = table.headers[i]
        guesses[table.headers[i]] = Guess(name, table.headers[i], confidence, reason)
        taken.add(i)
    ordered = {spec.name: columns[spec.name] for spec in TEMPLATE_FIELDS if spec.name in columns}
    values = _read_the_other_way(table, ordered.get("anonymous"), guesses)
    return Proposal(ColumnMapping(ordered, values, key), guesses)


def propose_mapping(table: Table, config: CallConfig) -> ColumnMapping:
    """The best guess of which column holds which template field."""
    return propose(table, config).mapping


def missing_required(mapping: ColumnMapping) -> list[str]:
    return [name for name in REQUIRED_FIELDS if not mapping.columns.get(name)]


@dataclass(frozen=True)
class UnmatchedValue:
    field: str
    value: str  # as first seen in the file
    count: int  # cells it occurs in
    rows: tuple[int, ...]  # file rows (the first few)
    suggestions: tuple[str, ...]  # closest codes, best first
    confident: str | None = None  # the suggestion sure enough to pre-select (and accept all)
    why: str = ""  # why it is (or is not) sure, in our words


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
            suggestions, confident, why = _suggest(name, first[key], resolver)
            out.append(UnmatchedValue(name, first[key], counts[key], tuple(rows[key]), suggestions, confident, why))
    return out


CLEAR_LEAD = 0.1  # how far the best code must be ahead of the next to be taken without asking
SURE = 0.8  # how close it must be


def _suggest(name: str, value: str, resolver: CodeResolver | None) -> tuple[tuple[str, ...], str | None, str]:
    """(codes best first, the one sure enough to pre-select or None, why)."""
    answer = answer_of(value)
    if resolver is None:  # anonymous: yes or no
        if answer is None:
            return ("yes", "no"), None, "not a yes or a no: choose"
        return (answer, "no" if answer == "yes" else "yes"), answer, f"its first word is \u201c{answer}\u201d"
    ranked = resolver.ranked(value)
    if name == "presentation_preference" and answer is not None and not ranked:
        rest = " ".join(normalise_term(value).split()[1:])
        named = resolver.one(rest)[0] if rest else None
        code = named or ("either" if answer == "yes" else "not_available")
        if code in resolver.vocabulary.ids:
            why = "a yes to presenting: able to, in person or virtually" if code == "either" else "a no to presenting"
            if named:
                why = "the answer names how"
            return (code,), code, why
    codes = tuple(code for code, _score in ranked[:3])
    if not ranked:
        return codes, None, "no code is close: choose"
    top = ranked[0][1]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
    if top >= SURE and top - runner_up >= CLEAR_LEAD:
        return codes, codes[0], "close to this code's label or a synonym, and to no other"
    return codes, None, "more than one code is close, or none closely: choose"


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


def accept_suggestions(mapping: ColumnMapping, unmatched: Sequence[UnmatchedValue]) -> list[UnmatchedValue]:
    """Map every unmatched value that has a confident suggestion to it (the
    Import page's "Accept all suggestions", `--accept-suggestions`); values
    already mapped by a person are left as they are. Returns those accepted."""
    accepted = []
    for item in unmatched:
        chosen = mapping.values.setdefault(item.field, {})
        if item.confident is None or any(k.casefold() == item.value.casefold() for k in chosen):
            continue
        chosen[item.value] = item.confident
        accepted.append(item)
    mapping.values = {f: v for f, v in mapping.values.items() if v}
    return accepted
