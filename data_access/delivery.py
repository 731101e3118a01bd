"""Delivery of the outbox's messages (docs/messages.md).

`send_due(db, settings)` claims the messages that are due (`outbox.claim_due`,
in its own unit of work, so that no database lock is held while the SMTP
server answers), sends them through one SMTP connection per batch, and marks
each one sent or failed in a unit of work of its own as soon as the server has
answered, so that a sender that stops half way leaves every message it sent
marked sent. A failure (the server cannot be reached, refuses the login, the
sender or the recipient, or drops the connection) is recorded with the
server's reason and a time to try again (`outbox.retry_time`); after the most
attempts the message stays failed.

With no SMTP host set nothing is sent and queued messages stay queued; the
admin can download them as a ZIP of `.eml` files (`eml_zip`) or a mail-merge
CSV (`mail_merge_csv`, formula-safe through `formats.csv_export`).

A message that carries a one-time link (an invitation, a reset) is stored
with a placeholder where the link goes; its link is minted as it is sent
(`tokens.fill_link`, in a unit of work committed before the message goes) or
as it is downloaded, and is in the sent or downloaded copy only. A link that
cannot be made (the account was deactivated, no public address is set where
the messages are sent) fails the message with the reason, until the admin
sends it again.

Every message is built here (`build_email`): From, To, Subject, Date,
Message-ID, Reply-To when set, Auto-Submitted, and the text with an optional
HTML alternative. The addresses are checked again as one bare address each
and the subject as one line, so that nothing in a message can add a header or
a recipient. The Message-ID is made from the message's id and key, the same
for every attempt, so a mail client can recognise a message it already has.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import smtplib
import ssl
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.mail_address import AddressError, check_address
from config.settings import SMTP_SECURITY_PORTS, Settings
from data_access import audit, audit_actions, invitations, outbox, tokens
from data_access.db import Database
from data_access.models import OUTBOX_STATUSES, OutboxMessage, Submission, utcnow
from data_access.outbox import OutboxRecord
from data_access.users import require_role
from formats.csv_export import to_csv_bytes

SMTP_TIMEOUT_SECONDS = 30
BATCH_SIZE = 100
FALLBACK_DOMAIN = "evidence-review.invalid"
DELIVERY_ACTOR = "delivery"
_ZIP_TIME = (2000, 1, 1, 0, 0, 0)


class DeliveryError(Exception):
    """The deployment's mail settings cannot be used; the message is for people."""


@dataclass(frozen=True)
class MailSettings:
    """What delivery needs of the settings (the password is never shown: repr=False)."""

    host: str
    port: int
    security: str
    username: str
    password: str | None = field(repr=False)
    mail_from: str
    reply_to: str | None
    max_attempts: int

    @classmethod
    def from_settings(cls, settings: Settings) -> MailSettings:
        if not settings.smtp_host:
            raise DeliveryError(
                "No SMTP server is set (EVIDENCE_SMTP_HOST), so nothing can be sent; queued messages "
                "stay queued and can be downloaded from the outbox."
            )
        if not settings.mail_from:
            raise DeliveryError("No From address is set (EVIDENCE_MAIL_FROM), so nothing can be sent.")
        if settings.smtp_security not in SMTP_SECURITY_PORTS:
            raise DeliveryError(f"EVIDENCE_SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_PORTS)}.")
        if settings.smtp_username and not settings.smtp_password:
            raise DeliveryError("An SMTP user name is set (EVIDENCE_SMTP_USERNAME) but no password.")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port_or_default,
            security=settings.smtp_security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            mail_from=settings.mail_from,
            reply_to=settings.mail_reply_to or None,
            max_attempts=settings.mail_max_attempts,
        )


def message_id(record: OutboxRecord, *, mail_from: str | None) -> str:
    """The message's Message-ID: the same for every attempt at one message."""
    domain = mail_from.rpartition("@")[2] if mail_from else FALLBACK_DOMAIN
    key = hashlib.sha256(record.idempotency_key.encode("utf-8")).hexdigest()[:16]
    return f"<outbox-{record.id}-{key}@{domain}>"


