"""Mixed pairs: which reviewers review which submission, once the loads are fixed.

`scoring.assignment` decides how many new reviewers each submission gets and
how many new assignments each reviewer takes (maximum coverage, balanced
loads). Many plans meet those numbers; they differ in who reviews *with*
whom. The calibrated scores compare reviewers through the submissions they
share, so a plan that sends the same trio every submission of one
organisation, or pairs two reviewers on 17 submissions while most pairs never
meet, gives calibration less to work with.

First each class's share is dealt out (`deal`) submission by submission,
each pick taking the reviewer who has shared the fewest submissions with
those already on it (always feasible). Then `mix_pairs` improves the plan by
*swaps*: submission s1's new reviewer a and submission s2's new reviewer c
trade places when c may review s1 and a may review s2 (neither excluded,
neither already on it). A swap leaves every reviewer's load, every
submission's number of reviewers and every exclusion as they were, so
coverage and balance stay optimal. The phases:

1. lower the top: swaps that lower the number of pairs at the largest pair
   overlap (the most submissions two reviewers share) without raising it,
   until it falls a step or no such swap is left;
2. even out: swaps that keep that and lower the sum over pairs of the
   squared overlap, least when overlaps are as even as possible (a pair
   sharing two submissions while another shares none costs 4, two pairs
   sharing one each cost 2), which forms as many distinct pairs as it can;
3. meet: where there are more pairings than pairs, each pair of working
   reviewers that shares nothing gets a swap that brings them together
   without raising the largest overlap, when one adds a distinct pair;
4. connect: while the reviewers fall into groups that never share a
   submission, a swap that joins two groups, first one that does not raise
   the largest overlap, else any (one panel comes first).

Pairs formed by existing assignments count and are never moved. What is
guaranteed: every rule and load as the flow left them; phases 1 and 2 never
raise the largest overlap of the dealt plan, and each swap strictly improves
(largest overlap, pairs at it, sum of squares), so the search ends at a
local optimum under swaps unless the budget (`BUDGET` swap searches, shared
out between the phases) runs out first. What is measured, not proved: on
5,000 small random calls the largest overlap was the exact optimum (over
every plan with the same loads) in 4,996 and one group whenever one was
possible in 4,998 (tests/scoring/test_assignment_pairs.py); on the outside
check's call every pair shares at most one submission (900 distinct pairs,
where a random balanced plan has about 650 and shares up to 4).

Deterministic for a given seed (candidates are visited in a seeded order).
"""

from __future__ import annotations

import numpy as np

# Candidates per entry whose partner submission is searched (the best by the
# first half of the swap); more finds slightly better swaps, slower.
_CANDIDATES = 4
# Passes of the evening-out phase at most (each pass is a full sweep).
_PASSES = 6
# Swap searches in all (each looks at up to _CANDIDATES x _PARTNERS swaps):
# bounds the time on a large call (about a millisecond each).
BUDGET = 1500
# Partner submissions looked at per candidate (a seeded sample when more).
_PARTNERS = 64


def deal(members, per_reviewer, overlap, together, rng) -> list[tuple[int, int]]:
    """One class's flow dealt out submission by submission, pairing reviewers
    who have shared the fewest submissions so far.

    `per_reviewer[j]`: how many of the class's `members` reviewer j takes;
    members get as equal a share as possible (the first ones one more),
    each reviewer at most once per submission. `overlap` (reviewers x
    reviewers, updated here) counts the submissions each pair shares so far;
    `together`: row -> reviewers already on it.

    Always feasible: with shares that differ by at most one, what is left can
    be dealt to the m members left exactly when no reviewer has more than m
    left (Gale-Ryser), so a reviewer with m left is taken first and the rest
    is free. Among the free choices each pick takes the reviewer whose
    largest, then total, overlap with those already on the submission is
    least, then the one with most left, then a seeded random order."""
    total = int(per_reviewer.sum())
    if total == 0:
        return []
    left = per_reviewer.astype(np.int64).copy()
    base, extra = divmod(total, len(members))
    pairs: list[tuple[int, int]] = []
    for pos, i in enumerate(members):
        want = base + (1 if pos < extra else 0)
        remaining = len(members) - pos
        on = list(together.get(int(i), ()))
        chosen = [int(j) for j in np.flatnonzero(left == remaining)]
        free = left > 0
        free[chosen] = False
        noise = rng.random(len(left))
        while len(chosen) < want:
            cands = np.flatnonzero(free)
            near = on + chosen
            if near:
                block = overlap[np.ix_(cands, near)]
                most, summed = block.max(axis=1), block.sum(axis=1)
            else:
                most = summed = np.zeros(len(cands), dtype=np.int64)
            pick = int(cands[np.lexsort((noise[cands], -left[cands], summed, most))[0]])
            chosen.append(pick)
            free[pick] = False
        assert len(chosen) == want, "a class's flow could not be dealt out"
        everyone = on + chosen
        for b in range(len(on), len(everyone)):
            for a in range(b):
                overlap[everyone[a], everyone[b]] += 1
                overlap[everyone[b], everyone[a]] += 1
        left[chosen] -= 1
        pairs.extend((int(i), j) for j in chosen)
    assert not left.any()
    return pairs


