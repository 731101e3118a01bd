"""Delivery (data_access.delivery) through a real SMTP server on this machine
(aiosmtpd, tests/support/smtp.py): what arrives, what a failure records, the
retries, and the downloads when no server is set. Both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import ssl
import threading
import zipfile
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from config.settings import load_settings
from data_access import delivery, outbox
from data_access.audit import AuditFilter, list_entries
from data_access.delivery import DeliveryError
from data_access.errors import AccessDenied
from data_access.models import OutboxMessage
from data_access.outbox import NewMessage
from tests.factories import make_submission, make_user
from tests.support.smtp import SmtpServer, self_signed_certificate, server_tls_context

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
KEY = "test-cookie-key-Zq8vR2mX7pL4kT9wB3nC6yF1hJ5sD0gA"
EXPECTED_HEADERS = {"From", "To", "Subject", "Date", "Message-ID", "Reply-To", "Auto-Submitted", "MIME-Version"}


def mail_settings(server: SmtpServer | None, **extra: str):
    environ = {"EVIDENCE_COOKIE_KEY": KEY}
    if server is not None:
        environ |= {
            "EVIDENCE_SMTP_HOST": "127.0.0.1",
            "EVIDENCE_SMTP_PORT": str(server.port),
            "EVIDENCE_SMTP_SECURITY": "none",
            "EVIDENCE_MAIL_FROM": "evidence@iasc.example.org",
            "EVIDENCE_MAIL_REPLY_TO": "secretariat@iasc.example.org",
        }
    return load_settings(environ | extra, secrets={})


def queue(db, key="invite:1", **overrides):
    values = {
        "purpose": "reviewer.invitation",
        "recipient_email": "new.reviewer@example.org",
        "subject": "You are invited to review evidence",
        "body_text": "Dear reviewer,\nSet your password here: https://review.example.org/set?t=abc\n",
        "idempotency_key": key,
        "actor": "admin1",
        "now": NOW,
    } | overrides
    with db.write() as s:
        record, _created = outbox.queue_message(s, **values)
    return record


def stored(db, message_id):
    with db.read() as s:
        row = s.get(OutboxMessage, message_id)
        return outbox.as_record(row)


def test_a_queued_message_arrives_as_it_was_queued(db, smtp_server):
    record = queue(db, body_html="<p>Dear reviewer,</p><p><a href='https://review.example.org/set?t=abc'>Set</a></p>")
    report = delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    assert (report.sent, report.failed) == (1, 0)
    [arrived] = smtp_server.messages
    assert smtp_server.envelopes == [("evidence@iasc.example.org", ["new.reviewer@example.org"])]
    assert set(arrived.keys()) == EXPECTED_HEADERS | {"Content-Type"}
    assert arrived["From"] == "evidence@iasc.example.org"
    assert arrived["To"] == "new.reviewer@example.org"
    assert arrived["Reply-To"] == "secretariat@iasc.example.org"
    assert arrived["Subject"] == "You are invited to review evidence"
    assert arrived["Auto-Submitted"] == "auto-generated"
    assert arrived["Message-ID"] == delivery.message_id(record, mail_from="evidence@iasc.example.org")
    assert arrived["Message-ID"].startswith(f"<outbox-{record.id}-") and arrived["Message-ID"].endswith(
        "@iasc.example.org>"
    )
    assert arrived["Date"].datetime == NOW
    assert arrived.get_content_type() == "multipart/alternative"
    text = arrived.get_body(preferencelist=("plain",)).get_content()
    html = arrived.get_body(preferencelist=("html",)).get_content()
    assert text.replace("\r\n", "\n") == record.body_text
    assert "<a href='https://review.example.org/set?t=abc'>Set</a>" in html
    after = stored(db, record.id)
    assert (after.status, after.sent_at, after.attempts, after.last_error) == ("sent", NOW, 1, None)
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="outbox.sent"))) == 1


def test_a_text_only_message_has_no_html_part(db, smtp_server):
    queue(db)
    delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    [arrived] = smtp_server.messages
    assert arrived.get_content_type() == "text/plain"
    assert "Set your password here" in arrived.get_content()


def test_words_that_look_like_headers_stay_in_the_body_and_add_no_recipient(db, smtp_server):
    body = "Hello\r\nBcc: everyone@example.org\r\n\r\nTo: other@example.org\r\n.\r\nRCPT TO:<x@example.org>\r\n"
    record = queue(db, body_text=body, subject="Subject with Bcc: everyone@example.org in it")
    delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    [arrived] = smtp_server.messages
    assert set(arrived.keys()) == EXPECTED_HEADERS | {"Content-Type", "Content-Transfer-Encoding"}
    assert arrived["Subject"] == "Subject with Bcc: everyone@example.org in it"
    assert arrived.get_all("To") == ["new.reviewer@example.org"] and arrived.get_all("Bcc") is None
    assert smtp_server.envelopes == [("evidence@iasc.example.org", ["new.reviewer@example.org"])]
    assert "RCPT TO:<x@example.org>" in arrived.get_content()  # the line of one dot was not the end of the data
    assert stored(db, record.id).status == "sent"


def test_a_stored_message_with_an_unsafe_header_is_never_sent(db, smtp_server):
    """A row that bypassed the queue's checks (or predates them) fails for good; nothing goes."""
    record = queue(db)
    with db.write() as s:
        s.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == record.id)
            .values(subject="Hi\r\nBcc: everyone@example.org", recipient_email="a@example.org, b@example.org")
        )
    report = delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    assert (report.sent, report.failed, report.gave_up) == (0, 1, 1)
    assert smtp_server.messages == []
    after = stored(db, record.id)
    assert after.status == "failed" and after.next_attempt_at is None
    assert "cannot be sent as it is" in after.last_error


