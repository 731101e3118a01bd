"""Streamlit glue for the Programme page: from a saved line-up to presenters' replies
(docs/selection.md, "From line-up to programme").

The office and the admin see each saved line-up, whether its current version is
signed off, and its invitations with their replies; either may sign off. Only the
admin queues invitations and records replies received another way. Every action
is checked again on the server (`data_access.invitations`); a refusal is logged.
Contributor text (titles, notes, access needs) is shown in dataframe cells.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig, Settings
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access import signoff
from data_access.db import Database
from data_access.errors import AccessDenied
from scoring.selection import FORMAT_LABELS
from ui import programme_replacement, programme_sessions
from ui.programme_forms import attempt, reply_by_input
from ui.programme_forms import refused as _refused
from ui.render import format_when, notice, table_key

SEEN_KEY = "prog.seen"  # invitation id -> the version the page last showed
FLASH_KEY = "prog.flash"  # what the last action did, shown after the rerun that redraws the tables


def _done(lines: list[str]) -> None:
    """Say what was done on the next run, and rerun so that every table shows it. The first line is
    shown in a success box (our own words only), the rest as text (references, names)."""
    st.session_state[FLASH_KEY] = lines
    st.rerun()


def choose_line_up(db: Database) -> lineups_da.LineUpRecord | None:
    """The saved line-up chosen (read now), or None when none is saved."""
    with db.read() as session:
        summaries = lineups_da.list_line_ups(session)
    if not summaries:
        st.info("No line-up has been saved yet: save one on the Selection page first.", icon=":material/info:")
        return None
    by_id = {s.id: s for s in summaries}
    chosen = st.selectbox(
        "Line-up", list(by_id), format_func=lambda i: f"{by_id[i].name} (version {by_id[i].version})", key="prog.id"
    )
    with db.read() as session:
        return lineups_da.get_line_up(session, line_up_id=chosen)


def sign_off_section(db: Database, viewer: Viewer, record: lineups_da.LineUpRecord) -> signoff.SignOffRecord | None:
    """The line-up's members and sign-off; the sign-off of its current version, or None."""
    st.header("Sign-off", anchor=False)
    st.dataframe(
        pd.DataFrame(
            [
                {"#": m.position, "Reference": m.reference, "Title": m.title, "Format": FORMAT_LABELS.get(m.format)}
                for m in record.members
            ]
        ),
        hide_index=True,
        width="stretch",
        key=table_key("prog.members", record.id, record.version),
    )
    with db.read() as session:
        signed = signoff.current_sign_off(session, line_up_id=record.id)
        earlier = [s for s in signoff.sign_offs(session, line_up_id=record.id) if s.version != record.version]
    if signed is not None:
        notice(
            "success",
            "This version is signed off. It is frozen: saving the line-up again makes a new version, which needs "
            "its own sign-off.",
            # A username may hold characters that Markdown would read: as text.
            f"Version {signed.version}, signed off by {signed.signed_off_by} on {format_when(signed.signed_off_at)}.",
            icon=":material/verified:",
        )
        return signed
    if earlier:
        st.warning(
            f"Version {earlier[0].version} was signed off; this version ({record.version}) is not.",
            icon=":material/warning:",
        )
    st.caption(f"Version {record.version} is not signed off. Invitations can be sent once it is.")
    # The version is in the key: a click on a page that showed another version signs nothing off.
    key = f"prog.sign.{record.id}.{record.version}"
    if st.button(f"Sign off version {record.version}", type="primary", icon=":material/verified:", key=key):
        try:
            with db.write() as session:
                signed = signoff.sign_off(session, viewer=viewer, line_up_id=record.id, expected_version=record.version)
        except AccessDenied:
            _refused(db, viewer, "sign off line-up", record.id)
            return None
        except signoff.SignOffError as exc:
            notice("error", "Not signed off:", str(exc), icon=":material/error:")  # may name the line-up
            return None
        _done([f"Version {signed.version} signed off."])
    return signed