class _State:
    """The plan being mixed: reviewers per row, pair overlaps, who is where."""

    def __init__(self, pairs, rows, allowed, existing, n_r, rng, fit=None, price=0.0):
        self.rng = rng
        self.fit = fit  # rows x reviewers (scoring.fit) or None
        self.price = price  # fit a swap may give up per unit of the sum of squared overlaps it removes
        self.budget = BUDGET
        self.allowed = allowed
        self.rows = rows
        self.n_r = n_r
        pos = {int(i): p for p, i in enumerate(rows)}
        self.pos = pos
        self.fixed: list[list[int]] = [[] for _ in rows]  # existing reviewers of each row
        self.new: list[list[int]] = [[] for _ in rows]
        self.overlap = np.zeros((n_r, n_r), dtype=np.int64)
        for i, revs in existing.items():
            self._pair_up(list(revs), 1)
            if i in pos:
                self.fixed[pos[i]] = list(revs)
        for i, j in pairs:
            self.new[pos[i]].append(j)
        for p in range(len(rows)):
            self._pair_up(self.new[p], 1)
            for a in self.new[p]:
                for x in self.fixed[p]:
                    self.overlap[a, x] += 1
                    self.overlap[x, a] += 1
        width = max(len(f) + len(n) for f, n in zip(self.fixed, self.new, strict=True))
        self.members = np.full((len(rows), max(width, 1)), -1, dtype=np.int64)
        self.holds: list[set[int]] = [set() for _ in range(n_r)]  # rows where a reviewer is new
        for p in range(len(rows)):
            everyone = self.fixed[p] + self.new[p]
            self.members[p, : len(everyone)] = everyone
            for a in self.new[p]:
                self.holds[a].add(p)
        self.held = np.array([len(h) for h in self.holds], dtype=np.int64)
        self.rows_of: list[set[int]] = [set() for _ in range(n_r)]  # rows a reviewer is on, new or not
        for p in range(len(rows)):
            for a in self.fixed[p] + self.new[p]:
                self.rows_of[a].add(p)

    def _pair_up(self, revs, step):
        for u in range(len(revs)):
            for v in range(u + 1, len(revs)):
                self.overlap[revs[u], revs[v]] += step
                self.overlap[revs[v], revs[u]] += step

    def others(self, p, a) -> np.ndarray:
        row = self.members[p]
        return row[(row >= 0) & (row != a)]

    def top(self) -> int:
        return int(self.overlap.max()) if self.n_r else 0

    def pairs(self) -> list[tuple[int, int]]:
        return [(int(self.rows[p]), a) for p in range(len(self.rows)) for a in self.new[p]]

    def swap(self, p1, a, p2, c) -> None:
        """a leaves row p1 for p2; c leaves p2 for p1."""
        for p, out, into in ((p1, a, c), (p2, c, a)):
            for x in self.others(p, out):
                self.overlap[out, x] -= 1
                self.overlap[x, out] -= 1
                self.overlap[into, x] += 1
                self.overlap[x, into] += 1
            self.new[p][self.new[p].index(out)] = into
            self.members[p][self.members[p] == out] = into
            self.holds[out].discard(p)
            self.holds[into].add(p)
            self.rows_of[out].discard(p)
            self.rows_of[into].add(p)

    def best_swap(self, p1, a, top, *, spread: bool, only=None):
        """The best swap moving a out of row p1, as (key, p2, c), or None.

        key = (change in the number of pairs at `top`, change in the sum of
        squared overlaps), exact; a swap that would take any pair above `top`
        is not considered. A reviewer x on both submissions keeps its pairs
        with a and c (one is lost on one side, gained on the other)."""
        o1 = self.others(p1, a)
        if not len(o1) or self.budget <= 0:
            return None
        self.budget -= 1
        ov = self.overlap
        if not spread and not (ov[a, o1] == top).any():
            return None
        col = ov[:, o1]
        ok = self.allowed[p1] & (self.held > 0)
        ok[self.members[p1][self.members[p1] >= 0]] = False
        if only is not None:
            ok &= np.isin(np.arange(self.n_r), only)
        cands = np.flatnonzero(ok)
        if not len(cands):
            return None
        # rank candidates by joining p1 alone: above the top, then pairs
        # reaching it, then the sum of squares
        blocked = (col[cands] >= top).any(axis=1)
        first = np.lexsort(((2 * col[cands] + 1).sum(axis=1), (col[cands] == top - 1).sum(axis=1), blocked))
        a_out, best = ov[a, o1], None
        for c in cands[first[:_CANDIDATES]]:
            rows2 = np.fromiter(self.holds[c], dtype=np.int64)
            if len(rows2) > _PARTNERS:
                rows2 = self.rng.choice(np.sort(rows2), _PARTNERS, replace=False)
            rows2 = rows2[self.allowed[rows2, a] & ~(self.members[rows2] == a).any(axis=1)]
            if self.fit is not None and not self.price:
                rows2 = rows2[self.keeps_fit(p1, a, rows2, c)]
            if not len(rows2):
                continue
            m2 = self.members[rows2]
            shared = (m2[:, :, None] == o1[None, None, :]).any(axis=1)  # rows2 x o1: x also on p2
            only1 = ~shared
            only2 = (m2 >= 0) & (m2 != c) & ~np.isin(m2, o1)
            at = np.where(only2, m2, 0)
            pa, pc, c_in = ov[a, at], ov[c, at], col[c]
            fits = ~((c_in >= top)[None, :] & only1).any(axis=1) & ~((pa >= top) & only2).any(axis=1)
            if not fits.any():
                continue
            d_at = (
                ((c_in == top - 1)[None, :] & only1).sum(axis=1)
                - ((a_out == top)[None, :] & only1).sum(axis=1)
                + ((pa == top - 1) & only2).sum(axis=1)
                - ((pc == top) & only2).sum(axis=1)
            )
            d_sq = (
                ((2 * c_in + 1)[None, :] * only1).sum(axis=1)
                - ((2 * a_out - 1)[None, :] * only1).sum(axis=1)
                + ((2 * pa + 1) * only2).sum(axis=1)
                - ((2 * pc - 1) * only2).sum(axis=1)
            )
            if self.fit is not None and self.price:
                f = self.fit
                loss = f[p1, a] + f[rows2, c] - f[p1, c] - f[rows2, a]
                fits &= (loss <= 0) | (loss <= -self.price * d_sq)
                if not fits.any():
                    continue
            d_at, d_sq, rows2 = d_at[fits], d_sq[fits], rows2[fits]
            q = int(np.lexsort((rows2, d_sq, d_at))[0])
            key = (int(d_at[q]), int(d_sq[q]))
            if best is None or key < best[0]:
                best = (key, int(rows2[q]), int(c))
        return best

    def keeps_fit(self, p1, a, p2, c):
        """Does a swap (a: p1 -> p2, c: p2 -> p1) keep the plan's fit? (p2 may be an array.)"""
        if self.fit is None:
            return np.ones(np.shape(p2), dtype=bool)
        f = self.fit
        return f[p1, c] + f[p2, a] >= f[p1, a] + f[p2, c]

    def entries(self, rng) -> list[tuple[int, int]]:
        out = [(p, a) for p in range(len(self.rows)) for a in self.new[p]]
        order = rng.permutation(len(out))
        return [out[q] for q in order]


