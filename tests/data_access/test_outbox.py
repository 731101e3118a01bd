"""The outbox (data_access.outbox): queueing once per key, refusing bad
addresses, claiming without double sends, the admin's cancel and resend,
and audit entries that never hold a message's words. Both databases."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from data_access import outbox, privacy, users
from data_access.audit import AuditFilter, list_entries
from data_access.errors import AccessDenied
from data_access.models import AuditEntry, OutboxMessage, utcnow
from data_access.outbox import NewMessage, OutboxError
from tests.factories import make_submission, make_user

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Entry:
    action: str
    entity: str
    entity_id: str | None
    old: Any
    new: Any
    detail: str


def queue(session, key="reminder:7:2026-12-10", **overrides):
    values = {
        "purpose": "reviewer.reminder",
        "recipient_email": "reviewer.seven@example.org",
        "subject": "Your reviews are due on Thursday",
        "body_text": "You have 3 submissions left to review.",
        "idempotency_key": key,
        "actor": "admin1",
        "now": NOW,
    } | overrides
    return outbox.queue_message(session, **values)


def count(db, model=OutboxMessage) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_the_same_key_twice_is_one_message(db):
    with db.write() as s:
        first, created = queue(s)
    with db.write() as s:
        again, created_again = queue(s, subject="A different subject", body_text="Other words.")
    assert created and not created_again
    assert again == first  # the first message, untouched
    assert first.status == "queued" and first.attempts == 0 and first.next_attempt_at == NOW
    assert first.subject == "Your reviews are due on Thursday" and first.created_by == "admin1"
    assert count(db) == 1
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="outbox.queue"))) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"recipient_email": "someone.else@example.org"},
        {"recipient_user_id": "a user"},
        {"purpose": "reviewer.overdue"},
    ],
)
def test_a_key_used_again_for_another_recipient_or_purpose_is_refused(db, overrides):
    """A key names one message: reused for someone else, it must not swallow
    their message nor hand the caller the first person's message."""
    with db.write() as s:
        first, _ = queue(s)
        if overrides.get("recipient_user_id"):
            overrides = {"recipient_user_id": make_user(s, role="reviewer").user_id}
    with db.write() as s, pytest.raises(OutboxError, match="already used by a message of another purpose"):
        queue(s, **overrides)
    with db.write() as s, pytest.raises(OutboxError, match=r"^Message 2: .*Nothing was queued"):
        outbox.queue_many(
            s,
            messages=[
                NewMessage("reviewer.reminder", "new.one@example.org", "S", "B", "reminder:8:2026-12-10"),
                NewMessage(
                    overrides.get("purpose", "reviewer.reminder"),
                    overrides.get("recipient_email", "reviewer.seven@example.org"),
                    "S",
                    "B",
                    "reminder:7:2026-12-10",
                    recipient_user_id=overrides.get("recipient_user_id"),
                ),
            ],
            actor="admin1",
        )
    assert count(db) == 1
    with db.read() as s:
        kept = outbox.as_record(s.get(OutboxMessage, first.id))
    assert kept == first


def test_one_key_for_two_recipients_in_one_batch_queues_nothing(db, call_config):
    with db.write() as s:
        first, second = (make_submission(s, call_config) for _ in range(2))
    messages = [
        NewMessage("contributor.acknowledgement", "a@example.org", "Thanks", "Got it", "ack:1", submission_id=first),
        NewMessage("contributor.acknowledgement", "b@example.org", "Thanks", "Got it", "ack:1", submission_id=second),
    ]
    with db.write() as s, pytest.raises(OutboxError, match=r"^Message 2: The idempotency key 'ack:1'"):
        outbox.queue_many(s, messages=messages, actor="admin1")
    assert count(db) == 0


