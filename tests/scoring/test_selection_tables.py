"""Display frames of a selection: reasons and replacements per pick, rule costs,
saved rules in words, and the list behind the Pin and Exclude boxes (every
submission by reference, with its reviews, discussion flag and why it cannot
be pinned)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from scoring.selection import SelectionRules, select_presenters
from scoring.selection.tables import pick_list, picks_table, rule_costs_table, rules_summary, thin_picks


def cand(sid, score, **kw):
    row = {
        "submission_id": sid,
        "reference": f"R-{sid:03d}",
        "title": f"Title {sid}",
        "score": score,
        "anonymous": False,
        "presentation_preference": "either",
        "themes": ["t1"],
        "exploitation_types": ["f1"],
        "sector": "s1",
        "evidence_source": "practitioner",
        "organisation": f"Org {sid}",
    }
    return row | kw


@pytest.fixture
def frame():
    return pd.DataFrame(
        [
            cand(1, 5.0, sector="police"),
            cand(2, 4.9, sector="police"),
            cand(3, 4.8, sector="police"),
            cand(4, 4.0, sector="ngo"),
            cand(5, 3.0, anonymous=True),
            cand(6, math.nan),
        ]
    )


def test_picks_table_says_why_and_who_would_replace_each_pick(frame):
    rules = SelectionRules(slots=3, max_in_person=3, max_virtual=3, max_per_sector=2, pinned=(4,))
    table = picks_table(select_presenters(frame, rules), frame)
    assert table["Reference"].tolist() == ["R-001", "R-002", "R-004"]
    assert table["Format"].tolist() == ["In person"] * 3
    by_ref = table.set_index("Reference")
    assert by_ref.loc["R-004", "Pinned"] and "pinned by hand" in by_ref.loc["R-004", "Why it is there"]
    assert by_ref.loc["R-001", "Best replacement (every rule kept)"] == "R-003"
    assert by_ref.loc["R-001", "Score change if replaced"] == pytest.approx(-0.2)
    # The only submission outside the police sector: without it, two police per sector cannot fill 3 slots.
    assert by_ref.loc["R-004", "Best replacement (every rule kept)"] == "no line-up without it keeps every rule"
    assert by_ref["Score change if replaced"].isna().loc["R-004"]
    assert by_ref.loc["R-004", "Organisation"] == "Org 4"


def test_rule_costs_table_names_each_rule_with_both_figures(frame):
    rules = SelectionRules(slots=3, max_in_person=3, max_virtual=3, max_per_sector=2)
    table = rule_costs_table(select_presenters(frame, rules))
    row = table.set_index("Rule").loc["at most 2 per sector"]
    assert row["Given up for this rule"] == pytest.approx(0.8)
    assert row["This rule alone vs the plain top 3"] == pytest.approx(0.8)


def test_rules_summary_names_pins_and_exclusions_by_reference():
    rules = SelectionRules(slots=2, max_in_person=1, max_virtual=1, pinned=(1,), excluded=(2, 3))
    rows = rules_summary(rules, {1: "R-001", 2: "R-002"})["Rules"].tolist()
    assert rows[:3] == ["exactly 2 presenters", "at most 1 in person", "at most 1 virtual"]
    assert rows[-2:] == ["pinned: R-001", "excluded: R-002, 3"]


def test_pick_list_shows_every_submission_by_reference_with_reviews_flag_and_why_it_cannot_be_pinned(frame):
    frame = frame.assign(reviews=[3, 1, 2, 2, 2, 0], flagged=[False, False, True, False, False, False])
    rules = SelectionRules(
        slots=2, max_in_person=2, max_virtual=2, min_reviews=2, no_discussion_flag=True, excluded=(4,)
    )
    table = pick_list(frame, rules).set_index("Reference")
    assert list(table.index) == [f"R-{i:03d}" for i in range(1, 7)]
    assert table.loc["R-001", "Title"] == "Title 1"
    assert table.loc["R-001", "Reviews"] == 3 and not table.loc["R-001", "Flagged for discussion"]
    assert table.loc["R-003", "Flagged for discussion"]
    status = table["Can be pinned"]
    assert status["R-001"] == "yes"
    assert status["R-002"] == "no: it has 1 submitted review, fewer than the 2 required"
    assert status["R-003"].startswith("no: it is flagged for discussion")
    assert status["R-004"] == "no: it is excluded at the same time"
    assert status["R-005"] == "no: it is anonymous"
    assert status["R-006"] == "no: it has no submitted review yet (no score)"


def test_picks_show_their_reviews_and_flag_and_thin_picks_are_named(frame):
    frame = frame.assign(reviews=[1, 3, 3, 3, 3, 0], flagged=[False, True, False, False, False, False])
    result = select_presenters(frame, SelectionRules(slots=2, max_in_person=2, max_virtual=2))
    table = picks_table(result, frame).set_index("Reference")
    assert table.loc["R-001", "Reviews"] == 1 and not table.loc["R-001", "Flagged for discussion"]
    assert table.loc["R-002", "Reviews"] == 3 and table.loc["R-002", "Flagged for discussion"]
    assert thin_picks(table.reset_index(), 2) == [
        "R-001: fewer than 2 submitted reviews (1).",
        "R-002: flagged for discussion (the reviewers disagree).",
    ]
    strict = SelectionRules(slots=2, max_in_person=2, max_virtual=2, min_reviews=2, no_discussion_flag=True)
    assert thin_picks(picks_table(select_presenters(frame, strict), frame), 2) == []
