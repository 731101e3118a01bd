"""From line-up to programme: invitations to present, and replies (issue 17;
docs/selection.md "From line-up to programme", docs/security.md "Presenters'
reply links"). The sign-off they start from is `data_access.signoff`.

* `invite_all` (admin): one invitation per member of the signed-off line-up
  not invited yet, each with the format offered and a date to reply by, and one
  outbox message each (template presenter.invitation) to the submission's
  contact address. The stored message holds `REPLY_PLACEHOLDER` where the reply
  link goes: the link is minted when the message is sent or downloaded
  (`fill_link`, called by `data_access.delivery`), in the sent copy only.
* `reply_by_link`: the presenter, without an account, through their personal
  link. A link works once (single use), until the end of the reply-by day
  (UK time, `deadline_end`), and only while the invitation has no reply: using it is one UPDATE ...
  WHERE used_at IS NULL AND expires_at > now, so of two uses at the same moment
  exactly one matches a row. Only the SHA-256 of the token is stored.
* `record_reply` (admin): a reply received another way (or a change of a
  reply), with `expected_version` as an optimistic lock.
* `invitation_state`: accepted in person, accepted virtually, declined,
  awaiting a reply, or no reply by the deadline.
* Places (`data_access.places`): an acceptance in a format whose places are all
  taken by presenters who accepted is refused (`PlacesTaken`, nothing changed,
  the link still works), counted with the line-up locked: one of two racers wins.

Locks (PostgreSQL), always in this order, so that two of these at once wait
for each other instead of deadlocking: the line-up (`lock_line_up`, when an
acceptance is counted against the places), then the invitation row
(`_lock_invitation`: FOR NO KEY UPDATE, what an UPDATE of it takes, so a new
link row's foreign key check is not blocked), then its link rows (using one,
voiding them, issuing one). `reply_by_link` finds the invitation from the
token's hash without locking, then follows the order; it once locked the link
row first while `record_reply` locked the invitation and then voided the
links, each waiting for the other. SQLite runs write units one at a time.

Every step is in the audit log: `invitation.create`,
`invitation_link.issue`, `invitation.reply` (through the link) and
`invitation.record_reply` (by the admin). Access needs and notes are personal
(possibly health) data: the audit log says whether they were given, never what
they say.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config import Settings
from config.call_config import CallConfig
from config.mail_address import AddressError, check_address
from data_access import audit, outbox, placements
from data_access.auth import token_digest
from data_access.db import rows_matched
from data_access.invitation_records import (
    REPLY_BY_MAX_DAYS,
    STATE_WORDS,
    STATES,
    UK,
    InvitationError,
    InvitationRecord,
    deadline_end,
    get_invitation,
    invitation_state,
    latest_reply_by,
    list_invitations,
    long_date,
    reply_by_words,
    state_counts,
)
from data_access.models import (
    PRESENTATION_FORMATS,
    InvitationToken,
    PresenterInvitation,
    Submission,
    utcnow,
)
from data_access.places import open_formats
from data_access.signoff import current_sign_off, lock_line_up, require_admin
from data_access.templates import call_values, render_template
from data_access.tokens import LinkUnavailable
from messages.links import LinkError, app_link
from messages.templates import TemplateError, spec_for

PURPOSE = "presenter.invitation"
REPLY_PAGE = "reply"  # the page the reply links open (`ui.presenter_reply`)
REPLY_PARAM = "reply"  # the query parameter that carries a reply link's token (not `token`: that is a password link)
REPLY_PLACEHOLDER = "(personal reply link, shown only in the message sent)"
_RENDER_LINK = "https://reply-link.invalid/"  # what the template renders for the link before the placeholder
_VARIABLES = {v.name for v in spec_for(PURPOSE).variables}
LINK_ACTOR = "presenter (reply link)"
CHOICES = ("in_person", "virtual", "declined")  # a reply
CHOICE_WORDS = {"in_person": "Accepted, in person", "virtual": "Accepted, virtually", "declined": "Declined"}
FORMAT_WORDS = {"in_person": "in person", "virtual": "virtually (online)"}
ACCESS_NEEDS_MAX = 2_000
NOTE_MAX = 2_000
INVALID_REPLY_LINK = (
    "This link does not work: it is not right, the date to reply by has passed, or a reply has been "
    "recorded already. To reply or to change your reply, answer the invitation's email."
)


class ReplyLinkInvalid(ValueError):
    """The reply link is wrong, expired, used, or its invitation has a reply (always `INVALID_REPLY_LINK`)."""

    def __init__(self) -> None:
        super().__init__(INVALID_REPLY_LINK)


class PlacesTaken(InvitationError):
    """An acceptance in a format whose places are all taken by presenters who accepted; nothing changed."""

    def __init__(self, choice: str, still_open: tuple[str, ...], *, by_admin: bool = False) -> None:
        others = [FORMAT_WORDS[f] for f in still_open if f != choice]
        if by_admin:  # the admin recording a reply: what they can record, or free first
            alternative = (
                f"Record it as accepted {others[0]} or as declined, or first record the decline that frees a place."
                if others
                else "Record it as declined, or first record the decline that frees a place."
            )
        else:
            alternative = (
                f"You can still accept to present {others[0]}, or decline."
                if others
                else "You can decline, or answer the invitation's email."
            )
        super().__init__(
            f"All the places to present {FORMAT_WORDS[choice]} are taken by presenters who have accepted, "
            f"so this reply was not recorded. {alternative}"
        )


class StaleInvitation(InvitationError):
    """The invitation changed since it was shown; nothing was overwritten."""


# --- invitations ----------------------------------------------------------------


@dataclass
class InviteReport:
    queued: list[str]  # references whose invitation message was queued
    no_address: list[str]  # invited, but no message: no usable contact address (reply recorded by the admin)
    already: list[str]  # invited before
    erased: int = 0  # members of the signed-off version whose submission was erased since: not invited

    def lines(self) -> list[str]:
        out = [f"{len(self.queued)} invitation(s) queued in the outbox."]
        if self.erased:
            out.append(f"{self.erased} presenter(s) of the signed-off line-up were erased since: not invited.")
        if self.no_address:
            out.append(
                "No usable email address, so no message was queued for: "
                + ", ".join(self.no_address)
                + ". Invite them another way and record their reply here."
            )
        if self.already:
            out.append("Invited before (nothing new queued): " + ", ".join(self.already) + ".")
        return out


def reply_link(settings: Settings, token: str) -> str:
    """The reply page's address with `token` (LinkError if none can be made)."""
    return app_link(settings.public_url or "", REPLY_PAGE, **{REPLY_PARAM: token})