def test_smtp_down_fails_with_the_reason_then_sends_when_it_returns(db, smtp_server):
    record = queue(db)
    smtp_server.stop()
    report = delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    assert (report.sent, report.failed, report.gave_up) == (0, 1, 0)
    down = stored(db, record.id)
    assert down.status == "failed" and "refused the connection" in down.last_error
    assert down.next_attempt_at == NOW + dt.timedelta(minutes=1) and down.attempts == 1
    smtp_server.restart()
    early = delivery.send_due(db, mail_settings(smtp_server), now=NOW + dt.timedelta(seconds=30))
    assert (early.sent, early.failed) == (0, 0) and smtp_server.messages == []
    back = delivery.send_due(db, mail_settings(smtp_server), now=NOW + dt.timedelta(minutes=1))
    assert back.sent == 1
    assert len(smtp_server.messages) == 1
    sent = stored(db, record.id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 2, None)
    assert delivery.send_due(db, mail_settings(smtp_server), now=NOW + dt.timedelta(days=1)).sent == 0
    assert len(smtp_server.messages) == 1


def test_a_refusing_server_is_retried_with_growing_waits_until_the_most_attempts(db, smtp_server):
    record = queue(db)
    smtp_server.refuse("451 4.3.0 Mailbox temporarily unavailable")
    settings = mail_settings(smtp_server, EVIDENCE_MAIL_MAX_ATTEMPTS="3")
    at = NOW
    waits = []
    for _ in range(3):
        report = delivery.send_due(db, settings, now=at)
        assert report.failed == 1
        after = stored(db, record.id)
        assert after.status == "failed" and "451 4.3.0 Mailbox temporarily unavailable" in after.last_error
        if after.next_attempt_at is None:
            break
        waits.append(after.next_attempt_at - at)
        at = after.next_attempt_at
    assert waits == [dt.timedelta(minutes=1), dt.timedelta(minutes=2)]
    assert report.gave_up == 1 and stored(db, record.id).attempts == 3
    smtp_server.refuse(None)
    assert delivery.send_due(db, settings, now=at + dt.timedelta(days=2)).sent == 0  # stays failed
    with db.write() as s:
        admin = make_user(s, role="admin")
    with db.write() as s:
        outbox.resend(s, message_id=record.id, viewer=admin, now=at)
    assert delivery.send_due(db, settings, now=at).sent == 1
    assert len(smtp_server.messages) == 1
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="outbox.failed"))) == 3


