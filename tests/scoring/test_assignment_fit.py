"""Expertise and bids in the assignment (scoring.fit): every rule and optimum
of the fit-blind solver kept (coverage, loads, exclusions), then the greatest
fit among plans with those loads, checked by Hypothesis against the fit-blind
plan and by an exact integer programme over every plan with the same loads on
small calls."""

from collections import Counter

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from scoring.assignment import ExistingAssignment, ReviewerToAssign, SubmissionToAssign, exclusion, solve_assignment
from scoring.fit import FitInput, FitWeights, fit_counts
from tests.scoring.test_assignment_pairs import connected, pair_counts, reviewers_of

ORGS = ["Castle Trust", "Moor Council", None, None]
TOPICS = ["sources_of_harm", "support_responses", "perpetrators", "advocacy", "guardianship"]
THEMES = frozenset(TOPICS[:2])


@st.composite
def calls(draw, most_subs=30, most_revs=9, existing=True):
    n_subs = draw(st.integers(1, most_subs))
    n_revs = draw(st.integers(1, most_revs))
    submissions = [SubmissionToAssign(i, f"S{i:03d}", draw(st.sampled_from(ORGS))) for i in range(1, n_subs + 1)]
    reviewers = [
        ReviewerToAssign(
            100 + j,
            f"R{j}",
            draw(st.sampled_from(ORGS)),
            capacity=draw(st.sampled_from([None, None, None, 2, 5, 12])),
            active=draw(st.booleans()) or draw(st.booleans()),
        )
        for j in range(n_revs)
    ]
    cells = [(s.id, r.id) for s in submissions for r in reviewers]
    olds = []
    if existing:
        olds = [
            ExistingAssignment(s, r, finished=draw(st.booleans()))
            for s, r in draw(st.lists(st.sampled_from(cells), max_size=min(len(cells), 6), unique=True))
        ]
    conflicts = draw(st.lists(st.sampled_from(cells), max_size=min(len(cells), 6), unique=True))
    bids = draw(
        st.dictionaries(st.sampled_from(cells), st.sampled_from(["eager", "willing", "rather_not"]), max_size=25)
    )
    expertise = {r.id: frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=2))) for r in reviewers}
    topics = {s.id: frozenset(draw(st.lists(st.sampled_from(TOPICS), max_size=3))) for s in submissions}
    fit = FitInput(bids=bids, expertise=expertise, topics=topics, themes=THEMES)
    return submissions, reviewers, draw(st.integers(1, 3)), olds, conflicts, draw(st.integers(0, 3)), fit


def total_fit(pairs, fit):
    return sum(fit.pair(s, r) for s, r in pairs)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_fit_keeps_every_rule_and_the_loads_and_never_lowers_fit(call):
    submissions, reviewers, k, existing, conflicts, seed, fit = call
    kwargs = {"k": k, "existing": existing, "conflicts": conflicts, "seed": seed}
    blind = solve_assignment(submissions, reviewers, **kwargs)
    plan = solve_assignment(submissions, reviewers, **kwargs, fit=fit)
    # coverage and balance first: the same loads, the same places filled
    assert plan.loads_after == blind.loads_after
    assert len(plan.new) == len(blind.new)
    assert sorted(s.reviewers for s in plan.shortfalls) == sorted(s.reviewers for s in blind.shortfalls)
    if not blind.shortfalls:
        assert Counter(s for s, _ in plan.new) == Counter(s for s, _ in blind.new)
    # no excluded pair, nothing twice
    taken = {(e.submission_id, e.reviewer_id) for e in existing}
    subs, revs = {s.id: s for s in submissions}, {r.id: r for r in reviewers}
    assert len(set(plan.new)) == len(plan.new)
    for s, r in plan.new:
        assert (s, r) not in taken
        assert exclusion(subs[s], revs[r], conflicted=(s, r) in set(conflicts)) is None
    # then fit: never below the fit-blind plan's
    assert total_fit(plan.new, fit) >= total_fit(blind.new, fit)
    # the admin's figures count every new assignment once
    assert sum(c.total for c in fit_counts(plan.new, fit).values()) == len(plan.new)
    assert solve_assignment(submissions, reviewers, **kwargs, fit=fit) == plan


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls())
def test_without_bids_or_expertise_the_plan_is_todays(call):
    submissions, reviewers, k, existing, conflicts, seed, fit = call
    kwargs = {"k": k, "existing": existing, "conflicts": conflicts, "seed": seed}
    none = FitInput(topics=fit.topics, themes=THEMES)  # topics but no expertise, no bids
    assert solve_assignment(submissions, reviewers, **kwargs, fit=none) == solve_assignment(
        submissions, reviewers, **kwargs
    )


def best_fit_exactly(submissions, reviewers, plan, existing, conflicts, fit):
    """The greatest fit over every plan with the plan's loads and reviewers
    per submission, every exclusion respected (an integer programme)."""
    taken = {(e.submission_id, e.reviewer_id) for e in existing}
    cells = [
        (s.id, r.id)
        for s in submissions
        for r in reviewers
        if (s.id, r.id) not in taken and exclusion(s, r, conflicted=(s.id, r.id) in set(conflicts)) is None
    ]
    per_sub, per_rev = Counter(s for s, _ in plan.new), Counter(r for _, r in plan.new)
    sub_ids, rev_ids = [s.id for s in submissions], [r.id for r in reviewers]
    a = np.zeros((len(sub_ids) + len(rev_ids), len(cells)))
    for q, (s, r) in enumerate(cells):
        a[sub_ids.index(s), q] = a[len(sub_ids) + rev_ids.index(r), q] = 1
    target = np.array([per_sub[s] for s in sub_ids] + [per_rev[r] for r in rev_ids], dtype=float)
    if not cells:
        return 0
    result = milp(
        -np.array([fit.pair(s, r) for s, r in cells], dtype=float),
        constraints=LinearConstraint(a, target, target),
        integrality=np.ones(len(cells)),
        bounds=Bounds(0, 1),
    )
    assert result.success
    return round(-result.fun)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls(most_subs=12, most_revs=6))