def _check_reply_page(settings: Settings) -> None:
    try:
        reply_link(settings, "x")
    except LinkError as exc:
        raise InvitationError(
            f"Reply links cannot be made ({exc}): set EVIDENCE_PUBLIC_URL (docs/settings.md). Nothing was queued."
        ) from None


def invite_all(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    reply_by: dt.date,
    settings: Settings,
    config: CallConfig,
    now: dt.datetime | None = None,
) -> InviteReport:
    """Invite every member of the line-up's signed-off current version not invited yet (admin).

    AccessDenied (not an active admin); InvitationError, with nothing changed, if the current
    version is not signed off, the reply-by date has passed, no reply link can be made or the
    template cannot be rendered."""
    require_admin(session, viewer, "send invitations")
    now = now or utcnow()
    lock_line_up(session, line_up_id)  # two admins inviting at once: the second finds the first's invitations
    signed = current_sign_off(session, line_up_id=line_up_id)
    if signed is None:
        raise InvitationError("Only a signed-off line-up can be invited: sign off its current version first.")
    if reply_by > (latest := latest_reply_by(now)):  # checked first: `deadline_end` of 9999-12-31 overflows
        raise InvitationError(
            f"The date to reply by must be within a year: {long_date(latest)} at the latest. Nothing was queued."
        )
    if deadline_end(reply_by) <= now + dt.timedelta(days=1):
        raise InvitationError("The date to reply by must be at least a day away.")
    _check_reply_page(settings)
    invited = set(
        session.scalars(select(PresenterInvitation.submission_id).where(PresenterInvitation.line_up_id == line_up_id))
    )
    subs = {
        s.id: s
        for s in session.scalars(select(Submission).where(Submission.id.in_([sid for sid, _ in signed.members])))
    }
    report = InviteReport(queued=[], no_address=[], already=[])
    entries: list[dict[str, Any]] = []
    for submission_id, fmt in signed.members:
        sub = subs.get(submission_id)
        if sub is None:  # erased since the sign-off (its invitation, if any, went with it)
            report.erased += 1
            continue
        if submission_id in invited:
            report.already.append(sub.reference)
            continue
        row = PresenterInvitation(
            line_up_id=line_up_id,
            signoff_id=signed.id,
            submission_id=submission_id,
            format_offered=fmt,
            reply_by=reply_by,
            status="pending",
            access_needs="",
            note="",
            invited_by=viewer.username,
            invited_at=now,
            version=1,
        )
        session.add(row)
        session.flush()
        message_id = _queue_invitation(session, row=row, sub=sub, config=config, actor=viewer.username, now=now)
        if message_id is None:
            report.no_address.append(sub.reference)
        else:
            row.outbox_message_id = message_id
            report.queued.append(sub.reference)
        entries.append(
            {
                "action": "invitation.create",
                "entity": "invitation",
                "entity_id": row.id,
                "new": {
                    "line_up": line_up_id,
                    "version": signed.version,
                    "reference": sub.reference,
                    "format_offered": fmt,
                    "reply_by": reply_by.isoformat(),
                    "message": message_id,
                },
            }
        )
    session.flush()
    audit.record_many(session, actor=viewer.username, entries=entries)
    return report


