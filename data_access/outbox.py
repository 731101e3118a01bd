"""The outbox: every message the app sends is first a row here (docs/messages.md).

    record, created = queue_message(session, purpose="reviewer.invitation", recipient_email=...,
                                    subject=..., body_text=..., idempotency_key=..., actor=...)

A message is queued once per idempotency key (chosen by whoever queues: its
purpose and recipient, and whatever makes it one message, e.g. the reminder's
deadline): the row is inserted with ON CONFLICT DO NOTHING on the key's unique
index, so a second call, or two at the same moment on either database, finds
the first row and queues nothing (`created` is False). An address that is not
one bare address, a subject with a line break, an unknown purpose or an empty
body is refused with `OutboxError` and nothing is queued (`queue_many`: nothing
of the whole batch).

Delivery (`data_access.delivery`) claims due messages with `claim_due`, which
marks them "sending" in its own unit of work (PostgreSQL: SELECT ... FOR UPDATE
SKIP LOCKED; SQLite: the write unit's BEGIN IMMEDIATE), so that two senders,
on one server or two, never take the same message; then `mark_sent` or
`mark_failed`. A failed message is tried again after a wait that doubles with
each attempt (`retry_time`) until the deployment's most attempts; then it
stays failed until the admin resends it. A message left "sending" by a sender
that stopped mid-way is never taken again on its own (it may have gone out):
the admin sees it and decides.

The functions for the outbox page (`list_messages`, `get_message`, `cancel`,
`resend`) are for an active admin only, checked in the same transaction.
Every change is audited with the purpose, the recipient's user id or a masked
address, the submission and the message's id: never the subject or the body.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.mail_address import AddressError, check_address, mask_address
from data_access import audit
from data_access.db import rows_matched
from data_access.models import OUTBOX_STATUSES, OutboxMessage, utcnow
from data_access.users import require_role

# What a message is for: who it goes to, then what it says.
PURPOSES = (
    "reviewer.invitation",
    "reviewer.reset",
    "reviewer.assignments",
    "reviewer.reminder",
    "reviewer.overdue",
    "contributor.acknowledgement",
    "presenter.invitation",
)
# Messages to a submission's contributor: each names its submission (erasure deletes them with it).
CONTRIBUTOR_PURPOSES = ("contributor.", "presenter.")
MAX_SUBJECT_LENGTH = 300
MAX_BODY_LENGTH = 200_000
MAX_KEY_LENGTH = 200
MAX_TEMPLATE_LENGTH = 64
MAX_ERROR_LENGTH = 500
FIRST_RETRY = dt.timedelta(minutes=1)
LONGEST_RETRY = dt.timedelta(hours=12)
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")
_ADDRESS_IN_TEXT = re.compile(r"[^\s<>\"',;:()]+@[A-Za-z0-9.-]+")
_SENDABLE = or_(
    and_(OutboxMessage.status == "queued", OutboxMessage.next_attempt_at.is_not(None)),
    and_(OutboxMessage.status == "failed", OutboxMessage.next_attempt_at.is_not(None)),
)


class OutboxError(ValueError):
    """A message that cannot be queued, or a change the outbox refuses; the message is for people."""


@dataclass(frozen=True)
class NewMessage:
    """One message to queue (`queue_many`); the fields of `queue_message`."""

    purpose: str
    recipient_email: str
    subject: str
    body_text: str
    idempotency_key: str
    body_html: str | None = None
    recipient_user_id: int | None = None
    submission_id: int | None = None
    template: str | None = None


@dataclass(frozen=True)
class OutboxRecord:
    id: int
    purpose: str
    recipient_email: str
    recipient_user_id: int | None
    submission_id: int | None
    template: str | None
    subject: str
    body_text: str
    body_html: str | None
    status: str
    attempts: int
    last_error: str | None
    next_attempt_at: dt.datetime | None
    idempotency_key: str
    created_by: str
    created_at: dt.datetime
    sent_at: dt.datetime | None
    cancelled_by: str | None


_RECORD_FIELDS = tuple(f.name for f in fields(OutboxRecord))
_ABOUT = ("purpose", "recipient_user_id", "recipient_email", "submission_id")


def as_record(row: OutboxMessage) -> OutboxRecord:
    return OutboxRecord(**{name: getattr(row, name) for name in _RECORD_FIELDS})


@dataclass(frozen=True)
class QueueReport:
    """What `queue_many` did: the messages' ids in the order given, and how many were new."""

    ids: list[int]
    created: int
    already_queued: int


