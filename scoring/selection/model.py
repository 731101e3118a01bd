"""The integer programme: the exact reduction of the candidates, the variables, the rows each rule
family contributes (tagged with their `Unit`), and the solves (best line-up, feasibility)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from scoring.selection.family import Row, RuleFamily, StandIn, Unit
from scoring.selection.rules import ABLE_TO_DO, SCORE_UNIT, SelectionRules, SolverDidNotFinish
from scoring.selection.words import Names

SOLVER_TIME_LIMIT_S = 60.0
RESTRICT_START = 150  # candidates in the first restricted solve


@dataclass
class Solution:
    objective: int
    chosen: list[int]  # candidate positions in the model


def reduce(eligible: pd.DataFrame, q: np.ndarray, rules: SelectionRules, families: Sequence[RuleFamily]) -> np.ndarray:
    """Positions of the eligible candidates that some best line-up could use.

    Exact: candidate j is dropped only when better-ranked candidates (higher
    score, or equal score and earlier reference) that can stand in for j
    under every active family (`RuleFamily.stand_in`: every format j can do,
    a superset of j's themes and forms, survivor-involved if j is, the same
    sector) come from at least N + |excluded| + 1 distinct organisations.
    Then in any line-up holding j, one of them is unused, not excluded or
    left out, and from an organisation with nobody else in the line-up;
    swapping it for j keeps every rule and improves the objective (or its
    tie-break), so no optimal or feasible line-up needs j, whichever subset
    of rules is active. Pinned candidates are always kept.
    """
    n = len(eligible)
    if n == 0:
        return np.arange(0)
    parts = [f.stand_in(eligible, rules) for f in families if f.active(rules)]
    distinct = [p.distinct for p in parts if p.distinct is not None]
    if len(distinct) > 1:  # stand-ins would have to differ in two ways at once: keep everyone
        return np.arange(n)
    need = rules.slots + sum(p.extra for p in parts) + 1
    keys = distinct[0] if distinct else [None] * n
    keep_ids = frozenset().union(*(p.keep for p in parts))
    sigs = _signatures(parts, n)
    dominators = _dominators(sigs)
    classes: dict[tuple, set] = {sig: set() for sig in dominators}  # the stand-ins seen so far, per signature
    ids = eligible["submission_id"].to_numpy()
    keep = np.zeros(n, dtype=bool)
    for j in np.lexsort((np.arange(n), -q)):
        seen: set = set()
        for cls in dominators[sigs[j]]:
            seen |= classes[cls]
            if len(seen) >= need:
                break
        keep[j] = len(seen) < need or int(ids[j]) in keep_ids
        mine = classes[sigs[j]]
        if len(mine) < need:
            mine.add(keys[j] if keys[j] is not None else ("#", int(j)))
    return np.flatnonzero(keep)


def _dominators(sigs: list[tuple[frozenset, tuple]]) -> dict[tuple, list[tuple]]:
    """Per distinct signature, the signatures whose candidates can stand in for it (itself included)."""
    by_group: dict[tuple, list[tuple]] = {}
    for sig in dict.fromkeys(sigs):
        by_group.setdefault(sig[1], []).append(sig)
    return {sig: [c for c in group if c[0] >= sig[0]] for group in by_group.values() for sig in group}


def _signatures(parts: list[StandIn], n: int) -> list[tuple[frozenset, tuple]]:
    """Per candidate: what it covers, every family's together (tagged with the family's place, so
    that one superset test compares every family at once); and the groups it must share with a stand-in."""
    covers = [p.covers for p in parts if p.covers is not None]
    groups = [p.group for p in parts if p.group is not None]
    tagged: dict[tuple, frozenset] = {}
    cover_rows = []
    for row in zip(*covers, strict=True) if covers else [()] * n:
        if row not in tagged:
            tagged[row] = frozenset((k, x) for k, cover in enumerate(row) for x in cover)
        cover_rows.append(tagged[row])
    group_rows = list(zip(*groups, strict=True)) if groups else [()] * n
    return list(zip(cover_rows, group_rows, strict=True))


class Model:
    """Variables, constraint rows tagged with the rule unit they belong to.

    Built on the eligible candidates left by `reduce`; counts used in messages
    come from every eligible candidate. `facts[family]` holds what a family
    worked out while adding its rows (members per theme, counts), for its
    messages and reasons.
    """

    def __init__(
        self, frame: pd.DataFrame, rules: SelectionRules, names: Names, families: Sequence[RuleFamily]
    ) -> None:
        self.rules = rules
        self.names = names
        self.frame = frame
        self.families = tuple(families)
        self.active = tuple(f for f in self.families if f.active(rules))
        self.facts: dict[str, dict[str, Any]] = {}
        self.ref_of = dict(zip(frame["submission_id"].tolist(), frame["reference"].tolist(), strict=True))
        self._candidates(frame[frame["why_not"] == ""].reset_index(drop=True))
        self._variables()
        self._rows()

    def _candidates(self, eligible: pd.DataFrame) -> None:
        self.eligible = eligible
        self.n_eligible = len(eligible)
        q_all = np.rint(eligible["score"].to_numpy() / SCORE_UNIT).astype(np.int64)
        self.score_rank = np.empty(len(eligible), dtype=np.int64)
        self.score_rank[np.lexsort((np.arange(len(eligible)), -q_all))] = np.arange(1, len(eligible) + 1)
        keep = reduce(eligible, q_all, self.rules, self.families)
        self.cand = eligible.iloc[keep].reset_index(drop=True)
        self.ref_rank = keep.astype(np.int64)  # tie-break: position in reference order among all eligible
        self.rank = self.score_rank[keep]
        self.n = len(self.cand)
        self.ids = self.cand["submission_id"].to_numpy()
        self.pos_of = {int(sid): i for i, sid in enumerate(self.ids)}
        self.q = q_all[keep]
        self.rank_order = [int(i) for i in np.argsort(self.rank, kind="stable")]

    def _variables(self) -> None:
        """A binary variable per (candidate, format it can do)."""
        var_cand: list[int] = []
        var_fmt: list[str] = []
        self.cand_vars: list[list[int]] = []
        for i, pref in enumerate(self.cand["presentation_preference"].tolist()):
            mine = []
            for fmt in ABLE_TO_DO[pref]:
                mine.append(len(var_cand))
                var_cand.append(i)
                var_fmt.append(fmt)
            self.cand_vars.append(mine)
        self.var_cand = np.array(var_cand, dtype=np.int64)
        self.var_fmt = np.array(var_fmt, dtype=object)
        self.nvar = len(var_cand)

    def _rows(self) -> None:
        # Structural: a presenter takes at most one place.
        rows: list[tuple[Unit | None, list[int], float, float]] = [
            (None, list(mine), 0.0, 1.0) for mine in self.cand_vars if len(mine) > 1
        ]
        units: dict[Unit, None] = {}
        for family in self.active:
            for row in family.constraints(self):
                rows.append((row.unit, self._row_variables(row), row.lb, row.ub))
                units[row.unit] = None
        self.units: list[Unit] = list(units)
        data = np.ones(sum(len(r[1]) for r in rows))
        indices = np.fromiter((v for r in rows for v in r[1]), dtype=np.int64, count=len(data))
        indptr = np.cumsum([0, *(len(r[1]) for r in rows)])
        self.A = sparse.csr_array((data, indices, indptr), shape=(len(rows), self.nvar))
        self.row_lb = np.array([r[2] for r in rows], dtype=float)
        self.row_ub = np.array([r[3] for r in rows], dtype=float)
        self.row_tag: list[Unit | None] = [r[0] for r in rows]
        # The row "exactly N presenters" (Slots), when the rules are not blocked before it is built.
        self._slots_row = next((k for k, tag in enumerate(self.row_tag) if tag == Unit("slots")), None)
        forcing = {f.name for f in self.families if f.forces_in}
        self._forced_units = [u for u in self.units if u.family in forcing]

    def _row_variables(self, row: Row) -> list[int]:
        if row.variables is not None:
            return list(row.variables)
        assert row.members is not None, "a row names its members or its variables"
        return [v for i in row.members for v in self.cand_vars[i]]

    def family(self, name: str) -> RuleFamily:
        return next(f for f in self.families if f.name == name)

    def display_index(self, name: str) -> int:
        return next(k for k, f in enumerate(self.families) if f.name == name)

    def units_of(self, family: str) -> list[Unit]:
        return [u for u in self.units if u.family == family]

    def _forced(self, active: Iterable[Unit] | None) -> set[int]:
        """Positions that the active units force into the line-up (the pins)."""
        if active is None:
            units = self._forced_units
        else:
            forcing = set(self._forced_units)
            units = [u for u in active if u in forcing]
        return {self.pos_of[u.member] for u in units}

    # -- solving --

    def _mask(self, active: frozenset[Unit] | None) -> np.ndarray:
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

    def feasible(self, active: frozenset[Unit]) -> bool:
        """Can some line-up keep the active rules? The LP relaxation answers most "no"s quickly,
        a solve over the best-ranked candidates most "yes"es; the full programme decides the rest."""
        if self.nvar == 0:
            return not any(self._unit_needs_someone(u) for u in active)
        mask = self._mask(active)
        zero = np.zeros(self.nvar)
        if not self._lp_feasible(mask, ()):
            return False
        if self.n > RESTRICT_START:
            forced = self._forced(active)
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

    def _unit_needs_someone(self, unit: Unit) -> bool:
        row = self.row_tag.index(unit)
        return self.row_lb[row] > 0

    def solve(
        self, active: frozenset[Unit] | None = None, *, out: Iterable[int] = (), tie_break: bool = True
    ) -> Solution | None:
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
        forced = self._forced(active)
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
        return Solution(objective=int(self.q[chosen].sum()), chosen=chosen)

    def top_positions(self) -> list[int]:
        """The plain top N (`candidates.top_n`: highest score, then earliest reference) as positions in the
        model; `reduce` always keeps them (fewer than N candidates rank above any of them)."""
        return [i for i in self.rank_order if self.rank[i] <= self.rules.slots]

    def holds(self, members: Sequence[int], active: frozenset[Unit]) -> bool:
        """Can exactly the candidates `members` (positions), formats assigned as the rules allow, keep the
        active units? A small programme over their variables only; False when it cannot say."""
        if not members:
            return False
        cols = self._columns(members)
        mask = self._mask(active)
        place = np.zeros((len(members), len(cols)))
        where = {int(v): k for k, v in enumerate(cols)}
        for row, i in enumerate(members):
            for v in self.cand_vars[i]:
                place[row, where[v]] = 1.0
        constraints = [LinearConstraint(place, 1.0, 1.0)]  # each of them takes one place
        if mask.any():
            constraints.append(LinearConstraint(self.A[mask][:, cols], self.row_lb[mask], self.row_ub[mask]))
        res = milp(
            np.zeros(len(cols)),
            integrality=np.ones(len(cols)),
            bounds=Bounds(np.zeros(len(cols)), np.ones(len(cols))),
            constraints=constraints,
            options={"time_limit": SOLVER_TIME_LIMIT_S, "presolve": True},
        )
        return res.status == 0

    def _nobody_else_reaches(
        self, mask: np.ndarray, cols: np.ndarray, out: set[int], weights: np.ndarray, best: int
    ) -> bool:
        """True when every line-up using a candidate outside `cols` scores below `best` (LP bound).

        With "exactly N presenters" in force, such a line-up scores at most the N - 1 best allowed candidates
        and the best allowed one outside `cols`: when even that is below `best`, the LP is not needed."""
        if self._slots_row is not None and mask[self._slots_row]:
            bound = self._top_bound(cols, out)
            if bound is not None and bound < best - 0.5:
                return True
        allowed = self._columns(i for i in range(self.n) if i not in out)
        outside = np.ones(self.nvar)
        outside[cols] = 0
        res = self._milp(-weights, mask, allowed, extra=(outside, 1.0), integral=False)
        if res.status == 2:
            return True
        if res.status != 0:
            return False
        return -res.fun < best - 0.5

    def _top_bound(self, cols: np.ndarray, out: set[int]) -> int | None:
        """The most that N presenters, one of them outside `cols` and none in `out`, can score (None: nobody
        is outside)."""
        inside = set(self.var_cand[cols].tolist())
        allowed = [i for i in self.rank_order if i not in out]  # best score first
        outside = next((i for i in allowed if i not in inside), None)
        if outside is None:
            return None
        return int(self.q[allowed[: max(self.rules.slots - 1, 0)]].sum()) + int(self.q[outside])

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
