"""The demo call's line-up, from selection to programme: so that the Programme and
Line-up status pages have something to show (docs/selection.md "The loop, step by step").

Written in the demo seeding's unit of work, after the reviews, through the app's own
functions where they allow it, audited as the admin and the office would be:

* the admin proposes a line-up under the call's own rules (`scoring.selection`) and
  saves it (`lineups.save_line_up`: `line_up.save`);
* the office signs it off (`signoff.sign_off`: `line_up.sign_off`);
* every presenter was invited 16 days ago, with 14 days to reply. The rows are written
  here directly (`invite_all` makes reply links and refuses a date to reply by that has
  passed, and the demo needs one), each audited as `invitation.create`, as `invite_all`
  audits it; no message (the demo's outbox has its own presenter invitation);
* so one presenter's date to reply by passed two days ago without a reply; two
  accepted (one in person, one virtually) and one declined, recorded by the admin
  (`invitations.record_reply`: `invitation.record_reply`); the rest are awaiting;
* two programme sessions eight weeks from now (one in person, one online), audited as
  `programme_session.create`, with each of the two who accepted placed in one.

Deterministic: the same demo call gives the same line-up and the same replies; the
dates are relative to the day the demo is seeded, so that the awaiting stay awaiting.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import audit, signoff
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access.models import PresenterInvitation, ProgrammeSession, Submission, User, utcnow
from scoring.selection import SelectionRules, select_presenters
from scoring.selection.words import labels_from_config

LINE_UP_NAME = "Conference line-up"
INVITED_DAYS_AGO = 16
REPLY_DAYS = 14  # so the late one's date to reply by passed two days ago
PROGRAMME_IN_WEEKS = 8
# (position in the line-up's order) -> the reply; the others await
ACCEPT_IN_PERSON, ACCEPT_VIRTUAL, DECLINE, LATE = 0, 1, 2, 3
SESSIONS = (  # title, format, start (UK time), minutes, room, online link
    ("Support that works: practitioners' evidence", "in_person", dt.time(10), 90, "Main hall", ""),
    ("Online panel: what survivors told us", "online", dt.time(14), 60, "", "https://meet.example.org/iasc-demo"),
)


def seed_demo_programme(session: Session, *, config: CallConfig, admin: Viewer, now: dt.datetime | None = None) -> int:
    """Save, sign off (as the demo's office account) and invite the demo line-up, with replies and two
    sessions; how many are invited (0 if the demo's reviews allow no line-up under the call's rules)."""
    now = now or utcnow()
    user = session.scalars(select(User).where(User.role == Role.OFFICE).order_by(User.id)).first()
    if user is None:
        return 0
    office = Viewer(user.id, user.username, user.name, user.role)
    labels = labels_from_config(config)
    scores = lineups_da.current_scores(session, config=config)
    result = select_presenters(
        lineups_da.candidate_frame(session, scores=scores),
        SelectionRules.from_config(config),
        labels=labels,
        explain=False,
    )
    if not result.feasible or not result.picks:
        return 0
    saved = lineups_da.save_line_up(
        session, viewer=admin, name=LINE_UP_NAME, result=result, scores=scores, labels=labels
    )
    signed = signoff.sign_off(session, viewer=office, line_up_id=saved.id, expected_version=saved.version)
    rows = _invite(session, signed, admin=admin, now=now)
    for position, choice in ((ACCEPT_IN_PERSON, "in_person"), (ACCEPT_VIRTUAL, "virtual"), (DECLINE, "declined")):
        if position < len(rows):
            inv.record_reply(
                session,
                viewer=admin,
                invitation_id=rows[position].id,
                choice=choice,
                note="Demo: replied by phone.",
                expected_version=rows[position].version,
                now=now - dt.timedelta(days=REPLY_DAYS - position - 2),
            )
    _sessions(session, rows, admin=admin, now=now)
    return len(rows)


def _invite(
    session: Session, signed: signoff.SignOffRecord, *, admin: Viewer, now: dt.datetime
) -> list[PresenterInvitation]:
    """One invitation per member, in the line-up's order; the LATE one's date to reply by has passed."""
    invited_at = now - dt.timedelta(days=INVITED_DAYS_AGO)
    today = now.astimezone(inv.UK).date()
    rows, entries = [], []
    for position, (submission_id, fmt) in enumerate(signed.members):
        reply_by = (invited_at.astimezone(inv.UK).date() if position == LATE else today) + dt.timedelta(days=REPLY_DAYS)
        row = PresenterInvitation(
            line_up_id=signed.line_up_id,
            signoff_id=signed.id,
            submission_id=submission_id,
            format_offered=fmt,
            reply_by=reply_by,
            status="pending",
            invited_by=admin.username,
            invited_at=invited_at,
            version=1,
        )
        session.add(row)
        session.flush()
        rows.append(row)
        entries.append(
            {
                "action": "invitation.create",
                "entity": "invitation",
                "entity_id": row.id,
                "new": {
                    "line_up": signed.line_up_id,
                    "version": signed.version,
                    "reference": session.get_one(Submission, submission_id).reference,
                    "format_offered": fmt,
                    "reply_by": reply_by.isoformat(),
                    "message": None,
                },
            }
        )
    audit.record_many(session, actor=admin.username, entries=entries)
    return rows


def _sessions(session: Session, rows: list[PresenterInvitation], *, admin: Viewer, now: dt.datetime) -> None:
    """The two sessions, with the one who accepted in person in the first and the virtual one in the second."""
    day = now.astimezone(inv.UK).date() + dt.timedelta(weeks=PROGRAMME_IN_WEEKS)
    entries: list[dict[str, Any]] = []
    for n, (title, fmt, start, minutes, room, link) in enumerate(SESSIONS):
        starts = dt.datetime.combine(day, start, tzinfo=inv.UK).astimezone(dt.UTC)
        made = ProgrammeSession(
            title=title,
            starts_at=starts,
            ends_at=starts + dt.timedelta(minutes=minutes),
            format=fmt,
            capacity=3,
            room=room,
            online_link=link,
            chair="Demo Office Lead",
            created_by=admin.username,
            created_at=now,
            updated_at=now,
            version=1,
        )
        session.add(made)
        session.flush()
        entries.append(
            {
                "action": "programme_session.create",
                "entity": "programme_session",
                "entity_id": made.id,
                "new": {"title": title, "format": fmt, "starts_at": starts.isoformat(), "capacity": 3},
            }
        )
        placed = rows[n] if n < len(rows) else None  # ACCEPT_IN_PERSON, then ACCEPT_VIRTUAL
        if placed is not None:
            session.refresh(placed)
            placed.session_id, placed.session_position = made.id, 1
            placed.version += 1
            entries[-1]["new"]["presenters"] = [session.get_one(Submission, placed.submission_id).reference]
    session.flush()
    audit.record_many(session, actor=admin.username, entries=entries)
