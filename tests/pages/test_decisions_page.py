"""The panel's decisions on the pages (ui.decisions): Rankings' "Decision" column, the selected row's
reason and history, the admin's form (typed reference, refusals in words, the lock from the page),
and Coverage's filter by decision. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import audit
from data_access import decisions as dec
from data_access.models import PanelDecision, User
from tests.factories import make_user
from tests.pages.test_coverage_page import call  # noqa: F401 (a fixture)
from tests.pages.test_rankings import DEFAULT_TABLE, main_table, panel  # noqa: F401 (panel: a fixture)
from tests.support.apptest import rerun, run_app, texts

RANKINGS = "pages/rankings.py"
COVERAGE = "pages/coverage.py"
TRICKY_REASON = "**Strong** <script>alert(1)</script> [link](http://x.example)"


@pytest.fixture
def ranked(request):
    """The Rankings page's panel (tests.pages.test_rankings.panel): four reviewed, CFE-0004 flagged."""
    return request.getfixturevalue("panel")


@pytest.fixture
def covered(request):
    """The Coverage page's call (tests.pages.test_coverage_page.call): strong, weak, waiting."""
    return request.getfixturevalue("call")


def decide(db, viewer, sid, decision, reason="The panel agreed.", expected=0):
    with db.write() as s:
        return dec.record_decision(
            s, viewer=viewer, submission_id=sid, decision=decision, reason=reason, expected_version=expected
        )


def record_button(at):
    return next(b for b in at.button if b.label == "Record the decision")


def type_reference(at, db_url, reference):
    at.text_input(key="decisions.reference").input(reference)
    return rerun(at, db_url)


def fill(at, decision, reason, key="decisions.typed"):
    [radio] = [r for r in at.radio if r.key and r.key.startswith(key) and r.key.endswith(".decision")]
    [area] = [t for t in at.text_area if t.key and t.key.startswith(key) and t.key.endswith(".reason")]
    radio.set_value(decision)
    area.input(reason)


def rows(db):
    with db.read() as s:
        return [(r.submission_id, r.version, r.decision) for r in s.scalars(select(PanelDecision).order_by("id"))]


def test_the_admin_records_a_decision_by_typed_reference_and_the_column_shows_it(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    assert not at.exception, at.exception
    assert set(main_table(at)["Decision"]) == {dec.NO_DECISION}
    type_reference(at, db_url, " cfe-0004 ")  # exactly CFE-0004, case and spaces aside
    assert "Panel's decision: no decision yet." in texts(at)
    fill(at, "shortlisted", TRICKY_REASON)
    record_button(at).click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "Recorded: CFE-0004 shortlisted." in [s.value for s in at.success]
    assert rows(db) == [(ranked["ids"][3], 1, "shortlisted")]
    table = main_table(at)
    assert table.loc[table["Title"] == "Fourth evidence", "Decision"].tolist() == ["Shortlisted"]
    assert (table["Decision"] == dec.NO_DECISION).sum() == 3
    # The reason is text, never Markdown.
    assert any(t.value.endswith("Reason: " + TRICKY_REASON) for t in at.text)
    assert not any("Strong" in m.value for m in at.markdown)
    with db.read() as s:
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="decision.record")).iloc[0]
    assert entry["actor"] == ranked["admin"].username and entry["new"]["reason"] == TRICKY_REASON
    rerun(at, db_url)
    assert not at.success  # said once, on the run after the press
    assert "Panel's decision: Shortlisted (by " in texts(at)


