"""The programme's placements and files (issue 17; docs/selection.md "The programme"). The
sessions themselves are `data_access.programme`.

* Placements (`confirmed_presenters`, `propose`, `save_placements`: admin):
  the presenters of a line-up who accepted, in the format they accepted, with
  their submission's coded themes, placed in sessions
  (`presenter_invitations.session_id` and `session_position`). A proposal is
  `scoring.programme.propose_placements` (keeping the placements saved, if
  asked); saving checks the whole programme (`check_programme`) and stores
  nothing if anything is wrong, nor if a reply or a placement changed since the
  page showed them (the invitations' versions). Audited: `programme.place`.
  A presenter who declines leaves their session: `clear_placement`, called by
  `data_access.invitations` in the unit of work that stores the decline
  (audited `programme.unplace`).
* Files (`programme_csv`, `programme_ics`: admin or office, checked now;
  `presenter_columns` for the presenter list): the builders of
  `data_access.programme_files` fed from the database. No anonymous
  contributor's identity, no contact email; formula cells neutralised; the
  calendar's text escaped so that no value can start a line of its own.

Sessions are the conference's (one set for the call); placements belong to
each invitation, so the files show every session with the presenters of the
line-up chosen, and a session's places count that line-up's presenters.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import audit, audit_actions
from data_access.db import rows_matched
from data_access.exports import ExportTable
from data_access.models import PresenterInvitation, Submission, SubmissionCode, utcnow
from data_access.programme import SessionError, StaleProgramme, list_sessions, lock_sessions, require_staff
from data_access.programme_files import (
    CalendarFile,
    Speaker,
    presenter_programme_columns,
    programme_calendar,
    programme_table,
)
from data_access.signoff import lock_line_up, require_admin
from scoring.programme import (
    Placement,
    Presenter,
    ProgrammeError,
    ProgrammeSession,
    Proposal,
    check_programme,
    propose_placements,
)
from scoring.replies import ACCEPTED_IN_PERSON, ACCEPTED_VIRTUAL, AWAITING, DECLINED, Invitation

CALENDAR_WHAT = "programme-calendar"


# --- placements ---------------------------------------------------------------------


@dataclass(frozen=True)
class Confirmed:
    """A presenter who accepted an invitation of the line-up, and where they are placed."""

    invitation_id: int
    submission_id: int
    reference: str
    title: str
    format: str  # as accepted: "in_person" or "virtual"
    themes: tuple[str, ...]
    session_id: int | None
    position: int | None
    version: int  # the invitation's (optimistic lock)

    def presenter(self) -> Presenter:
        return Presenter(self.submission_id, self.reference, self.format, self.themes)


def _themes(session: Session, ids: set[int]) -> dict[int, tuple[str, ...]]:
    out: dict[int, list[str]] = {}
    if ids:
        rows = session.execute(
            select(SubmissionCode.submission_id, SubmissionCode.code)
            .where(SubmissionCode.field == "themes", SubmissionCode.submission_id.in_(ids))
            .order_by(SubmissionCode.submission_id, SubmissionCode.position)
        )
        for sid, code in rows:
            out.setdefault(sid, []).append(code)
    return {sid: tuple(codes) for sid, codes in out.items()}


def confirmed_presenters(session: Session, *, line_up_id: int) -> list[Confirmed]:
    """The line-up's presenters who accepted, by reference."""
    rows = session.execute(
        select(PresenterInvitation, Submission.reference, Submission.title)
        .join(Submission, Submission.id == PresenterInvitation.submission_id)
        .where(PresenterInvitation.line_up_id == line_up_id, PresenterInvitation.status == "accepted")
        .order_by(Submission.reference)
        .execution_options(populate_existing=True)
    ).all()
    themes = _themes(session, {r[0].submission_id for r in rows})
    return [
        Confirmed(
            invitation_id=inv.id,
            submission_id=inv.submission_id,
            reference=reference,
            title=title,
            format=str(inv.reply_format),
            themes=themes.get(inv.submission_id, ()),
            session_id=inv.session_id,
            position=inv.session_position,
            version=inv.version,
        )
        for inv, reference, title in rows
    ]


def saved_placements(confirmed: Sequence[Confirmed]) -> list[Placement]:
    """The placements stored, in session order (position, then reference)."""
    placed = sorted((c for c in confirmed if c.session_id is not None), key=lambda c: (c.position or 0, c.reference))
    return [Placement(c.submission_id, int(c.session_id)) for c in placed if c.session_id is not None]


