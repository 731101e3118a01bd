"""Invitations to present as they are read (`data_access.invitations` writes them; issue 17):
each invitation's state (accepted in person or virtually, declined, awaiting a reply, or no reply
by the deadline), the deadline itself (the end of the reply-by day in UK time), and the records
the Programme and Line-up status pages show. `data_access.invitations` re-exports all of it."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import OutboxMessage, PresenterInvitation, Submission, utcnow

STATES = ("accepted_in_person", "accepted_virtual", "declined", "awaiting", "no_reply")
STATE_WORDS = {
    "accepted_in_person": "Accepted, in person",
    "accepted_virtual": "Accepted, virtually",
    "declined": "Declined",
    "awaiting": "Awaiting a reply",
    "no_reply": "No reply by the deadline",
}
UK = ZoneInfo("Europe/London")  # the call's time zone: a date to reply by ends at midnight there


class InvitationError(ValueError):
    """A step that cannot be taken as asked; the message is for people, and nothing was changed."""


REPLY_BY_MAX_DAYS = 365  # the date to reply by is at most a year ahead (UK date): see `latest_reply_by`


def latest_reply_by(now: dt.datetime) -> dt.date:
    """The latest date to reply by that invitations may carry, `now`: a year ahead in UK time. A
    presenter's reply is wanted before the conference, which a call plans within the year; the bound
    also keeps `deadline_end` (the day after, at midnight) far from the last date there is."""
    return now.astimezone(UK).date() + dt.timedelta(days=REPLY_BY_MAX_DAYS)


def deadline_end(reply_by: dt.date) -> dt.datetime:
    """The moment a reply-by date is over: the end of that day in UK time (midnight
    in London: 23:00 UTC in summer (BST), midnight UTC in winter (GMT)), in UTC."""
    return dt.datetime.combine(reply_by + dt.timedelta(days=1), dt.time(0), tzinfo=UK).astimezone(dt.UTC)


def long_date(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def reply_by_words(day: dt.date) -> str:
    """The deadline as the email and the reply page say it: "the end of Friday 1 October 2021 (UK time)"."""
    return f"the end of {long_date(day)} (UK time)"


# --- reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class InvitationRecord:
    """An invitation as the admin and the office see it (identities unmasked: staff only)."""

    id: int
    line_up_id: int
    submission_id: int
    reference: str
    title: str
    organisation: str | None
    anonymous: bool
    format_offered: str
    reply_by: dt.date
    status: str
    reply_format: str | None
    state: str  # one of STATES
    access_needs: str
    note: str
    replied_at: dt.datetime | None
    replied_by: str | None
    message_status: str | None  # the outbox message's status; None when no message was queued
    version: int

    @property
    def state_words(self) -> str:
        return STATE_WORDS[self.state]


def invitation_state(status: str, reply_format: str | None, reply_by: dt.date, now: dt.datetime) -> str:
    """Accepted in person or virtually, declined, awaiting a reply, or no reply by the deadline."""
    if status == "accepted":
        return f"accepted_{reply_format}"
    if status == "declined":
        return "declined"
    return "no_reply" if now >= deadline_end(reply_by) else "awaiting"


def _select_invitations() -> Any:
    return (
        select(
            PresenterInvitation,
            Submission.reference,
            Submission.title,
            Submission.organisation,
            Submission.anonymous,
            OutboxMessage.status.label("message_status"),
        )
        .join(Submission, Submission.id == PresenterInvitation.submission_id)
        .outerjoin(OutboxMessage, OutboxMessage.id == PresenterInvitation.outbox_message_id)
    )


def _record(row: Any, now: dt.datetime) -> InvitationRecord:
    inv = row[0]
    return InvitationRecord(
        id=inv.id,
        line_up_id=inv.line_up_id,
        submission_id=inv.submission_id,
        reference=row.reference,
        title=row.title,
        organisation=row.organisation,
        anonymous=bool(row.anonymous),
        format_offered=inv.format_offered,
        reply_by=inv.reply_by,
        status=inv.status,
        reply_format=inv.reply_format,
        state=invitation_state(inv.status, inv.reply_format, inv.reply_by, now),
        access_needs=inv.access_needs,
        note=inv.note,
        replied_at=inv.replied_at,
        replied_by=inv.replied_by,
        message_status=row.message_status,
        version=inv.version,
    )


def list_invitations(session: Session, *, line_up_id: int, now: dt.datetime | None = None) -> list[InvitationRecord]:
    """The line-up's invitations, by reference."""
    now = now or utcnow()
    rows = session.execute(
        _select_invitations()
        .where(PresenterInvitation.line_up_id == line_up_id)
        .order_by(Submission.reference)
        .execution_options(populate_existing=True)
    ).all()
    return [_record(r, now) for r in rows]


def get_invitation(session: Session, *, invitation_id: int, now: dt.datetime | None = None) -> InvitationRecord:
    row = session.execute(
        _select_invitations().where(PresenterInvitation.id == invitation_id).execution_options(populate_existing=True)
    ).first()
    if row is None:
        raise InvitationError("There is no such invitation.")
    return _record(row, now or utcnow())


def state_counts(records: list[InvitationRecord]) -> dict[str, int]:
    """How many invitations are in each state (every state named, zero included)."""
    counts = Counter(r.state for r in records)
    return {state: counts.get(state, 0) for state in STATES}


__all__ = [
    "REPLY_BY_MAX_DAYS",
    "STATES",
    "STATE_WORDS",
    "UK",
    "InvitationError",
    "InvitationRecord",
    "deadline_end",
    "get_invitation",
    "invitation_state",
    "latest_reply_by",
    "list_invitations",
    "long_date",
    "reply_by_words",
    "state_counts",
]
