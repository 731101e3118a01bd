"""The call's configuration: taxonomy, rubric, weights and panel rules.

`load_call_config(path)` reads `config/call.toml` and validates it completely.
Any problem raises `ConfigError`, whose message names the file, the key and the
problem, so that a broken configuration stops the app and `manage.py` with a
sentence a coordinator can act on.

Everything here is plain data (frozen dataclasses); nothing imports Streamlit or
SQLAlchemy, so `scoring/` and `data_access/` can both take a `CallConfig`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CALL_PATH = Path(__file__).resolve().parent / "call.toml"

# Coded taxonomy fields: (toml key, cardinality on a submission).
SINGLE_VALUED = (
    "evidence_source",
    "sector",
    "nation",
    "stage",
    "reported_impact",
    "presentation_preference",
)
MULTI_VALUED = ("themes", "focus_areas", "exploitation_types", "evidence_forms")

# Submission field -> taxonomy vocabulary key in call.toml.
FIELD_VOCABULARY = {
    "themes": "themes",
    "focus_areas": "focus_areas",
    "exploitation_types": "exploitation_types",
    "evidence_forms": "evidence_forms",
    "evidence_source": "evidence_sources",
    "sector": "sectors",
    "nation": "nations",
    "stage": "stages",
    "reported_impact": "reported_impacts",
    "presentation_preference": "presentation_preferences",
}

REQUIRED_PRESENTATION_CODES = {"in_person", "virtual", "either", "not_available"}
REQUIRED_IMPACT_CODES = {"negative"}
_ID_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class ConfigError(Exception):
    """A broken or incomplete configuration, with file, key and problem."""

    def __init__(self, path: Path | str, key: str, problem: str) -> None:
        self.path = str(path)
        self.key = key
        self.problem = problem
        super().__init__(f"{self.path}: [{key}] {problem}")


def normalise_term(value: str) -> str:
    """Lower-case, drop punctuation and collapse spaces: how codes are matched."""
    value = value.casefold().replace("’", "'")
    value = re.sub(r"[^\w\s]", " ", value)
    return " ".join(value.split())


@dataclass(frozen=True)
class Code:
    id: str
    label: str
    synonyms: tuple[str, ...] = ()
    parent: str | None = None  # a focus area's theme


@dataclass(frozen=True)
class Vocabulary:
    key: str
    codes: tuple[Code, ...]

    @property
    def ids(self) -> list[str]:
        return [c.id for c in self.codes]

    @functools.cached_property
    def _label_of(self) -> dict[str, str]:
        by_id: dict[str, str] = {}
        for c in self.codes:
            by_id.setdefault(c.id, c.label)
        return by_id

    def label(self, code_id: str) -> str:
        """The code's label (the code itself when it is not in the vocabulary)."""
        return self._label_of.get(code_id, code_id)

    def labels(self) -> dict[str, str]:
        return {c.id: c.label for c in self.codes}

    def lookup(self) -> dict[str, str]:
        """Normalised id, label and synonyms -> code id."""
        table: dict[str, str] = {}
        for c in self.codes:
            for term in (c.id, c.id.replace("_", " "), c.label, *c.synonyms):
                table.setdefault(normalise_term(term), c.id)
        return table

    def match(self, value: str) -> str | None:
        return self.lookup().get(normalise_term(value))


@dataclass(frozen=True)
class Criterion:
    id: str
    label: str
    question: str
    descriptors: tuple[str, ...]
    note: str = ""


@dataclass(frozen=True)
class SelectionDefaults:
    slots: int
    max_in_person: int
    max_virtual: int
    min_per_theme: int
    one_per_exploitation_type: bool
    min_survivor_involved: int
    max_per_sector: int
    max_per_organisation: int
    min_reviews: int = 0
    no_discussion_flag: bool = False
    only_shortlisted: bool = False


@dataclass(frozen=True)
class CallConfig:
    path: str
    call_id: str
    title: str
    organisers: str
    submissions_close: dt.date
    review_deadline: dt.date
    conference: str
    retention_months: int
    reference_prefix: str
    reviewers_per_submission: int
    blind_review: bool
    disagreement_threshold: float
    weights: dict[str, float]
    evidence_strength_level: float
    selection: SelectionDefaults
    vocabularies: dict[str, Vocabulary]
    criteria: tuple[Criterion, ...]
    recommendations: Vocabulary
    confidence_levels: Vocabulary
    # `[assignment]`: fit weights of bids and expertise (scoring.fit), ASSIGNMENT_WEIGHTS when absent
    assignment_weights: dict[str, float] = field(default_factory=lambda: dict(ASSIGNMENT_WEIGHTS))
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def vocabulary(self, submission_field: str) -> Vocabulary:
        """The vocabulary of a coded submission field (`themes`, `sector`...)."""
        return self.vocabularies[FIELD_VOCABULARY[submission_field]]

    @property
    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.criteria]

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    def focus_area_theme(self) -> dict[str, str]:
        return {c.id: c.parent or "" for c in self.vocabularies["focus_areas"].codes}