def test_the_same_key_at_the_same_moment_from_many_threads_is_one_message(db):
    threads_n = 6
    barrier = threading.Barrier(threads_n)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            with db.write() as s:
                record, created = queue(s, subject=f"attempt {n}")
            results.append((record.id, created))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    assert len(results) == threads_n
    assert len({message_id for message_id, _created in results}) == 1
    assert sum(created for _id, created in results) == 1
    assert count(db) == 1
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="outbox.queue"))) == 1


@pytest.mark.parametrize(
    "address",
    [
        "victim@example.org\r\nBcc: everyone@example.org",
        "victim@example.org\nBcc: everyone@example.org",
        "Mallory <victim@example.org>",
        '"Mallory" victim@example.org',
        "victim@example.org, other@example.org",
        "victim@example.org;other@example.org",
        "victim@example.org (comment)",
        "victim example@example.org",
        "",
        "   ",
        "no-at-sign.example.org",
        "two@@example.org",
        "a@b@example.org",
        "victim@localhost",
        "victim@-example.org",
        ".victim@example.org",
        "vic..tim@example.org",
        "vïctim@example.org",
        "victim@example.org\x00",
        "x" * 65 + "@example.org",
        "x@" + "a" * 63 + "." + ("b" * 63 + ".") * 3 + "org",
    ],
)
def test_a_bad_address_is_refused_and_nothing_is_queued(db, address):
    with db.write() as s, pytest.raises(OutboxError, match="Recipient: ") as refused:
        queue(s, recipient_email=address)
    assert "\n" not in str(refused.value)
    assert count(db) == 0
    assert count(db, AuditEntry) == 0


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"subject": "Due soon\r\nBcc: everyone@example.org"}, "line break"),
        ({"subject": "   "}, "subject is empty"),
        ({"subject": "x" * 301}, "longer than 300"),
        ({"body_text": " \n "}, "text is empty"),
        ({"purpose": "reviewer.spam"}, "Unknown purpose"),
        ({"idempotency_key": ""}, "idempotency key"),
        ({"purpose": "contributor.acknowledgement"}, "needs the submission"),
    ],
)
def test_a_bad_message_is_refused_with_the_reason_and_nothing_is_queued(db, overrides, words):
    with db.write() as s, pytest.raises(OutboxError, match=words):
        queue(s, **overrides)
    assert count(db) == 0


def test_an_address_keeps_no_surrounding_spaces(db):
    with db.write() as s:
        record, _ = queue(s, recipient_email="  reviewer@example.org ")
    assert record.recipient_email == "reviewer@example.org"


def test_queue_many_queues_all_or_none_and_each_key_once(db):
    good = [NewMessage("reviewer.assignments", f"r{i}@example.org", "New", "Text", f"digest:{i}") for i in range(5)]
    with db.write() as s, pytest.raises(OutboxError, match=r"Message 4: Recipient: .*Nothing was queued"):
        outbox.queue_many(
            s, messages=[*good[:3], NewMessage("reviewer.reminder", "x@y", "S", "B", "k"), *good[3:]], actor="a"
        )
    assert count(db) == 0
    with db.write() as s:
        queue(s, key="digest:2", purpose="reviewer.assignments", recipient_email="r2@example.org")
        report = outbox.queue_many(s, messages=[*good, good[0]], actor="admin1")
    assert (report.created, report.already_queued) == (4, 1)
    assert len(report.ids) == 6 and report.ids[0] == report.ids[5] and len(set(report.ids)) == 5
    assert count(db) == 5
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="outbox.queue"))) == 5


def test_retries_wait_twice_as_long_each_time_until_the_most_attempts():
    waits = [outbox.retry_time(n, NOW, max_attempts=5) for n in range(1, 6)]
    assert [w - NOW for w in waits[:4]] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert waits[4] is None
    assert outbox.retry_time(30, NOW, max_attempts=40) == NOW + outbox.LONGEST_RETRY


