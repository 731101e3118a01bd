"""The programme's sessions (issue 17; docs/selection.md "The programme"): `add_session`,
`update_session`, `delete_session` (admin) and `list_sessions`.

A session has a title, a start and an end (stored UTC; typed in UK time on the
page: `uk_moment` refuses a time the clocks skip or repeat), a format (in
person, online, hybrid), a number of places, a room, an online link (https://
only), a chair and an optional theme (one of the call's). Each is checked with
`scoring.programme.session_problems` and against the other sessions
(`clashes`: one room or one chair at overlapping times), and refused in words
with nothing changed; text fields are one line each. An edit or a deletion
carries the version shown (optimistic lock); an edit that would leave the
presenters placed in the session out of its format or places is refused;
deleting a session takes its presenters out of it. Audited:
`programme_session.create`, `.update`, `.delete`, with old and new values.
Placements and the programme's files are `data_access.placements`.

Locks (PostgreSQL): an edit or a deletion locks its session row (`lock_sessions`)
before it reads the presenters placed in it, and a placements' save locks every
session row (in id order) after the line-up and before it reads the sessions,
so that an edit and a save at the same moment run one after the other: a save
never fills a session by its places before an edit that narrowed them, nor an
edit narrows a session after a save it did not see (it did: both read the
other's "before" and committed, overfilling the session). The order across the
programme's writes: line-up, sessions, invitations, invitation links. SQLite runs
write units one at a time.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from access.roles import STAFF
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import audit
from data_access.db import rows_matched
from data_access.errors import AccessDenied
from data_access.models import (
    PresenterInvitation,
    Submission,
    User,
    utcnow,
)
from data_access.models import (
    ProgrammeSession as SessionRow,
)
from data_access.signoff import require_admin
from formats.icalendar import safe_url
from scoring.programme import (
    LINK_PATTERN,
    UK,
    Placement,
    Presenter,
    ProgrammeSession,
    check_programme,
    clashes,
    session_problems,
)

TEXT_MAX = {"title": 200, "room": 200, "chair": 200, "online_link": 500}
FIELD_WORDS = {"title": "The title", "room": "The room", "chair": "The chair", "online_link": "The online link"}


class SessionError(ValueError):
    """A session (or placements) that cannot be saved as asked: `problems` in words; nothing was changed."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__(" ".join(self.problems))


class StaleProgramme(SessionError):
    """A session, a reply or a placement changed since the page showed it; nothing was overwritten."""

    def __init__(self, message: str) -> None:
        super().__init__([message])


@dataclass(frozen=True)
class SessionInput:
    """A session as typed: times timezone-aware (`uk_moment`)."""

    title: str
    starts: dt.datetime
    ends: dt.datetime
    format: str
    capacity: int
    room: str = ""
    online_link: str = ""
    chair: str = ""
    theme: str | None = None


@dataclass(frozen=True)
class SessionRecord:
    id: int
    title: str
    starts: dt.datetime  # UTC
    ends: dt.datetime
    format: str
    capacity: int
    room: str
    online_link: str
    chair: str
    theme: str | None
    version: int

    def fields(self) -> SessionInput:
        return SessionInput(
            title=self.title,
            starts=self.starts,
            ends=self.ends,
            format=self.format,
            capacity=self.capacity,
            room=self.room,
            online_link=self.online_link,
            chair=self.chair,
            theme=self.theme,
        )

    def programme(self) -> ProgrammeSession:
        return _as_programme(self.id, self.fields())


# --- who may -----------------------------------------------------------------------


def require_staff(session: Session, viewer: Viewer, to: str) -> None:
    """Re-check on the server, now, that the viewer is an active admin or office account."""
    user = session.get(User, viewer.user_id)
    if user is None or not user.active or user.role not in STAFF or user.username != viewer.username:
        raise AccessDenied(f"only an active admin or office account may {to}")


# --- UK time -------------------------------------------------------------------------


def uk_moment(day: dt.date, clock: dt.time) -> dt.datetime:
    """A date and a time of day typed in UK time, as an aware datetime (UTC); SessionError for a time
    that does not happen (the clocks go forward) or happens twice (they go back)."""
    naive = dt.datetime.combine(day, clock.replace(tzinfo=None, fold=0))
    first, second = naive.replace(tzinfo=UK), naive.replace(tzinfo=UK, fold=1)
    words = f"{clock:%H:%M} on {day:%d %B %Y}"
    if first.astimezone(dt.UTC).astimezone(UK).replace(tzinfo=None) != naive:
        raise SessionError([f"{words} does not exist in UK time (the clocks go forward): choose another time."])
    if first.utcoffset() != second.utcoffset():
        raise SessionError([f"{words} happens twice in UK time (the clocks go back): choose another time."])
    return first.astimezone(dt.UTC)