def test_a_reference_not_typed_exactly_is_refused_in_words(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    type_reference(at, db_url, "CFE-4")
    assert "CFE-4 is not a reference of a submission of this call (type it exactly)." in [e.value for e in at.error]
    assert not [b for b in at.button if b.label == "Record the decision"]


def test_a_decision_without_a_reason_is_refused_and_nothing_is_recorded(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    type_reference(at, db_url, "CFE-0001")
    fill(at, "not_shortlisted", "   ")
    record_button(at).click()
    rerun(at, db_url)
    assert any("Give the panel's reason" in e.value for e in at.error)
    assert rows(db) == []


def test_a_decision_recorded_by_another_admin_after_the_form_was_drawn_is_not_overwritten(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    type_reference(at, db_url, "CFE-0002")  # the form is drawn for "no decision yet"
    with db.write() as s:
        other = make_user(s, role="admin")
    decide(db, other, ranked["ids"][1], "not_shortlisted", reason="Other admin, first.")
    fill(at, "shortlisted", "This admin, late.")
    record_button(at).click()
    rerun(at, db_url)
    assert any("Someone else recorded a decision on CFE-0002" in e.value for e in at.error)
    assert rows(db) == [(ranked["ids"][1], 1, "not_shortlisted")]


def test_an_admin_demoted_after_the_form_was_drawn_is_refused_at_the_press_and_it_is_logged(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    type_reference(at, db_url, "CFE-0003")
    fill(at, "shortlisted", "Good.")
    with db.write() as s:
        s.get(User, ranked["admin"].user_id).role = "office"
    record_button(at).click()
    rerun(at, db_url)
    assert rows(db) == []
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    assert "record the panel's decision" in set(denied["detail"].str.split(";").str[0])


def test_the_office_reads_the_decision_its_reason_and_history_but_records_none(db, db_url, ranked):
    sid = ranked["ids"][3]
    decide(db, ranked["admin"], sid, "needs_more_reviews", reason="Scores 1 and 5: ask a third reviewer.")
    decide(db, ranked["admin"], sid, "shortlisted", reason=TRICKY_REASON, expected=1)
    at = run_app(db_url, ranked["office"], page=RANKINGS)
    assert not at.exception, at.exception
    assert not [e for e in at.expander if e.label == "Record the panel's decision"]
    table = main_table(at)
    assert table.loc[table["Title"] == "Fourth evidence", "Decision"].tolist() == ["Shortlisted"]
    row = list(table["Title"]).index("Fourth evidence")
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert any(t.value.startswith("Panel's decision: Shortlisted (by ") for t in at.text)
    assert any(t.value.endswith("Reason: " + TRICKY_REASON) for t in at.text)
    history = next(df.value for df in at.dataframe if "Reason" in df.value.columns)
    assert history[["#", "Decision", "Reason"]].values.tolist() == [
        [1, "Needs more reviews", "Scores 1 and 5: ask a third reviewer."]
    ]
    assert not [b for b in at.button if b.label == "Record the decision"]


def test_the_admin_records_from_the_selected_row_too(db, db_url, ranked):
    at = run_app(db_url, ranked["admin"], page=RANKINGS)
    row = list(main_table(at)["Title"]).index("Second evidence")
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    rerun(at, db_url)
    fill(at, "not_shortlisted", "Outside the call's scope.", key="decisions.row")
    record_button(at).click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert rows(db) == [(ranked["ids"][1], 1, "not_shortlisted")]


def test_coverage_filters_by_the_panels_decision(db, db_url, covered):
    decide(db, covered["admin"], covered["strong"], "shortlisted")
    decide(db, covered["admin"], covered["weak"], "needs_more_reviews")
    at = run_app(db_url, covered["office"], page=COVERAGE)
    assert not at.exception, at.exception
    assert "3 submissions shown" in texts(at)
    for chosen, shown in (
        (["shortlisted"], "1 submission shown"),
        (["shortlisted", "needs_more_reviews"], "2 submissions shown"),
        (["none"], "1 submission shown"),
        (["not_shortlisted"], "0 submissions shown"),
    ):
        at.multiselect(key="coverage.decision").set_value(chosen)
        rerun(at, db_url)
        assert not at.exception, at.exception
        assert shown in texts(at), chosen


def test_a_reviewer_never_reaches_the_decisions(db, db_url, ranked):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
    decide(db, ranked["admin"], ranked["ids"][0], "shortlisted", reason="Reviewers must not read this.")
    for page in (RANKINGS, COVERAGE):
        at = run_app(db_url, reviewer, page=page)
        assert "Reviewers must not read this." not in texts(at)
        assert not [df for df in at.dataframe if "Decision" in df.value.columns]