def test_claim_takes_due_messages_once_and_marks_them_sending(db):
    with db.write() as s:
        for n in range(3):
            queue(s, key=f"k{n}", recipient_email=f"r{n}@example.org")
        queue(s, key="later", now=NOW + dt.timedelta(hours=1))
    with db.write() as s:
        claimed = outbox.claim_due(s, now=NOW, limit=2)
    with db.write() as s:
        rest = outbox.claim_due(s, now=NOW, limit=10)
    with db.write() as s:
        none_left = outbox.claim_due(s, now=NOW, limit=10)
    assert [c.idempotency_key for c in claimed] == ["k0", "k1"]
    assert [c.idempotency_key for c in rest] == ["k2"]
    assert none_left == []
    assert all(c.status == "sending" and c.attempts == 1 and c.next_attempt_at is None for c in claimed + rest)


def test_two_senders_claiming_at_once_never_take_the_same_message(db):
    total = 60
    with db.write() as s:
        outbox.queue_many(
            s,
            messages=[NewMessage("reviewer.reminder", f"r{i}@example.org", "S", "B", f"k{i}") for i in range(total)],
            actor="admin1",
            now=NOW,
        )
    barrier = threading.Barrier(2)
    taken: dict[int, list[int]] = {0: [], 1: []}
    errors: list[BaseException] = []

    def sender(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            while True:
                with db.write() as s:
                    batch = outbox.claim_due(s, now=NOW, limit=4)
                if not batch:
                    return
                taken[n].extend(m.id for m in batch)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=sender, args=(n,)) for n in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert not set(taken[0]) & set(taken[1])
    assert len(taken[0]) + len(taken[1]) == total
    with db.read() as s:
        attempts = s.execute(select(OutboxMessage.status, OutboxMessage.attempts)).all()
    assert set(attempts) == {("sending", 1)}


def test_sent_and_failed_are_recorded_and_a_failure_is_retried_when_due(db):
    with db.write() as s:
        first, _ = queue(s, key="a")
        second, _ = queue(s, key="b")
    with db.write() as s:
        outbox.claim_due(s, now=NOW, limit=10)
        outbox.mark_sent(s, message_id=first.id, now=NOW, actor="delivery")
        retry_at = outbox.retry_time(1, NOW, max_attempts=3)
        outbox.mark_failed(s, message_id=second.id, reason="451 4.3.0 busy\nnow", retry_at=retry_at, actor="delivery")
    with db.read() as s:
        sent, failed = s.get(OutboxMessage, first.id), s.get(OutboxMessage, second.id)
        assert (sent.status, sent.sent_at) == ("sent", NOW)
        assert (failed.status, failed.last_error, failed.next_attempt_at) == ("failed", "451 4.3.0 busy now", retry_at)
    with db.write() as s:
        assert outbox.claim_due(s, now=NOW + dt.timedelta(seconds=59), limit=10) == []
        again = outbox.claim_due(s, now=NOW + dt.timedelta(minutes=1), limit=10)
    assert [(m.id, m.attempts) for m in again] == [(second.id, 2)]
    with db.write() as s, pytest.raises(OutboxError, match="not being sent"):
        outbox.mark_sent(s, message_id=first.id, now=NOW, actor="delivery")


def test_a_message_that_had_its_tries_stays_failed(db):
    with db.write() as s:
        record, _ = queue(s)
        outbox.claim_due(s, now=NOW, limit=1)
        outbox.mark_failed(s, message_id=record.id, reason="550 no such user", retry_at=None, actor="delivery")
    with db.write() as s:
        assert outbox.claim_due(s, now=NOW + dt.timedelta(days=30), limit=10) == []


def _admin_and_reviewer(db):
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
    return admin, reviewer