def _checked(message: NewMessage) -> dict[str, Any]:
    """The row's values, or `OutboxError` saying what is wrong."""
    if message.purpose not in PURPOSES:
        raise OutboxError(f"Unknown purpose {message.purpose!r}; it is one of {', '.join(PURPOSES)}.")
    if message.purpose.startswith(CONTRIBUTOR_PURPOSES) and message.submission_id is None:
        # Erasure and retention find a contributor's messages by their submission.
        raise OutboxError(f"A {message.purpose} message needs the submission it is about.")
    try:
        address = check_address(message.recipient_email)
    except AddressError as exc:
        raise OutboxError(f"Recipient: {exc}") from None
    _check_words(message)
    return {
        "purpose": message.purpose,
        "recipient_email": address,
        "recipient_user_id": message.recipient_user_id,
        "submission_id": message.submission_id,
        "template": message.template,
        "subject": message.subject,
        "body_text": message.body_text,
        "body_html": message.body_html or None,
        "idempotency_key": message.idempotency_key,
    }


def _check_words(message: NewMessage) -> None:
    """The subject, bodies, key and template's name: `OutboxError` saying what is wrong."""
    subject = message.subject
    if not isinstance(subject, str) or not subject.strip():
        raise OutboxError("The subject is empty.")
    if _CONTROL.search(subject):
        raise OutboxError("The subject may not contain a line break or control character.")
    if len(subject) > MAX_SUBJECT_LENGTH:
        raise OutboxError(f"The subject is longer than {MAX_SUBJECT_LENGTH} characters.")
    if not isinstance(message.body_text, str) or not message.body_text.strip():
        raise OutboxError("The message's text is empty.")
    for name, body in (("text", message.body_text), ("HTML", message.body_html)):
        if body is not None and len(body) > MAX_BODY_LENGTH:
            raise OutboxError(f"The message's {name} is longer than {MAX_BODY_LENGTH} characters.")
    key = message.idempotency_key
    if not isinstance(key, str) or not key.strip() or len(key) > MAX_KEY_LENGTH or _CONTROL.search(key):
        raise OutboxError(f"The idempotency key must be 1 to {MAX_KEY_LENGTH} characters on one line.")
    if message.template is not None and len(message.template) > MAX_TEMPLATE_LENGTH:
        raise OutboxError(f"The template's name is longer than {MAX_TEMPLATE_LENGTH} characters.")


def _about(row: dict[str, Any] | OutboxMessage | OutboxRecord) -> dict[str, Any]:
    """What an audit entry says about a message: never its subject or body."""
    values: dict[str, Any] = row if isinstance(row, dict) else {name: getattr(row, name) for name in _ABOUT}
    get = values.__getitem__
    about = {
        "purpose": get("purpose"),
        "recipient_user_id": get("recipient_user_id"),
        "recipient": mask_address(get("recipient_email")),
    }
    if get("submission_id") is not None:
        about["submission_id"] = get("submission_id")
    return about


_SAME_MESSAGE = ("purpose", "recipient_email", "recipient_user_id", "submission_id")
_SAME_MESSAGE_COLUMNS = tuple(getattr(OutboxMessage, name) for name in _SAME_MESSAGE)


def _same_message(first: Any, row: dict[str, Any], number: int, total: int) -> None:
    """A key names one message: used again for another purpose, recipient or
    submission, it would drop that message silently (and hand its caller the
    other person's), so it is refused (`OutboxError`)."""
    if any(first[name] != row[name] for name in _SAME_MESSAGE):
        where = f"Message {number}: " if total > 1 else ""
        raise OutboxError(
            f"{where}The idempotency key {row['idempotency_key']!r} is already used by a message of another "
            "purpose, recipient or submission; a key names one message. Nothing was queued."
        )