def propose(session: Session, *, viewer: Viewer, line_up_id: int, keep_mine: bool, config: CallConfig) -> Proposal:
    """Proposed placements for the line-up's confirmed presenters (admin; nothing is stored), keeping
    the placements saved if `keep_mine`. AccessDenied; SessionError (in words)."""
    require_admin(session, viewer, "propose placements")
    confirmed = confirmed_presenters(session, line_up_id=line_up_id)
    sessions = [r.programme() for r in list_sessions(session)]
    labels = {code: config.vocabulary("themes").label(code) for code in config.vocabulary("themes").ids}
    try:
        return propose_placements(
            sessions,
            [c.presenter() for c in confirmed],
            keep=saved_placements(confirmed) if keep_mine else (),
            theme_labels=labels,
        )
    except ProgrammeError as exc:
        raise SessionError(exc.problems) from None


@dataclass(frozen=True)
class Seat:
    """Where the admin puts one confirmed presenter: a session (None: not placed) and an order in it."""

    invitation_id: int
    session_id: int | None
    order: int = 0


def _positions(seats: Sequence[Seat], confirmed: Mapping[int, Confirmed]) -> dict[int, tuple[int | None, int | None]]:
    """invitation id -> (session id, position 1.. in the session), in the order asked (then reference)."""
    out: dict[int, tuple[int | None, int | None]] = dict.fromkeys(confirmed, (None, None))
    placed = sorted(
        (s for s in seats if s.session_id is not None), key=lambda s: (s.order, confirmed[s.invitation_id].reference)
    )
    counts: dict[int, int] = {}
    for seat in placed:
        assert seat.session_id is not None
        counts[seat.session_id] = counts.get(seat.session_id, 0) + 1
        out[seat.invitation_id] = (seat.session_id, counts[seat.session_id])
    return out


def save_placements(
    session: Session,
    *,
    viewer: Viewer,
    line_up_id: int,
    seats: Sequence[Seat],
    expected_versions: Mapping[int, int],
) -> int:
    """Store where each confirmed presenter of the line-up speaks (admin), if the programme passes
    `check_programme` and no reply or placement changed since the page showed them
    (`expected_versions`: invitation id -> version shown). How many invitations changed.
    AccessDenied; StaleProgramme; SessionError (in words); nothing changed on any refusal."""
    require_admin(session, viewer, "save placements")
    lock_line_up(session, line_up_id)
    lock_sessions(session)  # after the line-up, before the sessions are read (data_access.programme, "Locks")
    confirmed = {c.invitation_id: c for c in confirmed_presenters(session, line_up_id=line_up_id)}
    if {k: c.version for k, c in confirmed.items()} != dict(expected_versions):
        raise StaleProgramme("A reply or a placement changed since you opened this page; look at it again.")
    unknown = [s.invitation_id for s in seats if s.invitation_id not in confirmed]
    twice = {s.invitation_id for s in seats if sum(t.invitation_id == s.invitation_id for t in seats) > 1}
    if unknown or twice:
        raise SessionError(["Each confirmed presenter of this line-up can be placed once; look at the page again."])
    wanted = _positions(seats, confirmed)
    sessions = [r.programme() for r in list_sessions(session)]
    check = check_programme(
        sessions,
        [c.presenter() for c in confirmed.values()],
        [Placement(confirmed[i].submission_id, sid) for i, (sid, _) in wanted.items() if sid is not None],
    )
    if not check.ok:
        raise SessionError(check.problems)
    titles = {s.key: s.title for s in sessions}
    old, new = _store(session, confirmed, wanted, titles)
    if new:
        audit.record(
            session,
            actor=viewer.username,
            action="programme.place",
            entity="line_up",
            entity_id=line_up_id,
            old=old,
            new=new,
        )
    return len(new)


