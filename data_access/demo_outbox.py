"""The demo call's outbox: a handful of messages, so that the Messages page has something to show.

Every message is rendered from its template with the demo call's own data
(`data_access.templates`), queued through `outbox.queue_many`, and moved on
by the outbox's own functions, audited as a real sender and the admin would
be: the assignment digests went out (one was refused by the reviewer's mail
server), an acknowledgement went out, one failed on a dropped connection
and waits to be tried again, others wait in the queue (one of them to an
anonymous contributor), reminders wait, and a presenter invitation was
cancelled. Demo mode sets no SMTP server: the queued ones are there to
download as `.eml` files or a mail-merge CSV.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import outbox
from data_access.models import Submission, User
from data_access.notify import new_message
from data_access.outbox import NewMessage
from data_access.templates import call_values, render_template, reviewer_values
from messages.templates import spec_for

ACTOR = "demo"
SENDER = "delivery"
# What the demo's failures say: as `data_access.delivery.describe_failure` writes a server's answer.
REFUSED = "recipient refused: 550 5.1.1 mailbox unavailable"
DROPPED = "SMTPServerDisconnected: Connection unexpectedly closed"
ACKNOWLEDGED = 4  # the first submissions are acknowledged, then the first anonymous one
MAX_ATTEMPTS = 5  # the default of EVIDENCE_MAIL_MAX_ATTEMPTS


def _message(
    session: Session, config: CallConfig, purpose: str, key: str, to: str, values: dict[str, Any], **about: Any
) -> NewMessage:
    spec = spec_for(purpose)
    given = call_values(config) | values  # the call's values and the recipient's, where the message uses them
    rendered = render_template(
        session, purpose, spec.examples() | {k: v for k, v in given.items() if k in spec.examples()}
    )
    return new_message(purpose, to, rendered, f"demo:{key}", **about)


def _reviewer_messages(session: Session, config: CallConfig, purpose: str) -> list[NewMessage]:
    """One message of `purpose` to each reviewer with an address (a reminder: only while reviews are unfinished)."""
    messages = []
    for user in session.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.id)):
        values = reviewer_values(session, user)
        if not user.email or (purpose == "reviewer.reminder" and not values["unfinished_count"]):
            continue
        key = f"{purpose}:{user.id}"
        messages.append(_message(session, config, purpose, key, user.email, values, recipient_user_id=user.id))
    return messages


def _acknowledgements(session: Session, config: CallConfig, sub_ids: list[int]) -> list[NewMessage]:
    """The first submissions', then the first anonymous one's (written to at its stored address only)."""
    wanted = select(Submission).where(Submission.id.in_(sub_ids), Submission.contact_email.is_not(None))
    named = wanted.where(Submission.anonymous.is_(False)).order_by(Submission.id).limit(ACKNOWLEDGED)
    anonymous = wanted.where(Submission.anonymous.is_(True)).order_by(Submission.id).limit(1)
    purpose = "contributor.acknowledgement"
    return [
        _message(
            session,
            config,
            purpose,
            f"{purpose}:{sub.id}",
            sub.contact_email or "",
            {"recipient_name": sub.contact_name or "", "reference": sub.reference, "title": sub.title},
            submission_id=sub.id,
        )
        for sub in [*session.scalars(named), *session.scalars(anonymous)]
    ]


def seed_demo_outbox(session: Session, *, config: CallConfig, admin: Viewer, sub_ids: list[int]) -> int:
    """Queue, send, fail and cancel the demo's messages (in the seeding's unit of work); how many there are."""
    closed = dt.datetime.combine(config.submissions_close, dt.time(10), tzinfo=dt.UTC)
    digests = _reviewer_messages(session, config, "reviewer.assignments")
    acknowledgements = _acknowledgements(session, config, sub_ids)
    # Gone out the day after the call closed: the digests and the first two acknowledgements; the
    # last digest was refused by the reviewer's server (not tried again until the admin resends it),
    # the second acknowledgement met a dropped connection (tried again later).
    out = [*digests, *acknowledgements[:2]]
    delivered = closed + dt.timedelta(days=1)
    ids = outbox.queue_many(session, messages=out, actor=ACTOR, now=delivered).ids
    refused = ids[len(digests) - 1] if digests else None
    dropped = ids[-1] if len(acknowledgements) >= 2 else None
    for record in outbox.claim_due(session, now=delivered, limit=len(out)):
        if record.id == refused:
            outbox.mark_failed(session, message_id=record.id, reason=REFUSED, retry_at=None, actor=SENDER)
        elif record.id == dropped:
            retry = outbox.retry_time(record.attempts, delivered, max_attempts=MAX_ATTEMPTS)
            outbox.mark_failed(session, message_id=record.id, reason=DROPPED, retry_at=retry, actor=SENDER)
        else:
            outbox.mark_sent(session, message_id=record.id, now=delivered, actor=SENDER)
    # Waiting (demo mode sets no SMTP server): the other acknowledgements and the reminders; and a
    # presenter invitation that the admin cancelled.
    waiting = [*acknowledgements[2:], *_reviewer_messages(session, config, "reviewer.reminder")]
    invitation = _presenter_invitation(session, config, sub_ids)
    reminded = dt.datetime.combine(config.review_deadline - dt.timedelta(days=7), dt.time(9), tzinfo=dt.UTC)
    queued = outbox.queue_many(session, messages=[*waiting, *invitation], actor=admin.username, now=reminded).ids
    if invitation:
        outbox.cancel(session, message_id=queued[-1], viewer=admin)
    return len(out) + len(queued)


def _presenter_invitation(session: Session, config: CallConfig, sub_ids: list[int]) -> list[NewMessage]:
    """An invitation to present, to the last submission with an address (none if there is none)."""
    sub = session.scalars(
        select(Submission)
        .where(Submission.id.in_(sub_ids), Submission.contact_email.is_not(None))
        .order_by(Submission.id.desc())
        .limit(1)
    ).first()
    if sub is None:
        return []
    purpose = "presenter.invitation"
    values = {"recipient_name": sub.contact_name or "", "reference": sub.reference, "title": sub.title}
    return [
        _message(session, config, purpose, f"{purpose}:{sub.id}", sub.contact_email or "", values, submission_id=sub.id)
    ]