def _queued(
    session: Session, by_key: dict[str, dict[str, Any]], numbers: dict[str, int], keys: list[str], *, total: int
) -> dict[str, int]:
    """The ids of the messages already queued under `keys`; `OutboxError` if one is another message."""
    ids: dict[str, int] = {}
    for start in range(0, len(keys), 500):
        for queued in session.execute(
            select(OutboxMessage.id, OutboxMessage.idempotency_key, *_SAME_MESSAGE_COLUMNS).where(
                OutboxMessage.idempotency_key.in_(keys[start : start + 500])
            )
        ):
            key = queued.idempotency_key
            _same_message(queued._asdict(), by_key[key], numbers[key], total)
            ids[key] = queued.id
    return ids


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[Any]:
    """Insert the rows whose key is new (ON CONFLICT DO NOTHING); the ids and keys of those inserted."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert(OutboxMessage)
        .on_conflict_do_nothing(index_elements=[OutboxMessage.idempotency_key])
        .returning(OutboxMessage.id, OutboxMessage.idempotency_key)
    )
    return list(session.connection().execute(statement, rows).all())


def queue_message(
    session: Session,
    *,
    purpose: str,
    recipient_email: str,
    subject: str,
    body_text: str,
    idempotency_key: str,
    actor: str,
    body_html: str | None = None,
    recipient_user_id: int | None = None,
    submission_id: int | None = None,
    template: str | None = None,
    now: dt.datetime | None = None,
) -> tuple[OutboxRecord, bool]:
    """Queue one message; (the message, True) or, if its key was queued before, (that message, False)."""
    message = NewMessage(
        purpose=purpose,
        recipient_email=recipient_email,
        subject=subject,
        body_text=body_text,
        idempotency_key=idempotency_key,
        body_html=body_html,
        recipient_user_id=recipient_user_id,
        submission_id=submission_id,
        template=template,
    )
    report = queue_many(session, messages=[message], actor=actor, now=now)
    row = session.get(OutboxMessage, report.ids[0], populate_existing=True)
    assert row is not None  # inserted, or found by its key, in this transaction
    return as_record(row), report.created == 1


def queue_many(
    session: Session, *, messages: Sequence[NewMessage], actor: str, now: dt.datetime | None = None
) -> QueueReport:
    """Queue many messages at once (one INSERT, one audit INSERT): every one is
    checked first, and one bad message queues none (`OutboxError` names it)."""
    rows: list[dict[str, Any]] = []
    for number, message in enumerate(messages, start=1):
        try:
            rows.append(_checked(message))
        except OutboxError as exc:
            where = f"Message {number}: " if len(messages) > 1 else ""
            raise OutboxError(f"{where}{exc} Nothing was queued.") from None
    now = now or utcnow()
    by_key: dict[str, dict[str, Any]] = {}
    numbers: dict[str, int] = {}  # each key's first message, counted from 1 (for the refusal's words)
    for number, row in enumerate(rows, start=1):
        first = by_key.setdefault(row["idempotency_key"], row)  # the same key twice in one batch is one message
        numbers.setdefault(row["idempotency_key"], number)
        _same_message(first, row, number, len(rows))
    # A key queued before must name the same message (checked before anything is
    # inserted, so a refusal leaves nothing behind); a key queued meanwhile by
    # someone else (the insert finds it) is checked likewise after the insert.
    ids = _queued(session, by_key, numbers, list(by_key), total=len(rows))
    values = [
        {
            **row,
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": now,
            "created_by": actor,
            "created_at": now,
        }
        for key, row in by_key.items()
        if key not in ids
    ]
    inserted = {key: message_id for message_id, key in _insert(session, values)} if values else {}
    ids.update(inserted)
    ids.update(_queued(session, by_key, numbers, [key for key in by_key if key not in ids], total=len(rows)))
    audit.record_many(
        session,
        actor=actor,
        entries=[
            {"action": "outbox.queue", "entity": "outbox_message", "entity_id": ids[key], "new": _about(by_key[key])}
            for key in by_key
            if key in inserted
        ],
    )
    return QueueReport(
        ids=[ids[row["idempotency_key"]] for row in rows],
        created=len(inserted),
        already_queued=len(by_key) - len(inserted),
    )


def retry_time(attempts: int, now: dt.datetime, *, max_attempts: int) -> dt.datetime | None:
    """When a message that has failed `attempts` times is tried again; None once it has had its tries.

    The wait doubles with each attempt: one minute after the first, two after
    the second, four after the third, ..., never more than twelve hours."""
    if attempts >= max_attempts:
        return None
    wait = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return now + min(wait, LONGEST_RETRY)


def _due(now: dt.datetime) -> ColumnElement[bool]:
    return and_(_SENDABLE, OutboxMessage.next_attempt_at <= now)


def claim_due(session: Session, *, now: dt.datetime, limit: int) -> list[OutboxRecord]:
    """Take up to `limit` due messages for sending: marked "sending" and their
    attempts counted, in this unit of work (which must be `db.write()`).

    PostgreSQL skips rows another sender has locked (FOR UPDATE SKIP LOCKED);
    SQLite's write unit holds the database's write lock from its start. The
    UPDATE checks again that each row is still due, so a message is taken once."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return []
    claimed = list(
        session.scalars(
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), _due(now))
            .values(status="sending", attempts=OutboxMessage.attempts + 1, next_attempt_at=None)
            .returning(OutboxMessage.id)
        )
    )
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return [as_record(row) for row in rows]


def mark_sent(session: Session, *, message_id: int, now: dt.datetime, actor: str) -> None:
    """A message being sent has gone: "sent", with the time."""
    row = _sending(session, message_id)
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending")
        .values(status="sent", sent_at=now, last_error=None, next_attempt_at=None)
    )
    audit.record(
        session,
        actor=actor,
        action="outbox.sent",
        entity="outbox_message",
        entity_id=message_id,
        new=_about(row) | {"attempts": row.attempts},
    )


