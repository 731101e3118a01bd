"""Streamlit glue for the Programme page's sessions, placements and files (docs/selection.md,
"The programme"; `data_access.programme`, `data_access.placements`).

The admin adds, edits and deletes sessions (times typed in UK time), proposes
placements of the confirmed presenters, edits them and saves them; the office
reads and downloads. Every action is checked again on the server at the moment
(a refusal is logged); the downloads make their file at the click, after the
role is read again (`ui.exports.checked_button`). Problems are said in words,
as text; contributor text (titles) is shown in dataframe cells.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from access.visibility import Viewer
from config import CallConfig
from data_access import placements as pl
from data_access import programme as prog
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.exports import record_export
from data_access.lineups import LineUpRecord
from formats.csv_export import export_filename
from scoring.programme import SESSION_FORMATS, Proposal, check_programme, when
from scoring.selection import FORMAT_LABELS
from ui.exports import CSV_MIME, checked_button
from ui.programme_forms import refused
from ui.render import notice, table_key

PAGE = "programme"
SEEN_SESSIONS = "prog.sessions.seen"  # session id -> the version the page last showed
SEEN_PLACEMENTS = "prog.place.seen"  # invitation id -> the version the page last showed
PROPOSAL_KEY = "prog.place.proposal"  # line-up id -> the last proposal (invitation id -> session id, reasons)
FLASH_KEY = "prog.sessions.flash"
NOT_PLACED = "(not placed)"
ICS_MIME = "text/calendar"
DEFAULT_PLACES = 4


def _done(line: str, detail: str = "") -> None:
    """Say what was done on the next run: `line` in a success box (our words), `detail` as text."""
    st.session_state[FLASH_KEY] = (line, detail)
    st.rerun()


def _problems(lead: str, problems: tuple[str, ...] | list[str]) -> None:
    st.error(lead, icon=":material/error:")
    st.text("\n".join(problems))  # may quote titles typed by people: as text


def _theme_label(config: CallConfig, code: str | None) -> str:
    return config.vocabulary("themes").label(code) if code else ""


# --- sessions ------------------------------------------------------------------------


def _sessions_table(config: CallConfig, records: list[prog.SessionRecord]) -> None:
    if not records:
        st.caption("No session yet.")
        return
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Session": r.title,
                    "When (UK time)": when(r.programme()),
                    "Format": SESSION_FORMATS[r.format].capitalize(),
                    "Places": r.capacity,
                    "Room": r.room,
                    "Online link": r.online_link,
                    "Chair": r.chair,
                    "Theme": _theme_label(config, r.theme),
                }
                for r in records
            ]
        ),
        hide_index=True,
        width="stretch",
        key=table_key("prog.sessions", *((r.id, r.version) for r in records)),
    )


def _session_inputs(config: CallConfig, key: str, shown: prog.SessionRecord | None) -> dict[str, Any]:
    """The session's inputs (inside a form), filled in with `shown` if given; their values."""
    starts = shown.starts.astimezone(prog.UK) if shown else None
    ends = shown.ends.astimezone(prog.UK) if shown else None
    themes = ["", *config.vocabulary("themes").ids]
    formats = list(SESSION_FORMATS)
    return {
        "title": st.text_input("Title", value=shown.title if shown else "", max_chars=200, key=f"{key}.title"),
        "day": st.date_input("Date", value=starts.date() if starts else None, format="DD/MM/YYYY", key=f"{key}.date"),
        "starts": st.time_input("Starts", value=starts.time() if starts else dt.time(10), key=f"{key}.starts"),
        "ends": st.time_input("Ends", value=ends.time() if ends else dt.time(11), key=f"{key}.ends"),
        "format": st.selectbox(
            "Format",
            formats,
            index=formats.index(shown.format) if shown else 0,
            format_func=lambda f: SESSION_FORMATS[f].capitalize(),
            key=f"{key}.format",
        ),
        "capacity": st.number_input(
            "Places",
            min_value=1,
            max_value=500,
            step=1,
            value=shown.capacity if shown else DEFAULT_PLACES,
            key=f"{key}.places",
        ),
        "room": st.text_input("Room", value=shown.room if shown else "", max_chars=200, key=f"{key}.room"),
        "online_link": st.text_input(
            "Online link",
            value=shown.online_link if shown else "",
            max_chars=500,
            placeholder="https://",
            key=f"{key}.link",
        ),
        "chair": st.text_input("Chair", value=shown.chair if shown else "", max_chars=200, key=f"{key}.chair"),
        "theme": st.selectbox(
            "Theme (optional)",
            themes,
            index=themes.index(shown.theme) if shown and shown.theme in themes else 0,
            format_func=lambda t: _theme_label(config, t) or "(none)",
            key=f"{key}.theme",
        ),
    }