def _queue_invitation(
    session: Session, *, row: PresenterInvitation, sub: Submission, config: CallConfig, actor: str, now: dt.datetime
) -> int | None:
    """Queue the invitation's message, with the placeholder where the link goes; its id, or None (no address)."""
    try:
        to = check_address(sub.contact_email or "") if (sub.contact_email or "").strip() else None
    except AddressError:
        to = None
    if to is None:
        return None
    values = {k: v for k, v in call_values(config).items() if k in _VARIABLES} | {
        "recipient_name": sub.contact_name or "",
        "reference": sub.reference,
        "title": sub.title,
        "presentation_format": FORMAT_WORDS[row.format_offered],
        "reply_link": _RENDER_LINK,
        "reply_by": long_date(row.reply_by),
    }
    try:
        rendered = render_template(session, PURPOSE, values)
        record, _ = outbox.queue_message(
            session,
            purpose=PURPOSE,
            recipient_email=to,
            subject=rendered.subject,
            body_text=rendered.text.replace(_RENDER_LINK, REPLY_PLACEHOLDER),
            body_html=None if rendered.html is None else rendered.html.replace(_RENDER_LINK, REPLY_PLACEHOLDER),
            idempotency_key=f"{PURPOSE}:invitation-{row.id}",
            actor=actor,
            submission_id=sub.id,
            template=PURPOSE,
            now=now,
        )
    except (TemplateError, outbox.OutboxError) as exc:
        raise InvitationError(
            f"The invitation to {sub.reference} cannot be queued ({exc}); fix the template on the Messages page. "
            "Nothing was queued."
        ) from None
    return record.id


def carries_link(record: outbox.OutboxRecord) -> bool:
    """Whether a message is an invitation with a reply link to mint when it is sent."""
    return record.purpose == PURPOSE and (
        REPLY_PLACEHOLDER in record.body_text or REPLY_PLACEHOLDER in (record.body_html or "")
    )


