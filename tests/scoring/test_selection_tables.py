"""Display frames of a selection: reasons and replacements per pick, rule costs,
saved rules in words, and the pin/exclude choices (saved pins that are no
longer eligible stay listed, with the reason)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from scoring.selection import SelectionRules, select_presenters
from scoring.selection.tables import choice_labels, picks_table, rule_costs_table, rules_summary


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


def test_choices_list_the_eligible_best_first_and_keep_ineligible_saved_pins(frame):
    choices = choice_labels(frame, also=[5])
    assert list(choices) == [1, 2, 3, 4, 5]
    assert choices[1] == "R-001 · 5.00 · Title 1"
    assert choices[5] == "R-005 · not eligible: anonymous · Title 5"
    assert 6 not in choices
