"""The buttons that queue messages, in AppTest: "Tell reviewers about new
assignments" and "Remind" on the Assignments page, and the acknowledgement
option of the Import page. Both databases."""

import pytest
from sqlalchemy import select

from data_access.models import OutboxMessage
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import rerun, run_app, texts
from tests.support.spreadsheets import template_csv, valid_row

ASSIGNMENTS = "pages/assignments.py"
IMPORT = "pages/import_submissions.py"


@pytest.fixture
def call(db, call_config, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", "https://evidence.example.org")
    with db.write() as s:
        admin = make_user(s, role="admin")
        sub = make_submission(
            s, call_config, reference="CFE-0001", title="Hidden voices", anonymous=True, contact_name="Secret Person"
        )
        ann = make_user(s, name="Ann Reviewer", email="ann@panel.example.org")
        bob = make_user(s, name="Bob Reviewer", email="bob@panel.example.org")
        cat = make_user(s, name="Cat Noaddress")
        for who in (ann, bob, cat):
            assign(s, sub, who)
    return {"admin": admin, "ann": ann, "bob": bob, "cat": cat}


def messages(db):
    with db.read() as s:
        return [(m.purpose, m.recipient_email) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_tell_reviewers_queues_one_digest_each_and_a_second_click_nothing(db, db_url, call):
    at = run_app(db_url, call["admin"], page=ASSIGNMENTS)
    assert not at.exception
    at.button(key="assignments.digest").click()
    rerun(at, db_url)
    assert not at.exception
    assert messages(db) == [
        ("reviewer.assignments", "ann@panel.example.org"),
        ("reviewer.assignments", "bob@panel.example.org"),
    ]
    shown = texts(at)
    assert "reviewer.assignments: 2 queued" in shown and "not reachable: Cat Noaddress (no email address)" in shown
    at.button(key="assignments.digest").click()
    rerun(at, db_url)
    assert "reviewer.assignments: 0 queued" in texts(at)
    assert len(messages(db)) == 2


def test_remind_some_then_all(db, db_url, call):
    at = run_app(db_url, call["admin"], page=ASSIGNMENTS)
    who = at.multiselect(key="assignments.remind.who")
    assert set(who.options) == {
        "Ann Reviewer (1 unfinished)",
        "Bob Reviewer (1 unfinished)",
        "Cat Noaddress (1 unfinished)",
    }
    who.set_value([call["bob"].user_id])
    rerun(at, db_url)
    at.button(key="assignments.remind").click()
    rerun(at, db_url)
    assert not at.exception
    assert messages(db) == [("reviewer.overdue", "bob@panel.example.org")]  # the test call's deadline has passed
    at.multiselect(key="assignments.remind.who").set_value([])  # nobody chosen: all with unfinished reviews
    rerun(at, db_url)
    at.button(key="assignments.remind").click()
    rerun(at, db_url)
    assert sorted(messages(db)) == [
        ("reviewer.overdue", "ann@panel.example.org"),
        ("reviewer.overdue", "bob@panel.example.org"),
    ]
    shown = texts(at)
    assert "already queued for Bob Reviewer" in shown and "not reachable: Cat Noaddress" in shown


def test_a_reviewer_cannot_open_the_assignments_page_to_queue(db, db_url, call):
    admins = run_app(db_url, call["admin"], page=ASSIGNMENTS)
    assert {"assignments.digest", "assignments.remind"} <= {b.key for b in admins.button}
    at = run_app(db_url, call["ann"], page=ASSIGNMENTS)
    assert "assignments.digest" not in [b.key for b in at.button]
    assert "assignments.remind" not in [b.key for b in at.button]


def test_without_the_public_address_the_buttons_queue_nothing_and_say_why(db, db_url, call, monkeypatch):
    monkeypatch.delenv("EVIDENCE_PUBLIC_URL")
    at = run_app(db_url, call["admin"], page=ASSIGNMENTS)
    at.button(key="assignments.digest").click()
    rerun(at, db_url)
    assert any("Nothing was queued" in e.value for e in at.error)
    assert "EVIDENCE_PUBLIC_URL" in texts(at)
    assert messages(db) == []


def import_with(at, db_url, content, *, acknowledge):
    at.file_uploader[0].set_value(("subs.csv", content, "text/csv"))
    rerun(at, db_url)
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    at.checkbox(key="import.acknowledge").set_value(acknowledge)
    at.button(key="import.confirm").click()
    return rerun(at, db_url)


def test_import_with_acknowledgements(db, db_url, call):
    content = template_csv(
        [
            valid_row(7, contact_email="seven@contributor.example.org"),
            valid_row(8, contact_email="eight..eight@contributor.example.org"),
        ]
    )
    at = run_app(db_url, call["admin"], page=IMPORT)
    import_with(at, db_url, content, acknowledge=True)
    assert not at.exception
    assert any("2 added" in s.value for s in at.success)
    assert messages(db) == [("contributor.acknowledgement", "seven@contributor.example.org")]
    report = [t.value for t in at.text if "acknowledgements:" in t.value]
    assert report and "not queued, CFE-0008:" in report[0] and "eight..eight" not in report[0]


def test_import_without_acknowledgements_queues_nothing(db, db_url, call):
    at = run_app(db_url, call["admin"], page=IMPORT)
    import_with(at, db_url, template_csv([valid_row(7)]), acknowledge=False)
    assert any("1 added" in s.value for s in at.success)
    assert messages(db) == []