def fill_link(
    session: Session, *, record: outbox.OutboxRecord, settings: Settings, actor: str, now: dt.datetime | None = None
) -> outbox.OutboxRecord:
    """The invitation as it is sent: a new reply link minted (the invitation's earlier unused
    links stop working) and put where the placeholder is, in a copy; the stored row keeps the
    placeholder. LinkUnavailable (nothing minted) if the invitation has a reply already, its
    reply-by date has passed, or no link can be made."""
    if not carries_link(record):
        return record
    now = now or utcnow()
    row = session.scalar(select(PresenterInvitation).where(PresenterInvitation.outbox_message_id == record.id))
    if row is None or row.status != "pending":
        raise LinkUnavailable("the invitation has a reply already (or was removed), so no reply link was made")
    expires = deadline_end(row.reply_by)
    if expires <= now:
        raise LinkUnavailable("the invitation's date to reply by has passed, so no reply link was made")
    try:
        reply_link(settings, "x")
    except LinkError as exc:
        raise LinkUnavailable(f"no reply link can be made: {exc}") from None
    token = _issue(session, invitation_id=row.id, expires_at=expires, actor=actor, now=now)
    link = reply_link(settings, token)
    text = record.body_text.replace(REPLY_PLACEHOLDER, link)
    body_html = record.body_html
    if body_html is not None:
        body_html = body_html.replace(REPLY_PLACEHOLDER, html.escape(link))
    return replace(record, body_text=text, body_html=body_html)


def _issue(session: Session, *, invitation_id: int, expires_at: dt.datetime, actor: str, now: dt.datetime) -> str:
    """A new reply link for the invitation (its earlier unused links stop working); the raw token."""
    _lock_invitation(session, invitation_id)  # the invitation before its links (the module's "Locks")
    _void(session, invitation_id)
    token = secrets.token_urlsafe(32)
    row = InvitationToken(
        invitation_id=invitation_id,
        token_sha256=token_digest(token),
        created_at=now,
        expires_at=expires_at,
        created_by=actor[:64],
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="invitation_link.issue",
        entity="invitation",
        entity_id=invitation_id,
        new={"link": row.id, "expires_at": expires_at.isoformat()},
    )
    return token


def _lock_invitation(session: Session, invitation_id: int) -> PresenterInvitation:
    """The invitation read afresh and locked for this unit of work, before any of its link rows
    (the module's "Locks"; SQLite's write units run one at a time)."""
    locking = session.get_bind().dialect.name != "sqlite"
    return session.get_one(
        PresenterInvitation,
        invitation_id,
        populate_existing=True,
        with_for_update={"key_share": True} if locking else None,
    )


def _void(session: Session, invitation_id: int) -> None:
    session.execute(
        delete(InvitationToken).where(InvitationToken.invitation_id == invitation_id, InvitationToken.used_at.is_(None))
    )


def purge_old_links(session: Session, *, actor: str, now: dt.datetime | None = None, dry_run: bool = False) -> int:
    """Remove the rows of reply links that can no longer be used: used, or expired (`manage.py
    purge-expired`); how many. Such a token answers as any wrong one does. What an audit needs stays
    in the audit log (`invitation_link.issue`, the reply's entry, and one `invitation_link.purge`
    entry with the count and the links' ids; never a token's hash)."""
    now = now or utcnow()
    ids = list(
        session.scalars(
            select(InvitationToken.id)
            .where(or_(InvitationToken.used_at.is_not(None), InvitationToken.expires_at <= now))
            .order_by(InvitationToken.id)
        )
    )
    if dry_run or not ids:
        return len(ids)
    for start in range(0, len(ids), 500):
        session.execute(delete(InvitationToken).where(InvitationToken.id.in_(ids[start : start + 500])))
    audit.record(
        session,
        actor=actor,
        action="invitation_link.purge",
        entity="invitation_link",
        new={"removed": len(ids), "links": ids},
        detail="rows of used and expired reply links removed",
    )
    return len(ids)


# --- replies --------------------------------------------------------------------


@dataclass(frozen=True)
class ReplyView:
    """What the reply page shows: the presenter's own invitation, nothing else (no score, no other presenter)."""

    invitation_id: int
    reference: str
    title: str
    format_offered: str
    reply_by: dt.date
    expires_at: dt.datetime
    open_formats: tuple[str, ...] = PRESENTATION_FORMATS  # the formats with a place left, for this presenter