def test_the_fit_is_the_exact_best_among_plans_with_the_same_loads(call):
    submissions, reviewers, k, existing, conflicts, seed, fit = call
    plan = solve_assignment(submissions, reviewers, k=k, existing=existing, conflicts=conflicts, seed=seed, fit=fit)
    assert total_fit(plan.new, fit) == best_fit_exactly(submissions, reviewers, plan, existing, conflicts, fit)


def test_rather_not_is_honoured_when_a_willing_reviewer_can_take_it_at_equal_loads():
    submissions = [SubmissionToAssign(i, f"S{i}") for i in range(1, 5)]
    reviewers = [ReviewerToAssign(10 + j, f"R{j}") for j in range(4)]
    bids = {(1, 10): "rather_not", (2, 10): "rather_not", (1, 11): "willing", (3, 12): "eager"}
    fit = FitInput(bids=bids)
    for seed in range(4):
        plan = solve_assignment(submissions, reviewers, k=2, seed=seed, fit=fit)
        blind = solve_assignment(submissions, reviewers, k=2, seed=seed)
        assert plan.loads_after == blind.loads_after == {10: 2, 11: 2, 12: 2, 13: 2}
        assert (1, 10) not in plan.new and (2, 10) not in plan.new
        assert {(1, 11), (3, 12)} <= set(plan.new)


def test_expertise_draws_reviewers_to_their_themes():
    submissions = [SubmissionToAssign(i, f"S{i}") for i in range(1, 9)]
    reviewers = [ReviewerToAssign(10 + j, f"R{j}") for j in range(4)]
    topics = {i: frozenset({"sources_of_harm" if i <= 4 else "support_responses"}) for i in range(1, 9)}
    expertise = {10: frozenset({"sources_of_harm"}), 11: frozenset({"support_responses"})}
    fit = FitInput(expertise=expertise, topics=topics, themes=THEMES)
    plan = solve_assignment(submissions, reviewers, k=2, fit=fit)
    counts = fit_counts(plan.new, fit)
    assert counts[10].expertise == counts[10].total == 4
    assert counts[11].expertise == counts[11].total == 4
    assert connected(reviewers_of(plan))


def test_weights_of_zero_leave_the_plan_as_it_was():
    submissions = [SubmissionToAssign(i, f"S{i}") for i in range(1, 7)]
    reviewers = [ReviewerToAssign(10 + j, f"R{j}") for j in range(4)]
    zero = FitWeights(eager=0, willing=0, rather_not=0, theme=0, focus_area=0)
    fit = FitInput(weights=zero, bids={(1, 10): "eager"}, expertise={11: frozenset({"advocacy"})})
    assert not fit.matters()
    assert solve_assignment(submissions, reviewers, k=2, fit=fit) == solve_assignment(submissions, reviewers, k=2)
    assert pair_counts(reviewers_of(solve_assignment(submissions, reviewers, k=2, fit=fit)))


def clustered_call():
    """Two themes, each known by three of twelve reviewers: greatest fit alone
    sends every submission of a theme to the same trio."""
    submissions = [SubmissionToAssign(i, f"S{i:03d}") for i in range(1, 121)]
    reviewers = [ReviewerToAssign(100 + j, f"R{j}") for j in range(12)]
    topics = {s.id: frozenset({TOPICS[s.id % 2]}) for s in submissions}
    expertise = {100 + j: frozenset({TOPICS[j % 2]}) for j in range(6)}
    return submissions, reviewers, topics, expertise


def test_a_mixing_price_trades_some_expertise_for_spread_pairs_and_keeps_the_loads():
    submissions, reviewers, topics, expertise = clustered_call()
    strict = FitInput(expertise=expertise, topics=topics, themes=THEMES)
    priced = FitInput(weights=FitWeights(mixing=0.1), expertise=expertise, topics=topics, themes=THEMES)
    blind = solve_assignment(submissions, reviewers, k=3)
    first = solve_assignment(submissions, reviewers, k=3, fit=strict)
    traded = solve_assignment(submissions, reviewers, k=3, fit=priced)
    assert blind.loads_after == first.loads_after == traded.loads_after

    def top(plan):
        return max(pair_counts(reviewers_of(plan)).values())

    # fit first: the experts share many submissions; priced, far fewer, still more expertise than blind
    assert top(traded) < top(first)
    assert total_fit(blind.new, strict) < total_fit(traded.new, strict) <= total_fit(first.new, strict)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calls(most_subs=15, most_revs=6))
def test_the_fit_matrix_holds_each_pairs_fit(call):
    submissions, reviewers, _k, _existing, _conflicts, _seed, fit = call
    matrix = fit.matrix([s.id for s in submissions], [r.id for r in reviewers])
    for i, s in enumerate(submissions):
        for j, r in enumerate(reviewers):
            assert matrix[i, j] == fit.pair(s.id, r.id)
