"""The Submissions page as each role sees it."""

from streamlit.testing.v1 import AppTest

from data_access import audit
from data_access.submissions import SubmissionFilter
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import database_env, run_app, texts
from ui.render import table_key

NASTY = "<script>alert(1)</script> [click](javascript:alert(2)) ![x](https://img.example/x.png) $x^2$ :red[red]"


def open_detail(at: AppTest, db_url: str, reference: str) -> AppTest:
    at.query_params["ref"] = reference
    with database_env(db_url):
        at.run()
    return at


def _setup(db, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
        office = make_user(s, role="office")
        mine = make_submission(
            s, call_config, reference="CFE-0001", title=NASTY, summary=NASTY, organisation="Visible Org"
        )
        anon = make_submission(
            s,
            call_config,
            reference="CFE-0002",
            title="Anonymous one",
            anonymous=True,
            organisation="Hidden Org",
            contact_name="Secret Person",
        )
        make_submission(s, call_config, reference="CFE-0003", title="Someone else's")
        assign(s, mine, reviewer)
        assign(s, anon, reviewer)
    return reviewer, office


def test_a_reviewer_lists_their_submissions_without_anonymous_identities(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    at = run_app(db_url, reviewer, page="pages/submissions.py")
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["Reference"]) == ["CFE-0001", "CFE-0002"]
    assert "Hidden Org" not in texts(at) and "Secret Person" not in texts(at)
    at = open_detail(at, db_url, "CFE-0002")
    shown = texts(at)
    assert "Hidden Org" not in shown and "Secret Person" not in shown
    assert "identity is hidden" in shown


def test_contributor_text_is_rendered_as_text_not_markdown(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    at = open_detail(run_app(db_url, reviewer, page="pages/submissions.py"), db_url, "CFE-0001")
    assert NASTY in [t.value for t in at.text]  # title and summary as plain text elements
    for element in (*at.markdown, *at.caption, *at.title, *at.subheader, *at.info, *at.warning):
        assert "<script>" not in element.value and "javascript:" not in element.value


def test_opening_an_unassigned_submission_by_url_is_refused_and_logged(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    at = open_detail(run_app(db_url, reviewer, page="pages/submissions.py"), db_url, "CFE-0003")
    assert [e.value for e in at.error] == ["That submission is not available to you."]
    assert "Someone else's" not in texts(at)
    unknown = open_detail(run_app(db_url, reviewer, page="pages/submissions.py"), db_url, "CFE-9999")
    assert [e.value for e in unknown.error] == ["That submission is not available to you."]
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    assert set(denied["entity_id"]) == {"CFE-0003", "CFE-9999"}
    assert set(denied["actor"]) == {reviewer.username}


def test_the_office_sees_everything_and_anonymous_details_are_flagged(db, db_url, call_config):
    _reviewer, office = _setup(db, call_config)
    at = run_app(db_url, office, page="pages/submissions.py")
    assert list(at.dataframe[0].value["Reference"]) == ["CFE-0001", "CFE-0002", "CFE-0003"]
    at = open_detail(at, db_url, "CFE-0002")
    assert "Secret Person" in [t.value for t in at.text]
    assert any("Anonymous submission" in w.value for w in at.warning)


def test_search_box_filters_the_table(db, db_url, call_config):
    _reviewer, office = _setup(db, call_config)
    at = run_app(db_url, office, page="pages/submissions.py")
    at.text_input(key="submissions.search").input("someone")
    with database_env(db_url):
        at.run()
    assert list(at.dataframe[0].value["Reference"]) == ["CFE-0003"]


def test_a_row_selected_before_a_new_search_does_not_open_another_submission(db, db_url, call_config):
    _reviewer, office = _setup(db, call_config)
    at = run_app(db_url, office, page="pages/submissions.py")
    # The office selects the third row (CFE-0003)...
    at.session_state[table_key("submissions.table", SubmissionFilter())] = {
        "selection": {"rows": [2], "columns": [], "cells": []}
    }
    with database_env(db_url):
        at.run()
    assert "Submission CFE-0003" in texts(at)
    # ...then searches: the search lists other rows, and the selection must not
    # now name whichever submission stands third (or first) among them.
    at.text_input(key="submissions.search").set_value("anonymous")
    with database_env(db_url):
        at.run()
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Reference"]) == ["CFE-0002"]
    assert "Submission CFE-0003" in texts(at) and "Submission CFE-0002" not in texts(at)