def existing_overlap(together, n_r) -> np.ndarray:
    """Reviewers x reviewers: submissions each pair already shares."""
    overlap = np.zeros((n_r, n_r), dtype=np.int64)
    for revs in together.values():
        for a in range(len(revs)):
            for b in range(a + 1, len(revs)):
                overlap[revs[a], revs[b]] += 1
                overlap[revs[b], revs[a]] += 1
    return overlap


def mix_pairs(pairs, rows, allowed, existing, n_r, rng, budget=BUDGET, fit=None, price=0.0):
    """Spread co-review over `pairs` ((row, reviewer) new assignments) by swaps.

    `rows`: the submission rows that get new reviewers, `allowed[p, j]`: may
    reviewer j be added to rows[p]; `existing`: row -> reviewers it already
    has (their pairs count, they never move); `n_r`: reviewers. Every
    reviewer's number of new assignments and every row's stay as they were.

    Returns (pairs, quality, spent): quality is (groups of reviewers that
    never meet the rest, largest overlap, -distinct pairs, sum of squared
    overlaps), lower is better; spent: the swap searches used of `budget`.
    `fit` (rows x reviewers, `scoring.fit`): only swaps that keep its sum,
    or, with `price` > 0, that give up at most `price` x the fall in the sum
    of squared overlaps they bring (the connecting phase keeps it always)."""
    if not pairs:
        return pairs, (0, 0, 0, 0), 0
    state = _State(pairs, rows, allowed, existing, n_r, rng, fit, price)
    left = budget
    # each phase may use this share of what the ones before it left
    for phase, share in ((_lower_the_top, 0.6), (_even_out, 0.5), (_meet, 0.8), (_connect, 1.0)):
        state.budget = int(left * share)
        phase(state, rng)
        left -= int(left * share) - state.budget
    upper = np.triu(state.overlap, 1)
    everyone = np.unique(state.members[state.members >= 0])
    groups = len(components(state.overlap, everyone)) if state.members.shape[1] > 1 else 1
    quality = (groups, state.top(), -int((upper > 0).sum()), int((upper**2).sum()))
    return state.pairs(), quality, budget - left


