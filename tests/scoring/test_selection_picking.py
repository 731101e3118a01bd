"""Safe selection: pins and exclusions by exact reference with the reason for every refusal, and the rules
"at least R submitted reviews" and "no open discussion flag" (costed, diagnosed, checked like the others;
their optimality against brute force is in test_selection.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from scoring.selection import (
    SelectionError,
    SelectionRules,
    read_picks,
    rule_violations,
    select_presenters,
    split_references,
)
from tests.scoring.test_selection import cand


def rules(**kw) -> SelectionRules:
    return SelectionRules(**{"slots": 2, "max_in_person": 2, "max_virtual": 2, "themes": ("t1",)} | kw)


@pytest.fixture
def frame():
    rows = [
        cand(1, 5.0, ref="CFE-0001", reviews=1),
        cand(2, 4.9, ref="CFE-0002", flagged=True),
        cand(3, 4.0, ref="CFE-0003"),
        cand(4, 3.0, ref="CFE-0004"),
        cand(8, 2.0, ref="CFE-0008"),
        cand(18, 2.5, ref="CFE-0018"),
        cand(80, 2.6, ref="CFE-0080"),
        cand(5, 5.0, ref="CFE-0005", anonymous=True),
        cand(6, 5.0, ref="CFE-0006", pref="not_available"),
        cand(7, 5.0, ref="CFE-0007", pref=None),
        cand(9, float("nan"), ref="CFE-0009", reviews=0),
    ]
    return pd.DataFrame(rows)


# --- typed references -----------------------------------------------------------


def test_references_are_split_on_commas_semicolons_and_spaces_each_once():
    assert split_references(" cfe-0008, CFE-0018;CFE-0008\n cfe-0080 ") == ["CFE-0008", "CFE-0018", "CFE-0080"]
    assert split_references("") == [] and split_references(None) == []


def test_a_reference_picks_exactly_that_submission_never_its_look_alikes(frame):
    picks = read_picks(frame, rules(), pinned="CFE-0008", excluded="")
    assert picks.ok and picks.pinned == (8,) and picks.excluded == ()
    picks = read_picks(frame, rules(), pinned=" cfe-0018 ", excluded="CFE-0003, CFE-0080")
    assert (picks.pinned, picks.excluded) == ((18,), (3, 80))


@pytest.mark.parametrize("typed", ["CFE-8", "CFE-000", "0008", "CFE-00088", "CFE"])
def test_a_partial_or_unknown_reference_is_refused_and_nothing_is_picked(frame, typed):
    picks = read_picks(frame, rules(), pinned=f"CFE-0003, {typed}", excluded="CFE-0004")
    assert not picks.ok and picks.pinned == () and picks.excluded == ()
    assert picks.problems == (f"{typed} is not a reference of a submission of this call.",)


def test_a_long_unknown_entry_is_repeated_back_shortened(frame):
    picks = read_picks(frame, rules(), pinned="X" * 500, excluded="")
    assert len(picks.problems[0]) < 100 and "…" in picks.problems[0]


def test_every_reason_a_submission_cannot_be_pinned_is_said(frame):
    strict = rules(min_reviews=2, no_discussion_flag=True)
    typed = "CFE-0005 CFE-0006 CFE-0007 CFE-0009 CFE-0001 CFE-0002 CFE-0003 CFE-0004"
    picks = read_picks(frame, strict, pinned=typed, excluded="CFE-0003")
    assert picks.problems == (
        "CFE-0005 cannot be pinned: it is anonymous.",
        "CFE-0006 cannot be pinned: it is not available to present.",
        "CFE-0007 cannot be pinned: it gave no presentation preference.",
        "CFE-0009 cannot be pinned: it has no submitted review yet (no score).",
        "CFE-0001 cannot be pinned: it has 1 submitted review, fewer than the 2 required.",
        "CFE-0002 cannot be pinned: it is flagged for discussion (the reviewers disagree), and the rules take no "
        "open flag.",
        "CFE-0003 cannot be pinned: it is excluded at the same time.",
    )
    assert picks.pinned == () and picks.excluded == ()


def test_few_reviews_and_a_flag_do_not_stop_a_pin_when_those_rules_are_off(frame):
    picks = read_picks(frame, rules(), pinned="CFE-0001, CFE-0002", excluded="")
    assert picks.ok and picks.pinned == (1, 2)


def test_excluding_what_is_never_selected_anyway_is_refused_with_the_reason(frame):
    picks = read_picks(frame, rules(), pinned="", excluded="CFE-0004 CFE-0005")
    assert picks.problems == ("CFE-0005 need not be excluded: it is anonymous, so is never selected.",)


def test_rules_that_need_a_missing_column_are_refused(frame):
    with pytest.raises(SelectionError, match="reviews"):
        read_picks(frame.drop(columns=["reviews"]), rules(min_reviews=2), pinned="CFE-0003", excluded="")
    with pytest.raises(SelectionError, match="flagged"):
        select_presenters(frame.drop(columns=["flagged"]), rules(no_discussion_flag=True))
    assert select_presenters(frame.drop(columns=["reviews", "flagged"]), rules()).feasible


# --- the two rules --------------------------------------------------------------


def test_the_rules_keep_out_thin_and_flagged_submissions_and_say_what_they_cost(frame):
    plain = select_presenters(frame, rules())
    assert set(plain.members) == {1, 2}
    strict = select_presenters(frame, rules(min_reviews=2, no_discussion_flag=True))
    assert set(strict.members) == {3, 4}
    cost = {c.family: c for c in strict.rule_costs}
    # Without the review minimum 1 comes back in for 4 (5.0 - 3.0); without the flag rule 2 for 4 (4.9 - 3.0).
    assert cost["reviews"].given_up == pytest.approx(2.0)
    assert cost["discussion"].given_up == pytest.approx(1.9)
    assert cost["reviews"].rule == "at least 2 submitted reviews each"
    assert cost["discussion"].rule == "no open discussion flag"
    assert cost["reviews"].alone_vs_top_n == pytest.approx(5.0 + 4.9 - 4.9 - 4.0)


def test_a_higher_minimum_is_a_different_rule(frame):
    three = frame.assign(reviews=[3, 3, 2, 3, 3, 3, 2, 3, 3, 3, 0])
    assert set(select_presenters(three, rules(min_reviews=3)).members) == {1, 2}
    assert not select_presenters(three.assign(reviews=2), rules(min_reviews=3)).feasible


def test_a_pin_the_rules_keep_out_blocks_with_the_reason(frame):
    result = select_presenters(frame, rules(min_reviews=2, pinned=(1,)))
    assert not result.feasible
    assert [b.message for b in result.blockers] == [
        "CFE-0001 is pinned but has 1 submitted review, fewer than the 2 required."
    ]
    assert set(result.blockers[0].families) == {"pinned", "reviews"}


def test_too_few_passing_submissions_are_named_as_the_block(frame):
    result = select_presenters(frame.assign(reviews=1), rules(min_reviews=2))
    assert not result.feasible
    assert result.blockers[0].message == (
        "There are 2 slots but only 0 eligible submissions meet the rule “at least 2 submitted reviews each”."
    )


def test_a_saved_line_up_that_breaks_them_is_told_why(frame):
    strict = rules(min_reviews=2, no_discussion_flag=True)
    problems = rule_violations(frame, strict, {1: "in_person", 2: "virtual"})
    assert "CFE-0001 has 1 submitted review, fewer than the 2 required." in problems
    assert any(p.startswith("CFE-0002 is flagged for discussion") for p in problems)
    assert rule_violations(frame, strict, {3: "in_person", 4: "virtual"}) == []


@pytest.mark.parametrize("changes", [{"min_reviews": 2}, {"no_discussion_flag": True}])
def test_better_candidates_the_rule_keeps_out_never_stand_in_for_one_it_lets_in(changes):
    # Five better, alike candidates from five organisations would let the exact reduction drop 6 if they could
    # stand in for it; they cannot, since the rule keeps them out and lets 6 in.
    rows = [cand(i, 5.0, reviews=1, flagged=True) for i in range(1, 6)] + [cand(6, 1.0, reviews=2, flagged=False)]
    result = select_presenters(pd.DataFrame(rows), rules(slots=1, **changes))
    assert result.feasible and set(result.members) == {6}
    assert result.rule_costs[-1].given_up == pytest.approx(4.0)
