"""Where a signed-off line-up stands, for the office and the admin (the Line-up status page;
docs/selection.md "The office's view").

`signed_off_line_ups` lists the saved line-ups with a sign-off. `line_up_status`
reads one line-up's invitations (`data_access.invitations`), its rules (as saved
with it) and today's candidates (`data_access.lineups.candidate_frame`), and
returns `scoring.replies`' counts and balance report: invited, accepted in person,
accepted virtually, declined, awaiting and no reply by the deadline, and each
rule kept, kept if the awaiting accept, at risk or broken, in the rule's words.
Each presenter's row carries the reply as `scoring.replies` states it and the
programme session they are placed in, if any.

The stored reply (`status` pending/accepted/declined, `reply_format`) is mapped to
`scoring.replies`' states here; a pending invitation's deadline is the end of its
reply-by day in UK time (`invitations.deadline_end`).

Every call re-checks on the server that the viewer is an active admin or office
account (AccessDenied otherwise). Identities are in the records (staff only);
the page shows no organisation for an anonymous submission.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access import signoff
from data_access.errors import AccessDenied
from data_access.models import LineUp, LineUpSignOff, PresenterInvitation, ProgrammeSession, utcnow
from data_access.users import require_role
from scoring import replies
from scoring.selection.words import labels_from_config

# scoring.replies' reply states -> data_access.invitations' (whose words the Programme page shows)
STATE_OF_REPLY = {
    replies.ACCEPTED_IN_PERSON: "accepted_in_person",
    replies.ACCEPTED_VIRTUAL: "accepted_virtual",
    replies.DECLINED: "declined",
    replies.AWAITING: "awaiting",
    replies.NO_REPLY_BY_DEADLINE: "no_reply",
}


class LineUpStatusError(ValueError):
    """The status cannot be shown as asked; the message is for people."""


@dataclass(frozen=True)
class SignedOffLineUp:
    id: int
    name: str
    version: int  # the line-up's current version
    signed_off_version: int  # the newest version signed off
    signed_off_by: str
    signed_off_at: dt.datetime

    @property
    def current_is_signed_off(self) -> bool:
        return self.version == self.signed_off_version


@dataclass(frozen=True)
class PresenterStatus:
    reference: str
    title: str
    organisation: str | None  # None for an anonymous submission (never shown)
    anonymous: bool
    format_offered: str  # "in_person" or "virtual"
    reply: str  # one of scoring.replies.REPLY_STATES, or NO_REPLY_BY_DEADLINE
    reply_by: dt.date
    session: str | None  # the programme session's title, if placed
    session_starts_at: dt.datetime | None

    @property
    def reply_label(self) -> str:
        """The reply in the Programme page's words (`invitations.STATE_WORDS`)."""
        return inv.STATE_WORDS[STATE_OF_REPLY[self.reply]]


@dataclass(frozen=True)
class LineUpStatus:
    line_up: SignedOffLineUp
    presenters: tuple[PresenterStatus, ...]  # by reference
    balance: replies.BalanceReport

    @property
    def counts(self) -> replies.ReplyCounts:
        return self.balance.counts


def require_staff(session: Session, viewer: Viewer) -> None:
    """Re-check on the server, in this transaction, that the viewer is an active admin or office account."""
    role = Role.OFFICE if viewer.role == Role.OFFICE else Role.ADMIN
    try:
        require_role(session, viewer, role, to="see a line-up's status")
    except AccessDenied:
        raise AccessDenied("only an active admin or office account may see a line-up's status") from None


def _reply_status(record: inv.InvitationRecord) -> str:
    """The stored reply as `scoring.replies` states it (the deadline is applied there)."""
    if record.status == "accepted":
        return replies.ACCEPTED_IN_PERSON if record.reply_format == "in_person" else replies.ACCEPTED_VIRTUAL
    if record.status == "declined":
        return replies.DECLINED
    return replies.AWAITING


def as_invitation(record: inv.InvitationRecord) -> replies.Invitation:
    return replies.Invitation(
        submission_id=record.submission_id,
        reference=record.reference,
        format_offered=record.format_offered,
        status=_reply_status(record),
        deadline=inv.deadline_end(record.reply_by),
    )


def signed_off_line_ups(session: Session, *, viewer: Viewer) -> list[SignedOffLineUp]:
    """The saved line-ups with at least one sign-off, most recently signed off first."""
    require_staff(session, viewer)
    out = []
    for line_up in session.scalars(select(LineUp).where(LineUp.id.in_(select(LineUpSignOff.line_up_id)))):
        newest = signoff.sign_offs(session, line_up_id=line_up.id)[0]
        out.append(
            SignedOffLineUp(
                line_up.id,
                line_up.name,
                line_up.version,
                newest.version,
                newest.signed_off_by,
                newest.signed_off_at,
            )
        )
    return sorted(out, key=lambda s: (s.signed_off_at, s.id), reverse=True)


def _sessions(session: Session, line_up_id: int) -> dict[int, tuple[str, dt.datetime]]:
    """invitation id -> (session title, start) for the presenters placed in a session."""
    rows = session.execute(
        select(PresenterInvitation.id, ProgrammeSession.title, ProgrammeSession.starts_at)
        .join(ProgrammeSession, ProgrammeSession.id == PresenterInvitation.session_id)
        .where(PresenterInvitation.line_up_id == line_up_id)
    ).all()
    return {r.id: (r.title, r.starts_at) for r in rows}


def line_up_status(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    config: CallConfig,
    now: dt.datetime | None = None,
    scores: pd.DataFrame | None = None,
) -> LineUpStatus:
    """The line-up's replies counted and its confirmed presenters checked against its rules (office or admin).
    `scores`: `scoring.score_submissions` output; None: today's (`lineups.current_scores`).

    AccessDenied (not an active admin or office account); LineUpStatusError (no such line-up,
    or it was never signed off)."""
    require_staff(session, viewer)
    now = now or utcnow()
    chosen = next((s for s in signed_off_line_ups(session, viewer=viewer) if s.id == line_up_id), None)
    if chosen is None:
        raise LineUpStatusError("There is no signed-off line-up with that name any more; choose another.")
    record = lineups_da.get_line_up(session, line_up_id=line_up_id)
    invited = inv.list_invitations(session, line_up_id=line_up_id, now=now)
    invitations = [as_invitation(r) for r in invited]
    if scores is None:
        scores = lineups_da.current_scores(session, config=config)
    candidates = lineups_da.candidate_frame(session, scores=scores)
    balance = replies.balance_report(
        candidates, lineups_da.rules_of(record), invitations, now=now, labels=labels_from_config(config)
    )
    placed = _sessions(session, line_up_id)
    presenters = tuple(
        PresenterStatus(
            reference=r.reference,
            title=r.title,
            organisation=None if r.anonymous else r.organisation,
            anonymous=r.anonymous,
            format_offered=r.format_offered,
            reply=replies.reply_state(i, now),
            reply_by=r.reply_by,
            session=placed[r.id][0] if r.id in placed else None,
            session_starts_at=placed[r.id][1] if r.id in placed else None,
        )
        for r, i in zip(invited, invitations, strict=True)
    )
    return LineUpStatus(chosen, presenters, balance)


__all__ = [
    "LineUpStatus",
    "LineUpStatusError",
    "PresenterStatus",
    "SignedOffLineUp",
    "as_invitation",
    "line_up_status",
    "require_staff",
    "signed_off_line_ups",
]
