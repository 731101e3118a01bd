"""Picking a balanced presenter line-up, solved exactly as an integer programme.

`select_presenters(candidates, rules)` maximises the sum of the chosen
submissions' scores (the calibrated score, passed in a plain `score` column)
subject to the rules of `SelectionRules`:

* exactly `slots` presenters; at most `max_in_person` in person and
  `max_virtual` virtual, each placed in a format they can do
  (`presentation_preference`: in_person, virtual, or either);
* at least `min_per_theme` on every theme in `themes`;
* with `one_per_exploitation_type`, at least one on each form of exploitation
  that any eligible submission covers;
* at least `min_survivor_involved` survivor-led or survivor-informed
  contributions: `evidence_source == "survivor_led"` or
  `sector == "survivor_led"`;
* at most `max_per_sector` per sector and `max_per_organisation` per
  organisation (organisations compared ignoring case, punctuation and
  spacing; None means no limit);
* `pinned` submissions in, `excluded` ones out.

Anonymous submissions, those not available to present (or with no stated
preference) and unscored ones are never eligible.

The model has a binary variable per (candidate, format it can do), solved with
`scipy.optimize.milp` (HiGHS) with a zero optimality gap. Scores are compared
to `SCORE_DECIMALS` decimal places (integer objective, so the optimum is
proven exactly). Ties are broken deterministically by a second pass: among the
line-ups with the best total score, the one whose members come earliest in
reference order (smallest sum of reference ranks) is taken. Presenters who can
do either format go in person while in-person places remain (highest score
first), otherwise virtual.

When the rules cannot all hold, a minimal set of rules that together block
every line-up is found by deletion filtering (first over rule families, then
over the single themes, forms, sectors, pins and exclusions inside them), and
described in words; independent blocks are all reported. With `explain=True`
each rule's cost is measured by re-solving without it and with it alone on
top of the plain top N, and each pick's best replacement by re-solving with
that pick excluded and every rule kept.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from config.call_config import CallConfig, SelectionDefaults, normalise_term

SCORE_DECIMALS = 6
SCORE_UNIT = 10.0**-SCORE_DECIMALS
SURVIVOR_CODE = "survivor_led"
FORMAT_LABELS = {"in_person": "In person", "virtual": "Virtual"}
ABLE_TO_DO = {"in_person": ("in_person",), "virtual": ("virtual",), "either": ("in_person", "virtual")}
SOLVER_TIME_LIMIT_S = 60.0
RESTRICT_START = 150  # candidates in the first restricted solve
REFINE_LIMIT = 60  # families with more units than this are named as a whole
MAX_BLOCKERS = 5
REQUIRED_COLUMNS = (
    "reference",
    "score",
    "anonymous",
    "presentation_preference",
    "themes",
    "exploitation_types",
    "sector",
    "evidence_source",
    "organisation",
)

# Rule families, in the order they are shown. `slots` cannot be switched off.
FAMILIES = (
    "slots",
    "in_person",
    "virtual",
    "theme",
    "exploitation",
    "survivor",
    "sector",
    "organisation",
    "pinned",
    "excluded",
)
# Order of deletion filtering: families tried first are the likeliest to be
# found innocent when several minimal blocking sets exist, so hand choices and
# the venue's capacity are named before balance preferences.
_FILTER_ORDER = (
    "organisation",
    "sector",
    "exploitation",
    "theme",
    "survivor",
    "slots",
    "virtual",
    "in_person",
    "excluded",
    "pinned",
)


class SelectionError(ValueError):
    """Bad input to the solver (rules or candidates); the message is for people."""


class SolverDidNotFinish(RuntimeError):
    """HiGHS stopped on its time limit without proving an answer."""


@dataclass(frozen=True)
class SelectionRules:
    """The rules of one selection run. `None` caps mean no limit."""

    slots: int
    max_in_person: int
    max_virtual: int
    min_per_theme: int = 0
    one_per_exploitation_type: bool = False
    min_survivor_involved: int = 0
    max_per_sector: int | None = None
    max_per_organisation: int | None = None
    themes: tuple[str, ...] = ()
    pinned: tuple[int, ...] = ()
    excluded: tuple[int, ...] = ()

    @classmethod
    def from_defaults(cls, defaults: SelectionDefaults, *, themes: Iterable[str], **changes: Any) -> SelectionRules:
        """The call's configured defaults (`[selection]`), with optional changes."""
        rules = cls(
            slots=defaults.slots,
            max_in_person=defaults.max_in_person,
            max_virtual=defaults.max_virtual,
            min_per_theme=defaults.min_per_theme,
            one_per_exploitation_type=defaults.one_per_exploitation_type,
            min_survivor_involved=defaults.min_survivor_involved,
            max_per_sector=defaults.max_per_sector,
            max_per_organisation=defaults.max_per_organisation,
            themes=tuple(themes),
        )
        return dataclasses.replace(rules, **changes) if changes else rules

    @classmethod
    def from_config(cls, config: CallConfig, **changes: Any) -> SelectionRules:
        return cls.from_defaults(config.selection, themes=config.vocabulary("themes").ids, **changes)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (stored with a saved line-up)."""
        out = dataclasses.asdict(self)
        out["themes"] = list(self.themes)
        out["pinned"] = sorted(int(i) for i in self.pinned)
        out["excluded"] = sorted(int(i) for i in self.excluded)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SelectionRules:
        names = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("themes", "pinned", "excluded"):
            if key in values:
                values[key] = tuple(values[key])
        return cls(**values)

    def problems(self) -> list[str]:
        """Everything wrong with these rules as input, in words; empty if usable."""
        out: list[str] = []

        def whole(name: str, value: Any, minimum: int, what: str) -> None:
            if isinstance(value, bool) or not isinstance(value, int):
                out.append(f"{what} must be a whole number, not {value!r}.")
            elif value < minimum:
                out.append(f"{what} must be at least {minimum}, not {value}.")

        whole("slots", self.slots, 1, "The number of slots")
        whole("max_in_person", self.max_in_person, 0, "The in-person capacity")
        whole("max_virtual", self.max_virtual, 0, "The virtual capacity")
        whole("min_per_theme", self.min_per_theme, 0, "The minimum per theme")
        whole("min_survivor_involved", self.min_survivor_involved, 0, "The survivor-involved minimum")
        if self.max_per_sector is not None:
            whole("max_per_sector", self.max_per_sector, 1, "The most per sector")
        if self.max_per_organisation is not None:
            whole("max_per_organisation", self.max_per_organisation, 1, "The most per organisation")
        both = set(self.pinned) & set(self.excluded)
        if both:
            out.append(f"{len(both)} submission(s) are both pinned and excluded; choose one for each.")
        return out


@dataclass(frozen=True)
class Replacement:
    """The best line-up without one pick, every rule kept."""

    entering: tuple[int, ...]  # submission ids that come in
    also_leaving: tuple[int, ...]  # other picks that make way
    score_change: float  # new objective minus old (<= 0)


@dataclass(frozen=True)
class Pick:
    submission_id: int
    reference: str
    format: str
    score: float
    rank: int  # 1 = highest score among eligible submissions
    pinned: bool
    in_top_n: bool
    satisfies: tuple[str, ...]  # rule families it counts towards
    reasons: tuple[str, ...]  # why it is there, in words
    replacement: Replacement | None = None
    replacement_note: str = ""


@dataclass(frozen=True)
class RuleCost:
    family: str
    rule: str  # the rule in words
    given_up: float  # objective without this rule minus with every rule
    alone_vs_top_n: float  # plain top N minus the best line-up with only this rule (and the slots)


@dataclass(frozen=True)
class Blocker:
    families: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class SelectionResult:
    rules: SelectionRules
    feasible: bool
    picks: tuple[Pick, ...] = ()
    objective: float = math.nan
    top_n: tuple[int, ...] = ()
    top_n_objective: float = math.nan
    rule_costs: tuple[RuleCost, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()
    eligible: int = 0
    considered: int = 0  # eligible candidates left in the model after the exact reduction

    @property
    def given_up_vs_top_n(self) -> float:
        return self.top_n_objective - self.objective

    @property
    def members(self) -> dict[int, str]:
        """submission_id -> format, in line-up order."""
        return {p.submission_id: p.format for p in self.picks}


# --- preparing the candidates ---------------------------------------------------


def survivor_involved(evidence_source: Any, sector: Any) -> bool:
    """Survivor-led or survivor-informed: by source of evidence or by sector."""
    return evidence_source == SURVIVOR_CODE or sector == SURVIVOR_CODE


def organisation_key(organisation: Any) -> str | None:
    if not isinstance(organisation, str):
        return None
    key = normalise_term(organisation)
    return key or None


def ineligibility(frame: pd.DataFrame) -> list[str]:
    """Why each candidate can never be selected ('' when it can), in row order."""
    anonymous = frame["anonymous"].fillna(False).astype(bool).tolist()
    prefs = frame["presentation_preference"].tolist()
    scores = pd.to_numeric(frame["score"], errors="coerce").astype(float).tolist()
    out = []
    for anon, pref, score in zip(anonymous, prefs, scores, strict=True):
        if anon:
            out.append("anonymous")
        elif pref == "not_available":
            out.append("not available to present")
        elif pref not in ABLE_TO_DO:
            out.append("no presentation preference given")
        elif math.isnan(score):
            out.append("not yet scored")
        else:
            out.append("")
    return out


def _as_list(value: Any) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def prepare_candidates(candidates: pd.DataFrame) -> pd.DataFrame:
    """A checked copy: `submission_id` column, sorted by reference, derived columns."""
    frame = candidates.copy()
    if "submission_id" not in frame.columns:
        frame = frame.rename_axis("submission_id").reset_index()
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise SelectionError(f"The candidates lack the column(s) {', '.join(missing)}.")
    if frame["submission_id"].duplicated().any():
        raise SelectionError("The candidates list a submission twice.")
    frame["submission_id"] = frame["submission_id"].astype(int)
    frame["reference"] = frame["reference"].astype(str)
    frame["score"] = pd.to_numeric(frame["score"], errors="coerce").astype(float)
    frame["anonymous"] = frame["anonymous"].fillna(False).astype(bool)
    for name in ("themes", "exploitation_types"):
        frame[name] = [_as_list(v) for v in frame[name].tolist()]
    # .tolist() first: iterating pandas' Arrow-backed text columns value by value is slow.
    frame["survivor"] = [
        survivor_involved(s, t)
        for s, t in zip(frame["evidence_source"].tolist(), frame["sector"].tolist(), strict=True)
    ]
    frame["org_key"] = [organisation_key(o) for o in frame["organisation"].tolist()]
    frame["why_not"] = ineligibility(frame)
    frame = frame.sort_values(["reference", "submission_id"], kind="stable").reset_index(drop=True)
    return frame


def top_n(frame: pd.DataFrame, n: int) -> pd.DataFrame:
    """The plain top N of the eligible: highest score, then earliest reference."""
    eligible = frame[frame["why_not"] == ""]
    q = np.rint(eligible["score"].to_numpy() / SCORE_UNIT)
    order = np.lexsort((np.arange(len(eligible)), -q))
    return eligible.iloc[order[:n]]


# --- the model --------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    family: str
    member: Any = None


@dataclass
class _Solution:
    objective: int
    chosen: list[int]  # candidate positions in the model


def _reduce(eligible: pd.DataFrame, q: np.ndarray, rules: SelectionRules) -> np.ndarray:
    """Positions of the eligible candidates that some best line-up could use.

    Exact: candidate j is dropped only when better-ranked candidates (higher
    score, or equal score and earlier reference) that can do everything j does
    for the rules (every format j can do, a superset of j's themes and forms,
    survivor-involved if j is, the same sector) come from at least
    N + |excluded| + 1 distinct organisations. Then in any line-up holding j,
    one of them is unused, not excluded or left out, and from an organisation
    with nobody else in the line-up; swapping it for j keeps every rule and
    improves the objective (or its tie-break), so no optimal or feasible
    line-up needs j, whichever subset of rules is active. Pinned candidates
    are always kept.
    """
    n = len(eligible)
    if n == 0:
        return np.arange(0)
    need = rules.slots + len(set(rules.excluded)) + 1
    themes = set(rules.themes) if rules.min_per_theme > 0 else set()
    if rules.min_per_theme > 0 and not themes:
        themes = {t for ts in eligible["themes"] for t in ts}
    sigs = []
    for pref, ts, es, surv, sector in zip(
        eligible["presentation_preference"].tolist(),
        eligible["themes"].tolist(),
        eligible["exploitation_types"].tolist(),
        eligible["survivor"].tolist(),
        eligible["sector"].tolist(),
        strict=True,
    ):
        sigs.append(
            (
                frozenset(ABLE_TO_DO[pref]),
                frozenset(ts) & themes,
                frozenset(es) if rules.one_per_exploitation_type else frozenset(),
                bool(surv) and rules.min_survivor_involved > 0,
                sector if rules.max_per_sector is not None else None,
            )
        )
    classes: dict[tuple, set] = {sig: set() for sig in sigs}
    by_sector: dict[Any, list[tuple]] = {}
    for sig in classes:
        by_sector.setdefault(sig[4], []).append(sig)

    def dominates(a: tuple, b: tuple) -> bool:
        return a[0] >= b[0] and a[1] >= b[1] and a[2] >= b[2] and (a[3] or not b[3])

    dominators = {sig: [c for c in by_sector[sig[4]] if dominates(c, sig)] for sig in classes}
    orgs = eligible["org_key"].tolist() if rules.max_per_organisation is not None else [None] * n
    pinned = {int(s) for s in rules.pinned}
    ids = eligible["submission_id"].to_numpy()
    keep = np.zeros(n, dtype=bool)
    for j in np.lexsort((np.arange(n), -q)):
        seen: set = set()
        for cls in dominators[sigs[j]]:
            seen |= classes[cls]
            if len(seen) >= need:
                break
        keep[j] = len(seen) < need or int(ids[j]) in pinned
        mine = classes[sigs[j]]
        if len(mine) < need:
            mine.add(orgs[j] if orgs[j] is not None else ("#", int(j)))
    return np.flatnonzero(keep)


class _Model:
    """Variables, constraint rows tagged with the rule unit they belong to.

    Built on the eligible candidates left by `_reduce`; counts used in messages
    come from every eligible candidate.
    """

    def __init__(self, frame: pd.DataFrame, rules: SelectionRules, names: _Names) -> None:
        self.rules = rules
        self.names = names
        self.ref_of = dict(zip(frame["submission_id"].tolist(), frame["reference"].tolist(), strict=True))
        eligible = frame[frame["why_not"] == ""].reset_index(drop=True)
        self.eligible = eligible
        self.n_eligible = len(eligible)
        q_all = np.rint(eligible["score"].to_numpy() / SCORE_UNIT).astype(np.int64)
        self.score_rank = np.empty(len(eligible), dtype=np.int64)
        self.score_rank[np.lexsort((np.arange(len(eligible)), -q_all))] = np.arange(1, len(eligible) + 1)
        keep = _reduce(eligible, q_all, rules)
        self.cand = eligible.iloc[keep].reset_index(drop=True)
        self.ref_rank = keep.astype(np.int64)  # tie-break: position in reference order among all eligible
        self.rank = self.score_rank[keep]
        cand = self.cand
        n = len(cand)
        self.n = n
        self.ids = cand["submission_id"].to_numpy()
        self.pos_of = {int(sid): i for i, sid in enumerate(self.ids)}
        self.q = q_all[keep]
        self.rank_order = [int(i) for i in np.argsort(self.rank, kind="stable")]
        var_cand: list[int] = []
        var_fmt: list[str] = []
        self.cand_vars: list[list[int]] = []
        for i, pref in enumerate(cand["presentation_preference"].tolist()):
            mine = []
            for fmt in ABLE_TO_DO[pref]:
                mine.append(len(var_cand))
                var_cand.append(i)
                var_fmt.append(fmt)
            self.cand_vars.append(mine)
        self.var_cand = np.array(var_cand, dtype=np.int64)
        self.var_fmt = np.array(var_fmt, dtype=object)
        self.nvar = len(var_cand)

        rows: list[list[int]] = []
        lbs: list[float] = []
        ubs: list[float] = []
        tags: list[_Unit | None] = []
        self.units: list[_Unit] = []
        self.unit_counts: dict[_Unit, int] = {}

        def add(unit: _Unit | None, cands: Iterable[int] | None, lb: float, ub: float, var_idx=None) -> None:
            idx = list(var_idx) if var_idx is not None else [v for i in cands for v in self.cand_vars[i]]
            rows.append(idx)
            lbs.append(lb)
            ubs.append(ub)
            tags.append(unit)
            if unit is not None and unit not in self.unit_counts:
                self.units.append(unit)
                self.unit_counts[unit] = 0
            if unit is not None:
                self.unit_counts[unit] += 1

        # Structural: a presenter takes at most one place.
        for mine in self.cand_vars:
            if len(mine) > 1:
                add(None, None, 0, 1, var_idx=mine)
        everyone = range(n)
        add(_Unit("slots"), everyone, rules.slots, rules.slots)
        fmt = self.var_fmt
        add(_Unit("in_person"), None, -np.inf, rules.max_in_person, var_idx=np.flatnonzero(fmt == "in_person"))
        add(_Unit("virtual"), None, -np.inf, rules.max_virtual, var_idx=np.flatnonzero(fmt == "virtual"))
        # Counts over every eligible candidate (for messages), members in the model (for rows).
        prefs = eligible["presentation_preference"]
        self.can_in_person = int((prefs != "virtual").sum())
        self.can_virtual = int((prefs != "in_person").sum())
        self.theme_count: dict[str, int] = {}
        self.theme_members: dict[str, list[int]] = {}
        if rules.min_per_theme > 0:
            themes = rules.themes or tuple(sorted({t for ts in frame["themes"] for t in ts}))
            for theme in themes:
                self.theme_count[theme] = sum(theme in ts for ts in eligible["themes"])
                members = [i for i, ts in enumerate(cand["themes"]) if theme in ts]
                self.theme_members[theme] = members
                add(_Unit("theme", theme), members, rules.min_per_theme, np.inf)
        self.form_refs: dict[str, list[str]] = {}
        self.form_members: dict[str, list[int]] = {}
        if rules.one_per_exploitation_type:
            for ref, es in zip(eligible["reference"].tolist(), eligible["exploitation_types"].tolist(), strict=True):
                for e in es:
                    self.form_refs.setdefault(e, []).append(str(ref))
            for form in sorted(self.form_refs, key=names.form_order):
                members = [i for i, es in enumerate(cand["exploitation_types"]) if form in es]
                self.form_members[form] = members
                add(_Unit("exploitation", form), members, 1, np.inf)
        self.survivor_count = int(eligible["survivor"].sum())
        self.survivor_members = list(np.flatnonzero(cand["survivor"].to_numpy(dtype=bool)))
        if rules.min_survivor_involved > 0:
            add(_Unit("survivor"), self.survivor_members, rules.min_survivor_involved, np.inf)
        if rules.max_per_sector is not None:
            groups = cand.groupby("sector", sort=True).indices
            for sector, members in groups.items():
                if len(members) > rules.max_per_sector:
                    add(_Unit("sector", sector), members, -np.inf, rules.max_per_sector)
        self.org_display: dict[str, str] = {}
        if rules.max_per_organisation is not None:
            groups = cand.groupby("org_key", sort=True).indices
            spelled = cand["organisation"].tolist()
            for key, members in groups.items():
                if len(members) > rules.max_per_organisation:
                    self.org_display[key] = str(spelled[members[0]])
                    add(_Unit("organisation", key), members, -np.inf, rules.max_per_organisation)
        for sid in sorted(set(rules.pinned)):
            if int(sid) in self.pos_of:
                add(_Unit("pinned", int(sid)), [self.pos_of[int(sid)]], 1, np.inf)
        for sid in sorted(set(rules.excluded)):
            if int(sid) in self.pos_of:
                add(_Unit("excluded", int(sid)), [self.pos_of[int(sid)]], -np.inf, 0)

        data = np.ones(sum(len(r) for r in rows))
        indices = np.fromiter((v for r in rows for v in r), dtype=np.int64, count=len(data))
        indptr = np.cumsum([0, *(len(r) for r in rows)])
        self.A = sparse.csr_array((data, indices, indptr), shape=(len(rows), self.nvar))
        self.row_lb = np.array(lbs, dtype=float)
        self.row_ub = np.array(ubs, dtype=float)
        self.row_tag = tags
        self.row_family = np.array([t.family if t else "" for t in tags], dtype=object)

    # -- solving --

    def families(self) -> list[str]:
        return [f for f in FAMILIES if any(u.family == f for u in self.units)]

    def units_of(self, family: str) -> list[_Unit]:
        return [u for u in self.units if u.family == family]

    def _mask(self, active: frozenset[_Unit] | None) -> np.ndarray:
        if active is None:
            return np.ones(len(self.row_tag), dtype=bool)
        return np.array([t is None or t in active for t in self.row_tag], dtype=bool)

    def _milp(
        self,
        c: np.ndarray,
        mask: np.ndarray,
        cols: np.ndarray,
        extra: tuple[np.ndarray, float] | None = None,
        *,
        integral: bool = True,
    ):
        """Solve over the variables `cols` and the rows `mask` (plus one extra row `w @ x >= lb`)."""
        if len(cols) == 0:  # nobody left: feasible only if every row allows an empty line-up
            ok = bool(np.all(self.row_lb[mask] <= 0)) and (extra is None or extra[1] <= 0)
            return SimpleNamespace(status=0 if ok else 2, x=np.zeros(0), fun=0.0, message="")
        constraints = []
        if mask.any():
            constraints.append(LinearConstraint(self.A[mask][:, cols], self.row_lb[mask], self.row_ub[mask]))
        if extra is not None:
            constraints.append(LinearConstraint(extra[0][cols].reshape(1, -1), extra[1], np.inf))
        return milp(
            c[cols],
            integrality=np.full(len(cols), 1 if integral else 0),
            bounds=Bounds(np.zeros(len(cols)), np.ones(len(cols))),
            constraints=constraints,
            options={"mip_rel_gap": 0.0, "time_limit": SOLVER_TIME_LIMIT_S, "presolve": True},
        )

    @staticmethod
    def _check(res) -> bool:
        if res.status == 0:
            return True
        if res.status == 2:
            return False
        if res.status == 1:
            raise SolverDidNotFinish("The solver did not finish in time; try fewer candidates or looser rules.")
        raise SolverDidNotFinish(f"The solver stopped without an answer ({res.message}).")

    def _columns(self, candidates: Iterable[int]) -> np.ndarray:
        return np.array(sorted(v for i in candidates for v in self.cand_vars[i]), dtype=np.int64)

    def feasible(self, active: frozenset[_Unit]) -> bool:
        """Can some line-up keep the active rules? The LP relaxation answers most "no"s quickly,
        a solve over the best-ranked candidates most "yes"es; the full programme decides the rest."""
        if self.nvar == 0:
            return not any(self._unit_needs_someone(u) for u in active)
        mask = self._mask(active)
        zero = np.zeros(self.nvar)
        if not self._lp_feasible(mask, ()):
            return False
        if self.n > RESTRICT_START:
            forced = {self.pos_of[u.member] for u in active if u.family == "pinned"}
            cols = self._columns(set(self.rank_order[:RESTRICT_START]) | forced)
            if self._check(self._milp(zero, mask, cols)):
                return True
        return self._check(self._milp(zero, mask, np.arange(self.nvar)))

    def _lp_feasible(self, mask: np.ndarray, out: Iterable[int]) -> bool:
        out = set(out)
        res = self._milp(
            np.zeros(self.nvar), mask, self._columns(i for i in range(self.n) if i not in out), integral=False
        )
        return res.status != 2

    def _unit_needs_someone(self, unit: _Unit) -> bool:
        row = self.row_tag.index(unit)
        return self.row_lb[row] > 0

    def solve(
        self, active: frozenset[_Unit] | None = None, *, out: Iterable[int] = (), tie_break: bool = True
    ) -> _Solution | None:
        """The best line-up under the active units (None = all), without the candidates `out`.

        Solved first over the best-ranked candidates (and the active pins); the
        answer is accepted only when the LP relaxation proves that no line-up
        using anyone else reaches the same score, otherwise the set grows.
        """
        if self.nvar == 0:
            return None
        mask = self._mask(active)
        out = set(out)
        usable = [i for i in self.rank_order if i not in out]
        forced = {self.pos_of[u.member] for u in (self.units if active is None else active) if u.family == "pinned"}
        weights = self.q[self.var_cand].astype(float)
        size = RESTRICT_START
        while True:
            whole = size >= len(usable)
            chosen_set = set(usable) if whole else set(usable[:size]) | (forced - out)
            cols = self._columns(chosen_set)
            res = self._milp(-weights, mask, cols)
            if self._check(res):
                x = np.rint(res.x)
                best = round(float(weights[cols] @ x))
                if whole or self._nobody_else_reaches(mask, cols, out, weights, best):
                    break
            elif whole or not self._lp_feasible(mask, out):
                return None
            size *= 4
        if tie_break:
            res2 = self._milp(self.ref_rank[self.var_cand].astype(float), mask, cols, extra=(weights, best - 0.5))
            if self._check(res2):
                x = np.rint(res2.x)
        chosen = sorted({int(self.var_cand[cols[v]]) for v in np.flatnonzero(x > 0.5)})
        return _Solution(objective=int(self.q[chosen].sum()), chosen=chosen)

    def _nobody_else_reaches(
        self, mask: np.ndarray, cols: np.ndarray, out: set[int], weights: np.ndarray, best: int
    ) -> bool:
        """True when every line-up using a candidate outside `cols` scores below `best` (LP bound)."""
        allowed = self._columns(i for i in range(self.n) if i not in out)
        outside = np.ones(self.nvar)
        outside[cols] = 0
        res = self._milp(-weights, mask, allowed, extra=(outside, 1.0), integral=False)
        if res.status == 2:
            return True
        if res.status != 0:
            return False
        return -res.fun < best - 0.5

    def assign_formats(self, chosen: list[int]) -> dict[int, str]:
        """Formats for a feasible selection: either-format people in person first."""
        prefs = self.cand["presentation_preference"]
        fixed_in = sum(1 for i in chosen if prefs[i] == "in_person")
        room = self.rules.max_in_person - fixed_in
        out: dict[int, str] = {}
        for i in sorted(chosen, key=lambda i: self.rank[i]):
            pref = prefs[i]
            if pref == "either":
                out[i] = "in_person" if room > 0 else "virtual"
                room -= out[i] == "in_person"
            else:
                out[i] = pref
        return out


# --- words ------------------------------------------------------------------------


class _Names:
    """Labels for codes (from the call's configuration when given)."""

    def __init__(self, labels: Mapping[str, Mapping[str, str]] | None) -> None:
        self.labels = {k: dict(v) for k, v in (labels or {}).items()}
        forms = list(self.labels.get("exploitation_types", {}))
        self._form_rank = {f: i for i, f in enumerate(forms)}

    def of(self, kind: str, code: Any) -> str:
        return self.labels.get(kind, {}).get(code, str(code))

    def form_order(self, code: str) -> tuple[int, str]:
        return (self._form_rank.get(code, len(self._form_rank)), code)


def labels_from_config(config: CallConfig) -> dict[str, dict[str, str]]:
    return {name: config.vocabulary(name).labels() for name in ("themes", "exploitation_types", "sector")}


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _refs(refs: list[str], limit: int = 6) -> str:
    shown = ", ".join(refs[:limit])
    return shown + (f" and {len(refs) - limit} more" if len(refs) > limit else "")


def describe_family(family: str, rules: SelectionRules) -> str:
    """A rule family in words."""
    return {
        "slots": f"exactly {_plural(rules.slots, 'presenter')}",
        "in_person": f"at most {rules.max_in_person} in person",
        "virtual": f"at most {rules.max_virtual} virtual",
        "theme": f"at least {rules.min_per_theme} per theme",
        "exploitation": "at least one per form of exploitation that an eligible submission covers",
        "survivor": f"at least {rules.min_survivor_involved} survivor-led or survivor-informed",
        "sector": f"at most {rules.max_per_sector} per sector",
        "organisation": f"at most {rules.max_per_organisation} per organisation",
        "pinned": "pinned submissions in",
        "excluded": "excluded submissions out",
    }[family]


def _describe_unit(model: _Model, unit: _Unit, *, whole_family: bool) -> str:
    rules, names = model.rules, model.names
    f, m = unit.family, unit.member
    if whole_family:
        if f in ("pinned", "excluded"):
            return f"the {f} submissions (" + _refs([model.ref_of[u.member] for u in model.units_of(f)]) + ")"
        return describe_family(f, rules)
    if f == "theme":
        n = model.theme_count[m]
        return f"at least {rules.min_per_theme} on the theme “{names.of('themes', m)}” ({n} eligible cover it)"
    if f == "exploitation":
        return f"at least one on “{names.of('exploitation_types', m)}” (covered only by {_refs(model.form_refs[m])})"
    if f == "survivor":
        n = model.survivor_count
        return f"at least {rules.min_survivor_involved} survivor-led or survivor-informed ({n} eligible qualify)"
    if f == "sector":
        return f"at most {rules.max_per_sector} from the sector “{names.of('sector', m)}”"
    if f == "organisation":
        return f"at most {rules.max_per_organisation} from the organisation “{model.org_display.get(m, m)}”"
    if f in ("pinned", "excluded"):
        return f"{model.ref_of[m]} {f}"
    return describe_family(f, rules)


def _blocker_message(model: _Model, units: list[_Unit], whole: set[str]) -> str:
    rules = model.rules
    families = {u.family for u in units}
    can_in, can_virtual = model.can_in_person, model.can_virtual
    if families == {"slots"}:
        return (
            f"There are {_plural(rules.slots, 'slot')} but only {_plural(model.n_eligible, 'eligible submission')} "
            "(scored, not anonymous and able to present)."
        )
    if families <= {"slots", "in_person", "virtual"}:
        text = (
            f"There are {_plural(rules.slots, 'slot')} but at most {rules.max_in_person} in person "
            f"and {rules.max_virtual} virtual"
        )
        if (
            "in_person" not in families
            or "virtual" not in families
            or rules.max_in_person + rules.max_virtual >= rules.slots
        ):
            text += f", and of the eligible submissions {can_in} can present in person and {can_virtual} virtually"
        return text + "."
    for family, column, cap, per in (
        ("sector", "sector", rules.max_per_sector, "sector"),
        ("organisation", "org_key", rules.max_per_organisation, "organisation"),
    ):
        if families == {"slots", family} and cap is not None:
            groups = model.eligible[column].value_counts()
            fill = int(groups.clip(upper=cap).sum()) + int(model.eligible[column].isna().sum())
            return (
                f"There are {_plural(rules.slots, 'slot')} but with at most {cap} per {per} the eligible "
                f"submissions can fill only {fill}."
            )
    if len(units) == 1 and not whole:
        unit = units[0]
        if unit.family == "theme":
            n = model.theme_count[unit.member]
            label = model.names.of("themes", unit.member)
            if n == 0:
                return f"No eligible submission covers the theme “{label}”, which needs at least {rules.min_per_theme}."
            return (
                f"At least {rules.min_per_theme} presenters on the theme “{label}” are required, "
                f"but only {_plural(n, 'eligible submission')} cover{'s' if n == 1 else ''} it."
            )
        if unit.family == "survivor":
            n = model.survivor_count
            if n == 0:
                return "No eligible submission is survivor-led or survivor-informed."
            return (
                f"At least {rules.min_survivor_involved} survivor-led or survivor-informed presenters are required, "
                f"but only {_plural(n, 'eligible submission')} {'is' if n == 1 else 'are'}."
            )
    pinned = [u for u in units if u.family == "pinned"]
    if families == {"slots", "pinned"} and len(pinned) > rules.slots:
        return f"{_plural(len(pinned), 'submission is', 'submissions are')} pinned but there are only {_plural(rules.slots, 'slot')}."
    parts = [_describe_unit(model, u, whole_family=u.family in whole) for u in units]
    return "These rules cannot all be met together: " + "; ".join(parts) + "."


def _find_blockers(model: _Model) -> list[Blocker]:
    """Minimal sets of rules that block every line-up, found by deletion filtering."""
    blockers: list[Blocker] = []
    relaxed: set[_Unit] = set()
    all_units = [u for u in model.units if u not in relaxed]
    for _ in range(MAX_BLOCKERS):
        pool = frozenset(u for u in all_units if u not in relaxed)
        if model.feasible(pool):
            break
        families = [f for f in _FILTER_ORDER if any(u.family == f for u in pool)]
        keep = list(families)
        for fam in families:
            trial = [f for f in keep if f != fam]
            if not model.feasible(frozenset(u for u in pool if u.family in trial)):
                keep = trial
        units = [u for u in pool if u.family in keep]
        whole: set[str] = set()
        for fam in keep:
            mine = [u for u in units if u.family == fam]
            if len(mine) <= 1:
                continue
            if len(mine) > REFINE_LIMIT:
                whole.add(fam)
                continue
            for unit in mine:
                trial_units = [u for u in units if u != unit]
                if not model.feasible(frozenset(trial_units)):
                    units = trial_units
        units.sort(key=lambda u: (FAMILIES.index(u.family), str(u.member)))
        blockers.append(
            Blocker(families=tuple(f for f in FAMILIES if f in keep), message=_blocker_message(model, units, whole))
        )
        relaxed |= {u for u in pool if u.family in whole and u.family in keep} | set(units)
    return blockers


def _precheck(frame: pd.DataFrame, rules: SelectionRules) -> list[Blocker]:
    """Pins that can never hold: unknown, ineligible, or also excluded."""
    out: list[Blocker] = []
    by_id = frame.set_index("submission_id")
    for sid in sorted(set(rules.pinned)):
        if sid not in by_id.index:
            out.append(Blocker(("pinned",), f"Pinned submission {sid} is not among the candidates."))
            continue
        row = by_id.loc[sid]
        if sid in set(rules.excluded):
            out.append(Blocker(("pinned", "excluded"), f"{row['reference']} is both pinned and excluded."))
        elif row["why_not"]:
            out.append(Blocker(("pinned",), f"{row['reference']} is pinned but cannot be selected: {row['why_not']}."))
    return out


# --- explanations ------------------------------------------------------------------


def _reasons(
    model: _Model, i: int, chosen: list[int], top: set[int], rank: int
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    rules, names, cand = model.rules, model.names, model.cand
    sid = int(model.ids[i])
    satisfies: list[str] = []
    reasons = [f"score {cand['score'].iloc[i]:.2f}, {_ordinal(rank)} of {model.n_eligible} eligible"]
    reasons.append(f"in the plain top {rules.slots}" if sid in top else f"not in the plain top {rules.slots}")
    if sid in set(rules.pinned):
        satisfies.append("pinned")
        reasons.append("pinned by hand")
    for theme, members in model.theme_members.items():
        if i in members:
            satisfies.append("theme")
            count = sum(1 for j in chosen if j in set(members))
            tight = " (needed to reach the minimum)" if count <= rules.min_per_theme else ""
            reasons.append(f"theme “{names.of('themes', theme)}”{tight}")
    for form, members in model.form_members.items():
        if i in members:
            satisfies.append("exploitation")
            only = sum(1 for j in chosen if j in set(members)) == 1
            reasons.append(f"{'the only pick on' if only else 'covers'} “{names.of('exploitation_types', form)}”")
    if cand["survivor"].iloc[i]:
        satisfies.append("survivor")
        if rules.min_survivor_involved > 0:
            count = sum(1 for j in chosen if cand["survivor"].iloc[j])
            tight = " (needed to reach the minimum)" if count <= rules.min_survivor_involved else ""
        else:
            tight = ""
        reasons.append("survivor-led or survivor-informed" + tight)
    return tuple(dict.fromkeys(satisfies)), tuple(reasons)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def active_families(rules: SelectionRules) -> list[str]:
    """The rule families these rules switch on, in display order."""
    on = {
        "slots": True,
        "in_person": True,
        "virtual": True,
        "theme": rules.min_per_theme > 0,
        "exploitation": rules.one_per_exploitation_type,
        "survivor": rules.min_survivor_involved > 0,
        "sector": rules.max_per_sector is not None,
        "organisation": rules.max_per_organisation is not None,
        "pinned": bool(rules.pinned),
        "excluded": bool(rules.excluded),
    }
    return [f for f in FAMILIES if on[f]]


def _rule_costs(model: _Model, best: int, top_objective: int) -> list[RuleCost]:
    """Per rule: score given up against the line-up without it, and alone against the plain top N.

    A rule that no candidate could break (e.g. no sector has more eligible
    submissions than its cap) has no constraint in the model and costs 0.
    """
    costs: list[RuleCost] = []
    everything = frozenset(model.units)
    slots = frozenset(model.units_of("slots"))
    for fam in active_families(model.rules):
        if fam == "slots":
            continue
        mine = frozenset(model.units_of(fam))
        if not mine:
            costs.append(RuleCost(fam, describe_family(fam, model.rules), 0.0, 0.0))
            continue
        without = model.solve(everything - mine, tie_break=False)
        alone = model.solve(slots | mine, tie_break=False)
        given_up = (without.objective - best) * SCORE_UNIT if without else math.nan
        alone_cost = (top_objective - alone.objective) * SCORE_UNIT if alone else math.nan
        costs.append(RuleCost(fam, describe_family(fam, model.rules), round(given_up, 6), round(alone_cost, 6)))
    return costs


def _replacement(model: _Model, i: int, chosen: list[int], best: int) -> tuple[Replacement | None, str]:
    sid = int(model.ids[i])
    active = frozenset(u for u in model.units if u != _Unit("pinned", sid))
    alt = model.solve(active, out=[i])
    if alt is None:
        return None, "no line-up without it keeps every rule"
    entering = tuple(int(model.ids[j]) for j in alt.chosen if j not in chosen)
    leaving = tuple(int(model.ids[j]) for j in chosen if j not in alt.chosen and j != i)
    return Replacement(entering, leaving, round((alt.objective - best) * SCORE_UNIT, 6)), ""


# --- the entry points --------------------------------------------------------------


def select_presenters(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
    explain: bool = True,
) -> SelectionResult:
    """The best balanced line-up under `rules`, or the rules that block it.

    `candidates`: one row per submission (a `submission_id` column or index),
    with `reference`, `score` (the calibrated score; NaN = not scored),
    `anonymous`, `presentation_preference`, `themes` and `exploitation_types`
    (lists of codes), `sector`, `evidence_source` and `organisation`.
    `labels`: {"themes"|"exploitation_types"|"sector": {code: label}} for the
    words (`labels_from_config`). `explain`: also measure each rule's cost and
    each pick's best replacement (more solves).
    """
    problems = rules.problems()
    if problems:
        raise SelectionError(" ".join(problems))
    frame = prepare_candidates(candidates)
    names = _Names(labels)
    notes = _notes(frame, rules, names)
    pre = _precheck(frame, rules)
    eligible = int((frame["why_not"] == "").sum())
    if pre:
        return SelectionResult(rules=rules, feasible=False, blockers=tuple(pre), notes=notes, eligible=eligible)
    model = _Model(frame, rules, names)
    top = top_n(frame, rules.slots)
    top_ids = tuple(int(s) for s in top["submission_id"])
    top_objective = int(np.rint(top["score"].to_numpy() / SCORE_UNIT).sum())
    solution = model.solve()
    if solution is None:
        blockers = (
            _find_blockers(model)
            if model.nvar
            else [Blocker(("slots",), _blocker_message(model, [_Unit("slots")], set()))]
        )
        return SelectionResult(
            rules=rules,
            feasible=False,
            blockers=tuple(blockers),
            notes=notes,
            top_n=top_ids,
            top_n_objective=top_objective * SCORE_UNIT,
            eligible=eligible,
            considered=model.n,
        )
    chosen = solution.chosen
    formats = model.assign_formats(chosen)
    top_set = set(top_ids)
    picks = []
    for i in sorted(chosen, key=lambda i: model.rank[i]):
        satisfies, reasons = _reasons(model, i, chosen, top_set, int(model.rank[i]))
        replacement, note = _replacement(model, i, chosen, solution.objective) if explain else (None, "")
        picks.append(
            Pick(
                submission_id=int(model.ids[i]),
                reference=str(model.cand["reference"].iloc[i]),
                format=formats[i],
                score=float(model.cand["score"].iloc[i]),
                rank=int(model.rank[i]),
                pinned=int(model.ids[i]) in set(rules.pinned),
                in_top_n=int(model.ids[i]) in top_set,
                satisfies=satisfies,
                reasons=reasons,
                replacement=replacement,
                replacement_note=note,
            )
        )
    costs = _rule_costs(model, solution.objective, top_objective) if explain else []
    return SelectionResult(
        rules=rules,
        feasible=True,
        picks=tuple(picks),
        objective=round(solution.objective * SCORE_UNIT, 6),
        top_n=top_ids,
        top_n_objective=round(top_objective * SCORE_UNIT, 6),
        rule_costs=tuple(costs),
        notes=notes,
        eligible=eligible,
        considered=model.n,
    )


def _notes(frame: pd.DataFrame, rules: SelectionRules, names: _Names) -> tuple[str, ...]:
    notes: list[str] = []
    why = frame["why_not"][frame["why_not"] != ""].value_counts()
    if len(why):
        parts = ", ".join(f"{n} {reason}" for reason, n in why.items())
        notes.append(f"{_plural(int(why.sum()), 'submission is', 'submissions are')} never eligible: {parts}.")
    if rules.one_per_exploitation_type:
        eligible = frame[frame["why_not"] == ""]
        covered = {e for es in eligible["exploitation_types"] for e in es}
        known = set(names.labels.get("exploitation_types", {})) | {e for es in frame["exploitation_types"] for e in es}
        missing = sorted(known - covered, key=names.form_order)
        if missing:
            words = ", ".join(f"“{names.of('exploitation_types', e)}”" for e in missing)
            notes.append(
                f"No eligible submission covers {words}, so a presenter on {'it' if len(missing) == 1 else 'them'} "
                "is not required."
            )
    notes.append(
        f"Scores are compared to {SCORE_DECIMALS} decimal places; equal totals are broken by reference order "
        "(earlier references first). Presenters who can do either format go in person while places remain."
    )
    return tuple(notes)


def rule_violations(
    candidates: pd.DataFrame,
    rules: SelectionRules,
    members: Mapping[int, str],
    *,
    labels: Mapping[str, Mapping[str, str]] | None = None,
) -> list[str]:
    """Every rule a given line-up (submission_id -> format) breaks, in words."""
    frame = prepare_candidates(candidates).set_index("submission_id")
    names = _Names(labels)
    out: list[str] = []
    picked = [int(s) for s in members]
    if len(picked) != rules.slots:
        out.append(f"The line-up has {len(picked)} presenters, not {rules.slots}.")
    unknown = [s for s in picked if s not in frame.index]
    if unknown:
        out.append(f"{_plural(len(unknown), 'member is', 'members are')} not among the submissions.")
    rows = frame.loc[[s for s in picked if s in frame.index]]
    for sid, row in rows.iterrows():
        fmt = members[sid]
        if row["why_not"]:
            out.append(f"{row['reference']} cannot be selected: {row['why_not']}.")
        elif fmt not in ABLE_TO_DO[row["presentation_preference"]]:
            out.append(f"{row['reference']} cannot present {FORMAT_LABELS.get(fmt, fmt).lower()}.")
        if sid in set(rules.excluded):
            out.append(f"{row['reference']} is excluded.")
    fmts = [members[s] for s in picked]
    if fmts.count("in_person") > rules.max_in_person:
        out.append(f"{fmts.count('in_person')} in person, more than {rules.max_in_person}.")
    if fmts.count("virtual") > rules.max_virtual:
        out.append(f"{fmts.count('virtual')} virtual, more than {rules.max_virtual}.")
    for sid in sorted(set(rules.pinned) - set(picked)):
        ref = frame.loc[sid, "reference"] if sid in frame.index else str(sid)
        out.append(f"{ref} is pinned but not in the line-up.")
    if rules.min_per_theme > 0:
        for theme in rules.themes or sorted({t for ts in frame["themes"] for t in ts}):
            n = sum(theme in ts for ts in rows["themes"])
            if n < rules.min_per_theme:
                out.append(f"Only {n} on the theme “{names.of('themes', theme)}”, fewer than {rules.min_per_theme}.")
    if rules.one_per_exploitation_type:
        eligible = frame[frame["why_not"] == ""]
        for form in sorted({e for es in eligible["exploitation_types"] for e in es}, key=names.form_order):
            if not any(form in es for es in rows["exploitation_types"]):
                out.append(f"No presenter on “{names.of('exploitation_types', form)}”.")
    n_survivor = int(rows["survivor"].sum())
    if n_survivor < rules.min_survivor_involved:
        out.append(f"Only {n_survivor} survivor-led or survivor-informed, fewer than {rules.min_survivor_involved}.")
    if rules.max_per_sector is not None:
        for sector, n in rows["sector"].dropna().value_counts().items():
            if n > rules.max_per_sector:
                out.append(f"{n} from the sector “{names.of('sector', sector)}”, more than {rules.max_per_sector}.")
    if rules.max_per_organisation is not None:
        for _key, group in rows.dropna(subset=["org_key"]).groupby("org_key"):
            if len(group) > rules.max_per_organisation:
                out.append(
                    f"{len(group)} from one organisation ({', '.join(group['reference'])}), "
                    f"more than {rules.max_per_organisation}."
                )
    return out


__all__ = [
    "FAMILIES",
    "FORMAT_LABELS",
    "Blocker",
    "Pick",
    "Replacement",
    "RuleCost",
    "SelectionError",
    "SelectionResult",
    "SelectionRules",
    "SolverDidNotFinish",
    "active_families",
    "describe_family",
    "labels_from_config",
    "rule_violations",
    "select_presenters",
    "survivor_involved",
    "top_n",
]
