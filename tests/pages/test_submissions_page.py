"""The Submissions page as each role sees it."""

from sqlalchemy import update
from streamlit.testing.v1 import AppTest

from config.settings import DocumentLimits
from data_access import audit
from data_access.documents import attach_document
from data_access.models import Submission, SubmissionLink
from data_access.submissions import SubmissionFilter, submission_id_for_reference
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import database_env, rerun, run_app, texts
from ui.render import table_key

PAGE = "pages/submissions.py"
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
    for element in (*at.markdown, *at.caption, *at.title, *at.header, *at.info, *at.warning):
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


def _publish_form(at: AppTest, sub_id: int):
    fields = {
        w.key.split(".")[-1]: w
        for w in (*at.text_input, *at.text_area)
        if w.key and w.key.startswith(f"redact.{sub_id}.")
    }
    return fields


def test_the_admin_publishes_a_version_of_the_region_and_links_that_reviewers_see(db, db_url, call_config):
    reviewer, office = _setup(db, call_config)
    with db.write() as s:
        admin = make_user(s, role="admin")
        anon = submission_id_for_reference(s, "CFE-0002")
        s.execute(update(Submission).where(Submission.id == anon).values(region="Little Harbour Street"))
        s.add(SubmissionLink(submission_id=anon, position=0, url="https://hidden-org.example/report.pdf"))
    # Before: the reviewer sees neither the region nor the link, nor any stand-in.
    before = texts(open_detail(run_app(db_url, reviewer, page=PAGE), db_url, "CFE-0002"))
    assert "Little Harbour" not in before and "hidden-org" not in before and "published for reviewers" not in before
    # Neither the reviewer nor the office has the admin's panel.
    for person in (reviewer, office):
        at = open_detail(run_app(db_url, person, page=PAGE), db_url, "CFE-0002")
        assert not _publish_form(at, anon) and "Versions for reviewers" not in [e.label for e in at.expander]

    at = open_detail(run_app(db_url, admin, page=PAGE), db_url, "CFE-0002")
    form = _publish_form(at, anon)
    assert set(form) == {"organisation", "contact_name", "contact_email", "region", "links"}
    # A version that still names them is refused, with a message, and nothing is published.
    form["region"].input("Near Little Harbour Street")
    at.button(key=next(b.key for b in at.button if "FormSubmitter" in b.key)).click()
    at = rerun(at, db_url)
    assert any("names nobody" in e.value for e in at.error)
    with db.read() as s:
        assert s.get(Submission, anon).redactions is None
    form = _publish_form(at, anon)
    form["region"].input("A coastal town in the North West")
    form["links"].input("The evaluation report (address withheld)")
    at.button(key=next(b.key for b in at.button if "FormSubmitter" in b.key)).click()
    at = rerun(at, db_url)
    assert not at.exception
    assert any("Published" in m.value for m in at.success)
    assert _publish_form(at, anon)["region"].value == "A coastal town in the North West"  # the form shows it now

    shown = texts(open_detail(run_app(db_url, reviewer, page=PAGE), db_url, "CFE-0002"))
    assert "A coastal town in the North West" in shown and "The evaluation report (address withheld)" in shown
    assert "Region (the version published for reviewers)" in shown
    assert "Little Harbour" not in shown and "hidden-org" not in shown and "Hidden Org" not in shown
    office_view = texts(open_detail(run_app(db_url, office, page=PAGE), db_url, "CFE-0002"))
    assert "Little Harbour Street" in office_view and "hidden-org.example" in office_view
    with db.read() as s:
        logged = audit.list_entries(s, filters=audit.AuditFilter(action="submission.redactions"))
    assert list(logged["actor"]) == [admin.username]


def test_every_view_of_a_submissions_detail_is_logged_once_a_day_per_person(db, db_url, call_config):
    reviewer, office = _setup(db, call_config)

    def views():
        with db.read() as s:
            logged = audit.list_entries(s, filters=audit.AuditFilter(action="submission.view"))
        return sorted(zip(logged["actor"], (n["reference"] for n in logged["new"]), strict=True))

    at = run_app(db_url, reviewer, page=PAGE)
    assert views() == []  # the list alone is not a detail view
    at = open_detail(at, db_url, "CFE-0002")
    assert views() == [(reviewer.username, "CFE-0002")]
    rerun(at, db_url)  # a rerun, and the same again in a new session: the same day, nothing more
    open_detail(run_app(db_url, reviewer, page=PAGE), db_url, "CFE-0002")
    assert views() == [(reviewer.username, "CFE-0002")]
    mine = run_app(db_url, reviewer, page="pages/my_reviews.py")  # opens the first of the queue, CFE-0001
    assert views() == sorted([(reviewer.username, "CFE-0002"), (reviewer.username, "CFE-0001")])
    mine.query_params["submission"] = "CFE-0002"  # seen today already, from the Submissions page
    rerun(mine, db_url)
    assert "Submission CFE-0002" in texts(mine)
    open_detail(run_app(db_url, office, page=PAGE), db_url, "CFE-0002")  # another person
    assert views() == sorted(
        [(reviewer.username, "CFE-0002"), (reviewer.username, "CFE-0001"), (office.username, "CFE-0002")]
    )
    with db.read() as s:
        logged = audit.list_entries(s, filters=audit.AuditFilter(action="submission.view", actor=office.username))
    assert logged["new"].iloc[0]["identity_shown"] is True and logged["entity"].iloc[0] == "submission"


def test_the_search_finds_submissions_by_their_documents_text_within_rights_and_shows_the_match_as_text(
    db, db_url, call_config
):
    reviewer, _office = _setup(db, call_config)
    with db.write() as s:
        admin = make_user(s, role="admin")
        for ref, body in (("CFE-0001", NASTY + " cuckooing toolkit"), ("CFE-0003", "cuckooing in Leeds")):
            attach_document(
                s,
                submission_id=submission_id_for_reference(s, ref),
                name="secret-name-of-file.txt",
                content=body.encode(),
                actor=admin,
                limits=DocumentLimits(),
            )
    at = run_app(db_url, reviewer, page=PAGE)
    at.text_input(key="submissions.search").set_value("cuckooing")
    rerun(at, db_url)
    assert not at.exception
    assert list(at.dataframe[0].value["Reference"]) == ["CFE-0001"]  # not CFE-0003: not assigned to them
    hits = at.dataframe[1].value
    assert list(hits["Reference"]) == ["CFE-0001"] and list(hits["Document"]) == ["Document 1 (text)"]
    assert NASTY.split(" ", 2)[2] in hits["Where it matched"][0]  # a cell: plain text
    assert "secret-name-of-file" not in texts(at) + hits.to_csv()
    for element in (*at.markdown, *at.caption, *at.header):
        assert "<script>" not in element.value and "cuckooing" not in element.value
    # Hostile queries: a result or a sentence, never an error.
    for query in ('"', "NEAR(", "*", " ".join(["abc"] * 33)):
        at.text_input(key="submissions.search").set_value(query)
        rerun(at, db_url)
        assert not at.exception and not at.error
    assert "at most 32 words" in at.warning[0].value