def test_cancel_only_a_queued_message_and_resend_only_a_failed_one(db):
    admin, _ = _admin_and_reviewer(db)
    with db.write() as s:
        queued, _ = queue(s, key="q")
        failing, _ = queue(s, key="f")
    with db.write() as s:
        with pytest.raises(OutboxError, match="Only a failed message can be sent again; this one is queued"):
            outbox.resend(s, message_id=queued.id, viewer=admin)
    with db.write() as s:
        cancelled = outbox.cancel(s, message_id=queued.id, viewer=admin)
    assert (cancelled.status, cancelled.cancelled_by, cancelled.next_attempt_at) == ("cancelled", admin.username, None)
    with db.write() as s:
        with pytest.raises(OutboxError, match="Only a queued message can be cancelled; this one is cancelled"):
            outbox.cancel(s, message_id=queued.id, viewer=admin)
        [claimed] = outbox.claim_due(s, now=NOW, limit=10)  # the cancelled one is never taken
        assert claimed.id == failing.id
        with pytest.raises(OutboxError, match="this one is sending"):
            outbox.cancel(s, message_id=failing.id, viewer=admin)
        outbox.mark_failed(s, message_id=failing.id, reason="550 mailbox full", retry_at=None, actor="delivery")
    later = NOW + dt.timedelta(days=1)
    with db.write() as s:
        again = outbox.resend(s, message_id=failing.id, viewer=admin, now=later)
    assert (again.status, again.attempts, again.next_attempt_at) == ("queued", 0, later)
    with db.write() as s:
        assert [m.id for m in outbox.claim_due(s, now=later, limit=10)] == [failing.id]
    with db.read() as s:
        actions = list(list_entries(s)["action"])
    assert actions.count("outbox.cancel") == 1 and actions.count("outbox.resend") == 1


def test_the_outbox_is_for_an_active_admin_only(db):
    admin, reviewer = _admin_and_reviewer(db)
    with db.write() as s:
        record, _ = queue(s)
    with db.write() as s:
        for attempt in (
            lambda: outbox.list_messages(s, viewer=reviewer),
            lambda: outbox.get_message(s, viewer=reviewer, message_id=record.id),
            lambda: outbox.cancel(s, message_id=record.id, viewer=reviewer),
            lambda: outbox.resend(s, message_id=record.id, viewer=reviewer),
        ):
            with pytest.raises(AccessDenied, match="only an active admin"):
                attempt()
    with db.read() as s:
        assert [m.id for m in outbox.list_messages(s, viewer=admin)] == [record.id]
        assert outbox.get_message(s, viewer=admin, message_id=record.id).body_text.startswith("You have 3")
    with db.write() as s:
        other = make_user(s, role="admin")
        users.set_active(s, user_id=admin.user_id, active=False, actor=other.username)
    with db.write() as s, pytest.raises(AccessDenied):
        outbox.cancel(s, message_id=record.id, viewer=admin)
    with db.read() as s:
        assert s.get(OutboxMessage, record.id).status == "queued"


def test_list_filters_by_status_and_purpose_and_refuses_unknown_ones(db):
    admin, _ = _admin_and_reviewer(db)
    with db.write() as s:
        a, _ = queue(s, key="a")
        b, _ = queue(s, key="b", purpose="reviewer.invitation")
        outbox.cancel(s, message_id=a.id, viewer=admin)
    with db.read() as s:
        assert [m.id for m in outbox.list_messages(s, viewer=admin, status="cancelled")] == [a.id]
        assert [m.id for m in outbox.list_messages(s, viewer=admin, purpose="reviewer.invitation")] == [b.id]
        assert [m.id for m in outbox.list_messages(s, viewer=admin)] == [b.id, a.id]
        with pytest.raises(OutboxError, match="Unknown status"):
            outbox.list_messages(s, viewer=admin, status="lost")


