"""The assignment solver: coverage, balance, conflicts, capacity, incremental
runs, impossible cases, and optimality against brute force on small calls."""

import itertools
import random
from collections import Counter

import pytest

from scoring.assignment import (
    ExistingAssignment,
    ReviewerToAssign,
    SubmissionToAssign,
    email_domain,
    exclusion,
    organisation_key,
    solve_assignment,
)


def subs(n, start=1, **kw):
    return [SubmissionToAssign(i, f"CFE-{i:04d}", **kw) for i in range(start, start + n)]


def panel(n, start=100, **kw):
    return [ReviewerToAssign(i, f"Reviewer {i}", **kw) for i in range(start, start + n)]


def reviewers_of(plan, existing=()):
    out: dict[int, set[int]] = {}
    for s, r in [*plan.new, *((e.submission_id, e.reviewer_id) for e in existing)]:
        out.setdefault(s, set()).add(r)
    return out


# --- the rules -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Northbridge Children's Charity", "northbridge childrens charity"),
        ("Institute for Child Protection Studies, Castlewick", "Castlewick Institute for Child Protection Studies"),
        ("The Lowfield Trust Ltd", "Lowfield  Trust"),
        ("Ashcombe Youth & Families", "Ashcombe Youth and Families"),
        ("Kelderby Law Centre", "KELDERBY LAW-CENTRE"),
    ],
)
def test_the_same_organisation_is_recognised_however_it_is_written(a, b):
    assert organisation_key(a) == organisation_key(b) is not None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Northbridge Children's Charity", "Northbridge Youth Trust"),
        ("Lowfield Council", "Lowfield District Council"),
    ],
)
def test_different_organisations_stay_different(a, b):
    assert organisation_key(a) != organisation_key(b)


@pytest.mark.parametrize(
    ("email", "domain"),
    [
        ("Ann@Castle.Example", "castle.example"),
        ("ann@castle.example.", "castle.example"),
        ("someone@gmail.com", None),
        ("someone@HOTMAIL.COM", None),
        ("someone@outlook.com", None),
        ("someone@yahoo.com", None),
        ("not an address", None),
        (None, None),
    ],
)
def test_email_domains_ignore_generic_webmail(email, domain):
    assert email_domain(email) == domain


def test_exclusion_names_the_reason():
    sub = SubmissionToAssign(1, "CFE-1", "Castle Trust", "a@castle.example")
    assert exclusion(sub, ReviewerToAssign(1, "A"), conflicted=True) == "conflict"
    assert exclusion(sub, ReviewerToAssign(1, "A", active=False)) == "deactivated"
    assert exclusion(sub, ReviewerToAssign(1, "A", organisation="castle trust")) == "organisation"
    assert exclusion(sub, ReviewerToAssign(1, "A", email="b@castle.example")) == "email_domain"
    assert exclusion(sub, ReviewerToAssign(1, "A", email="b@gmail.com", organisation="Other")) is None
    webmail = SubmissionToAssign(2, "CFE-2", None, "x@gmail.com")
    assert exclusion(webmail, ReviewerToAssign(1, "A", email="y@gmail.com")) is None


# --- coverage and balance ------------------------------------------------------


def test_every_submission_gets_k_distinct_reviewers_with_equal_loads():
    plan = solve_assignment(subs(30), panel(6), k=3)
    assert len(plan.new) == 90 == len(set(plan.new))
    assert all(len(rs) == 3 for rs in reviewers_of(plan).values())
    assert len(reviewers_of(plan)) == 30
    assert set(plan.loads_after.values()) == {15}
    assert plan.shortfalls == ()


@pytest.mark.parametrize(("n_subs", "n_revs", "k"), [(10, 4, 3), (7, 5, 2), (101, 7, 3), (13, 13, 1), (1, 3, 2)])
def test_loads_differ_by_at_most_one(n_subs, n_revs, k):
    plan = solve_assignment(subs(n_subs), panel(n_revs), k=k)
    assert len(plan.new) == n_subs * k
    loads = list(plan.loads_after.values())
    assert max(loads) - min(loads) <= 1
    assert plan.spread == max(loads) - min(loads)


def test_reviewers_are_paired_in_varied_combinations():
    # Calibration compares reviewers through shared submissions: the panel
    # must not split into groups that never review the same submission.
    plan = solve_assignment(subs(60), panel(6), k=3)
    triples = {frozenset(rs) for rs in reviewers_of(plan).values()}
    assert len(triples) >= 6
    linked = {100}
    for _ in range(6):
        linked |= {r for rs in reviewers_of(plan).values() if rs & linked for r in rs}
    assert linked == set(range(100, 106))


