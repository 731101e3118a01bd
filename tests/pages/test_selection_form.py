"""The Selection rules form always shows the rules in force.

A browser shows a box's value only when the element says to set it, or the
box's default when it draws the box afresh; Streamlit says to set a value given
through session state only around the run that gives it, and a run cut short
by a rerun request (the sign-in cookie's) never reaches the browser. Seen in
a fresh-clone CI run: a new session's form showed 1 slot and 0 in every other
box, above the line-up for the call's defaults (6 slots, at most 4 in person),
and "Propose line-up" applied what the form showed. So in every run, whatever
the browser held before, a box drawn afresh shows what the server holds: the
rules applied, or the person's own edits."""

from __future__ import annotations

import pytest

from scoring.selection import SelectionRules
from tests.pages.test_selection_page import SELECTION, call, line_up_table, number, submit  # noqa: F401 (call: a fixture)
from tests.support.apptest import rerun, run_app
from tests.support.interrupted import cut_once, shown_afresh
from ui import selection as selection_ui

OVERVIEW = "pages/overview.py"


BOXES = {
    selection_ui.PREFIX + name for name, *_rest in (*selection_ui.NUMBERS, *selection_ui.CHECKS, *selection_ui.PICKS)
}


@pytest.fixture
def reviewed(request):
    """The Selection page's call (tests.pages.test_selection_page.call): twelve eligible, two never picked."""
    return request.getfixturevalue("call")


def form_shown(at) -> dict[str, object]:
    """What a browser drawing the rules form afresh shows in each box, by key."""
    return {w.key: shown_afresh(w) for w in (*at.number_input, *at.checkbox, *at.text_input) if w.key in BOXES}


def applied_form(call_config, **changes) -> dict[str, object]:
    return selection_ui._values(SelectionRules.from_config(call_config, **changes), {})


def test_a_first_visit_cut_after_the_form_was_drawn_still_shows_the_rules_applied(
    db_url, reviewed, call_config, monkeypatch
):
    # The page's first run draws the form and is cut before its messages leave (the browser asks for a rerun).
    cuts = cut_once(monkeypatch, selection_ui, "saved_line_ups")
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    assert cuts and not at.exception, at.exception
    expected = applied_form(call_config)
    assert expected["selection.slots"] == 6 and expected["selection.max_in_person"] == 4
    assert form_shown(at) == expected
    assert [m.label for m in at.metric][1] == "Plain top 6 by score"


def test_every_later_run_draws_the_form_with_the_rules_applied(db_url, reviewed, call_config):
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    for _ in range(2):  # an unrelated run, then another: a browser drawing the form afresh shows the rules
        rerun(at, db_url)
        assert form_shown(at) == applied_form(call_config)


def test_proposed_rules_are_shown_in_later_runs_and_after_leaving_the_page(db_url, reviewed, call_config):
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    number(at, "Presenter slots").set_value(5)
    at.text_input(key="selection.pinned").input("cfe-0005")
    at = submit(at, "Propose line-up", db_url)
    assert "CFE-0005" in set(line_up_table(at)["Reference"])
    assert number(at, "Presenter slots").value == 5
    proposed = applied_form(call_config, slots=5) | {"selection.pinned": "CFE-0005"}
    assert form_shown(at) == proposed  # the run that applies them says to set them
    rerun(at, db_url)
    assert form_shown(at) == proposed
    at.switch_page(OVERVIEW)
    rerun(at, db_url)
    at.switch_page(SELECTION)
    rerun(at, db_url)  # the boxes' state went with the page; the rules applied did not
    assert not at.exception, at.exception
    assert [m.label for m in at.metric][1] == "Plain top 5 by score"
    assert number(at, "Presenter slots").value == 5 and at.text_input(key="selection.pinned").value == "CFE-0005"
    assert form_shown(at) == proposed


def test_a_refused_edit_stays_on_screen_and_back_to_the_defaults_shows_the_defaults(db_url, reviewed, call_config):
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    number(at, "Presenter slots").set_value(3)
    at.text_input(key="selection.pinned").input("CFE-0099")
    at = submit(at, "Propose line-up", db_url)
    assert any("Nothing changed" in e.value for e in at.error)
    assert [m.label for m in at.metric][1] == "Plain top 6 by score"
    typed = applied_form(call_config) | {"selection.slots": 3, "selection.pinned": "CFE-0099"}
    for _ in range(2):  # the person's edits, not the rules applied, whichever run the browser draws from
        assert form_shown(at) == typed
        rerun(at, db_url)
    at = submit(at, "Back to the call's defaults", db_url)
    assert form_shown(at) == applied_form(call_config)
    rerun(at, db_url)
    assert form_shown(at) == applied_form(call_config)


@pytest.mark.parametrize("cut_at", ["before the form", "after the form"])
def test_back_to_the_defaults_cut_short_still_shows_the_defaults(db_url, reviewed, call_config, monkeypatch, cut_at):
    at = run_app(db_url, reviewed["admin"], page=SELECTION)
    number(at, "Presenter slots").set_value(5)
    at = submit(at, "Propose line-up", db_url)
    assert form_shown(at)["selection.slots"] == 5
    cuts = cut_once(monkeypatch, selection_ui, "rules_form" if cut_at == "before the form" else "saved_line_ups")
    at = submit(at, "Back to the call's defaults", db_url)
    assert cuts and not at.exception, at.exception
    assert [m.label for m in at.metric][1] == "Plain top 6 by score"
    assert form_shown(at) == applied_form(call_config)