def check_link(session: Session, *, token: str, now: dt.datetime | None = None) -> ReplyView | None:
    """The invitation a reply link opens, if it works now (unused, unexpired, no reply yet); None otherwise."""
    now = now or utcnow()
    if not token or len(token) > 200:
        return None
    row = session.execute(
        select(InvitationToken, PresenterInvitation, Submission.reference, Submission.title)
        .join(PresenterInvitation, PresenterInvitation.id == InvitationToken.invitation_id)
        .join(Submission, Submission.id == PresenterInvitation.submission_id)
        .where(InvitationToken.token_sha256 == token_digest(token))
    ).first()
    if row is None:
        return None
    link, invitation, reference, title = row
    if link.used_at is not None or link.expires_at <= now or invitation.status != "pending":
        return None
    places = open_formats(session, invitation_id=invitation.id)
    return ReplyView(
        invitation.id, reference, title, invitation.format_offered, invitation.reply_by, link.expires_at, places
    )


def _check_place(session: Session, invitation_id: int, reply: dict[str, Any], *, by_admin: bool = False) -> None:
    """Refuse an acceptance in a format with no place left (PlacesTaken), with the line-up locked so
    that two acceptances of the last place are counted one after the other."""
    if reply["status"] != "accepted":
        return
    lock_line_up(session, session.get_one(PresenterInvitation, invitation_id).line_up_id)
    still_open = open_formats(session, invitation_id=invitation_id)
    if reply["reply_format"] not in still_open:
        raise PlacesTaken(reply["reply_format"], still_open, by_admin=by_admin)


def _checked_reply(choice: str, access_needs: str, note: str) -> dict[str, Any]:
    """The reply's columns as stored; InvitationError for a reply that cannot be."""
    if choice not in CHOICES:
        raise InvitationError("Choose whether you accept (in person or virtually) or decline.")
    access_needs, note = (access_needs or "").strip(), (note or "").strip()
    for what, value, most in (("The access needs", access_needs, ACCESS_NEEDS_MAX), ("The note", note, NOTE_MAX)):
        if len(value) > most:
            raise InvitationError(
                f"{what} has {len(value):,} characters; the most allowed is {most:,}. Shorten it and try again."
            )
        if "\x00" in value:
            raise InvitationError(f"{what} holds a character that cannot be stored; type it again.")
    declined = choice == "declined"
    return {
        "status": "declined" if declined else "accepted",
        "reply_format": None if declined else choice,
        "access_needs": access_needs,
        "note": note,
    }


def _store_reply(
    session: Session, invitation_id: int, condition: Any, reply: dict[str, Any], *, by: str, now: dt.datetime
) -> bool:
    """Write the reply if the invitation still meets `condition`; whether it did."""
    stored = (
        rows_matched(
            session,
            update(PresenterInvitation)
            .where(PresenterInvitation.id == invitation_id, condition)
            .values(**reply, replied_at=now, replied_by=by, version=PresenterInvitation.version + 1)
            .execution_options(synchronize_session=False),
        )
        == 1
    )
    if stored and reply["status"] == "declined":
        placements.clear_placement(session, invitation_id, actor=by)  # a decline leaves its session
    return stored


def _audit_reply(session: Session, invitation_id: int, *, action: str, actor: str, old: dict[str, Any]) -> str:
    """After a reply: the invitation's unused links stop working, and the audit entry; its reference."""
    _void(session, invitation_id)
    row = session.get_one(PresenterInvitation, invitation_id, populate_existing=True)
    reference = session.get_one(Submission, row.submission_id).reference
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="invitation",
        entity_id=invitation_id,
        old=old,
        new={"reference": reference} | _reply_entry(row),
    )
    return reference


def _reply_entry(row: PresenterInvitation) -> dict[str, Any]:
    """What the audit log keeps of a reply: never the text of the access needs or the note."""
    return {
        "status": row.status,
        "reply_format": row.reply_format,
        "access_needs_given": bool(row.access_needs),
        "note_given": bool(row.note),
    }