def test_the_same_input_gives_the_same_plan():
    a = solve_assignment(subs(40), panel(5), k=3, seed=7)
    b = solve_assignment(list(reversed(subs(40))), list(reversed(panel(5))), k=3, seed=7)
    assert a == b


# --- conflicts, organisations, email domains, deactivated reviewers ------------


def test_conflicts_shared_organisations_and_email_domains_are_never_assigned():
    submissions = [
        SubmissionToAssign(1, "CFE-1", "Castle Trust", "a@castle.example"),
        SubmissionToAssign(2, "CFE-2", "Moor Council", "b@gmail.com"),
        SubmissionToAssign(3, "CFE-3", None, "c@moor.example"),
    ]
    reviewers = [
        ReviewerToAssign(10, "Ann", "the castle trust", "ann@panel.example"),
        ReviewerToAssign(11, "Ben", None, "ben@moor.example"),
        ReviewerToAssign(12, "Cat", "Moor Council", "cat@gmail.com"),
        ReviewerToAssign(13, "Dan", None, "dan@gmail.com"),
        ReviewerToAssign(14, "Eve"),
        ReviewerToAssign(15, "Fay", active=False),
    ]
    plan = solve_assignment(submissions, reviewers, k=3, conflicts=[(1, 14)])
    got = reviewers_of(plan)
    assert got[1] == {11, 12, 13}  # Ann: organisation; Eve: conflict; Fay: deactivated
    assert 12 not in got[2]  # Cat shares the organisation; Dan's gmail.com says nothing
    assert 11 not in got[3]  # Ben shares the email domain
    assert all(15 not in rs for rs in got.values())
    assert len(plan.new) == 9


def test_an_assignment_that_ended_in_a_conflict_is_replaced_not_repeated():
    existing = [ExistingAssignment(1, 100), ExistingAssignment(1, 101), ExistingAssignment(1, 102)]
    plan = solve_assignment(subs(1), panel(4), k=3, existing=existing, conflicts=[(1, 101)])
    assert plan.new == ((1, 103),)
    assert plan.loads_before[101] == 0  # a conflicted assignment is no work


def test_deactivated_reviewers_get_nothing_new_and_only_their_finished_reviews_count():
    reviewers = [*panel(3), ReviewerToAssign(200, "Gone", active=False)]
    existing = [ExistingAssignment(1, 200, finished=True), ExistingAssignment(2, 200, finished=False)]
    plan = solve_assignment(subs(2), reviewers, k=3, existing=existing)
    got = reviewers_of(plan)
    assert len(got[1] - {200}) == 2  # the finished review counts as one of three
    assert got[2] - {200} == {100, 101, 102}  # the unfinished one does not
    assert all(r != 200 for _, r in plan.new)


# --- capacity ------------------------------------------------------------------


def test_capacity_is_respected_and_the_rest_is_balanced():
    reviewers = [*panel(3), ReviewerToAssign(300, "Part-time", capacity=2)]
    plan = solve_assignment(subs(12), reviewers, k=2, existing=[])
    assert plan.loads_after[300] == 2
    assert sorted(plan.loads_after[r] for r in (100, 101, 102)) == [7, 7, 8]
    assert plan.shortfalls == ()


def test_capacity_counts_existing_assignments():
    reviewers = [ReviewerToAssign(1, "Full", capacity=2), *panel(2)]
    existing = [ExistingAssignment(1, 1), ExistingAssignment(2, 1)]
    plan = solve_assignment(subs(4), reviewers, k=1, existing=existing)
    assert all(r != 1 for _, r in plan.new)


def test_capacity_zero_takes_nothing():
    plan = solve_assignment(subs(3), [ReviewerToAssign(1, "None", capacity=0), *panel(1)], k=1)
    assert {r for _, r in plan.new} == {100}


# --- incremental runs ----------------------------------------------------------


def test_a_second_run_keeps_everything_and_balances_the_newcomers_on_top():
    first = solve_assignment(subs(20), panel(4), k=3)
    existing = [ExistingAssignment(s, r, finished=(s % 2 == 0)) for s, r in first.new]
    again = solve_assignment(subs(20), panel(4), k=3, existing=existing)
    assert again.new == ()
    more = solve_assignment(subs(30), panel(4), k=3, existing=existing)
    assert not set(more.new) & set(first.new)
    assert {s for s, _ in more.new} == set(range(21, 31))
    assert max(more.loads_after.values()) - min(more.loads_after.values()) <= 1
    assert sum(more.loads_after.values()) == 90


