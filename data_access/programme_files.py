"""The programme's files: the programme CSV, the iCalendar file, and the presenter list's programme columns.

Pure builders over plain data (`scoring.programme`'s sessions, presenters and
placements; `scoring.replies`' invitations; a `Speaker` per presenter, as read
from the submissions), so that the page and `manage.py` read the database and
hand the rows over:

* `programme_table`: one row per presenter in a session (sessions without
  presenters get one row of their own), in session order, written by the one
  CSV writer (`formats.csv_export.to_csv_bytes`: formula cells neutralised);
* `programme_calendar`: one VEVENT per session (`formats.icalendar`), its UID
  made from the call and the session's key only, so it stays the same when the
  session's title or time changes;
* `presenter_programme_columns`: session, date and time, format and reply
  status for each presenter, for the presenter list.

An anonymous contributor's identity (organisation, contact name) is in
neither file, whatever the caller passes (`access.visibility.identity_exportable`);
the contact email is in neither. Dates and times are UK time in the CSV and
UTC in the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from access.visibility import identity_exportable
from data_access.exports import ExportTable
from formats.csv_export import export_filename
from formats.icalendar import CalendarEvent, safe_url, to_ics_bytes
from scoring.programme import (
    PRESENTER_FORMATS,
    SESSION_FORMATS,
    UK,
    Placement,
    Presenter,
    ProgrammeError,
    ProgrammeSession,
    time_problems,
)
from scoring.replies import ACCEPTED_FORMAT, Invitation, reply_label
from scoring.selection import FORMAT_LABELS

PRODID = "-//Independent Anti-Slavery Commissioner//Evidence review//EN"
UID_DOMAIN = "evidence-review"
PROGRAMME_FIELDS = [
    "Session",
    "Date",
    "Start (UK time)",
    "End (UK time)",
    "Session format",
    "Room",
    "Online link",
    "Chair",
    "Order",
    "Reference",
    "Title",
    "Organisation",
    "Presenter",
    "Presents",
]
PRESENTER_PROGRAMME_FIELDS = ["Session", "Session date", "Session time (UK)", "Presents", "Reply"]


@dataclass(frozen=True)
class Speaker:
    """What the programme says about a presenter: from the submission."""

    submission_id: int
    reference: str
    title: str
    organisation: str | None = None
    contact_name: str | None = None
    anonymous: bool = False

    @property
    def shown_organisation(self) -> str | None:
        return self.organisation if identity_exportable(anonymous=self.anonymous) else None

    @property
    def shown_name(self) -> str | None:
        return self.contact_name if identity_exportable(anonymous=self.anonymous) else None


@dataclass(frozen=True)
class CalendarFile:
    filename: str
    content: bytes
    events: int


def _ordered(sessions: Sequence[ProgrammeSession]) -> list[ProgrammeSession]:
    """In time order; `ProgrammeError` (in words) if a session's times cannot be put in a file."""
    problems = [problem for s in sessions for problem in time_problems(s)]
    if problems:
        raise ProgrammeError(problems)
    return sorted(sessions, key=lambda s: (s.starts.timestamp(), s.title, str(s.key)))


def _in_session(placements: Sequence[Placement], key: int | str) -> list[int]:
    return [pl.submission_id for pl in placements if pl.session_key == key]


def _session_cells(session: ProgrammeSession) -> dict[str, Any]:
    start, end = session.starts.astimezone(UK), session.ends.astimezone(UK)
    return {
        "Session": session.title,
        "Date": start.date(),
        "Start (UK time)": f"{start:%H:%M}",
        "End (UK time)": f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}",
        "Session format": SESSION_FORMATS.get(session.format, session.format).capitalize(),
        "Room": session.room or None,
        "Online link": session.online_link or None,
        "Chair": session.chair or None,
    }


def _presents(presenter: Presenter | None) -> str | None:
    return FORMAT_LABELS.get(presenter.format, presenter.format) if presenter else None


def programme_table(
    sessions: Sequence[ProgrammeSession],
    presenters: Sequence[Presenter],
    placements: Sequence[Placement],
    speakers: Mapping[int, Speaker],
    *,
    call_id: str,
    today: dt.date | None = None,
) -> ExportTable:
    """The programme CSV's rows (`ExportTable.to_csv()` writes the file)."""
    by_id = {p.submission_id: p for p in presenters}
    rows: list[dict[str, Any]] = []
    for session in _ordered(sessions):
        cells = _session_cells(session)
        members = _in_session(placements, session.key)
        if not members:
            rows.append(cells)
        for order, sid in enumerate(members, start=1):
            speaker = speakers.get(sid)
            presenter = by_id.get(sid)
            reference = speaker.reference if speaker else (presenter.reference if presenter else str(sid))
            rows.append(
                {
                    **cells,
                    "Order": order,
                    "Reference": reference,
                    "Title": speaker.title if speaker else None,
                    "Organisation": speaker.shown_organisation if speaker else None,
                    "Presenter": speaker.shown_name if speaker else None,
                    "Presents": _presents(presenter),
                }
            )
    return ExportTable(
        what="programme",
        field_names=list(PROGRAMME_FIELDS),
        rows=rows,
        filename=export_filename(call_id, "programme", today),
        detail={"sessions": len(sessions), "placed": len(placements)},
    )


