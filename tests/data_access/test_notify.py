"""Digests of new assignments, reminders and acknowledgements (data_access.notify):
what is queued, to whom, once; who cannot be reached; a template that fails
queues nothing; and the messages arriving at a real SMTP server after
send-queued's delivery. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from data_access import delivery, import_attachments, notify
from data_access.models import Assignment, MessageTemplate, OutboxMessage, Submission, utcnow
from data_access.notify import NotifyError
from importing import propose_mapping, read_table
from tests.data_access.test_delivery import mail_settings
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.spreadsheets import template_csv, valid_row

BASE = "https://evidence.example.org"
LIMIT = 10 * 1024 * 1024


def outbox_rows(db, purpose=None):
    with db.read() as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            stmt = stmt.where(OutboxMessage.purpose == purpose)
        return [
            (m.purpose, m.recipient_email, m.recipient_user_id, m.submission_id, m.subject, m.body_text)
            for m in s.scalars(stmt)
        ]


def count(db) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


@pytest.fixture
def panel(db, call_config):
    """Two reachable reviewers, one without an address; an anonymous contributor's submission."""
    with db.write() as s:
        ann = make_user(s, name="Ann Reviewer", email="ann@panel.example.org")
        bob = make_user(s, name="Bob Reviewer", email="bob@panel.example.org")
        cat = make_user(s, name="Cat Noaddress")
        hidden = make_submission(
            s,
            call_config,
            reference="CFE-0001",
            title="Hidden voices",
            anonymous=True,
            contact_name="Secret Person",
            contact_email="secret.person@hidden.example",
            organisation="Hidden Survivors Network",
        )
        open_ = make_submission(s, call_config, reference="CFE-0002", title="Open practice")
        for sub, who in ((hidden, ann), (open_, ann), (open_, bob), (hidden, cat)):
            assign(s, sub, who)
    return {"ann": ann, "bob": bob, "cat": cat, "hidden": hidden, "open": open_}


def digests(db, call_config, **kwargs):
    with db.write() as s:
        return notify.queue_digests(s, config=call_config, base_url=BASE, actor="admin1", **kwargs)


def test_one_digest_per_reviewer_with_references_and_titles_and_no_identity(db, call_config, panel):
    report = digests(db, call_config)
    assert report.queued == ["Ann Reviewer", "Bob Reviewer"]
    assert report.unreachable == [("Cat Noaddress", "no email address")]
    rows = outbox_rows(db)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        ("reviewer.assignments", "ann@panel.example.org", panel["ann"].user_id),
        ("reviewer.assignments", "bob@panel.example.org", panel["bob"].user_id),
    ]
    ann_subject, ann_body = rows[0][4], rows[0][5]
    assert ann_subject == "2 new submissions for you to review"
    assert "- CFE-0001: Hidden voices" in ann_body and "- CFE-0002: Open practice" in ann_body
    assert f"{BASE}/" in ann_body
    assert "- CFE-0001" not in rows[1][5] and "- CFE-0002: Open practice" in rows[1][5]
    with db.read() as s:
        words = [(m.subject, m.body_text, m.body_html or "") for m in s.scalars(select(OutboxMessage))]
    assert all("CFE-0002" in html for _subject, _text, html in words)  # the HTML part is checked too
    for identity in ("Secret Person", "secret.person", "hidden.example", "Hidden Survivors Network"):
        assert not any(identity in part for message in words for part in message)


def test_a_second_click_queues_nothing_and_a_later_batch_queues_again(db, call_config, panel):
    digests(db, call_config)
    again = digests(db, call_config)
    assert (again.queued, again.already) == ([], [])
    assert count(db) == 2
    with db.write() as s:
        third = make_submission(s, call_config, reference="CFE-0003", title="Third thing")
        assign(s, third, panel["ann"])
    later = digests(db, call_config)
    assert later.queued == ["Ann Reviewer"]
    newest = outbox_rows(db)[-1]
    assert newest[1] == "ann@panel.example.org" and newest[4] == "1 new submission for you to review"
    assert "- CFE-0003: Third thing" in newest[5] and "CFE-0001" not in newest[5]
    assert count(db) == 3


def test_the_digest_key_is_the_set_of_assignments(db, call_config, panel):
    """Two runs that see the same new assignments (a double click, two servers) queue one message."""
    earlier = utcnow() - dt.timedelta(hours=1)  # before the assignments: both runs see them all as new
    first = digests(db, call_config, now=earlier)
    second = digests(db, call_config, now=earlier)
    assert first.queued == ["Ann Reviewer", "Bob Reviewer"]
    assert (second.queued, second.already) == ([], ["Ann Reviewer", "Bob Reviewer"])
    assert count(db) == 2
    assert notify.digest_key(7, [3, 1, 2]) == notify.digest_key(7, [1, 2, 3]) != notify.digest_key(7, [1, 2])