def _as_input(values: dict[str, Any]) -> prog.SessionInput:
    """What was typed, as a session (UK time to UTC); SessionError (in words) if the times cannot be."""
    if values["day"] is None:
        raise prog.SessionError(["Choose the session's date."])
    return prog.SessionInput(
        title=values["title"],
        starts=prog.uk_moment(values["day"], values["starts"]),
        ends=prog.uk_moment(values["day"], values["ends"]),
        format=values["format"],
        capacity=int(values["capacity"]),
        room=values["room"],
        online_link=values["online_link"],
        chair=values["chair"],
        theme=values["theme"] or None,
    )


def _add_form(db: Database, viewer: Viewer, config: CallConfig) -> None:
    with st.expander("Add a session", icon=":material/add:"), st.form("prog.session.add", border=False):
        values = _session_inputs(config, "prog.session.add", None)
        st.caption("Times are UK time. A hybrid session needs a room and an online link; links start https://.")
        if not st.form_submit_button("Add session", icon=":material/add:"):
            return
    try:
        with db.write() as session:
            added = prog.add_session(session, viewer=viewer, fields=_as_input(values), config=config)
    except AccessDenied:
        refused(db, viewer, "add a programme session", None, entity="programme_session")
        return
    except prog.SessionError as exc:
        _problems("The session was not added:", exc.problems)
        return
    _done(f"Session added: {when(added.programme())}.")


def _edit_form(db: Database, viewer: Viewer, config: CallConfig, records: list[prog.SessionRecord]) -> None:
    if not records:
        return
    by_id = {r.id: r for r in records}
    # A switch, not an expander: its inputs (labelled as the new session's) are drawn only when asked for.
    if not st.toggle("Edit or delete a session", key="prog.session.editing"):
        return
    with st.container(border=True):
        chosen = st.selectbox(
            "Session", list(by_id), format_func=lambda i: f"{by_id[i].title} ({when(by_id[i].programme())})"
        )
        shown = by_id[chosen]
        with st.form(f"prog.session.edit.{shown.id}", border=False):
            values = _session_inputs(config, f"prog.session.edit.{shown.id}.{shown.version}", shown)
            save = st.form_submit_button("Save changes", icon=":material/save:")
            delete = st.form_submit_button("Delete session", icon=":material/delete:")
    if not (save or delete):
        return
    expected = st.session_state.get(SEEN_SESSIONS, {}).get(shown.id, shown.version)
    try:
        with db.write() as session:
            if delete:
                out = prog.delete_session(session, viewer=viewer, session_id=shown.id, expected_version=expected)
            else:
                prog.update_session(
                    session,
                    viewer=viewer,
                    session_id=shown.id,
                    fields=_as_input(values),
                    expected_version=expected,
                    config=config,
                )
    except AccessDenied:
        refused(db, viewer, "change a programme session", shown.id, entity="programme_session")
        return
    except prog.SessionError as exc:
        _problems("Nothing was changed:", exc.problems)
        return
    if delete:
        _done("Session deleted.", f"Taken out of it: {', '.join(out)}." if out else "")
    _done("Session saved.")


def sessions_section(db: Database, viewer: Viewer, config: CallConfig) -> list[prog.SessionRecord]:
    st.header("Sessions", anchor=False)
    with db.read() as session:
        records = prog.list_sessions(session)
    _sessions_table(config, records)
    if viewer.is_admin:
        _add_form(db, viewer, config)
        _edit_form(db, viewer, config, records)
    st.session_state[SEEN_SESSIONS] = {r.id: r.version for r in records}
    return records


# --- placements ----------------------------------------------------------------------


def _label(r: prog.SessionRecord) -> str:
    return f"{r.title} · {when(r.programme())} · #{r.id}"


def _placements_table(confirmed: list[pl.Confirmed], labels: dict[int, str]) -> pd.DataFrame:
    ordered = sorted(
        confirmed, key=lambda c: (c.session_id is None, labels.get(c.session_id or 0, ""), c.position or 0)
    )
    return pd.DataFrame(
        [
            {
                "Reference": c.reference,
                "Title": c.title,
                "Presents": FORMAT_LABELS.get(c.format, c.format),
                "Session": labels.get(c.session_id, NOT_PLACED) if c.session_id else NOT_PLACED,
                "Order": c.position or 0,
            }
            for c in ordered
        ]
    )