def test_new_work_goes_first_to_those_with_least():
    existing = [ExistingAssignment(s, 100) for s in range(1, 11)]
    plan = solve_assignment(subs(10, start=11) + subs(10), panel(3), k=1, existing=existing)
    assert plan.loads_after == {100: 10, 101: 5, 102: 5}


def test_surplus_manual_assignments_need_nothing_more():
    existing = [ExistingAssignment(1, r) for r in (100, 101, 102, 103)]
    plan = solve_assignment(subs(1), panel(5), k=3, existing=existing)
    assert plan.new == ()


def test_unavoidable_imbalance_is_explained():
    existing = [ExistingAssignment(s, 100) for s in range(1, 11)]
    plan = solve_assignment(subs(10), [*panel(2)], k=1, existing=existing)
    assert plan.spread == 10
    assert plan.notes == (
        "Reviewer 100 already had 10 assignments before this run; existing assignments are never moved.",
    )


def test_imbalance_from_eligibility_is_explained():
    # Only Ann may review the Castle Trust's four submissions.
    castle = subs(4, organisation="Castle Trust")
    reviewers = [ReviewerToAssign(1, "Ann"), *[ReviewerToAssign(i, f"Castle {i}", "Castle Trust") for i in (2, 3)]]
    plan = solve_assignment(castle, reviewers, k=1)
    assert plan.loads_after == {1: 4, 2: 0, 3: 0}
    assert plan.notes == (
        "Castle 2 and Castle 3 could take no more of the submissions that needed reviewers "
        "(they were already assigned them, or have conflicts, shared organisations or email domains).",
    )


def test_balance_is_measured_among_reviewers_with_room():
    reviewers = [*panel(2), ReviewerToAssign(300, "Part-time", capacity=1)]
    plan = solve_assignment(subs(9), reviewers, k=1)
    assert plan.loads_after == {100: 4, 101: 4, 300: 1}
    assert plan.spread == 0
    assert plan.notes == ("Part-time reached their capacity, so they have fewer than the others.",)


# --- impossible cases ----------------------------------------------------------


def test_a_panel_smaller_than_k_is_reported_for_every_submission():
    plan = solve_assignment(subs(3), panel(2), k=3)
    assert len(plan.new) == 6
    assert [s.reference for s in plan.shortfalls] == ["CFE-0001", "CFE-0002", "CFE-0003"]
    assert all(s.reviewers == 2 and s.needed == 3 for s in plan.shortfalls)
    assert "the panel has only 2 active reviewers" in plan.shortfalls[0].reason


def test_a_shortfall_names_who_could_not_review_and_why():
    submission = SubmissionToAssign(1, "CFE-0001", "Castle Trust", "x@castle.example")
    reviewers = [
        ReviewerToAssign(1, "Ann", "Castle Trust"),
        ReviewerToAssign(2, "Ben", email="ben@castle.example"),
        ReviewerToAssign(3, "Cat"),
        ReviewerToAssign(4, "Dan"),
        ReviewerToAssign(5, "Eve", active=False),
    ]
    plan = solve_assignment([submission], reviewers, k=3, conflicts=[(1, 3)])
    assert plan.new == ((1, 4),)
    (short,) = plan.shortfalls
    assert short.reason == (
        "Has 1 of 3 reviewers; only 1 eligible reviewer: Cat declared a conflict of interest; "
        "Ann shares the contributor's organisation; Ben shares the contributor's email domain; Eve is deactivated."
    )


def test_capacity_shortfalls_spread_the_gap_and_say_so():
    reviewers = [ReviewerToAssign(i, f"R{i}", capacity=2) for i in range(1, 4)]
    plan = solve_assignment(subs(4), reviewers, k=2)
    assert len(plan.new) == 6
    assert sorted(Counter(s for s, _ in plan.new).values()) == [1, 1, 2, 2]
    assert len(plan.shortfalls) == 2
    assert all("are at capacity" in s.reason for s in plan.shortfalls)