class _Reader:
    """Typed access to the TOML tree that reports file and key on failure."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(self.path, key, problem)

    def get(self, key: str, kind: type | tuple[type, ...], *, default: Any = ...) -> Any:
        node: Any = self.data
        for part in key.split("."):
            if not isinstance(node, dict) or part not in node:
                if default is not ...:
                    return default
                raise self.fail(key, "is missing")
            node = node[part]
        if kind is float and isinstance(node, int) and not isinstance(node, bool):
            node = float(node)
        if kind is int and isinstance(node, bool):
            raise self.fail(key, f"must be a whole number, not {node!r}")
        if not isinstance(node, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.fail(key, f"must be {_article(names)}, not {type(node).__name__} {node!r}")
        return node

    def positive_int(self, key: str, *, minimum: int = 1) -> int:
        value = self.get(key, int)
        if value < minimum:
            raise self.fail(key, f"must be at least {minimum}, not {value}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key, str)
        if not value.strip():
            raise self.fail(key, "must not be empty")
        return value.strip()


def _article(name: str) -> str:
    friendly = {
        "str": "text",
        "int": "whole number",
        "float": "number",
        "bool": "true or false",
        "list": "list",
        "dict": "table",
        "date": "date (YYYY-MM-DD)",
    }
    return " or ".join(friendly.get(n.strip(), n) for n in name.split(" or "))


def _read_codes(r: _Reader, vocab_key: str) -> Vocabulary:
    key = f"taxonomy.{vocab_key}"
    entries = r.get(key, list)
    if not entries:
        raise r.fail(key, "must list at least one entry")
    codes: list[Code] = []
    seen_terms: dict[str, str] = {}
    for i, entry in enumerate(entries):
        ekey = f"{key}[{i}]"
        if not isinstance(entry, dict):
            raise r.fail(ekey, "must be a table with id and label")
        code_id = entry.get("id")
        if not isinstance(code_id, str) or not _ID_RE.match(code_id):
            raise r.fail(f"{ekey}.id", f"must be a lower-case identifier like 'forced_labour', not {code_id!r}")
        if any(c.id == code_id for c in codes):
            raise r.fail(f"{ekey}.id", f"duplicates the id {code_id!r}")
        label = entry.get("label")
        if not isinstance(label, str) or not label.strip():
            raise r.fail(f"{ekey}.label", "is missing or empty")
        synonyms = entry.get("synonyms", [])
        if not isinstance(synonyms, list) or not all(isinstance(s, str) and s.strip() for s in synonyms):
            raise r.fail(f"{ekey}.synonyms", "must be a list of non-empty texts")
        parent = entry.get("theme")
        code = Code(code_id, label.strip(), tuple(s.strip() for s in synonyms), parent)
        for term in (code_id, code_id.replace("_", " "), label, *synonyms):
            norm = normalise_term(term)
            other = seen_terms.get(norm)
            if other is not None and other != code_id:
                raise r.fail(
                    f"{ekey}.synonyms", f"the term {term!r} also matches {other!r}; each term must name one code"
                )
            seen_terms[norm] = code_id
        codes.append(code)
    return Vocabulary(vocab_key, tuple(codes))


def _read_simple_vocab(r: _Reader, key: str) -> Vocabulary:
    entries = r.get(key, list)
    if not entries:
        raise r.fail(key, "must list at least one entry")
    codes = []
    for i, entry in enumerate(entries):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("id"), str)
            or not isinstance(entry.get("label"), str)
        ):
            raise r.fail(f"{key}[{i}]", "must be a table with an id and a label")
        if not _ID_RE.match(entry["id"]):
            raise r.fail(f"{key}[{i}].id", f"must be a lower-case identifier, not {entry['id']!r}")
        codes.append(Code(entry["id"], entry["label"]))
    if len({c.id for c in codes}) != len(codes):
        raise r.fail(key, "has the same id twice")
    return Vocabulary(key.split(".")[-1], tuple(codes))


def load_call_config(path: Path | str | None = None) -> CallConfig:
    """Read and validate the call configuration; raise ConfigError on any problem.

    Sections are read in a fixed order, so the first problem reported is always the same one."""
    path = Path(path) if path else DEFAULT_CALL_PATH
    data = _read_toml(path)
    r = _Reader(path, data)
    vocabularies = _read_taxonomy(r)
    criteria = _read_criteria(r)
    weights = _read_weights(r, criteria)
    submissions_close, review_deadline = _read_dates(r)
    threshold = r.get("review.disagreement_threshold", float)
    if threshold <= 0:
        raise r.fail("review.disagreement_threshold", f"must be above 0, not {threshold}")
    level = r.get("coverage.evidence_strength_level", float)
    if not 1 <= level <= 5:
        raise r.fail("coverage.evidence_strength_level", f"must be between 1 and 5, not {level}")
    selection = _read_selection(r)
    prefix, call_id = _read_names(r)
    return CallConfig(
        path=str(path),
        call_id=call_id,
        title=r.text("call.title"),
        organisers=r.text("call.organisers"),
        submissions_close=submissions_close,
        review_deadline=review_deadline,
        conference=r.text("call.conference"),
        retention_months=r.positive_int("call.retention_months"),
        reference_prefix=prefix,
        reviewers_per_submission=r.positive_int("review.reviewers_per_submission"),
        blind_review=r.get("review.blind", bool),
        disagreement_threshold=threshold,
        weights=weights,
        evidence_strength_level=level,
        selection=selection,
        vocabularies=vocabularies,
        criteria=tuple(criteria),
        recommendations=_read_simple_vocab(r, "rubric.recommendations"),
        confidence_levels=_read_simple_vocab(r, "rubric.confidence_levels"),
        assignment_weights=_read_assignment(r),
        raw=data,
    )


# `[assignment]` weights and their defaults: a bid's level, and each theme or
# focus area a submission shares with the reviewer's expertise (scoring.fit).
# `mixing`: the fit a swap that spreads co-review may give up per unit of the sum of squared pair overlaps it removes.
ASSIGNMENT_WEIGHTS: dict[str, float] = {
    "eager": 3.0,
    "willing": 1.0,
    "rather_not": -3.0,
    "theme": 1.0,
    "focus_area": 0.5,
    "mixing": 0.1,
}


def _read_assignment(r: _Reader) -> dict[str, float]:
    """`[assignment]` (optional): each weight a number from -10 to 10 in
    hundredths, eager >= willing >= 0 >= rather not, theme, focus area and mixing >= 0."""
    section = r.get("assignment", dict, default={})
    for key in section:
        if key not in ASSIGNMENT_WEIGHTS:
            raise r.fail(f"assignment.{key}", f"is not a known weight (known: {', '.join(ASSIGNMENT_WEIGHTS)})")
    out = {}
    for key, default in ASSIGNMENT_WEIGHTS.items():
        value = r.get(f"assignment.{key}", float, default=default)
        if not -10 <= value <= 10 or abs(value * 100 - round(value * 100)) > 1e-6:
            raise r.fail(f"assignment.{key}", f"must be a number from -10 to 10 in hundredths, not {value}")
        out[key] = value
    if not out["eager"] >= out["willing"] >= 0 >= out["rather_not"]:
        raise r.fail("assignment", "must rank the bids: eager >= willing >= 0 >= rather_not")
    for key in ("theme", "focus_area", "mixing"):
        if out[key] < 0:
            raise r.fail(f"assignment.{key}", f"must be 0 or more, not {out[key]}")
    return out


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.exists():
        raise ConfigError(path, "(file)", "the configuration file does not exist")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, "(file)", f"is not valid TOML: {exc}") from None


def _read_taxonomy(r: _Reader) -> dict[str, Vocabulary]:
    """`[taxonomy]`: every coded field's vocabulary; focus areas under known themes; required codes present."""
    vocabularies = {key: _read_codes(r, key) for key in FIELD_VOCABULARY.values()}
    theme_ids = set(vocabularies["themes"].ids)
    for i, code in enumerate(vocabularies["focus_areas"].codes):
        if code.parent not in theme_ids:
            raise r.fail(
                f"taxonomy.focus_areas[{i}].theme",
                f"must name one of the themes ({', '.join(sorted(theme_ids))}), not {code.parent!r}",
            )
    for key, required in (
        ("presentation_preferences", REQUIRED_PRESENTATION_CODES),
        ("reported_impacts", REQUIRED_IMPACT_CODES),
    ):
        missing = required - set(vocabularies[key].ids)
        if missing:
            raise r.fail(f"taxonomy.{key}", f"must include {', '.join(sorted(missing))}")
    return vocabularies