def test_audit_entries_name_the_message_never_its_words_or_whole_address(db):
    admin, _ = _admin_and_reviewer(db)
    with db.write() as s:
        a, _ = queue(s, key="a", subject="Secret subject words", body_text="Secret body words", body_html="<p>HTML</p>")
        b, _ = queue(s, key="b", subject="Secret subject words", body_text="Secret body words")
        outbox.cancel(s, message_id=b.id, viewer=admin)
        outbox.claim_due(s, now=NOW, limit=10)
        outbox.mark_failed(
            s,
            message_id=a.id,
            reason="550 5.1.1 <reviewer.seven@example.org>: no such user",
            retry_at=None,
            actor="delivery",
        )
        outbox.resend(s, message_id=a.id, viewer=admin)
        outbox.claim_due(s, now=utcnow(), limit=10)
        outbox.mark_sent(s, message_id=a.id, now=NOW, actor="delivery")
    with db.read() as s:
        entries = [
            Entry(e.action, e.entity, e.entity_id, e.old, e.new, e.detail)
            for e in s.scalars(select(AuditEntry))
            if e.action.startswith("outbox.")
        ]
    assert sorted(e.action for e in entries) == sorted(
        ["outbox.queue", "outbox.queue", "outbox.cancel", "outbox.failed", "outbox.resend", "outbox.sent"]
    )
    for entry in entries:
        text = json.dumps([entry.old, entry.new, entry.detail])
        assert "Secret" not in text and "HTML" not in text
        assert "reviewer.seven@example.org" not in text
        assert entry.entity == "outbox_message" and entry.entity_id in (str(a.id), str(b.id))
        assert entry.new["purpose"] == "reviewer.reminder"
        assert entry.new["recipient"] == "r…@example.org"
    failed = next(e for e in entries if e.action == "outbox.failed")
    assert "no such user" in failed.detail and "r…@example.org" in failed.detail


def test_erasing_a_submission_deletes_its_contributors_messages_and_their_audit_addresses(db, call_config):
    admin, _ = _admin_and_reviewer(db)
    with db.write() as s:
        gone = make_submission(s, call_config, contact_email="contributor@example.org", anonymous=True)
        kept = make_submission(s, call_config, contact_email="other@example.org")
        for submission in (gone, kept):
            queue(
                s,
                key=f"ack:{submission}",
                purpose="contributor.acknowledgement",
                recipient_email="contributor@example.org" if submission == gone else "other@example.org",
                submission_id=submission,
                body_text="Thank you for your evidence.",
            )
        queue(s, key="reviewer-only")
    with db.write() as s:
        report = privacy.erase_submission(s, submission_id=gone, actor=admin.username, reason="request")
    assert report.messages == 1
    with db.read() as s:
        left = {(m.submission_id, m.recipient_email) for m in s.scalars(select(OutboxMessage))}
        entries = [
            Entry(e.action, e.entity, e.entity_id, e.old, e.new, e.detail)
            for e in s.scalars(select(AuditEntry).where(AuditEntry.entity == "outbox_message"))
        ]
    assert left == {(kept, "other@example.org"), (None, "reviewer.seven@example.org")}
    about_gone = [e for e in entries if e.new.get("submission_id") == gone]
    assert about_gone and all(e.new["recipient"] == privacy.REDACTED for e in about_gone)
    assert any(e.new.get("recipient") == "o…@example.org" for e in entries)


def test_retention_deletes_old_messages_and_those_to_contributors_whose_details_go(db, call_config):
    long_ago = dt.datetime(2020, 1, 10, tzinfo=dt.UTC)
    with db.write() as s:
        old_sub = make_submission(s, call_config, received_at=long_ago)
        new_sub = make_submission(s, call_config, received_at=utcnow() - dt.timedelta(days=3))
        queue(s, key="old-reviewer", now=long_ago)
        queue(s, key="recent-reviewer", now=utcnow())
        for sub in (old_sub, new_sub):
            queue(s, key=f"ack:{sub}", purpose="contributor.acknowledgement", submission_id=sub, now=utcnow())
    with db.write() as s:
        dry = privacy.purge_expired(s, config=call_config, actor="test", dry_run=True)
    assert dry.messages == 2 and count(db) == 4
    with db.write() as s:
        report = privacy.purge_expired(s, config=call_config, actor="test")
    assert report.messages == 2
    with db.read() as s:
        left = {m.idempotency_key for m in s.scalars(select(OutboxMessage))}
    assert left == {"recent-reviewer", f"ack:{new_sub}"}