def test_a_refused_recipient_fails_alone_and_the_batch_carries_on(db, smtp_server):
    first = queue(db, key="a", recipient_email="first@example.org")
    second = queue(db, key="b", recipient_email="second@example.org")
    original = smtp_server.handler.handle_DATA

    async def refuse_first(server, session, envelope):
        if envelope.rcpt_tos == ["first@example.org"]:
            return "550 5.1.1 first@example.org: no such user"
        return await original(server, session, envelope)

    smtp_server.handler.handle_DATA = refuse_first
    report = delivery.send_due(db, mail_settings(smtp_server), now=NOW)
    assert (report.sent, report.failed) == (1, 1)
    assert stored(db, first.id).status == "failed" and "550 5.1.1" in stored(db, first.id).last_error
    assert stored(db, second.id).status == "sent"
    assert [m["To"] for m in smtp_server.messages] == ["second@example.org"]


def test_with_no_smtp_host_nothing_is_sent_and_messages_stay_queued(db):
    record = queue(db)
    with pytest.raises(DeliveryError, match="No SMTP server is set"):
        delivery.send_due(db, mail_settings(None), now=NOW)
    assert stored(db, record.id).status == "queued"


def test_starttls_is_required_not_tried(db, smtp_server):
    """A server that offers no STARTTLS is not used in the clear when the settings ask for it."""
    record = queue(db)
    report = delivery.send_due(db, mail_settings(smtp_server, EVIDENCE_SMTP_SECURITY="starttls"), now=NOW)
    assert report.failed == 1 and smtp_server.messages == []
    assert "STARTTLS" in stored(db, record.id).last_error