def _lower_the_top(state: _State, rng) -> None:
    """Swaps that lower the number of pairs at the largest overlap, until the
    largest overlap falls or no such swap is left: for each pair at the top,
    each submission it shares where one of the two is new is tried."""
    while True:
        top = state.top()
        if top <= 1:
            return
        us, vs = np.nonzero(np.triu(state.overlap == top))
        moved = False
        for q in rng.permutation(len(us)):
            u, v = int(us[q]), int(vs[q])
            if state.overlap[u, v] != top:
                continue
            tries = [(p, a) for p in sorted(state.rows_of[u] & state.rows_of[v]) for a in (u, v) if a in state.new[p]]
            for p1, a in tries:
                found = state.best_swap(p1, a, top, spread=False)
                if found is not None and found[0][0] < 0:
                    state.swap(p1, a, found[1], found[2])
                    moved = True
                    break
        if not moved:
            return


def _even_out(state: _State, rng) -> None:
    """Swaps that keep the pairs at the largest overlap and lower the sum of
    squared overlaps, until none is left (or `_PASSES` sweeps). Only
    reviewers who share a submission with someone more often than the
    average pair of working reviewers does (rounded up) are moved."""
    working = np.flatnonzero(state.held > 0)
    pairs = len(working) * (len(working) - 1) // 2
    level = max(1, -(-int(np.triu(state.overlap[np.ix_(working, working)], 1).sum()) // max(pairs, 1)))
    for _ in range(_PASSES):
        if state.top() <= 1:
            return
        moved = False
        for p1, a in state.entries(rng):
            if a not in state.new[p1]:
                continue
            o1 = state.others(p1, a)
            if not len(o1) or state.overlap[a, o1].max() <= level:
                continue  # a shares no more here than an even spread would
            found = state.best_swap(p1, a, state.top(), spread=True)
            if found is not None and found[0][0] <= 0 and found[0] < (0, 0):
                state.swap(p1, a, found[1], found[2])
                moved = True
        if not moved:
            return


def _meet(state: _State, rng) -> None:
    """Pairs of working reviewers who share no submission yet, where their
    pairings are many (more pairings than pairs): for each, a swap that
    brings one onto a submission of the other without raising the largest
    overlap (more pairs may reach it, and the sum of squares may rise: the
    objective is the largest overlap, then distinct pairs); a swap that
    does not add a distinct pair in all is undone. After the evening out,
    which would not make such swaps."""
    working = np.flatnonzero(state.held > 0)
    if len(working) < 2 or state.members.shape[1] < 2:
        return
    sub = state.overlap[np.ix_(working, working)]
    if int(np.triu(sub, 1).sum()) < len(working) * (len(working) - 1) // 2:
        return  # too few pairings for every pair: the evening out already spread them
    us, vs = np.nonzero(np.triu(sub == 0, 1))
    for q in rng.permutation(len(us)):
        u, v = int(working[us[q]]), int(working[vs[q]])
        if state.overlap[u, v] or state.budget <= 0:
            continue
        distinct = int((state.overlap > 0).sum())
        for x, y in ((u, v), (v, u)):
            made = False
            for p1 in sorted(state.rows_of[x]):
                for a in [a for a in state.new[p1] if a != x]:
                    swap = state.best_swap(p1, a, state.top(), spread=True, only=[y])
                    if swap is None:
                        continue
                    state.swap(p1, a, swap[1], swap[2])
                    if int((state.overlap > 0).sum()) > distinct:
                        made = True
                        break
                    state.swap(p1, y, swap[1], a)  # undo: no more distinct pairs
                if made or state.budget <= 0:
                    break
            if made:
                break


def components(overlap: np.ndarray, members: np.ndarray) -> list[set[int]]:
    """Groups of the reviewers in `members` connected by shared submissions."""
    left = {int(j) for j in members}
    groups = []
    while left:
        start = left.pop()
        group, frontier = {start}, [start]
        while frontier:
            u = frontier.pop()
            for v in map(int, np.flatnonzero(overlap[u] > 0)):
                if v in left:
                    left.discard(v)
                    group.add(v)
                    frontier.append(v)
        groups.append(group)
    return groups


def _connect(state: _State, rng) -> None:
    """Join groups of reviewers that never share a submission, by swaps:
    first any that does not raise the largest overlap, else any at all (one
    panel matters more than one pair sharing one more submission), while
    some swap joins two groups and the budget lasts."""
    if state.members.shape[1] < 2:
        return
    while _join(state, rng, keep_top=True) or _join(state, rng, keep_top=False):
        pass


def _join(state: _State, rng, *, keep_top: bool) -> bool:
    """Make one swap that joins two groups of reviewers; False when none does."""
    everyone = np.unique(state.members[state.members >= 0])
    groups = components(state.overlap, everyone)
    if len(groups) <= 1 or state.budget <= 0:
        return False
    top = max(state.top(), 1) if keep_top else np.iinfo(np.int64).max
    group_of = {j: g for g, group in enumerate(groups) for j in group}
    working = np.flatnonzero(state.held > 0)
    for p1, a in state.entries(rng):
        o1 = state.others(p1, a)
        if not len(o1) or a not in state.new[p1]:
            continue
        here = group_of[int(o1[0])]
        for c in map(int, working):
            if group_of.get(c, -1) == here or not state.allowed[p1, c] or c in state.members[p1]:
                continue
            if (state.overlap[c, o1] >= top).any():
                continue
            rows2 = np.array(sorted(state.holds[c]), dtype=np.int64)
            rows2 = rows2[state.allowed[rows2, a] & ~(state.members[rows2] == a).any(axis=1)]
            for p2 in rows2[:_PARTNERS]:
                p2 = int(p2)
                if (state.overlap[a, state.others(p2, c)] >= top).any() or not state.keeps_fit(p1, a, p2, c):
                    continue
                state.budget -= 1
                state.swap(p1, a, p2, c)
                if len(components(state.overlap, everyone)) < len(groups):
                    return True
                state.swap(p1, c, p2, a)  # undo
                if state.budget <= 0:
                    return False
    return False