def _show_proposal(proposal: dict[str, Any]) -> None:
    if proposal["reasons"]:
        st.caption("Why each presenter is where the proposal puts them:")
        st.dataframe(pd.DataFrame(proposal["reasons"]), hide_index=True, width="stretch")
    if proposal["unplaced"]:
        st.warning("Not placed by the proposal:", icon=":material/warning:")
        st.dataframe(pd.DataFrame(proposal["unplaced"]), hide_index=True, width="stretch")
    if proposal["note"]:
        st.caption(proposal["note"])


def _propose(db: Database, viewer: Viewer, config: CallConfig, record: LineUpRecord, keep: bool) -> None:
    try:
        with db.read() as session:
            proposal = pl.propose(session, viewer=viewer, line_up_id=record.id, keep_mine=keep, config=config)
    except AccessDenied:
        refused(db, viewer, "propose placements", record.id, entity="line_up")
        return
    except prog.SessionError as exc:
        _problems("No placements could be proposed:", exc.problems)
        return
    st.session_state[PROPOSAL_KEY] = {record.id: _kept(proposal)}


def _kept(proposal: Proposal) -> dict[str, Any]:
    """The proposal as the page keeps it: plain values."""
    return {
        "where": {p.submission_id: p.session_key for p in proposal.placements},
        "order": {p.submission_id: n for n, p in enumerate(proposal.placements)},
        "reasons": [{"Submission": p.submission_id, "Reason": p.reason} for p in proposal.placements],
        "unplaced": [{"Reference": u.reference, "Reason": u.reason} for u in proposal.unplaced],
        "note": proposal.note,
    }


def _with_references(proposal: dict[str, Any], confirmed: list[pl.Confirmed]) -> dict[str, Any]:
    refs = {c.submission_id: c.reference for c in confirmed}
    reasons = [{"Reference": refs.get(r["Submission"], ""), "Reason": r["Reason"]} for r in proposal["reasons"]]
    return {**proposal, "reasons": reasons}


def _proposed_table(proposal: dict[str, Any], confirmed: list[pl.Confirmed], labels: dict[int, str]) -> pd.DataFrame:
    rows = []
    for c in confirmed:
        sid = proposal["where"].get(c.submission_id)
        rows.append(
            {
                "Reference": c.reference,
                "Title": c.title,
                "Presents": FORMAT_LABELS.get(c.format, c.format),
                "Session": labels.get(sid, NOT_PLACED) if sid is not None else NOT_PLACED,
                "Order": proposal["order"].get(c.submission_id, 0) + 1 if sid is not None else 0,
            }
        )
    return pd.DataFrame(rows)


def _order(value: Any) -> int:
    """An order typed in the table (a cleared cell: 0)."""
    return 0 if value is None or pd.isna(value) else int(value)


def _save(
    db: Database,
    viewer: Viewer,
    record: LineUpRecord,
    edited: pd.DataFrame,
    confirmed: list[pl.Confirmed],
    ids: dict[str, int],
    shown: dict[int, int],
) -> None:
    by_ref = {c.reference: c for c in confirmed}
    seats = [
        pl.Seat(by_ref[row["Reference"]].invitation_id, ids.get(row["Session"]), _order(row["Order"]))
        for row in edited.to_dict("records")
        if row["Reference"] in by_ref
    ]
    expected = {c.invitation_id: shown.get(c.invitation_id, c.version) for c in confirmed}
    try:
        with db.write() as session:
            changed = pl.save_placements(
                session, viewer=viewer, line_up_id=record.id, seats=seats, expected_versions=expected
            )
    except AccessDenied:
        refused(db, viewer, "save placements", record.id, entity="line_up")
        return
    except prog.SessionError as exc:
        _problems("The placements were not saved:", exc.problems)
        return
    st.session_state.get(PROPOSAL_KEY, {}).pop(record.id, None)
    _done(f"Placements saved ({changed} changed).")