def session_uid(call_id: str, key: int | str) -> str:
    """Stable per session: the call and the session's key, nothing that changes when it is edited."""
    return f"session-{key}.{call_id}@{UID_DOMAIN}"


def _speaker_line(sid: int, speaker: Speaker | None, presenter: Presenter | None) -> str:
    parts = [speaker.reference if speaker else (presenter.reference if presenter else str(sid))]
    if speaker is not None:
        parts.append(speaker.title)
        if speaker.shown_organisation:
            parts.append(speaker.shown_organisation)
    fmt = f" ({PRESENTER_FORMATS[presenter.format]})" if presenter and presenter.format in PRESENTER_FORMATS else ""
    return " · ".join(parts) + fmt


def _description(
    session: ProgrammeSession, members: list[int], speakers: Mapping[int, Speaker], by_id: Mapping[int, Presenter]
) -> str:
    lines = [f"{SESSION_FORMATS.get(session.format, session.format).capitalize()} session."]
    if session.chair:
        lines.append(f"Chair: {session.chair}")
    if session.room:
        lines.append(f"Room: {session.room}")
    if session.online_link:
        lines.append(f"Online: {session.online_link}")
    if members:
        lines.append("Presenters:")
        lines.extend(_speaker_line(sid, speakers.get(sid), by_id.get(sid)) for sid in members)
    return "\n".join(lines)


def _location(session: ProgrammeSession) -> str:
    if session.format == "online":
        return f"Online: {session.online_link}" if session.online_link else "Online"
    if session.format == "hybrid" and session.online_link:
        return f"{session.room} (and online)"
    return session.room


def programme_calendar(
    sessions: Sequence[ProgrammeSession],
    presenters: Sequence[Presenter],
    placements: Sequence[Placement],
    speakers: Mapping[int, Speaker],
    *,
    call_id: str,
    name: str,
    today: dt.date | None = None,
    stamp: dt.datetime | None = None,
    sequences: Mapping[int | str, int] | None = None,
) -> CalendarFile:
    """The iCalendar file: one event per session. `sequences` (session key -> version) tell a calendar
    program which copy of an event is newer."""
    by_id = {p.submission_id: p for p in presenters}
    events = [
        CalendarEvent(
            uid=session_uid(call_id, session.key),
            starts=session.starts,
            ends=session.ends,
            summary=session.title,
            description=_description(session, _in_session(placements, session.key), speakers, by_id),
            location=_location(session),
            url=session.online_link if session.online_link and safe_url(session.online_link) else "",
            sequence=int((sequences or {}).get(session.key, 0)),
        )
        for session in _ordered(sessions)
    ]
    content = to_ics_bytes(events, prodid=PRODID, name=name, stamp=stamp)
    return CalendarFile(export_filename(call_id, "programme", today, ext="ics"), content, len(events))


def presenter_programme_columns(
    sessions: Sequence[ProgrammeSession],
    placements: Sequence[Placement],
    invitations: Sequence[Invitation],
    *,
    now: dt.datetime,
) -> dict[int, dict[str, Any]]:
    """For the presenter list: submission_id -> session, its date and time (UK), the format they present in
    (the one accepted, else the one offered) and the reply, for every invited presenter."""
    by_key = {s.key: s for s in _ordered(sessions)}
    where = {pl.submission_id: by_key.get(pl.session_key) for pl in placements}
    out: dict[int, dict[str, Any]] = {}
    for inv in invitations:
        session = where.get(inv.submission_id)
        fmt = ACCEPTED_FORMAT.get(inv.status, inv.format_offered)
        cells: dict[str, Any] = dict.fromkeys(PRESENTER_PROGRAMME_FIELDS)
        if session is not None:
            start, end = session.starts.astimezone(UK), session.ends.astimezone(UK)
            cells.update(
                {
                    "Session": session.title,
                    "Session date": start.date(),
                    "Session time (UK)": f"{start:%H:%M}–{end:%H:%M}",
                }
            )
        cells["Presents"] = FORMAT_LABELS.get(fmt, fmt)
        cells["Reply"] = reply_label(inv, now)
        out[inv.submission_id] = cells
    return out