def _read_criteria(r: _Reader) -> list[Criterion]:
    """`rubric.criteria`: at least one, each with an id, a label, a question and five descriptors."""
    criteria_raw = r.get("rubric.criteria", list)
    if not criteria_raw:
        raise r.fail("rubric.criteria", "must list at least one criterion")
    criteria = [_read_criterion(r, f"rubric.criteria[{i}]", c) for i, c in enumerate(criteria_raw)]
    if len({c.id for c in criteria}) != len(criteria):
        raise r.fail("rubric.criteria", "has the same criterion id twice")
    return criteria


def _read_criterion(r: _Reader, ckey: str, c: Any) -> Criterion:
    if not isinstance(c, dict):
        raise r.fail(ckey, "must be a table")
    cid = c.get("id")
    if not isinstance(cid, str) or not _ID_RE.match(cid):
        raise r.fail(f"{ckey}.id", f"must be a lower-case identifier, not {cid!r}")
    descriptors = c.get("descriptors")
    if (
        not isinstance(descriptors, list)
        or len(descriptors) != 5
        or not all(isinstance(d, str) and d.strip() for d in descriptors)
    ):
        raise r.fail(f"{ckey}.descriptors", "must list exactly five descriptors, one for each score 1 to 5")
    for name in ("label", "question"):
        if not isinstance(c.get(name), str) or not c[name].strip():
            raise r.fail(f"{ckey}.{name}", "is missing or empty")
    return Criterion(cid, c["label"], c["question"], tuple(descriptors), c.get("note", ""))