def _editor(
    db: Database,
    viewer: Viewer,
    config: CallConfig,
    record: LineUpRecord,
    confirmed: list[pl.Confirmed],
    records: list[prog.SessionRecord],
    shown: dict[int, int],
) -> None:
    labels = {r.id: _label(r) for r in records}
    keep = st.checkbox("Keep placements I made", value=True, key="prog.place.keep")
    if st.button("Propose placements", icon=":material/auto_fix_high:", key="prog.place.propose"):
        _propose(db, viewer, config, record, keep)
    proposal = st.session_state.get(PROPOSAL_KEY, {}).get(record.id)
    if proposal is not None:
        _show_proposal(_with_references(proposal, confirmed))
    table = _proposed_table(proposal, confirmed, labels) if proposal else _placements_table(confirmed, labels)
    st.caption("Choose each presenter's session and their order in it, then save.")
    edited = st.data_editor(
        table,
        hide_index=True,
        width="stretch",
        disabled=["Reference", "Title", "Presents"],
        column_config={
            "Session": st.column_config.SelectboxColumn(
                "Session", options=[NOT_PLACED, *labels.values()], required=True
            ),
            "Order": st.column_config.NumberColumn("Order", min_value=0, max_value=500, step=1),
        },
        key=table_key("prog.place.editor", record.id, proposal, *((c.invitation_id, c.version) for c in confirmed)),
    )
    if st.button("Save placements", type="primary", icon=":material/save:", key="prog.place.save"):
        _save(db, viewer, record, edited, confirmed, {v: k for k, v in labels.items()}, shown)


def placements_section(
    db: Database, viewer: Viewer, config: CallConfig, record: LineUpRecord, records: list[prog.SessionRecord]
) -> None:
    st.header("Placements", anchor=False)
    with db.read() as session:
        confirmed = pl.confirmed_presenters(session, line_up_id=record.id)
    # A save checks the versions the page showed BEFORE this run (the press's run reads the data afresh):
    # a reply or another tab's placements since then make it stale, never silently overwritten.
    shown = st.session_state.get(SEEN_PLACEMENTS, {})
    st.session_state[SEEN_PLACEMENTS] = {c.invitation_id: c.version for c in confirmed}
    if not confirmed:
        st.caption("No presenter of this line-up has accepted yet: placements start from those who accept.")
        return
    check = check_programme(
        [r.programme() for r in records], [c.presenter() for c in confirmed], pl.saved_placements(confirmed)
    )
    if check.problems:
        _problems("The saved programme needs attention:", check.problems)
    if not viewer.is_admin:
        labels = {r.id: _label(r) for r in records}
        st.dataframe(_placements_table(confirmed, labels), hide_index=True, width="stretch")
        return
    if not records:
        st.caption("There are no sessions to place presenters in yet.")
        return
    _editor(db, viewer, config, record, confirmed, records, shown)


# --- files ---------------------------------------------------------------------------


def files_section(viewer: Viewer, config: CallConfig, record: LineUpRecord) -> None:
    line_up_id = record.id

    def programme_csv(session: Session, current: Viewer) -> bytes:
        table = pl.programme_csv(session, viewer=current, line_up_id=line_up_id, config=config)
        content = table.to_csv()
        record_export(session, actor=current.username, table=table, content=content, via="Programme page")
        return content

    def programme_ics(session: Session, current: Viewer) -> bytes:
        return pl.programme_ics(session, viewer=current, line_up_id=line_up_id, config=config).content

    cols = st.columns(2)
    with cols[0]:
        checked_button(
            "Download programme (CSV)",
            programme_csv,
            what="programme",
            file_name=export_filename(config.call_id, "programme"),
            mime=CSV_MIME,
            key=f"prog.files.csv.{line_up_id}",
            viewer=viewer,
            page=PAGE,
            icon=":material/download:",
        )
    with cols[1]:
        checked_button(
            "Download calendar (.ics)",
            programme_ics,
            what=pl.CALENDAR_WHAT,
            file_name=export_filename(config.call_id, "programme", ext="ics"),
            mime=ICS_MIME,
            key=f"prog.files.ics.{line_up_id}",
            viewer=viewer,
            page=PAGE,
            icon=":material/calendar_month:",
        )


def render(db: Database, viewer: Viewer, config: CallConfig, record: LineUpRecord) -> None:
    """The programme of the chosen line-up: sessions, placements, files."""
    flashed = st.session_state.pop(FLASH_KEY, None)
    if flashed:
        notice("success", *flashed, icon=":material/check_circle:")
    records = sessions_section(db, viewer, config)
    placements_section(db, viewer, config, record, records)
    st.caption("The programme's files: every session, with this line-up's presenters; times in UK time (CSV).")
    files_section(viewer, config, record)