# --- sessions ----------------------------------------------------------------------


def _record(row: SessionRow) -> SessionRecord:
    return SessionRecord(
        id=row.id,
        title=row.title,
        starts=row.starts_at,
        ends=row.ends_at,
        format=row.format,
        capacity=row.capacity,
        room=row.room,
        online_link=row.online_link,
        chair=row.chair,
        theme=row.theme,
        version=row.version,
    )


def list_sessions(session: Session) -> list[SessionRecord]:
    """Every session, in time order."""
    rows = session.scalars(
        select(SessionRow)
        .order_by(SessionRow.starts_at, SessionRow.title, SessionRow.id)
        .execution_options(populate_existing=True)
    )
    return [_record(r) for r in rows]


def _one_line(what: str, value: str) -> str | None:
    if any(unicodedata.category(ch) in ("Cc", "Zl", "Zp") for ch in value):
        return f"{FIELD_WORDS[what]} must be one line of text (no line breaks or control characters)."
    if len(value) > TEXT_MAX[what]:
        return f"{FIELD_WORDS[what]} has {len(value):,} characters; the most allowed is {TEXT_MAX[what]:,}."
    return None


def _cleaned(fields: SessionInput, config: CallConfig) -> tuple[SessionInput, list[str]]:
    """The input with its text trimmed, and what is wrong with it that `session_problems` does not see."""
    texts = {name: str(getattr(fields, name) or "").strip() for name in TEXT_MAX}
    theme = (fields.theme or "").strip() or None
    clean = replace(
        fields,
        title=texts["title"],
        room=texts["room"],
        chair=texts["chair"],
        online_link=texts["online_link"],
        theme=theme,
    )
    problems = [p for name, value in texts.items() if (p := _one_line(name, value))]
    link = texts["online_link"]
    if link and not (link.lower().startswith("https://") and LINK_PATTERN.fullmatch(link) and safe_url(link)):
        problems.append("The online link must be a web address starting https:// (no spaces).")
    if theme is not None and theme not in config.vocabulary("themes").ids:
        problems.append(f"There is no theme {theme!r} in this call's themes.")
    if isinstance(fields.starts, dt.datetime) and fields.starts.utcoffset() is not None:
        clean = replace(clean, starts=fields.starts.astimezone(dt.UTC))
    if isinstance(fields.ends, dt.datetime) and fields.ends.utcoffset() is not None:
        clean = replace(clean, ends=fields.ends.astimezone(dt.UTC))
    return clean, problems


def _as_programme(key: int | str, fields: SessionInput) -> ProgrammeSession:
    return ProgrammeSession(
        key=key,
        title=fields.title,
        starts=fields.starts,
        ends=fields.ends,
        format=fields.format,
        capacity=fields.capacity,
        room=fields.room,
        online_link=fields.online_link,
        chair=fields.chair,
        theme=fields.theme,
    )


def _checked(session: Session, fields: SessionInput, config: CallConfig, key: int | str) -> SessionInput:
    """The session as it will be stored; SessionError (in words) if it cannot be."""
    clean, problems = _cleaned(fields, config)
    proposed = _as_programme(key, clean)
    problems.extend(session_problems(proposed))
    if not problems:
        others = [r.programme() for r in list_sessions(session) if r.id != key]
        problems.extend(p for other in others for p in clashes([proposed, other]))
    if problems:
        raise SessionError(list(dict.fromkeys(problems)))
    return clean


def _values(fields: SessionInput) -> dict[str, Any]:
    return {
        "title": fields.title,
        "starts_at": fields.starts,
        "ends_at": fields.ends,
        "format": fields.format,
        "capacity": fields.capacity,
        "room": fields.room,
        "online_link": fields.online_link,
        "chair": fields.chair,
        "theme": fields.theme,
    }


def _entry(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in values.items()}


def add_session(session: Session, *, viewer: Viewer, fields: SessionInput, config: CallConfig) -> SessionRecord:
    """Add a session (admin). AccessDenied; SessionError (in words, nothing added)."""
    require_admin(session, viewer, "add a programme session")
    clean = _checked(session, fields, config, key="new")
    now = utcnow()
    row = SessionRow(**_values(clean), created_by=viewer.username, created_at=now, updated_at=now, version=1)
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=viewer.username,
        action="programme_session.create",
        entity="programme_session",
        entity_id=row.id,
        new=_entry(_values(clean)),
    )
    return _record(row)


def _stale(row: SessionRow | None) -> StaleProgramme:
    if row is None:
        return StaleProgramme("This session was deleted since you opened it; nothing was changed.")
    return StaleProgramme(f"“{row.title}” changed since you opened it (now version {row.version}); look at it again.")