def _store(
    session: Session,
    confirmed: Mapping[int, Confirmed],
    wanted: Mapping[int, tuple[int | None, int | None]],
    titles: Mapping[int | str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Write the placements that changed, each only if its invitation is still at the version read;
    what they were and are (by reference) for the audit entry."""
    old: dict[str, Any] = {}
    new: dict[str, Any] = {}
    for invitation_id, (sid, position) in wanted.items():
        c = confirmed[invitation_id]
        if (c.session_id, c.position) == (sid, position):
            continue
        matched = rows_matched(
            session,
            update(PresenterInvitation)
            .where(PresenterInvitation.id == invitation_id, PresenterInvitation.version == c.version)
            .values(session_id=sid, session_position=position, version=PresenterInvitation.version + 1)
            .execution_options(synchronize_session=False),
        )
        if matched != 1:
            raise StaleProgramme("A reply or a placement changed a moment ago; look at the page again.")
        old[c.reference] = _seat_words(titles, c.session_id, c.position)
        new[c.reference] = _seat_words(titles, sid, position)
    return old, new


def _seat_words(titles: Mapping[int | str, str], session_id: int | None, position: int | None) -> dict[str, Any] | None:
    if session_id is None:
        return None
    return {"session": session_id, "title": titles.get(session_id, ""), "position": position}


def clear_placement(session: Session, invitation_id: int, *, actor: str = "system") -> bool:
    """Take the invitation's presenter out of their session (a decline); whether they were in one.
    Called in the unit of work that stores the decline; audited as `programme.unplace`."""
    placed = session.execute(
        select(PresenterInvitation.session_id, PresenterInvitation.session_position).where(
            PresenterInvitation.id == invitation_id
        )
    ).first()
    if placed is None or placed.session_id is None:
        return False
    session.execute(
        update(PresenterInvitation)
        .where(PresenterInvitation.id == invitation_id)
        .values(session_id=None, session_position=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(
        session,
        actor=actor,
        action="programme.unplace",
        entity="invitation",
        entity_id=invitation_id,
        old={"session": placed.session_id, "position": placed.session_position},
        detail="declined",
    )
    return True


# --- files --------------------------------------------------------------------------


@dataclass(frozen=True)
class ProgrammeData:
    sessions: list[ProgrammeSession]
    presenters: list[Presenter]
    placements: list[Placement]
    speakers: dict[int, Speaker]
    versions: dict[int | str, int]


def programme_data(session: Session, *, line_up_id: int) -> ProgrammeData:
    records = list_sessions(session)
    confirmed = confirmed_presenters(session, line_up_id=line_up_id)
    placements = saved_placements(confirmed)
    ids = {c.submission_id for c in confirmed}
    speakers = {
        s.id: Speaker(s.id, s.reference, s.title, s.organisation, s.contact_name, bool(s.anonymous))
        for s in (session.scalars(select(Submission).where(Submission.id.in_(ids))) if ids else [])
    }
    return ProgrammeData(
        sessions=[r.programme() for r in records],
        presenters=[c.presenter() for c in confirmed],
        placements=placements,
        speakers=speakers,
        versions={r.id: r.version for r in records},
    )


def programme_csv(session: Session, *, viewer: Viewer, line_up_id: int, config: CallConfig) -> ExportTable:
    """The programme CSV's table (`ExportTable`) for the line-up (admin or office)."""
    require_staff(session, viewer, "download the programme")
    data = programme_data(session, line_up_id=line_up_id)
    table = programme_table(data.sessions, data.presenters, data.placements, data.speakers, call_id=config.call_id)
    return replace(table, detail={**table.detail, "line_up_id": line_up_id})


def programme_ics(session: Session, *, viewer: Viewer, line_up_id: int, config: CallConfig) -> CalendarFile:
    """The programme's iCalendar file for the line-up (admin or office); its audit entry is written."""
    require_staff(session, viewer, "download the programme calendar")
    data = programme_data(session, line_up_id=line_up_id)
    file = programme_calendar(
        data.sessions,
        data.presenters,
        data.placements,
        data.speakers,
        call_id=config.call_id,
        name=config.title,
        sequences=data.versions,
    )
    audit.record(
        session,
        actor=viewer.username,
        action=audit_actions.export_action(CALENDAR_WHAT),
        entity="line_up",
        entity_id=line_up_id,
        new={
            "file": file.filename,
            "events": file.events,
            "sha256": hashlib.sha256(file.content).hexdigest(),
            "line_up_id": line_up_id,
        },
        detail="Programme page",
    )
    return file


_REPLY = {"pending": AWAITING, "declined": DECLINED}
_ACCEPTED = {"in_person": ACCEPTED_IN_PERSON, "virtual": ACCEPTED_VIRTUAL}


def presenter_columns(
    session: Session, *, line_up_id: int, now: dt.datetime | None = None
) -> dict[int, dict[str, Any]]:
    """For the presenter list: submission id -> session, date and time, format and reply, for each
    presenter invited from the line-up ({} when no one is invited)."""
    from data_access.invitations import deadline_end  # here: invitations imports this module

    rows = session.execute(
        select(PresenterInvitation, Submission.reference)
        .join(Submission, Submission.id == PresenterInvitation.submission_id)
        .where(PresenterInvitation.line_up_id == line_up_id)
    ).all()
    if not rows:
        return {}
    invitations = [
        Invitation(
            submission_id=inv.submission_id,
            reference=reference,
            format_offered=inv.format_offered,
            status=_ACCEPTED[str(inv.reply_format)] if inv.status == "accepted" else _REPLY[inv.status],
            deadline=deadline_end(inv.reply_by),
        )
        for inv, reference in rows
    ]
    placements = saved_placements(confirmed_presenters(session, line_up_id=line_up_id))
    sessions = [r.programme() for r in list_sessions(session)]
    return presenter_programme_columns(sessions, placements, invitations, now=now or utcnow())