def invite_section(
    db: Database, viewer: Viewer, record: lineups_da.LineUpRecord, settings: Settings, config: CallConfig
) -> None:
    """Admin: queue the invitations of the signed-off line-up (members not invited yet)."""
    with st.form("prog.invite", border=True):
        st.header("Invitations", anchor=False)
        st.caption(
            "One message per presenter not invited yet, to the submission's contact address, through the outbox "
            "(template presenter.invitation: Messages page). Each carries a personal reply link, made when the "
            "message is sent, that works once until the end of the date to reply by (UK time)."
        )
        reply_by = reply_by_input("Reply by (the invitations queued now)", key="prog.reply_by")
        if not st.form_submit_button("Queue invitations", icon=":material/send:"):
            return
    try:
        with db.write() as session:
            report = inv.invite_all(
                session, viewer=viewer, line_up_id=record.id, reply_by=reply_by, settings=settings, config=config
            )
    except AccessDenied:
        _refused(db, viewer, "send invitations", record.id)
        return
    except inv.InvitationError as exc:
        notice("error", "No invitation was queued:", str(exc), icon=":material/error:")  # may quote a reference
        return
    _done(report.lines())


def replies_section(db: Database, record: lineups_da.LineUpRecord) -> list[inv.InvitationRecord]:
    """The invitations and their replies, with the count in each state; the invitations."""
    with db.read() as session:
        rows = inv.list_invitations(session, line_up_id=record.id)
    if not rows:
        st.caption("No one has been invited from this line-up yet.")
        return rows
    counts = inv.state_counts(rows)
    cols = st.columns(len(counts))
    for col, (state, n) in zip(cols, counts.items(), strict=True):
        col.metric(inv.STATE_WORDS[state], n)
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Reference": r.reference,
                    "Title": r.title,
                    "Format offered": FORMAT_LABELS.get(r.format_offered),
                    "Reply by": r.reply_by,
                    "Reply": r.state_words,
                    "Access needs": r.access_needs,
                    "Note": r.note,
                    "Recorded by": r.replied_by or "",
                    "Message": r.message_status or "none (no address)",
                }
                for r in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        key=table_key("prog.invitations", record.id, *(r.version for r in rows)),
    )
    return rows


def record_reply_section(db: Database, viewer: Viewer, rows: list[inv.InvitationRecord]) -> None:
    """Admin: record a reply received another way (or change one)."""
    if not rows:
        return
    by_id = {r.id: r for r in rows}
    with st.form("prog.reply", border=True):
        st.header("Record a reply received another way", anchor=False)
        chosen = st.selectbox(
            "Presenter", list(by_id), format_func=lambda i: f"{by_id[i].reference} ({by_id[i].state_words})"
        )
        choice = st.radio("Reply", list(inv.CHOICE_WORDS), format_func=inv.CHOICE_WORDS.get, horizontal=True)
        access_needs = st.text_area("Access needs", max_chars=inv.ACCESS_NEEDS_MAX, height=80)
        note = st.text_area("Note", max_chars=inv.NOTE_MAX, height=80)
        if not st.form_submit_button("Record reply", icon=":material/how_to_reg:"):
            return
    shown = by_id[chosen]
    # The version the page showed when the form was drawn (a reply that came in since is not overwritten).
    expected = st.session_state.get(SEEN_KEY, {}).get(shown.id, shown.version)
    saved = attempt(
        db,
        viewer,
        lambda session: inv.record_reply(
            session,
            viewer=viewer,
            invitation_id=shown.id,
            choice=choice,
            access_needs=access_needs,
            note=note,
            expected_version=expected,
        ),
        attempted="record a reply",
        entity_id=shown.line_up_id,
        lead="The reply was not recorded:",
        stale=(inv.StaleInvitation,),
        refusals=(inv.InvitationError,),
    )
    if saved is None:
        return
    _done(["Reply recorded.", f"{saved.reference}: {saved.state_words}."])


def render(db: Database, viewer: Viewer, settings: Settings, config: CallConfig) -> None:
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        notice("success", flash[0], "\n".join(flash[1:]), icon=":material/check_circle:")
    record = choose_line_up(db)
    if record is None:
        return
    signed = sign_off_section(db, viewer, record)
    if signed is not None and viewer.is_admin:
        invite_section(db, viewer, record, settings, config)
    st.header("Replies", anchor=False)
    rows = replies_section(db, record)
    if viewer.is_admin:
        record_reply_section(db, viewer, rows)
    programme_replacement.section(db, viewer, record, rows, settings, config)
    st.session_state[SEEN_KEY] = {r.id: r.version for r in rows}
    programme_sessions.render(db, viewer, config, record)