def update_session(
    session: Session,
    *,
    viewer: Viewer,
    session_id: int,
    fields: SessionInput,
    expected_version: int,
    config: CallConfig,
) -> SessionRecord:
    """Edit a session (admin), if it is still at `expected_version`. AccessDenied; StaleProgramme;
    SessionError (in words: a bad session, a clash, or its presenters would no longer fit)."""
    require_admin(session, viewer, "edit a programme session")
    lock_sessions(session, [session_id])  # before the presenters placed in it are read (`_still_fits`)
    row = session.get(SessionRow, session_id, populate_existing=True)
    if row is None or row.version != expected_version:
        raise _stale(row)
    clean = _checked(session, fields, config, key=session_id)
    _still_fits(session, _as_programme(session_id, clean))
    old = _entry(_values(_input_of(row)))
    matched = rows_matched(
        session,
        update(SessionRow)
        .where(SessionRow.id == session_id, SessionRow.version == expected_version)
        .values(**_values(clean), updated_at=utcnow(), version=SessionRow.version + 1)
        .execution_options(synchronize_session=False),
    )
    if matched != 1:
        raise _stale(session.get(SessionRow, session_id, populate_existing=True))
    audit.record(
        session,
        actor=viewer.username,
        action="programme_session.update",
        entity="programme_session",
        entity_id=session_id,
        old=old,
        new=_entry(_values(clean)),
    )
    return _record(session.get_one(SessionRow, session_id, populate_existing=True))


def _input_of(row: SessionRow) -> SessionInput:
    return _record(row).fields()


def _still_fits(session: Session, edited: ProgrammeSession) -> None:
    """The presenters placed in the session (of each line-up) still fit its format and places."""
    rows = session.execute(
        select(PresenterInvitation.line_up_id, PresenterInvitation.submission_id, PresenterInvitation.reply_format)
        .where(PresenterInvitation.session_id == edited.key, PresenterInvitation.status == "accepted")
        .order_by(PresenterInvitation.line_up_id, PresenterInvitation.submission_id)
    ).all()
    refs = references(session, {r.submission_id for r in rows})
    problems: list[str] = []
    for line_up_id in sorted({r.line_up_id for r in rows}):
        mine = [r for r in rows if r.line_up_id == line_up_id]
        presenters = [Presenter(r.submission_id, refs[r.submission_id], r.reply_format) for r in mine]
        placements = [Placement(r.submission_id, edited.key) for r in mine]
        problems.extend(check_programme([edited], presenters, placements).problems)
    if problems:
        raise SessionError(
            [*dict.fromkeys(problems), "Move presenters out of the session (Placements) first, then edit it."]
        )


def delete_session(session: Session, *, viewer: Viewer, session_id: int, expected_version: int) -> list[str]:
    """Delete a session (admin), if it is still at `expected_version`; its presenters leave it (their
    references are returned). AccessDenied; StaleProgramme (nothing deleted)."""
    require_admin(session, viewer, "delete a programme session")
    lock_sessions(session, [session_id])  # before the presenters placed in it are read
    row = session.get(SessionRow, session_id, populate_existing=True)
    if row is None or row.version != expected_version:
        raise _stale(row)
    placed = list(
        session.execute(
            select(PresenterInvitation.id, PresenterInvitation.submission_id).where(
                PresenterInvitation.session_id == session_id
            )
        ).all()
    )
    refs = references(session, {p.submission_id for p in placed})
    if placed:
        session.execute(
            update(PresenterInvitation)
            .where(PresenterInvitation.id.in_([p.id for p in placed]))
            .values(session_id=None, session_position=None, version=PresenterInvitation.version + 1)
            .execution_options(synchronize_session=False)
        )
    old = _entry(_values(_input_of(row)))
    session.delete(row)
    session.flush()
    unplaced = sorted(refs[p.submission_id] for p in placed)
    audit.record(
        session,
        actor=viewer.username,
        action="programme_session.delete",
        entity="programme_session",
        entity_id=session_id,
        old=old,
        new={"presenters_unplaced": unplaced},
    )
    return unplaced


def lock_sessions(session: Session, ids: Sequence[int] | None = None) -> None:
    """Lock the session rows `ids` (all of them when None) for this unit of work, in id order (the
    module's "Locks"; SQLite's write units run one at a time)."""
    if session.get_bind().dialect.name == "sqlite":
        return
    query = select(SessionRow.id).order_by(SessionRow.id).with_for_update()
    if ids is not None:
        query = query.where(SessionRow.id.in_(ids))
    session.execute(query).all()


def references(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Submission.id, Submission.reference).where(Submission.id.in_(ids))).all())
