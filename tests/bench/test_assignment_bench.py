"""bench/assignment_bench.py's yardsticks for mixed pairs: the random balanced
plan keeps the plan's loads, reviewers per submission and exclusions and
shuffles who reviews with whom; pair statistics count what they say."""

from __future__ import annotations

import random
from collections import Counter

from bench.assignment_bench import outside_check, pair_stats, random_balanced
from scoring.assignment import exclusion, solve_assignment


def test_pair_stats_count_distinct_pairs_and_the_largest_overlap():
    pairs = [(1, 10), (1, 11), (1, 12), (2, 10), (2, 11), (3, 12)]
    # (10, 11) share two submissions, (10, 12) and (11, 12) one each
    assert pair_stats(pairs) == (3, 2)
    assert pair_stats([(1, 10), (2, 11)]) == (0, 0)


def test_the_random_balanced_plan_keeps_loads_counts_and_exclusions_and_shuffles_pairs():
    subs, revs, conflicts = outside_check(0)
    # a plan where a trio reviews everything it may: the most concentrated start
    start = [
        (s.id, r.id) for s in subs for r in revs[:3] if exclusion(s, r, conflicted=(s.id, r.id) in conflicts) is None
    ]
    shuffled = random_balanced(start, subs, revs, conflicts, random.Random(1))
    assert Counter(s for s, _ in shuffled) == Counter(s for s, _ in start)
    assert Counter(r for _, r in shuffled) == Counter(r for _, r in start)
    assert len(set(shuffled)) == len(shuffled)
    by_id, rev_by_id, ended = {s.id: s for s in subs}, {r.id: r for r in revs}, set(conflicts)
    assert all(exclusion(by_id[s], rev_by_id[r], conflicted=(s, r) in ended) is None for s, r in shuffled)
    # three reviewers only: the pairs cannot change, the swaps still must keep them
    assert pair_stats(shuffled)[0] == 3

    plan = solve_assignment(subs, revs, k=3, conflicts=conflicts)
    again = random_balanced(plan.new, subs, revs, conflicts, random.Random(1))
    assert Counter(r for _, r in again) == Counter(r for _, r in plan.new)
    assert set(again) != set(plan.new)
    assert random_balanced(plan.new, subs, revs, conflicts, random.Random(1)) == again