def reply_by_link(
    session: Session, *, token: str, choice: str, access_needs: str = "", note: str = "", now: dt.datetime | None = None
) -> str:
    """The presenter replies through their link: once, before it expires, while the invitation
    has no reply. The reference replied for. ReplyLinkInvalid or InvitationError, with nothing
    changed (the caller's unit of work rolls back), otherwise."""
    now = now or utcnow()
    reply = _checked_reply(choice, access_needs, note)
    if not token or len(token) > 200:
        raise ReplyLinkInvalid()
    sha = token_digest(token)
    usable = (InvitationToken.used_at.is_(None), InvitationToken.expires_at > now)
    invitation_id = session.scalar(
        select(InvitationToken.invitation_id).where(InvitationToken.token_sha256 == sha, *usable)
    )
    if invitation_id is None:
        raise ReplyLinkInvalid()  # before any place is counted: a dead link learns nothing
    # The module's "Locks": the line-up, the invitation, then the link.
    _check_place(session, invitation_id, reply)  # refused: the caller rolls back, the link stays unused
    _lock_invitation(session, invitation_id)
    used = rows_matched(
        session,
        update(InvitationToken)
        .where(InvitationToken.token_sha256 == sha, *usable)  # again, locked: a use meanwhile is refused
        .values(used_at=now)
        .execution_options(synchronize_session=False),
    )
    if used != 1:
        raise ReplyLinkInvalid()
    if not _store_reply(session, invitation_id, PresenterInvitation.status == "pending", reply, by=LINK_ACTOR, now=now):
        raise ReplyLinkInvalid()  # a reply was recorded meanwhile: the caller rolls back, the link stays unused
    return _audit_reply(session, invitation_id, action="invitation.reply", actor=LINK_ACTOR, old={"status": "pending"})


def record_reply(
    session: Session,
    *,
    viewer: Viewer,
    invitation_id: int,
    choice: str,
    access_needs: str = "",
    note: str = "",
    expected_version: int,
    now: dt.datetime | None = None,
) -> InvitationRecord:
    """The admin records a reply received another way, or changes one. AccessDenied (not an
    active admin); InvitationError (a reply that cannot be) or StaleInvitation (changed since
    it was shown), with nothing changed."""
    require_admin(session, viewer, "record a presenter's reply")
    now = now or utcnow()
    reply = _checked_reply(choice, access_needs, note)
    if session.get(PresenterInvitation, invitation_id) is None:
        raise InvitationError("There is no such invitation.")
    # The module's "Locks": the line-up (an acceptance), the invitation, then (voiding) its links.
    _check_place(session, invitation_id, reply, by_admin=True)
    old = _reply_entry(_lock_invitation(session, invitation_id))
    current = PresenterInvitation.version == expected_version
    if not _store_reply(session, invitation_id, current, reply, by=viewer.username, now=now):
        raise StaleInvitation("This invitation changed since you opened it (a reply came in?); look at it again.")
    # A reply is recorded: the presenter's link is no longer needed (`_audit_reply` drops it).
    _audit_reply(session, invitation_id, action="invitation.record_reply", actor=viewer.username, old=old)
    return get_invitation(session, invitation_id=invitation_id, now=now)


__all__ = [
    "CHOICES",
    "CHOICE_WORDS",
    "INVALID_REPLY_LINK",
    "PRESENTATION_FORMATS",
    "PURPOSE",
    "REPLY_BY_MAX_DAYS",
    "REPLY_PAGE",
    "REPLY_PARAM",
    "REPLY_PLACEHOLDER",
    "STATES",
    "STATE_WORDS",
    "UK",
    "InvitationError",
    "InvitationRecord",
    "InviteReport",
    "PlacesTaken",
    "ReplyLinkInvalid",
    "ReplyView",
    "StaleInvitation",
    "carries_link",
    "check_link",
    "deadline_end",
    "fill_link",
    "get_invitation",
    "invitation_state",
    "invite_all",
    "latest_reply_by",
    "list_invitations",
    "long_date",
    "open_formats",
    "purge_old_links",
    "record_reply",
    "reply_by_link",
    "reply_by_words",
    "state_counts",
]
