"""`?submission=REF` on the Submissions page, and the evidence links in a submission's detail."""

from __future__ import annotations

from urllib.parse import parse_qs

from streamlit.testing.v1 import AppTest

from data_access import audit
from data_access.submissions import SubmissionFilter
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import rerun, run_app, texts
from ui.links import evidence_link
from ui.render import table_key
from ui.submission_url import NOT_AVAILABLE

PAGE = "pages/submissions.py"
GOOD_LINK = "https://example.org/report.pdf"
BAD_LINK = "javascript:alert(1)"
ANON_LINK = "https://hidden-org.example/annual-report.pdf"
TITLE = "Mine: see https://title.example/x"  # an address in a title or summary is text, never a link
SUMMARY = "[summary](https://summary.example/) <a href='https://summary.example/'>s</a>"


def page_links(at: AppTest) -> list[tuple[str, dict[str, list[str]]]]:
    """Each page link on the page: the page it opens and its query parameters."""
    return [(el.proto.page, parse_qs(el.proto.query_string)) for el in at.get("page_link")]


def evidence_anchors(at: AppTest) -> list[str]:
    """The HTML of each live evidence link on the page (`ui.links.anchor`); any other
    `st.html` (the app's constant stylesheet) is left out."""
    return [el.proto.body for el in at.get("html") if "data-evidence-link" in el.proto.body]


def open_url(at: AppTest, db_url: str, **params: str) -> AppTest:
    for name, value in params.items():
        at.query_params[name] = value
    return rerun(at, db_url)


def _setup(db, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
        office = make_user(s, role="office")
        mine = make_submission(
            s, call_config, reference="CFE-0001", title=TITLE, summary=SUMMARY, links=[GOOD_LINK, BAD_LINK]
        )
        anon = make_submission(
            s, call_config, reference="CFE-0002", title="Anonymous one", anonymous=True, links=[ANON_LINK]
        )
        make_submission(s, call_config, reference="CFE-0003", title="Someone else's")
        make_submission(s, call_config, reference="CFE-0004", title="Anonymous, not theirs", anonymous=True)
        assign(s, mine, reviewer)
        assign(s, anon, reviewer)
    return reviewer, office


def denied(db) -> list[tuple[str, str]]:
    with db.read() as s:
        rows = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    return sorted(zip(rows["actor"], rows["entity_id"], strict=True))


def test_a_link_to_a_submission_opens_its_detail_when_the_viewer_may_see_it(db, db_url, call_config):
    reviewer, office = _setup(db, call_config)
    for person, reference in ((reviewer, "CFE-0001"), (office, "CFE-0003"), (office, "CFE-0002")):
        at = open_url(run_app(db_url, person, page=PAGE), db_url, submission=reference)
        assert not at.exception, at.exception
        assert not at.error
        assert f"Submission {reference}" in texts(at)
        assert at.query_params["submission"] == reference
    assert denied(db) == []


def test_a_reference_the_viewer_may_not_see_gets_words_alone_and_is_logged(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    crafted = [
        "CFE-0003",  # someone else's
        "CFE-0004",  # someone else's anonymous submission
        "CFE-9999",  # unknown
        "CFE-0001' OR '1'='1",
        "CFE-0001; DROP TABLE submissions; --",
        "x" * 5000,
        "CFE-０００１",  # full-width digits
        "CFE-0001\x00",
        "CFE-0001\n",
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
    ]
    for value in crafted:
        at = open_url(run_app(db_url, reviewer, page=PAGE), db_url, submission=value)
        assert not at.exception, (value, at.exception)
        assert [e.value for e in at.error] == [NOT_AVAILABLE], value
        shown = texts(at)
        assert "Submission CFE-" not in shown and "Someone else's" not in shown and "not theirs" not in shown
        assert not evidence_anchors(at)
    logged = denied(db)
    assert {actor for actor, _ in logged} == {reviewer.username}
    assert len(logged) == len(crafted)  # one entry each
    ids = {entity_id for _, entity_id in logged}
    assert {"CFE-0003", "CFE-0004", "CFE-9999", "CFE-0001' OR '1'='1", "x" * 64, "CFE-0001?"} <= ids
    assert all(len(i) <= 64 and "\x00" not in i for i in ids)
    with db.read() as s:  # nothing else happened: the submissions are all there
        assert len(audit.list_entries(s, filters=audit.AuditFilter(action="submission.view"))) == 0


def test_a_refused_link_is_logged_once_however_often_the_page_reruns(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    at = open_url(run_app(db_url, reviewer, page=PAGE), db_url, submission="CFE-0003")
    rerun(at, db_url)
    rerun(at, db_url)
    assert [e.value for e in at.error] == [NOT_AVAILABLE]
    assert denied(db) == [(reviewer.username, "CFE-0003")]


def test_the_older_ref_parameter_still_opens_and_becomes_submission(db, db_url, call_config):
    reviewer, _office = _setup(db, call_config)
    at = open_url(run_app(db_url, reviewer, page=PAGE), db_url, ref="CFE-0001")
    assert "Submission CFE-0001" in texts(at)
    assert at.query_params["submission"] == "CFE-0001" and "ref" not in at.query_params


def test_the_url_follows_the_submission_opened_and_a_new_url_wins_over_an_old_row(db, db_url, call_config):
    _reviewer, office = _setup(db, call_config)
    at = run_app(db_url, office, page=PAGE)
    at.session_state[table_key("submissions.table", SubmissionFilter())] = {
        "selection": {"rows": [2], "columns": [], "cells": []}
    }
    rerun(at, db_url)
    assert "Submission CFE-0003" in texts(at)
    assert at.query_params["submission"] == "CFE-0003"
    # Back/forward or a link changes the URL while that row is still selected: the URL wins.
    open_url(at, db_url, submission="CFE-0001")
    assert "Submission CFE-0001" in texts(at) and "Submission CFE-0003" not in texts(at)
    at.button(key="submissions.close").click()
    rerun(at, db_url)
    assert "submission" not in at.query_params


def test_an_https_link_is_live_and_anything_else_stays_text(db, db_url, call_config):
    reviewer, office = _setup(db, call_config)
    for person in (reviewer, office):
        at = open_url(run_app(db_url, person, page=PAGE), db_url, submission="CFE-0001")
        [live] = evidence_anchors(at)
        link = evidence_link(GOOD_LINK)
        assert f'href="{GOOD_LINK}"' in live and 'rel="noopener noreferrer"' in live and 'target="_blank"' in live
        assert f">{link.text}</a>" in live and "example.org — " in live
        assert BAD_LINK in [t.value for t in at.text]
        assert {TITLE, SUMMARY} <= {t.value for t in at.text} and "title.example" not in live
        assert all("summary.example" not in m.value for m in (*at.markdown, *at.caption))
        assert all(BAD_LINK not in m.value for m in (*at.markdown, *at.caption))


def test_an_anonymous_submissions_links_stay_hidden_from_reviewers(db, db_url, call_config):
    reviewer, office = _setup(db, call_config)
    at = open_url(run_app(db_url, reviewer, page=PAGE), db_url, submission="CFE-0002")
    assert "Submission CFE-0002" in texts(at)
    assert not evidence_anchors(at) and "hidden-org" not in texts(at)
    staff = open_url(run_app(db_url, office, page=PAGE), db_url, submission="CFE-0002")
    assert any(f'href="{ANON_LINK}"' in body for body in evidence_anchors(staff))
