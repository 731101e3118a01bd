"""Expertise and bids in the assignment: how well a reviewer fits a submission.

Reviewers state their expertise (the call's themes and focus areas) and may
bid on submissions: eager, willing or rather not (a "conflict" bid is a
declared conflict of interest and never reaches this module: the pair is
excluded). A pair's *fit* is

    bid weight (eager, willing, rather not; 0 without a bid)
    + theme weight x themes the submission and the reviewer's expertise share
    + focus weight x focus areas they share

with the weights of `[assignment]` in config/call.toml, counted in hundredths
(`UNITS`) so that sums are exact.

Where fit enters (`scoring.assignment`): coverage first, then balanced loads,
exactly as without fit (the same classes, the same flow, so the same loads);
then, among the plans with those loads and the same number of new reviewers
per submission, the one of greatest total fit (`best_fit_flow`), and among
those the one closest to the pair-spreading share (`_spread_classes`), which
the dealing and the swaps of `scoring.mixing` then mix without ever lowering
the fit. So fit comes before mixing: a swap that would spread pairs at the
cost of a bid is not made.

The fit step is a transportation problem: classes of submissions with the same
eligible reviewers, need and fit row (`refine`) send their places to
reviewers, each reviewer taking exactly their load, each class giving a
reviewer at most one place per member. Its constraint matrix is totally
unimodular, so the linear optimum HiGHS finds is integral; `scipy.optimize.milp`
is asked for integers all the same, which costs nothing at a vertex. To stay
close to the spread share, each class-reviewer edge is split in two: places up
to the share are free, each one beyond it costs `1 / (places + 1)` of a fit
unit, less in all than one unit of fit, so fit is never traded for it.

Pure: plain data in, arrays out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import coo_array

BID_LEVELS = ("eager", "willing", "rather_not")
BID_LABELS = {"eager": "Eager", "willing": "Willing", "rather_not": "Rather not", "conflict": "Conflict of interest"}
UNITS = 100  # fit is counted in hundredths


@dataclass(frozen=True)
class FitWeights:
    """How much each bid level and each shared theme or focus area is worth."""

    eager: float = 3.0
    willing: float = 1.0
    rather_not: float = -3.0
    theme: float = 1.0
    focus_area: float = 0.5
    # fit a mixing swap may give up per unit of the sum of squared pair
    # overlaps it removes (0: fit strictly before mixing)
    mixing: float = 0.0

    def units(self, name: str) -> int:
        return round(getattr(self, name) * UNITS)


@dataclass(frozen=True)
class FitInput:
    """What the solver needs to know about fit: bids by (submission id,
    reviewer id), each reviewer's expertise keys, each submission's themes and
    focus areas."""

    weights: FitWeights = field(default_factory=FitWeights)
    bids: Mapping[tuple[int, int], str] = field(default_factory=dict)
    expertise: Mapping[int, frozenset[str]] = field(default_factory=dict)
    topics: Mapping[int, frozenset[str]] = field(default_factory=dict)  # submission id -> theme and focus keys
    themes: frozenset[str] = frozenset()  # which keys are themes (the rest are focus areas)

    def matters(self) -> bool:
        """Could fit change anything? No bids and no expertise: no."""
        has_bids = any(self.weights.units(level) for level in set(self.bids.values()))
        has_expertise = any(self.expertise.values()) and (
            self.weights.units("theme") or self.weights.units("focus_area")
        )
        return bool(has_bids or has_expertise)

    def pair(self, submission_id: int, reviewer_id: int) -> int:
        """The fit of one pair, in UNITS."""
        level = self.bids.get((submission_id, reviewer_id))
        value = self.weights.units(level) if level in BID_LEVELS else 0
        shared = self.topics.get(submission_id, frozenset()) & self.expertise.get(reviewer_id, frozenset())
        themes = len(shared & self.themes)
        return value + themes * self.weights.units("theme") + (len(shared) - themes) * self.weights.units("focus_area")

    def matrix(self, submission_ids: Iterable[int], reviewer_ids: Iterable[int]) -> np.ndarray:
        """Submissions x reviewers: the fit of each pair, in UNITS."""
        subs, revs = list(submission_ids), list(reviewer_ids)
        out = np.zeros((len(subs), len(revs)), dtype=np.int64)
        r_at = {r: j for j, r in enumerate(revs)}
        s_at = {s: i for i, s in enumerate(subs)}
        weights = self.weights
        for (s, r), level in self.bids.items():
            if s in s_at and r in r_at and level in BID_LEVELS:
                out[s_at[s], r_at[r]] += weights.units(level)
        known = {key for r in revs for key in self.expertise.get(r, ())}
        if known:  # submissions x keys @ (keys x reviewers, weighted by key kind)
            keys = sorted(known)
            k_at = {key: q for q, key in enumerate(keys)}
            has = np.zeros((len(subs), len(keys)), dtype=np.int64)
            for i, s in enumerate(subs):
                for key in self.topics.get(s, ()):
                    if key in k_at:
                        has[i, k_at[key]] = 1
            worth = np.array([weights.units("theme" if key in self.themes else "focus_area") for key in keys])
            knows = np.zeros((len(keys), len(revs)), dtype=np.int64)
            for j, r in enumerate(revs):
                for key in self.expertise.get(r, ()):
                    knows[k_at[key], j] = worth[k_at[key]]
            out += has @ knows
        return out


def refine(members, flow, score_of_row) -> tuple[list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
    """Split each class of submissions by fit row.

    `members[c]`: the rows of class c in order; `flow[c, j]`: places of class
    c that reviewer j takes; `score_of_row(i)`: row i's fit row. Returns the
    finer classes' members, their parent class, their totals (each member
    counted as the dealing would: the first `extra` one more) and their fit
    rows."""
    fine_members: list[np.ndarray] = []
    parent, totals, scores = [], [], []
    for c, rows in enumerate(members):
        base, extra = divmod(int(flow[c].sum()), len(rows))
        groups: dict[bytes, list[tuple[int, int]]] = {}
        for pos, i in enumerate(rows):
            row = score_of_row(int(i))
            groups.setdefault(row.tobytes(), []).append((int(i), base + (1 if pos < extra else 0)))
        for key, group in groups.items():
            fine_members.append(np.array([i for i, _ in group], dtype=np.int64))
            parent.append(c)
            totals.append(sum(n for _, n in group))
            scores.append(np.frombuffer(key, dtype=np.int64))
    return fine_members, np.array(parent, dtype=np.int64), np.array(totals, dtype=np.int64), np.array(scores)


def best_fit_flow(size, totals, loads, eligible, score, share) -> np.ndarray | None:
    """Classes x reviewers: places of greatest total fit.

    Each class gives `totals[c]` places, each reviewer takes exactly
    `loads[j]`, at most `size[c]` per class and only where `eligible`; among
    flows of greatest fit, the one with fewest places beyond `share` (the
    pair-spreading target). None when no such flow exists (never, when the
    caller's flow satisfies the same constraints)."""
    cls, rev = np.nonzero(eligible)
    n_c, n_r = eligible.shape
    if not len(cls):
        return np.zeros((n_c, n_r), dtype=np.int64)
    free = np.minimum(share[cls, rev], size[cls])
    caps = np.concatenate([free, size[cls] - free]).astype(float)
    total = int(totals.sum())
    gain = score[cls, rev].astype(float)
    cost = np.concatenate([-gain, -gain + 1.0 / (total + 1)])
    n_e = len(cls)
    arcs = np.arange(2 * n_e)
    a_rows = np.concatenate([np.tile(cls, 2), n_c + np.tile(rev, 2)])
    a = coo_array((np.ones(4 * n_e), (a_rows, np.concatenate([arcs, arcs]))), shape=(n_c + n_r, 2 * n_e)).tocsr()
    target = np.concatenate([totals, loads]).astype(float)
    if totals.sum() != loads.sum():
        return None
    # the last reviewer's equation follows from the others (places given =
    # places taken); left in, it makes HiGHS a hundred times slower
    a, target = a[: n_c + n_r - 1], target[: n_c + n_r - 1]
    bounds = np.column_stack([np.zeros(2 * n_e), caps])
    result = linprog(cost, A_eq=a, b_eq=target, bounds=bounds, method="highs-ds")
    if result.x is None or np.abs(result.x - np.rint(result.x)).max() > 1e-6:
        # a vertex of a totally unimodular system is integral; should HiGHS
        # stop elsewhere, ask for integers (slower, the same optimum)
        result = milp(
            cost,
            constraints=LinearConstraint(a, target, target),
            integrality=np.ones(2 * n_e),
            bounds=Bounds(np.zeros(2 * n_e), caps),
        )
    if result.x is None:
        return None
    x = np.rint(result.x).astype(np.int64)
    flow = np.zeros((n_c, n_r), dtype=np.int64)
    np.add.at(flow, (np.tile(cls, 2), np.tile(rev, 2)), x)
    if not ((flow.sum(axis=1) == totals).all() and (flow.sum(axis=0) == loads).all()):
        return None
    return flow


def fit_shares(flow, size, parent, fine_size) -> np.ndarray:
    """Each finer class's share of its parent's spread flow (rounded up)."""
    return np.ceil(flow[parent] * (fine_size / np.maximum(size[parent], 1))[:, None] - 1e-9).astype(np.int64)


@dataclass(frozen=True)
class FitCounts:
    """One reviewer's assignments by bid level, and how many match their expertise."""

    eager: int = 0
    willing: int = 0
    no_bid: int = 0
    rather_not: int = 0
    expertise: int = 0  # assignments sharing a theme or focus area with the reviewer's expertise

    @property
    def total(self) -> int:
        return self.eager + self.willing + self.no_bid + self.rather_not


def fit_counts(pairs: Iterable[tuple[int, int]], fit: FitInput) -> dict[int, FitCounts]:
    """Reviewer id -> their (submission, reviewer) pairs counted by bid level
    and expertise match: figures only, never which submissions."""
    tally: dict[int, dict[str, int]] = {}
    for s, r in pairs:
        level = fit.bids.get((s, r))
        row = tally.setdefault(r, dict.fromkeys(("eager", "willing", "no_bid", "rather_not", "expertise"), 0))
        row[level if level in BID_LEVELS else "no_bid"] += 1
        if fit.topics.get(s, frozenset()) & fit.expertise.get(r, frozenset()):
            row["expertise"] += 1
    return {r: FitCounts(**row) for r, row in tally.items()}


def fit_classes(members, flow, size, eligible, score_rows, position) -> tuple[list[np.ndarray], np.ndarray]:
    """The classes and flow of `scoring.assignment` made fit-aware: classes
    split by fit row, then the flow of greatest fit with the same loads and
    per-submission places (`best_fit_flow`). `score_rows[p]`: the fit row of
    the submission at position p of the rows being assigned (`position`: row ->
    p). Unchanged when fit cannot be met otherwise (never expected)."""
    fine, parent, totals, scores = refine(members, flow, lambda i: score_rows[position[i]])
    fine_size = np.array([len(m) for m in fine], dtype=np.int64)
    share = fit_shares(flow, size, parent, fine_size)
    best = best_fit_flow(fine_size, totals, flow.sum(axis=0), eligible[parent], scores, share)
    return (members, flow) if best is None else (fine, best)