def build_email(record: OutboxRecord, *, mail_from: str | None, reply_to: str | None, now: dt.datetime) -> EmailMessage:
    """The message as it is sent (or downloaded); `AddressError`/`ValueError` if a header would be unsafe."""
    message = EmailMessage(policy=policy.SMTP)
    if mail_from:
        message["From"] = check_address(mail_from)
    message["To"] = check_address(record.recipient_email)
    if any(ch in record.subject for ch in "\r\n") or not record.subject.isprintable():
        raise ValueError("the subject is not one line of printable text")
    message["Subject"] = record.subject
    message["Date"] = format_datetime(now.astimezone(dt.UTC))
    message["Message-ID"] = message_id(record, mail_from=mail_from)
    if reply_to:
        message["Reply-To"] = check_address(reply_to)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(record.body_text)
    if record.body_html:
        message.add_alternative(record.body_html, subtype="html")
    return message


def describe_failure(exc: BaseException) -> str:
    """The SMTP server's reason, or what went wrong on the way to it, in one line."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"recipient refused: {code} {text.decode('utf-8', 'replace') if isinstance(text, bytes) else text}"
            for code, text in exc.recipients.values()
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{type(exc).__name__}: {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the SMTP server does not support a step we need: {exc}"
    if isinstance(exc, TimeoutError):
        return f"the SMTP server did not answer within {SMTP_TIMEOUT_SECONDS} seconds"
    if isinstance(exc, ConnectionRefusedError):
        return "the SMTP server refused the connection (is it running, on this host and port?)"
    return f"{type(exc).__name__}: {exc}"


def connect(mail: MailSettings, *, ssl_context: ssl.SSLContext | None = None) -> smtplib.SMTP:
    """An SMTP connection, protected as set (STARTTLS is required, not tried), logged in if a user is set."""
    context = ssl_context or ssl.create_default_context()
    smtp: smtplib.SMTP
    if mail.security == "tls":
        smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=SMTP_TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(mail.host, mail.port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        smtp.ehlo()
        if mail.security == "starttls":
            if not smtp.has_extn("starttls"):
                raise smtplib.SMTPNotSupportedError("STARTTLS is not offered, and the settings require it")
            smtp.starttls(context=context)
            smtp.ehlo()
        if mail.username:
            smtp.login(mail.username, mail.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


@dataclass
class DeliveryReport:
    """What one `send_due` did."""

    sent: int = 0
    failed: int = 0  # of which gave_up will not be tried again
    gave_up: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)  # (message id, reason)


_SMTP_ERRORS = (smtplib.SMTPException, OSError)
# Refusals of one message: the connection can carry on with the next.
_ONE_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def send_due(
    db: Database,
    settings: Settings,
    *,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
    actor: str = DELIVERY_ACTOR,
    ssl_context: ssl.SSLContext | None = None,
) -> DeliveryReport:
    """Send every message due at `now`, a batch at a time; `DeliveryError` if the settings cannot send."""
    mail = MailSettings.from_settings(settings)
    now = now or utcnow()
    report = DeliveryReport()
    while True:
        with db.write() as session:
            batch = outbox.claim_due(session, now=now, limit=batch_size)
        if not batch:
            return report
        _send_batch(db, mail, batch, now=now, actor=actor, report=report, ssl_context=ssl_context, settings=settings)
        if len(batch) < batch_size:
            return report


def _send_batch(
    db: Database,
    mail: MailSettings,
    batch: list[OutboxRecord],
    *,
    now: dt.datetime,
    actor: str,
    report: DeliveryReport,
    ssl_context: ssl.SSLContext | None,
    settings: Settings,
) -> None:
    def failed(record: OutboxRecord, reason: str, *, retry: bool = True) -> None:
        retry_at = outbox.retry_time(record.attempts, now, max_attempts=mail.max_attempts) if retry else None
        with db.write() as session:
            outbox.mark_failed(session, message_id=record.id, reason=reason, retry_at=retry_at, actor=actor)
        report.failed += 1
        report.gave_up += retry_at is None
        report.failures.append((record.id, reason))

    try:
        smtp = connect(mail, ssl_context=ssl_context)
    except _SMTP_ERRORS as exc:
        reason = describe_failure(exc)
        for record in batch:
            failed(record, reason)
        return
    try:
        for position, record in enumerate(batch):
            try:
                message = build_email(
                    _with_link(db, record, settings=settings, actor=actor, now=now),
                    mail_from=mail.mail_from,
                    reply_to=mail.reply_to,
                    now=now,
                )
            except tokens.LinkUnavailable as exc:
                failed(record, f"the message cannot be sent now: {exc}", retry=False)
                continue
            except (AddressError, ValueError) as exc:  # stored before a rule tightened: never sendable
                failed(record, f"the message cannot be sent as it is: {exc}", retry=False)
                continue
            try:
                smtp.send_message(message, from_addr=mail.mail_from, to_addrs=[record.recipient_email])
            except _ONE_MESSAGE as exc:
                failed(record, describe_failure(exc))
                continue
            except _SMTP_ERRORS as exc:  # the connection is gone: this message and the rest wait
                reason = describe_failure(exc)
                for rest in batch[position:]:
                    failed(rest, reason)
                return
            with db.write() as session:
                outbox.mark_sent(session, message_id=record.id, now=now, actor=actor)
            report.sent += 1
    finally:
        try:
            smtp.quit()
        except _SMTP_ERRORS:
            smtp.close()


def _carries_link(record: OutboxRecord) -> bool:
    """Whether a message has a link to mint when it is sent: a one-time link to set a
    password (`tokens`) or a presenter's reply link (`invitations`)."""
    return tokens.carries_link(record) or invitations.carries_link(record)