def test_a_conflicted_or_removed_assignment_is_not_in_the_digest(db, call_config, panel):
    from data_access.assignments import declare_conflict

    with db.write() as s:
        declare_conflict(
            s, submission_id=panel["hidden"], reviewer_id=panel["ann"].user_id, actor="admin1", source="admin"
        )
    digests(db, call_config)
    ann = [r for r in outbox_rows(db) if r[2] == panel["ann"].user_id]
    assert ann and "CFE-0001" not in ann[0][5] and ann[0][4] == "1 new submission for you to review"


def reminders(db, call_config, now, **kwargs):
    with db.write() as s:
        return notify.queue_reminders(s, config=call_config, base_url=BASE, actor="admin1", now=now, **kwargs)


def on(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def test_a_reminder_up_to_the_deadline_and_an_overdue_notice_after(db, call_config, panel):
    with db.write() as s:
        submit_review(s, call_config, panel["open"], panel["bob"])  # Bob has finished
    deadline = call_config.review_deadline
    before = reminders(db, call_config, on(deadline))
    assert before.purpose == "reviewer.reminder"
    assert before.queued == ["Ann Reviewer"] and "Bob Reviewer" in before.nothing_to_do
    [(purpose, to, _uid, _sub, subject, body)] = outbox_rows(db)
    assert (purpose, to) == ("reviewer.reminder", "ann@panel.example.org")
    assert subject.startswith("Reminder: 2 reviews due by ")
    assert "You have submitted 0 of your 2 reviews" in body and f"{BASE}/" in body

    after = reminders(db, call_config, on(deadline + dt.timedelta(days=1)))
    assert after.purpose == "reviewer.overdue" and after.queued == ["Ann Reviewer"]
    overdue = outbox_rows(db, "reviewer.overdue")
    assert [r[1] for r in overdue] == ["ann@panel.example.org"]
    assert overdue[0][4].startswith("Your reviews were due on ")


def test_reminders_twice_a_day_queue_once_and_again_the_next_day(db, call_config, panel):
    day = call_config.review_deadline - dt.timedelta(days=3)
    first = reminders(db, call_config, on(day, 9))
    second = reminders(db, call_config, on(day, 17))
    assert first.queued == ["Ann Reviewer", "Bob Reviewer"]
    assert (second.queued, second.already) == ([], ["Ann Reviewer", "Bob Reviewer"])
    assert count(db) == 2
    next_day = reminders(db, call_config, on(day + dt.timedelta(days=1), 9))
    assert next_day.queued == ["Ann Reviewer", "Bob Reviewer"] and count(db) == 4


def test_reviewers_without_a_usable_address_are_listed_and_nothing_is_queued_for_them(db, call_config, panel):
    with db.write() as s:
        dee = make_user(s, name="Dee Badaddress", email="dee,ops@panel.example.org")
        assign(s, panel["open"], dee)
    report = reminders(db, call_config, on(call_config.review_deadline))
    unreachable = dict(report.unreachable)
    assert set(unreachable) == {"Cat Noaddress", "Dee Badaddress"}
    assert unreachable["Cat Noaddress"] == "no email address" and "bare email address" in unreachable["Dee Badaddress"]
    assert sorted(r[1] for r in outbox_rows(db)) == ["ann@panel.example.org", "bob@panel.example.org"]
    assert any("not reachable: Dee Badaddress" in line for line in report.lines())


def test_some_reviewers_only(db, call_config, panel):
    report = reminders(db, call_config, on(call_config.review_deadline), reviewer_ids=[panel["bob"].user_id])
    assert report.queued == ["Bob Reviewer"]
    assert [r[1] for r in outbox_rows(db)] == ["bob@panel.example.org"]


def broken_template(db, purpose):
    """A stored wording that reads a variable the purpose does not have (written around the editor's check)."""
    with db.write() as s:
        s.add(
            MessageTemplate(
                purpose=purpose,
                subject="Hello {{ secret_identity }}",
                body_text="Body",
                body_html=None,
                version=1,
                updated_by="admin1",
                updated_at=utcnow(),
            )
        )


@pytest.mark.parametrize("purpose", ["reviewer.assignments", "reviewer.reminder"])
def test_a_template_that_fails_queues_nothing(db, call_config, panel, purpose):
    broken_template(db, purpose)
    with pytest.raises(NotifyError, match=f"The {purpose} template cannot be rendered"):
        if purpose == "reviewer.assignments":
            digests(db, call_config)
        else:
            reminders(db, call_config, on(call_config.review_deadline))
    assert count(db) == 0


def test_without_the_public_address_nothing_is_queued(db, call_config, panel):
    with pytest.raises(NotifyError, match="EVIDENCE_PUBLIC_URL"), db.write() as s:
        notify.queue_reminders(s, config=call_config, base_url="", actor="admin1")
    assert count(db) == 0


# --- acknowledgements on import ------------------------------------------------------------------


def import_file(db, call_config, rows, *, acknowledge=True):
    content = template_csv(rows)
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=LIMIT), call_config)
    lines: list[str] = []
    _plan, result, _report = import_attachments.run_import(
        db,
        bundle_path=None,
        dry_run=False,
        document_limits=None,
        actor="admin1",
        after=notify.acknowledger(call_config, "admin1", lines) if acknowledge else None,
        content=content,
        filename="f.csv",
        mapping=mapping,
        config=call_config,
        max_bytes=LIMIT,
    )
    return result, lines