def mark_failed(session: Session, *, message_id: int, reason: str, retry_at: dt.datetime | None, actor: str) -> None:
    """A message being sent did not go: "failed" with the reason, to be tried
    again at `retry_at` (None: not again until the admin resends it)."""
    row = _sending(session, message_id)
    reason = " ".join(str(reason).split())[:MAX_ERROR_LENGTH] or "unknown error"
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "sending")
        .values(status="failed", last_error=reason, next_attempt_at=retry_at)
    )
    audit.record(
        session,
        actor=actor,
        action="outbox.failed",
        entity="outbox_message",
        entity_id=message_id,
        new=_about(row) | {"attempts": row.attempts, "retry_at": retry_at},
        detail=_ADDRESS_IN_TEXT.sub(lambda m: mask_address(m.group(0)), reason),
    )


def _sending(session: Session, message_id: int) -> OutboxMessage:
    row = session.get(OutboxMessage, message_id, populate_existing=True)
    if row is None or row.status != "sending":
        raise OutboxError(f"Message {message_id} is not being sent.")
    return row


def _for_admin(session: Session, viewer: Viewer, message_id: int, *, to: str) -> OutboxMessage:
    require_role(session, viewer, Role.ADMIN, to=to)
    row = session.get(
        OutboxMessage,
        message_id,
        populate_existing=True,
        with_for_update=session.get_bind().dialect.name != "sqlite",
    )
    if row is None:
        raise OutboxError("There is no such message (it may have been erased).")
    return row


def cancel(session: Session, *, message_id: int, viewer: Viewer) -> OutboxRecord:
    """Cancel a queued message (admin only); it will never be sent."""
    row = _for_admin(session, viewer, message_id, to="cancel messages")
    if row.status != "queued":
        raise OutboxError(f"Only a queued message can be cancelled; this one is {row.status}. Nothing was changed.")
    matched = rows_matched(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "queued")
        .values(status="cancelled", cancelled_by=viewer.username, next_attempt_at=None),
    )
    if matched != 1:  # taken by a sender since it was read
        raise OutboxError("The message is being sent at this moment and can no longer be cancelled.")
    audit.record(
        session,
        actor=viewer.username,
        action="outbox.cancel",
        entity="outbox_message",
        entity_id=message_id,
        old={"status": "queued"},
        new=_about(row) | {"status": "cancelled"},
    )
    session.refresh(row)
    return as_record(row)


def resend(session: Session, *, message_id: int, viewer: Viewer, now: dt.datetime | None = None) -> OutboxRecord:
    """Queue a failed message again (admin only), with a fresh count of attempts."""
    row = _for_admin(session, viewer, message_id, to="resend messages")
    if row.status != "failed":
        raise OutboxError(f"Only a failed message can be sent again; this one is {row.status}. Nothing was changed.")
    old_attempts = row.attempts
    matched = rows_matched(
        session,
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
        .values(status="queued", attempts=0, next_attempt_at=now or utcnow()),
    )
    if matched != 1:
        raise OutboxError("The message is being sent again at this moment.")
    audit.record(
        session,
        actor=viewer.username,
        action="outbox.resend",
        entity="outbox_message",
        entity_id=message_id,
        old={"status": "failed", "attempts": old_attempts},
        new=_about(row) | {"status": "queued"},
    )
    session.refresh(row)
    return as_record(row)


def list_messages(
    session: Session, *, viewer: Viewer, status: str | None = None, purpose: str | None = None, limit: int = 500
) -> list[OutboxRecord]:
    """The newest messages first (admin only), optionally of one status and one purpose."""
    require_role(session, viewer, Role.ADMIN, to="see the outbox")
    if status is not None and status not in OUTBOX_STATUSES:
        raise OutboxError(f"Unknown status {status!r}; it is one of {', '.join(OUTBOX_STATUSES)}.")
    if purpose is not None and purpose not in PURPOSES:
        raise OutboxError(f"Unknown purpose {purpose!r}; it is one of {', '.join(PURPOSES)}.")
    statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        statement = statement.where(OutboxMessage.status == status)
    if purpose is not None:
        statement = statement.where(OutboxMessage.purpose == purpose)
    return [as_record(row) for row in session.scalars(statement)]


def get_message(session: Session, *, viewer: Viewer, message_id: int) -> OutboxRecord | None:
    """One message with its bodies (admin only), or None."""
    require_role(session, viewer, Role.ADMIN, to="see the outbox")
    row = session.get(OutboxMessage, message_id)
    return None if row is None else as_record(row)