def test_starttls_with_a_trusted_certificate_sends_encrypted(db, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpServer.start(tls_context=server_tls_context(cert, key), require_starttls=True)
    try:
        queue(db)
        settings = mail_settings(server, EVIDENCE_SMTP_SECURITY="starttls")
        untrusted = delivery.send_due(db, settings, now=NOW)
        assert untrusted.failed == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.failures[0][1]
        trusting = ssl.create_default_context(cafile=str(cert))
        sent = delivery.send_due(db, settings, now=NOW + dt.timedelta(minutes=1), ssl_context=trusting)
        assert sent.sent == 1
        assert [m["To"] for m in server.messages] == ["new.reviewer@example.org"]
    finally:
        server.stop()


def test_two_senders_at_once_send_each_message_once(db, smtp_server):
    total = 30
    with db.write() as s:
        outbox.queue_many(
            s,
            messages=[
                NewMessage("reviewer.reminder", f"r{i}@example.org", "Due", "Text", f"k{i}") for i in range(total)
            ],
            actor="admin1",
            now=NOW,
        )
    settings = mail_settings(smtp_server)
    barrier = threading.Barrier(2)
    reports = []
    errors = []

    def sender():
        try:
            barrier.wait(timeout=30)
            reports.append(delivery.send_due(db, settings, now=NOW, batch_size=3))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sum(r.sent for r in reports) == total
    arrived = sorted(m["To"] for m in smtp_server.messages)
    assert arrived == sorted(f"r{i}@example.org" for i in range(total))


def test_queued_messages_download_as_eml_files_and_a_formula_safe_csv(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s, role="reviewer")
        anonymous = make_submission(s, call_config, anonymous=True, contact_email="anon@example.org")
    first = queue(db, key="a", subject='=HYPERLINK("http://evil.example","click")', body_text="@SUM(1+1)\nline 2")
    second = queue(
        db,
        key="b",
        purpose="contributor.acknowledgement",
        recipient_email="anon@example.org",
        submission_id=anonymous,
        body_text="Thank you",
        body_html="<p>Thank you</p>",
    )
    sent = queue(db, key="c")
    with db.write() as s:
        outbox.claim_due(s, now=NOW, limit=10)
        outbox.mark_sent(s, message_id=sent.id, now=NOW, actor="delivery")
        for record in (first, second):  # back to queued: the file is of what waits
            s.execute(update(OutboxMessage).where(OutboxMessage.id == record.id).values(status="queued"))
    settings = mail_settings(None, EVIDENCE_MAIL_FROM="evidence@iasc.example.org")
    with db.write() as s:
        archive = delivery.eml_zip(s, viewer=admin, settings=settings, now=NOW)
        merge = delivery.mail_merge_csv(s, viewer=admin, now=NOW)
    assert archive.filename == "outbox-queued-20261206-1200.zip" and archive.messages == 2
    with zipfile.ZipFile(io.BytesIO(archive.content)) as z:
        names = z.namelist()
        emails = [message_from_bytes(z.read(n), policy=policy.default) for n in names]
    assert names == [f"{first.id:06d}-reviewer.invitation.eml", f"{second.id:06d}-contributor.acknowledgement.eml"]
    assert [e["To"] for e in emails] == ["new.reviewer@example.org", "anon@example.org"]
    assert emails[0]["Subject"] == first.subject and emails[0]["From"] == "evidence@iasc.example.org"
    assert emails[0].get_content().replace("\r\n", "\n") == "@SUM(1+1)\nline 2\n"
    assert emails[1].get_body(preferencelist=("html",)).get_content().strip() == "<p>Thank you</p>"
    rows = list(csv.DictReader(io.StringIO(merge.content.decode("utf-8-sig"))))
    assert [r["message_id"] for r in rows] == [str(first.id), str(second.id)]
    assert rows[0]["subject"] == "'" + first.subject
    assert rows[0]["body_text"] == "'@SUM(1+1)\nline 2"
    assert rows[1]["to"] == "anon@example.org" and rows[1]["purpose"] == "contributor.acknowledgement"
    with db.read() as s:
        exports = list_entries(s)
        exports = exports[exports["action"].str.startswith("export.outbox")]
        assert set(exports["action"]) == {"export.outbox-eml", "export.outbox-csv"}
        assert all(e["rows"] == 2 and e["to_anonymous_contributors"] == 1 for e in exports["new"])
        assert "Thank you" not in str(list(exports["new"]))
    with db.write() as s, pytest.raises(AccessDenied):
        delivery.eml_zip(s, viewer=reviewer, settings=settings, now=NOW)
    with db.write() as s, pytest.raises(AccessDenied):
        delivery.mail_merge_csv(s, viewer=reviewer, now=NOW)
    with db.read() as s:
        statuses = dict(s.execute(select(OutboxMessage.id, OutboxMessage.status)).all())
    assert statuses == {first.id: "queued", second.id: "queued", sent.id: "sent"}  # downloading sends nothing


def test_tls_from_the_start_sends_to_a_server_with_a_trusted_certificate(db, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    server = SmtpServer.start(ssl_context=server_tls_context(cert, key))
    try:
        record = queue(db)
        settings = mail_settings(server, EVIDENCE_SMTP_SECURITY="tls")
        untrusted = delivery.send_due(db, settings, now=NOW)
        assert untrusted.failed == 1 and "CERTIFICATE_VERIFY_FAILED" in untrusted.failures[0][1]
        trusting = ssl.create_default_context(cafile=str(cert))
        assert delivery.send_due(db, settings, now=NOW + dt.timedelta(minutes=1), ssl_context=trusting).sent == 1
        assert [m["To"] for m in server.messages] == ["new.reviewer@example.org"]
        assert stored(db, record.id).status == "sent"
    finally:
        server.stop()
