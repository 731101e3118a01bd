"""The demo call's outbox (data_access.demo_outbox): messages of several purposes and statuses, rendered
from the templates with the demo's own data, moved on by the outbox's own functions (audited), and the
queued ones downloadable as .eml files (demo mode sets no SMTP server). Both databases."""

from __future__ import annotations

import io
import zipfile
from collections import Counter

import pytest
from sqlalchemy import select

from access.visibility import Viewer
from config.settings import load_settings
from data_access import audit, delivery, users
from data_access.demo import seed_demo
from data_access.demo_outbox import DROPPED, REFUSED
from data_access.models import OutboxMessage, Submission
from data_access.outbox import as_record


@pytest.fixture
def seeded(db, call_config):
    counts = seed_demo(db, config=call_config, bcrypt_rounds=4, n=40)
    with db.read() as s:
        messages = [as_record(row) for row in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]
        anonymous = set(s.scalars(select(Submission.id).where(Submission.anonymous.is_(True))))
    return counts, messages, anonymous


def test_the_demo_outbox_has_messages_of_several_purposes_and_statuses(seeded, call_config):
    counts, messages, anonymous = seeded
    assert counts["messages"] == len(messages)
    statuses = Counter(m.status for m in messages)
    assert statuses["sent"] >= 5 and statuses["queued"] >= 3 and statuses["failed"] == 2 and statuses["cancelled"] == 1
    assert {m.purpose for m in messages} == {
        "reviewer.assignments",
        "reviewer.reminder",
        "contributor.acknowledgement",
        "presenter.invitation",
    }
    failed = {m.last_error: m for m in messages if m.status == "failed"}
    assert set(failed) == {REFUSED, DROPPED}
    assert failed[REFUSED].next_attempt_at is None  # had its tries: waits for the admin's Send again
    assert failed[DROPPED].next_attempt_at is not None  # tried again later
    digests = [m for m in messages if m.purpose == "reviewer.assignments"]
    assert len(digests) == 6 and all(m.recipient_email.endswith("@panel.example") for m in digests)
    assert all(call_config.title in m.body_text for m in digests)  # rendered with the call's own values
    # An anonymous contributor is written to at their stored address, and waits in the queue.
    assert any(m.submission_id in anonymous and m.status == "queued" for m in messages)
    assert all(m.submission_id is not None for m in messages if m.purpose.startswith(("contributor.", "presenter.")))


def test_the_demo_outbox_is_audited_as_the_outbox_does(db, seeded):
    _counts, messages, _anonymous = seeded
    with db.read() as s:
        logged = {
            action: audit.list_entries(s, filters=audit.AuditFilter(action=action))
            for action in ("outbox.queue", "outbox.sent", "outbox.failed", "outbox.cancel")
        }
    assert len(logged["outbox.queue"]) == len(messages)
    assert len(logged["outbox.sent"]) == sum(m.status == "sent" for m in messages)
    assert len(logged["outbox.failed"]) == 2 and len(logged["outbox.cancel"]) == 1
    assert logged["outbox.cancel"]["actor"].tolist() == ["admin"]
    words = str([list(entries["new"]) for entries in logged.values()])
    assert not any(m.subject in words or m.body_text in words for m in messages)  # never a message's words


def test_the_demo_outbox_downloads_as_eml_files(db, seeded):
    _counts, messages, _anonymous = seeded
    with db.read() as s:
        admin = next(u for u in users.list_users(s) if u.role == "admin")
    viewer = Viewer(admin.id, admin.username, admin.name, admin.role)
    with db.write() as s:
        archive = delivery.eml_zip(s, viewer=viewer, settings=load_settings(secrets={}))
    queued = [m for m in messages if m.status == "queued"]
    assert archive.messages == len(queued) >= 3
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        assert z.namelist() == [f"{m.id:06d}-{m.purpose}.eml" for m in queued]