ROWS = [
    valid_row(1, contact_email="one@contributor.example.org"),
    valid_row(2, anonymous="yes", contact_name="Anon Two", contact_email="anon.two@private.example.org"),
    valid_row(3, contact_email="sam..three@contributor.example.org"),
    valid_row(4, contact_email=""),
]


def test_an_import_acknowledges_each_new_submission_with_an_address(db, call_config):
    result, lines = import_file(db, call_config, ROWS)
    assert result is not None and result.batch_id is not None
    with db.read() as s:
        ids = dict(s.execute(select(Submission.reference, Submission.id)).all())
    rows = outbox_rows(db)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("contributor.acknowledgement", "one@contributor.example.org", ids["CFE-0001"]),
        ("contributor.acknowledgement", "anon.two@private.example.org", ids["CFE-0002"]),
    ]
    assert rows[0][4] == "We have received your evidence (CFE-0001)"
    assert "Dear Contact 1," in rows[0][5] and '"Evidence number 1"' in rows[0][5]
    assert lines[0] == "acknowledgements: 2 queued, 0 already queued"
    assert "  no contact address: CFE-0004" in lines
    [bad] = [line for line in lines if "CFE-0003" in line]
    assert bad.startswith("  not queued, CFE-0003: ") and "sam..three" not in bad  # the reason, never the address


def test_a_later_import_does_not_acknowledge_twice(db, call_config):
    import_file(db, call_config, ROWS[:1])
    updated = [valid_row(1, contact_email="one@contributor.example.org", title="Retitled"), valid_row(5)]
    _result, lines = import_file(db, call_config, updated)
    assert lines[0] == "acknowledgements: 1 queued, 0 already queued"  # only the new CFE-0005
    assert [r[1] for r in outbox_rows(db)] == ["one@contributor.example.org", "contact5@example.org"]


def test_an_import_without_the_option_queues_nothing(db, call_config):
    import_file(db, call_config, ROWS, acknowledge=False)
    assert count(db) == 0


def test_a_failing_acknowledgement_template_imports_nothing(db, call_config):
    broken_template(db, "contributor.acknowledgement")
    with pytest.raises(NotifyError, match=r"contributor\.acknowledgement template cannot be rendered"):
        import_file(db, call_config, ROWS)
    assert count(db) == 0
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 0


# --- delivery ------------------------------------------------------------------------------------


def test_digests_reminders_and_acknowledgements_arrive_at_the_smtp_server(db, call_config, panel, smtp_server):
    digests(db, call_config)
    with db.write() as s:
        s.execute(delete(Assignment).where(Assignment.reviewer_id == panel["bob"].user_id))
    reminders(db, call_config, on(call_config.review_deadline))
    import_file(db, call_config, [valid_row(9, contact_email="nine@contributor.example.org")])
    report = delivery.send_due(db, mail_settings(smtp_server), now=utcnow() + dt.timedelta(seconds=1))
    assert (report.sent, report.failed) == (4, 0)
    arrived = sorted((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert arrived[0] == ("ann@panel.example.org", "2 new submissions for you to review")
    assert arrived[1][0] == "ann@panel.example.org" and arrived[1][1].startswith("Reminder: 2 reviews due by ")
    assert arrived[2] == ("bob@panel.example.org", "1 new submission for you to review")
    assert arrived[3] == ("nine@contributor.example.org", "We have received your evidence (CFE-0009)")
    ann_digest = next(m for m in smtp_server.messages if m["Subject"] == "2 new submissions for you to review")
    text = ann_digest.get_body(preferencelist=("plain",)).get_content()
    html = ann_digest.get_body(preferencelist=("html",)).get_content()
    assert "CFE-0001: Hidden voices" in text and "Hidden voices" in html
    assert "Secret Person" not in text + html and "secret.person" not in text + html
    with db.read() as s:
        assert set(s.scalars(select(OutboxMessage.status))) == {"sent"}