def _fill_link(
    session: Session, record: OutboxRecord, *, settings: Settings, actor: str, now: dt.datetime | None = None
) -> OutboxRecord:
    if invitations.carries_link(record):
        return invitations.fill_link(session, record=record, settings=settings, actor=actor, now=now)
    return tokens.fill_link(session, record=record, settings=settings, actor=actor, now=now)


def _with_link(db: Database, record: OutboxRecord, *, settings: Settings, actor: str, now: dt.datetime) -> OutboxRecord:
    """The message with its one-time link minted and put in (committed before it is sent), or as it is."""
    if not _carries_link(record):
        return record
    with db.write() as session:
        return _fill_link(session, record, settings=settings, actor=actor, now=now)


# --- downloads, when no SMTP server is set (or for the record) --------------

# A download of messages not sent yet is for sending them by hand: their links are minted.
_TO_SEND = ("queued", "failed")


def _as_downloaded(
    session: Session, rows: list[tuple[OutboxRecord, bool]], *, settings: Settings | None, actor: str
) -> list[tuple[OutboxRecord, bool]]:
    """The messages as downloaded: one not sent yet gets its one-time link, minted now (the
    recipient's earlier unused link of that purpose, from an earlier download or message,
    stops working); one whose link cannot be made keeps the placeholder."""
    out = []
    for record, anonymous in rows:
        shown = record
        if settings is not None and record.status in _TO_SEND and _carries_link(record):
            with contextlib.suppress(tokens.LinkUnavailable):
                shown = _fill_link(session, record, settings=settings, actor=actor)
        out.append((shown, anonymous))
    return out


@dataclass(frozen=True)
class OutboxFile:
    filename: str
    content: bytes
    mime: str
    messages: int


def download_name(status: str, now: dt.datetime, extension: str) -> str:
    """The name of a download of the messages of `status` made at `now`: `outbox-queued-20261206-1200.zip`."""
    return f"outbox-{status}-{now:%Y%m%d-%H%M}.{extension}"