def test_when_places_run_out_no_submission_is_left_far_behind():
    # Three places for nine. Giving two to the Castle Trust's submission would
    # leave another with none; each submission should get one.
    submissions = [
        SubmissionToAssign(1, "CFE-0001", "Castle Trust"),
        SubmissionToAssign(2, "CFE-0002", "Moor"),
        SubmissionToAssign(3, "CFE-0003"),
    ]
    reviewers = [
        ReviewerToAssign(10, "Ann", "Moor", capacity=1),
        ReviewerToAssign(11, "Ben", "Moor", capacity=1),
        ReviewerToAssign(12, "Cat", "Castle Trust", capacity=1),
    ]
    plan = solve_assignment(submissions, reviewers, k=3)
    assert Counter(s for s, _ in plan.new) == {1: 1, 2: 1, 3: 1}
    assert [s.reviewers for s in plan.shortfalls] == [1, 1, 1]


def test_k_must_be_positive():
    with pytest.raises(ValueError):
        solve_assignment(subs(1), panel(1), k=0)


def test_nothing_to_assign():
    plan = solve_assignment([], panel(3), k=3)
    assert plan.new == () and plan.shortfalls == () and plan.spread == 0
    plan = solve_assignment(subs(2), [], k=1)
    assert plan.new == () and len(plan.shortfalls) == 2


# --- optimality against brute force --------------------------------------------


def _brute_force(submissions, reviewers, k, existing, conflicts):
    """(most new assignments, least sum of squared active loads, least sum of
    squared shortfalls) by trying everything."""
    conflicted = set(conflicts)
    taken = {(e.submission_id, e.reviewer_id) for e in existing}
    by_id = {r.id: r for r in reviewers}
    load = {r.id: 0 for r in reviewers}
    counted = {s.id: 0 for s in submissions}
    for e in existing:
        if (e.submission_id, e.reviewer_id) in conflicted:
            continue
        load[e.reviewer_id] += 1
        if by_id[e.reviewer_id].active or e.finished:
            counted[e.submission_id] += 1
    choices = []
    for s in submissions:
        fits = [
            r.id
            for r in reviewers
            if (s.id, r.id) not in taken and exclusion(s, r, conflicted=(s.id, r.id) in conflicted) is None
        ]
        need = max(0, k - counted[s.id])
        choices.append([c for n in range(need + 1) for c in itertools.combinations(fits, n)])
    best = None
    for combo in itertools.product(*choices):
        after = dict(load)
        for chosen in combo:
            for r in chosen:
                after[r] += 1
        cap = {r.id: r.capacity for r in reviewers}
        if any(cap[r] is not None and after[r] > max(cap[r], load[r]) for r in after):
            continue
        short = sum((max(0, k - counted[s.id] - len(c))) ** 2 for s, c in zip(submissions, combo, strict=True))
        key = (-sum(len(c) for c in combo), sum(after[r.id] ** 2 for r in reviewers if r.active), short)
        best = key if best is None else min(best, key)
    return best


def _random_call(rng):
    orgs = ["Castle Trust", "Moor Council", None, None]
    submissions = [SubmissionToAssign(i, f"S{i}", rng.choice(orgs)) for i in range(rng.randint(1, 4))]
    reviewers = [
        ReviewerToAssign(
            100 + j,
            f"R{j}",
            rng.choice(orgs),
            capacity=rng.choice([None, None, 0, 1, 2, 3]),
            active=rng.random() > 0.15,
        )
        for j in range(rng.randint(1, 4))
    ]
    existing = [
        ExistingAssignment(s.id, r.id, finished=rng.random() < 0.5)
        for s in submissions
        for r in reviewers
        if rng.random() < 0.15
    ]
    conflicts = [(s.id, r.id) for s in submissions for r in reviewers if rng.random() < 0.1]
    return submissions, reviewers, rng.randint(1, 3), existing, conflicts


@pytest.mark.parametrize("seed", range(10))
def test_coverage_balance_and_fair_shortfalls_are_optimal_on_small_calls(seed):
    rng = random.Random(seed)
    for _ in range(25):
        submissions, reviewers, k, existing, conflicts = _random_call(rng)
        plan = solve_assignment(submissions, reviewers, k=k, existing=existing, conflicts=conflicts)
        squares = sum(plan.loads_after[r.id] ** 2 for r in reviewers if r.active)
        short = sum((s.needed - s.reviewers) ** 2 for s in plan.shortfalls)
        assert (-len(plan.new), squares, short) == _brute_force(submissions, reviewers, k, existing, conflicts)
        # and every pair it proposes is allowed
        for s, r in plan.new:
            sub = next(x for x in submissions if x.id == s)
            rev = next(x for x in reviewers if x.id == r)
            assert exclusion(sub, rev, conflicted=(s, r) in set(conflicts)) is None
            assert (s, r) not in {(e.submission_id, e.reviewer_id) for e in existing}