def _read_weights(r: _Reader, criteria: list[Criterion]) -> dict[str, float]:
    """`scoring.weights`: one non-negative weight per criterion, no others, not all zero."""
    weights_raw = r.get("scoring.weights", dict)
    weights: dict[str, float] = {}
    for c in criteria:
        w = r.get(f"scoring.weights.{c.id}", float)
        if w < 0:
            raise r.fail(f"scoring.weights.{c.id}", f"must not be negative, not {w}")
        weights[c.id] = w
    extra = set(weights_raw) - {c.id for c in criteria}
    if extra:
        raise r.fail("scoring.weights", f"names criteria that the rubric does not have: {', '.join(sorted(extra))}")
    if sum(weights.values()) <= 0:
        raise r.fail("scoring.weights", "must give at least one criterion a positive weight")
    return weights


def _read_dates(r: _Reader) -> tuple[dt.date, dt.date]:
    submissions_close = r.get("call.submissions_close", dt.date)
    review_deadline = r.get("call.review_deadline", dt.date)
    if review_deadline < submissions_close:
        raise r.fail("call.review_deadline", "must not be before call.submissions_close")
    return submissions_close, review_deadline


def _whole_or_zero(r: _Reader, key: str) -> int:
    if r.get(key, object, default=None) is None:
        return 0
    return r.positive_int(key, minimum=0)


def _read_selection(r: _Reader) -> SelectionDefaults:
    """`[selection]`: the presenter selection's defaults; the slots must fit the two formats."""
    selection = SelectionDefaults(
        slots=r.positive_int("selection.slots"),
        max_in_person=r.positive_int("selection.max_in_person", minimum=0),
        max_virtual=r.positive_int("selection.max_virtual", minimum=0),
        min_per_theme=r.positive_int("selection.min_per_theme", minimum=0),
        one_per_exploitation_type=r.get("selection.one_per_exploitation_type", bool),
        min_survivor_involved=r.positive_int("selection.min_survivor_involved", minimum=0),
        max_per_sector=r.positive_int("selection.max_per_sector"),
        max_per_organisation=r.positive_int("selection.max_per_organisation"),
        # Absent: off (a call written before these rules existed keeps its line-ups).
        min_reviews=_whole_or_zero(r, "selection.min_reviews"),
        no_discussion_flag=r.get("selection.no_discussion_flag", bool, default=False),
        only_shortlisted=r.get("selection.only_shortlisted", bool, default=False),
    )
    if selection.max_in_person + selection.max_virtual < selection.slots:
        raise r.fail(
            "selection.slots",
            f"{selection.slots} slots cannot be filled with at most "
            f"{selection.max_in_person} in person and {selection.max_virtual} virtual",
        )
    return selection


def _read_names(r: _Reader) -> tuple[str, str]:
    """`call.reference_prefix` and `call.id`, which name references and exported files."""
    prefix = r.text("call.reference_prefix")
    if not re.fullmatch(r"[A-Z][A-Z0-9]{0,9}", prefix):
        raise r.fail("call.reference_prefix", f"must be 1 to 10 capital letters or digits, not {prefix!r}")
    call_id = r.text("call.id")
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", call_id):
        raise r.fail(
            "call.id", f"must be lower-case letters, digits and dashes (it names exported files), not {call_id!r}"
        )
    return prefix, call_id
