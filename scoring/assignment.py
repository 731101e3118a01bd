"""Assigning submissions to reviewers: a balanced b-matching, solved exactly.

Every submission should get `k` reviewers; nobody reviews a submission where
they declared a conflict of interest, share the contributor's organisation or
email domain, or is deactivated; nobody gets more than their capacity; and
the reviewers' loads are as even as the rest allows. Existing assignments are
kept and count toward loads; a run only adds.

The method, in three steps:

1. **Coverage as a maximum flow.** Submissions that still need reviewers and
   have the same set of eligible reviewers (and the same need) are one
   *class*, so the network is small however many submissions there are:
   source -> class (capacity: members x need) -> reviewer (capacity: members,
   one review of each submission at most) -> sink (capacity: room left under
   the reviewer's capacity). The maximum flow is the most reviewer slots that
   can be filled (`scipy.sparse.csgraph.maximum_flow`).
2. **Balance.** Among maximum flows, the one minimising the sum of squared
   loads is also the one whose most and least loaded reviewers are closest
   (the lexicographically optimal load vector). It is found from a flow capped
   at the smallest feasible maximum load, by moving work along residual paths
   from a reviewer with load `a` to one with load `b <= a - 2` until no such
   path exists, which is exactly the optimality condition of this convex-cost
   flow. So loads differ by at most one unless capacities, conflicts or
   existing assignments make that impossible. When places run out, they are
   then moved between classes (loads unchanged) until no submission is two or
   more reviewers worse off than one that could spare a reviewer, so the gap
   is shared instead of leaving some submissions with none.
3. **Back to submissions, pairs mixed** (`scoring.mixing`). The flow
   leaves each class to a few reviewers (all 15 submissions of one
   organisation to the same three), so first each class's share is spread
   over its eligible reviewers in proportion to their loads (the same loads
   and class totals: a flow with capped class-to-reviewer edges). It is then
   dealt out submission by submission, each pick taking the reviewer who has
   shared the fewest submissions with those already on it (always feasible),
   and improved by swaps of two submissions' new reviewers that keep every
   load, count and exclusion: lower the largest number of submissions two
   reviewers share, then spread pairs evenly (as many distinct pairs as
   possible), and keep the panel one group (calibration compares reviewers
   through the submissions they share). Existing assignments' pairs count.

Pure: plain data in, an `AssignmentPlan` out. Deterministic for a given seed.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import maximum_flow, shortest_path

from scoring.fit import FitInput, fit_classes
from scoring.mixing import BUDGET as MIX_BUDGET
from scoring.mixing import deal, existing_overlap, mix_pairs

# Addresses at these domains say nothing about where someone works.
GENERIC_EMAIL_DOMAINS = frozenset(
    {
        "aol.com",
        "btinternet.com",
        "gmail.com",
        "gmx.com",
        "googlemail.com",
        "hotmail.co.uk",
        "hotmail.com",
        "icloud.com",
        "live.co.uk",
        "live.com",
        "mail.com",
        "me.com",
        "msn.com",
        "outlook.com",
        "proton.me",
        "protonmail.com",
        "sky.com",
        "virginmedia.com",
        "yahoo.co.uk",
        "yahoo.com",
    }
)
# Dealings of the flow that are mixed (each from its own seeded start), the
# best kept, while half the swap budget is left: a second start finds a
# better plan where the first stopped at a local optimum (small calls).
MIX_STARTS = 4
# Words that do not tell two organisations apart.
_ORGANISATION_NOISE = frozenset({"the", "ltd", "limited", "plc", "cic", "llp", "inc"})

# Why a reviewer cannot take a submission (singular, plural).
REASONS = {
    "conflict": ("declared a conflict of interest", "declared a conflict of interest"),
    "organisation": ("shares the contributor's organisation", "share the contributor's organisation"),
    "email_domain": ("shares the contributor's email domain", "share the contributor's email domain"),
    "deactivated": ("is deactivated", "are deactivated"),
    "capacity": ("is at capacity", "are at capacity"),
}


@functools.lru_cache(maxsize=4096)  # pure; a call has a few hundred organisations, each compared often
def organisation_key(name: str | None) -> str | None:
    """An organisation's name compared loosely: case, punctuation, spacing,
    word order and legal suffixes ignored ("The Castlewick Institute, Ltd" and
    "Institute castlewick" match). None when there is no name."""
    if not name:
        return None
    text = name.casefold().replace("&", " and ").replace("’", "").replace("'", "")
    words = [w for w in re.sub(r"[^\w]+", " ", text).split() if w not in _ORGANISATION_NOISE]
    return " ".join(sorted(words)) or None


def email_domain(email: str | None) -> str | None:
    """The domain of an address, lower-case; None for a missing address or a
    generic webmail domain (which says nothing about an organisation)."""
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().strip(".").casefold()
    if not domain or domain in GENERIC_EMAIL_DOMAINS:
        return None
    return domain


@dataclass(frozen=True)
class SubmissionToAssign:
    id: int
    reference: str
    organisation: str | None = None
    contact_email: str | None = None


@dataclass(frozen=True)
class ReviewerToAssign:
    id: int
    name: str
    organisation: str | None = None
    email: str | None = None
    capacity: int | None = None  # most assignments in all; None: no limit
    active: bool = True


@dataclass(frozen=True)
class ExistingAssignment:
    submission_id: int
    reviewer_id: int
    finished: bool = False  # the reviewer has submitted their review


@dataclass(frozen=True)
class Shortfall:
    submission_id: int
    reference: str
    reviewers: int  # after the plan, not counting conflicts
    needed: int
    reason: str


@dataclass(frozen=True)
class AssignmentPlan:
    k: int
    new: tuple[tuple[int, int], ...]  # (submission_id, reviewer_id) to add
    loads_before: dict[int, int]  # reviewer id -> assignments without a conflict
    loads_after: dict[int, int]
    shortfalls: tuple[Shortfall, ...] = ()
    notes: tuple[str, ...] = ()
    active_reviewers: tuple[int, ...] = field(default=(), repr=False)
    at_capacity: tuple[int, ...] = field(default=(), repr=False)  # active reviewers with no room left

    @property
    def spread(self) -> int:
        """Most minus least loaded active reviewer below their capacity, after
        the plan: the balance the solver promises (0 or 1 unless existing
        assignments or eligibility prevent it; see `notes`)."""
        loads = [self.loads_after[r] for r in self.active_reviewers if r not in self.at_capacity]
        return max(loads) - min(loads) if loads else 0


def exclusion(submission: SubmissionToAssign, reviewer: ReviewerToAssign, *, conflicted: bool = False) -> str | None:
    """Why `reviewer` may never review `submission` (a key of REASONS), or None.

    Capacity is not a property of the pair and is not checked here."""
    if conflicted:
        return "conflict"
    if not reviewer.active:
        return "deactivated"
    org = organisation_key(submission.organisation)
    if org is not None and org == organisation_key(reviewer.organisation):
        return "organisation"
    domain = email_domain(submission.contact_email)
    if domain is not None and domain == email_domain(reviewer.email):
        return "email_domain"
    return None


def describe_exclusion(reason: str, name: str) -> str:
    return f"{name} {REASONS[reason][0]}"


# --- the solver ----------------------------------------------------------------


def solve_assignment(
    submissions: Iterable[SubmissionToAssign],
    reviewers: Iterable[ReviewerToAssign],
    *,
    k: int,
    existing: Iterable[ExistingAssignment] = (),
    conflicts: Iterable[tuple[int, int]] = (),
    seed: int = 0,
    fit: FitInput | None = None,
) -> AssignmentPlan:
    """Which new (submission, reviewer) pairs give every submission `k`
    reviewers with balanced loads; see the module's docstring for the method.
    With `fit` (bids and expertise, `scoring.fit`), the plan of greatest fit
    among those with the same loads, before mixing."""
    if k < 1:
        raise ValueError("k must be at least 1")
    subs = sorted(submissions, key=lambda s: (s.reference, s.id))
    revs = sorted(reviewers, key=lambda r: r.id)
    s_at = {s.id: i for i, s in enumerate(subs)}
    r_at = {r.id: j for j, r in enumerate(revs)}
    conflict_pairs = {(s, r) for s, r in conflicts if s in s_at and r in r_at}

    active = np.array([r.active for r in revs], dtype=bool)
    capacity = np.array([r.capacity if r.capacity is not None else 10**9 for r in revs], dtype=np.int64)
    load, counted, assigned = _count_existing(existing, revs, s_at, r_at, conflict_pairs, len(subs))
    room = np.where(active, np.maximum(0, capacity - load), 0)
    need = np.maximum(0, k - counted)

    rows = np.flatnonzero(need > 0)  # submissions that need reviewers, in reference order
    allowed = _allowed(subs, revs, rows, active, assigned, conflict_pairs, s_at, r_at)
    together = _existing_reviewers(assigned, subs, revs, conflict_pairs)
    score = fit.matrix([subs[i].id for i in rows], [r.id for r in revs]) if fit and fit.matters() else None
    price = (
        fit.weights.mixing * 100 if fit is not None and score is not None else 0.0
    )  # in the fit's units (scoring.fit.UNITS)
    new_pairs = _new_pairs(rows, allowed, need, load, room, k, seed, together, score, price)
    new_load = np.zeros(len(revs), dtype=np.int64)
    got = np.zeros(len(subs), dtype=np.int64)
    for i, j in new_pairs:
        new_load[j] += 1
        got[i] += 1

    after = load + new_load
    new_ids = [(subs[i].id, revs[j].id) for i, j in new_pairs]
    new_at = {(s_at[s], r_at[r]) for s, r in new_ids}
    shortfalls = _shortfalls(subs, revs, k, counted + got, after, capacity, assigned, new_at, conflict_pairs)
    return _plan(k, revs, new_ids, shortfalls, load, after, capacity, active)


def _plan(k, revs, new_ids, shortfalls, load, after, capacity, active) -> AssignmentPlan:
    return AssignmentPlan(
        k=k,
        new=tuple(sorted(new_ids)),
        loads_before={r.id: int(load[j]) for j, r in enumerate(revs)},
        loads_after={r.id: int(after[j]) for j, r in enumerate(revs)},
        shortfalls=tuple(shortfalls),
        notes=tuple(_balance_notes(revs, load, after, capacity, active)),
        active_reviewers=tuple(r.id for r in revs if r.active),
        at_capacity=tuple(r.id for j, r in enumerate(revs) if r.active and after[j] >= capacity[j]),
    )


def _count_existing(existing, revs, s_at, r_at, conflict_pairs, n_s) -> tuple[np.ndarray, np.ndarray, set]:
    """Loads per reviewer, reviewers counted per submission, and the (row, reviewer)
    pairs already assigned, from the existing assignments."""
    load = np.zeros(len(revs), dtype=np.int64)
    counted = np.zeros(n_s, dtype=np.int64)
    assigned: set[tuple[int, int]] = set()
    for e in existing:
        i, j = s_at.get(e.submission_id), r_at.get(e.reviewer_id)
        if i is None or j is None or (i, j) in assigned:
            continue
        assigned.add((i, j))
        if (e.submission_id, e.reviewer_id) in conflict_pairs:
            continue  # the assignment ended in a conflict: no load, no coverage
        load[j] += 1
        if revs[j].active or e.finished:
            counted[i] += 1
    return load, counted, assigned


def _existing_reviewers(assigned, subs, revs, conflict_pairs) -> dict[int, list[int]]:
    """Row -> reviewer positions already on it (not ended in a conflict): the
    pairs they form count when new reviewers are paired."""
    out: dict[int, list[int]] = {}
    for i, j in sorted(assigned):
        if (subs[i].id, revs[j].id) not in conflict_pairs:
            out.setdefault(i, []).append(j)
    return out


def _new_pairs(rows, allowed, need, load, room, k, seed, together=None, score=None, price=0.0) -> list:
    """(row, reviewer position) pairs to add: classes, a balanced flow, dealt
    out, then mixed (`scoring.mixing`: the same loads and counts, co-review
    spread)."""
    if not len(rows):
        return []
    keys = np.concatenate([np.packbits(allowed, axis=1), need[rows, None].astype(np.uint8)], axis=1)
    _, class_of = np.unique(keys, axis=0, return_inverse=True)
    class_of = class_of.ravel()
    n_c = int(class_of.max()) + 1
    members = [rows[class_of == c] for c in range(n_c)]
    size = np.array([len(m) for m in members], dtype=np.int64)
    demand = np.array([need[m[0]] for m in members], dtype=np.int64)
    eligible = np.zeros((n_c, len(load)), dtype=bool)
    eligible[class_of] = allowed  # rows of one class are equal
    flow = _spread_shortfalls(_balanced_flow(size, demand, eligible, load, room), size, demand, eligible, k)
    flow = _spread_classes(flow, size, eligible)
    if score is not None:  # fit before mixing (scoring.fit); the swaps keep it
        members, flow = fit_classes(members, flow, size, eligible, score, {int(i): p for p, i in enumerate(rows)})
    rng = np.random.default_rng(seed)
    together = together or {}
    best: tuple[list[tuple[int, int]], tuple] | None = None
    # with a mixing price, swaps also undo fit's clustering: more of them on a large call
    budget = MIX_BUDGET * (max(1, len(rows) // 2000) if price else 1)
    for _ in range(MIX_STARTS):
        overlap = existing_overlap(together, len(load))
        dealt = [(int(i), int(j)) for c, m in enumerate(members) for i, j in deal(m, flow[c], overlap, together, rng)]
        mixed, quality, spent = mix_pairs(dealt, rows, allowed, together, len(load), rng, budget, score, price)
        if best is None or quality < best[1]:
            best = (mixed, quality)
        budget -= spent
        if budget < MIX_BUDGET // 2 or quality[:2] <= (1, 1) or price:
            break  # out of time, or one group and no pair sharing two submissions
    assert best is not None
    return best[0]


def _allowed(subs, revs, rows, active, assigned, conflict_pairs, s_at, r_at) -> np.ndarray:
    """rows x reviewers: may this reviewer be added to this submission?
    (Active, not yet assigned, no conflict, no shared organisation or domain.)"""
    codes: dict[str, int] = {}

    def code(value: str | None) -> int:
        return -1 if value is None else codes.setdefault(value, len(codes))

    sub_org = np.array([code(organisation_key(subs[i].organisation)) for i in rows], dtype=np.int64)
    rev_org = np.array([code(organisation_key(r.organisation)) for r in revs], dtype=np.int64)
    sub_dom = np.array([code("@" + d if (d := email_domain(subs[i].contact_email)) else None) for i in rows])
    rev_dom = np.array([code("@" + d if (d := email_domain(r.email)) else None) for r in revs])
    allowed = np.broadcast_to(active, (len(rows), len(revs))).copy()
    allowed &= ~((sub_org[:, None] == rev_org[None, :]) & (sub_org[:, None] >= 0))
    allowed &= ~((sub_dom[:, None] == rev_dom[None, :]) & (sub_dom[:, None] >= 0))
    position = {int(i): p for p, i in enumerate(rows)}
    for i, j in assigned:
        if i in position:
            allowed[position[i], j] = False
    for s, r in conflict_pairs:
        p = position.get(s_at[s])
        if p is not None:
            allowed[p, r_at[r]] = False
    return allowed


def _max_flow(size, demand, eligible, upper, edge_cap=None, supply=None) -> tuple[int, np.ndarray]:
    """Max flow source -> class -> reviewer -> sink; returns (value, class x reviewer flow).
    A class offers `size x demand` (or `supply`) and gives a reviewer at most
    `size` (each member once), or `edge_cap`."""
    n_c, n_r = eligible.shape
    src, sink = 0, n_c + n_r + 1
    cls, rev = np.nonzero(eligible)
    tails = np.concatenate([np.zeros(n_c, dtype=np.int64), 1 + cls, 1 + n_c + np.arange(n_r)])
    heads = np.concatenate([1 + np.arange(n_c), 1 + n_c + rev, np.full(n_r, sink)])
    middle = size[cls] if edge_cap is None else np.minimum(size[cls], edge_cap[cls, rev])
    offered = size * demand if supply is None else supply
    caps = np.concatenate([offered, middle, np.minimum(upper, 2**30)]).astype(np.int32)
    graph = csr_array((caps, (tails, heads)), shape=(sink + 1, sink + 1))
    result = maximum_flow(graph, src, sink)
    flows = result.flow.tocsr()[1 : 1 + n_c, 1 + n_c : 1 + n_c + n_r].toarray()
    return int(result.flow_value), np.maximum(flows, 0).astype(np.int64)


def _balanced_flow(size, demand, eligible, load, room) -> np.ndarray:
    """A maximum flow whose reviewer loads have the least sum of squares."""
    best, flow = _max_flow(size, demand, eligible, room)
    if best == 0:
        return flow
    takers = eligible.any(axis=0) & (room > 0)
    # First try the ideal: every reviewer who can take work filled to one
    # water level (within one), ignoring who may review what. When that flow
    # is still maximal, it is already balanced.
    value, candidate = _max_flow(size, demand, eligible, _water_level(load, room, takers, best))
    if value == best:
        flow = candidate
    else:
        # Otherwise start from the smallest maximum load that allows the
        # maximum flow, and let `_rebalance` lift the lightest.
        lo, hi = int(load[takers].min()), int((load + np.minimum(room, best))[takers].max())
        while lo < hi:
            mid = (lo + hi) // 2
            value, candidate = _max_flow(size, demand, eligible, np.minimum(room, np.maximum(0, mid - load)))
            if value == best:
                hi, flow = mid, candidate
            else:
                lo = mid + 1
    return _rebalance(flow, size, demand, eligible, load, load + room)


def _spread_classes(flow, size, eligible) -> np.ndarray:
    """The same reviewer loads and class totals, each class's share spread
    over its eligible reviewers in proportion to their loads.

    A maximum flow tends to give a class to a few reviewers (all 15
    submissions of one organisation to the same three), and small classes to
    the reviewers the large ones left over; no dealing can then mix pairs.
    Each class may give reviewer r at most ceil(alpha x its total x r's share
    of the load among the class's eligible reviewers); the least alpha (to
    1/16) for which a flow with every class total and every load exactly as
    before exists is found by bisection. alpha is at most the largest ratio
    in the given flow, which is itself such a flow, so one always exists."""
    total, loads = flow.sum(axis=1), flow.sum(axis=0)
    if not total.any():
        return flow
    weight = np.where(eligible, loads[None, :], 0).astype(float)
    share = weight / np.maximum(weight.sum(axis=1, keepdims=True), 1)
    ideal = total[:, None] * share

    def attempt(alpha: float) -> np.ndarray | None:
        cap = np.where(eligible, np.ceil(alpha * ideal - 1e-9), 0).astype(np.int64)
        value, candidate = _max_flow(size, None, eligible, loads, edge_cap=cap, supply=total)
        return candidate if value == int(total.sum()) else None

    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ideal > 0, flow / ideal, 0)
    lo, hi, best = 1.0, max(1.0, float(ratio.max())), flow
    if (found := attempt(lo)) is not None:
        return found
    while hi - lo > 1 / 16:
        mid = (lo + hi) / 2
        found = attempt(mid)
        if found is None:
            lo = mid
        else:
            hi, best = mid, found
    return best


def _water_level(load, room, takers, total) -> np.ndarray:
    """New work per reviewer that fills `takers` as evenly as their existing
    loads and capacities allow, summing to exactly `total`."""
    cap = np.where(takers, room, 0)

    def filled(level: int) -> np.ndarray:
        return np.clip(level - load, 0, cap)

    lo, hi = int(load.min()), int((load + cap).max())
    while lo < hi:  # the lowest level that holds `total`
        mid = (lo + hi) // 2
        if filled(mid).sum() >= total:
            hi = mid
        else:
            lo = mid + 1
    below = filled(lo - 1)
    rise = np.flatnonzero(filled(lo) > below)[: total - int(below.sum())]
    below[rise] += 1
    return below


def _rebalance(flow, size, demand, eligible, load, upper) -> np.ndarray:
    """Move work from heavier to lighter reviewers along residual paths until
    no path leads from a reviewer with load a to one with load <= a - 2."""
    flow = flow.copy()
    n_r = flow.shape[1]
    hub = n_r  # the source node, through which coverage can move between classes
    while True:
        loads = load + flow.sum(axis=0)
        has = flow > 0
        can_take = eligible & (flow < size[:, None])
        unmet = size * demand - flow.sum(axis=1) > 0
        graph = np.zeros((n_r + 1, n_r + 1), dtype=np.float32)
        graph[:n_r, :n_r] = has.T.astype(np.float32) @ can_take.astype(np.float32)
        graph[:n_r, hub] = has.any(axis=0)
        graph[hub, :n_r] = (can_take & unmet[:, None]).any(axis=0)
        np.fill_diagonal(graph, 0)
        dist, pred = shortest_path(
            csr_array((graph > 0).astype(np.float32)), directed=True, unweighted=True, return_predecessors=True
        )
        gain = loads[:, None] - loads[None, :]
        ok = np.isfinite(dist[:n_r, :n_r]) & has.any(axis=0)[:, None] & (loads < upper)[None, :]
        gain = np.where(ok, gain, -1)
        a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[a, b] < 2:
            return flow
        path = [int(b)]
        while path[-1] != a:
            path.append(int(pred[a, path[-1]]))
        path.reverse()
        amount = min((int(loads[a]) - int(loads[b])) // 2, int(upper[b] - loads[b]))
        moves: list[tuple[int, int, int]] = []  # (class, from reviewer or -1, to reviewer or -1)
        for u, v in itertools.pairwise(path):
            if u == hub:
                continue
            if v == hub:  # u gives up a member of class c1; a class with unmet need gains one
                w = path[path.index(hub) + 1]
                c1 = int(np.argmax(flow[:, u]))
                spare = np.minimum(size * demand - flow.sum(axis=1), size - flow[:, w]) * eligible[:, w]
                c2 = int(np.argmax(spare))
                amount = min(amount, int(flow[c1, u]), int(spare[c2]))
                moves += [(c1, u, -1), (c2, -1, w)]
            else:
                spare = np.minimum(flow[:, u], size - flow[:, v]) * eligible[:, v]
                c = int(np.argmax(spare))
                amount = min(amount, int(spare[c]))
                moves.append((c, u, v))
        assert amount >= 1, "a residual path without room"
        for c, u, v in moves:
            if u >= 0:
                flow[c, u] -= amount
            if v >= 0:
                flow[c, v] += amount


def _spread_shortfalls(flow, size, demand, eligible, k) -> np.ndarray:
    """When not every place can be filled, share the gap fairly: move places
    between classes, every reviewer's load unchanged, until no submission is
    two or more reviewers worse off than one that could give a reviewer up.

    A place moves from a rich class r to a poor class p along reviewers
    b -> ... -> a: a leaves r, each reviewer on the way takes over a place in
    some class from the next, and b joins p. It lowers the sum of squared
    shortfalls exactly when p's worst-off member would still have fewer
    reviewers than r's best-off one has now; when a pass over every poor class
    with a fresh reviewer graph finds no such path, the shortfalls are as even
    as the loads allow. Within a pass, moves found on that pass's graph are
    checked against the current flow before they are made."""
    flow = flow.copy()
    have = k - demand  # reviewers each member of a class had before this run
    while True:
        inflow = flow.sum(axis=1)
        if (inflow >= size * demand).all():
            return flow
        has = flow > 0
        can_take = eligible & (flow < size[:, None])
        graph = (has.T.astype(np.float32) @ can_take.astype(np.float32)) > 0  # u can give v a place
        np.fill_diagonal(graph, False)
        dist, pred = shortest_path(
            csr_array(graph.astype(np.float32)), directed=True, unweighted=True, return_predecessors=True
        )
        reach = np.isfinite(dist)
        low, high = have + inflow // size, have + -(-inflow // size)
        moved = 0
        for p in np.argsort(low, kind="stable"):
            if inflow[p] >= size[p] * demand[p] or low[p] > high.max() - 2:
                continue
            takers = np.flatnonzero(can_take[p])
            reachable = reach[takers].any(axis=0)
            rich = has[:, reachable].any(axis=1) & (high >= low[p] + 2)
            rich[p] = False
            if not len(takers) or not rich.any():
                continue
            r = int(np.flatnonzero(rich)[np.argmax(high[rich])])
            a = int(np.flatnonzero(reachable & has[r])[0])
            b = int(takers[np.flatnonzero(reach[takers, a])[0]])
            path = [a]
            while path[-1] != b:
                path.append(int(pred[b, path[-1]]))
            steps = []
            for u, v in itertools.pairwise(reversed(path)):  # b ... a: each gives the next a place
                witness = (flow[:, u] > 0) & can_take[:, v]
                if not witness.any():
                    break  # the graph is stale here; the next pass rebuilds it
                steps.append((int(np.argmax(witness)), u, v))
            else:
                for c, u, v in [*steps, (r, a, -1), (p, -1, b)]:
                    for cell, change in (((c, u), -1), ((c, v), 1)):
                        if cell[1] >= 0:
                            flow[cell] += change
                            has[cell] = flow[cell] > 0
                            can_take[cell] = eligible[cell] and flow[cell] < size[cell[0]]
                for c in (p, r):
                    inflow[c] = flow[c].sum()
                    low[c], high[c] = have[c] + inflow[c] // size[c], have[c] + -(-inflow[c] // size[c])
                moved += 1
        if not moved:
            return flow


# --- explaining the result -----------------------------------------------------


def _names(names: Sequence[str], most: int = 3) -> str:
    if len(names) == 1:
        return names[0]
    if len(names) <= most:
        return ", ".join(names[:-1]) + " and " + names[-1]
    rest = len(names) - most
    return ", ".join(names[:most]) + f" and {rest} other{'s' if rest != 1 else ''}"


def describe_reasons(groups: dict[str, list[str]]) -> str:
    """ "Ann shares the contributor's organisation; Ben and Carl are at capacity"."""
    parts = []
    for reason in REASONS:
        names = sorted(groups.get(reason, []))
        if names:
            singular, plural = REASONS[reason]
            parts.append(f"{_names(names)} {singular if len(names) == 1 else plural}")
    return "; ".join(parts)


def _shortfalls(subs, revs, k, final, after, capacity, assigned, new_pairs, conflict_pairs) -> list[Shortfall]:
    """Each submission left with fewer than k reviewers, and why, in words."""
    out = []
    n_active = sum(r.active for r in revs)
    for i in np.flatnonzero(final < k):
        sub, have = subs[i], int(final[i])
        groups: dict[str, list[str]] = {}
        for j, r in enumerate(revs):
            conflicted = (sub.id, r.id) in conflict_pairs
            if (int(i), j) in assigned:
                # An existing assignment that does not count: ended in a
                # conflict, or its reviewer was deactivated before finishing.
                reason = "conflict" if conflicted else (None if r.active else "deactivated")
            elif (int(i), j) in new_pairs:
                reason = None
            else:
                reason = exclusion(sub, r, conflicted=conflicted)
                if reason is None and after[j] >= capacity[j]:
                    reason = "capacity"
            if reason is not None and not (reason == "deactivated" and r.name in groups.get(reason, [])):
                groups.setdefault(reason, []).append(r.name)
        eligible = have + len(groups.get("capacity", []))
        text = f"Has {have} of {k} reviewers"
        if n_active < k:
            text += f"; the panel has only {n_active} active reviewer{'s' if n_active != 1 else ''}"
        elif eligible < k:
            text += f"; only {eligible} eligible reviewer{'s' if eligible != 1 else ''}"
        details = describe_reasons(groups)
        out.append(Shortfall(sub.id, sub.reference, have, k, f"{text}: {details}." if details else f"{text}."))
    return out


def _balance_notes(revs, before, after, capacity, active) -> list[str]:
    """Why the loads are not within one of each other, when they are not."""
    idx = np.flatnonzero(active)
    if len(idx) < 2:
        return []
    high = int(after[idx].max())
    free = [j for j in idx if after[j] < capacity[j]]
    notes = []
    at_cap = [revs[j].name for j in idx if after[j] >= capacity[j] and after[j] <= high - 2]
    if at_cap:
        notes.append(f"{_names(at_cap)} reached their capacity, so they have fewer than the others.")
    if len(free) < 2 or max(after[free]) - min(after[free]) <= 1:
        return notes
    top = int(max(after[free]))
    heavy = [revs[j].name for j in free if after[j] == top and before[j] == top]
    if heavy:
        notes.append(
            f"{_names(heavy)} already had {top} assignments before this run; existing assignments are never moved."
        )
    few = [revs[j].name for j in free if after[j] <= top - 2]
    top_got_new = any(after[j] == top and after[j] > before[j] for j in free)
    if few and top_got_new:
        notes.append(
            f"{_names(few)} could take no more of the submissions that needed reviewers "
            "(they were already assigned them, or have conflicts, shared organisations or email domains)."
        )
    return notes