def _rows(session: Session, status: str) -> list[tuple[OutboxRecord, bool]]:
    """The messages of one status, oldest first, each with whether it goes to an anonymous contributor."""
    if status not in OUTBOX_STATUSES:
        raise outbox.OutboxError(f"Unknown status {status!r}; it is one of {', '.join(OUTBOX_STATUSES)}.")
    statement = (
        select(OutboxMessage, Submission.anonymous)
        .outerjoin(Submission, Submission.id == OutboxMessage.submission_id)
        .where(OutboxMessage.status == status)
        .order_by(OutboxMessage.id)
    )
    return [(outbox.as_record(row), bool(anonymous)) for row, anonymous in session.execute(statement)]


def _record_download(
    session: Session, *, viewer: Viewer, what: str, file: OutboxFile, status: str, anonymous: int
) -> None:
    audit.record(
        session,
        actor=viewer.username,
        action=audit_actions.export_action(what),
        entity="export",
        entity_id=what,
        new={
            "file": file.filename,
            "rows": file.messages,
            "sha256": hashlib.sha256(file.content).hexdigest(),
            "status": status,
            "to_anonymous_contributors": anonymous,
        },
        detail="outbox download",
    )


def eml_zip(
    session: Session, *, viewer: Viewer, settings: Settings, status: str = "queued", now: dt.datetime | None = None
) -> OutboxFile:
    """A ZIP of one `.eml` file per message of `status` (admin only; audited as an export). A
    message not sent yet (queued or failed) carries its one-time link, minted now: the admin
    who downloads it to send it by hand necessarily sees that link (the caller's unit of work
    must be a write, so that the link works)."""
    require_role(session, viewer, Role.ADMIN, to="download messages")
    now = now or utcnow()
    rows = _as_downloaded(session, _rows(session, status), settings=settings, actor=viewer.username)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record, _anonymous in rows:
            message = build_email(
                record, mail_from=settings.mail_from or None, reply_to=settings.mail_reply_to or None, now=now
            )
            entry = zipfile.ZipInfo(f"{record.id:06d}-{record.purpose}.eml", date_time=_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, message.as_bytes(policy=policy.SMTP))
    file = OutboxFile(download_name(status, now, "zip"), buffer.getvalue(), "application/zip", len(rows))
    _record_download(
        session, viewer=viewer, what="outbox-eml", file=file, status=status, anonymous=sum(a for _r, a in rows)
    )
    return file


MAIL_MERGE_FIELDS = ("message_id", "purpose", "to", "subject", "body_text", "created_at")


def mail_merge_csv(
    session: Session,
    *,
    viewer: Viewer,
    status: str = "queued",
    now: dt.datetime | None = None,
    settings: Settings | None = None,
) -> OutboxFile:
    """A mail-merge CSV of the messages of `status`, one row each (admin only; formula-safe; audited).
    With `settings`, messages not sent yet carry their one-time links, minted now (as `eml_zip`)."""
    require_role(session, viewer, Role.ADMIN, to="download messages")
    now = now or utcnow()
    rows = _as_downloaded(session, _rows(session, status), settings=settings, actor=viewer.username)
    content = to_csv_bytes(MAIL_MERGE_FIELDS, _merge_rows(record for record, _anonymous in rows))
    file = OutboxFile(download_name(status, now, "csv"), content, "text/csv", len(rows))
    _record_download(
        session, viewer=viewer, what="outbox-csv", file=file, status=status, anonymous=sum(a for _r, a in rows)
    )
    return file


def _merge_rows(records: Iterable[OutboxRecord]) -> Iterable[dict[str, object]]:
    for record in records:
        yield {
            "message_id": record.id,
            "purpose": record.purpose,
            "to": record.recipient_email,
            "subject": record.subject,
            "body_text": record.body_text,
            "created_at": record.created_at,
        }
