"""Streamlit glue for the Programme page's "Replacements" section (docs/selection.md, "Replacements").

When presenters decline, the admin asks for a replacement ("Propose a
replacement"): who comes in (reference, title, format), the change to the
total score, what each rule costs ("Given up for this rule") and, when not
every rule can be kept, the rules relaxed, in words. "Confirm replacement and
invite" (with a date to reply by) saves the new version, signs it off and
invites the newcomers, all checked again on the server
(`data_access.replacement`); a proposal that is out of date is refused with
nothing changed. The office sees the proposal, read-only, without buttons.
Titles (contributor text) are shown in dataframe cells; the rules' words with st.text.

The office's proposal is solved when the page needs it, then kept in the
person's own session (`SOLVED_KEY`, never shared between people) under what it
depends on (`_solve_key`): the line-up and its version (its rules), each
invitation's version and state now (a reply, a deadline passing), the data
version (scores, submissions) and the account. A rerun with none of these
changed shows the kept one instead of solving again.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig, Settings
from data_access import audit, signoff
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access import replacement as rep
from data_access.db import Database
from data_access.errors import AccessDenied
from ui.programme_forms import attempt, reply_by_input
from ui.programme_forms import refused as _refused
from ui.render import notice

SHOWN_KEY = "prog.replacement"  # the Replacement the admin asked for (the proposal a confirmation expects)
SOLVED_KEY = "prog.replacement.solved"  # (`_solve_key`, Replacement or refusal): the office's last proposal
FLASH_KEY = "prog.replacement.flash"  # what the last confirmation did, shown after the rerun


def section(
    db: Database,
    viewer: Viewer,
    record: lineups_da.LineUpRecord,
    rows: list[inv.InvitationRecord],
    settings: Settings,
    config: CallConfig,
) -> None:
    """The Replacements section, after the replies: the proposal (admin: on request; office: read-only)."""
    st.header("Replacements", anchor=False)
    flash = st.session_state.pop(FLASH_KEY, None)
    if flash:
        notice("success", flash[0], "\n".join(flash[1:]), icon=":material/check_circle:")
    if not viewer.is_admin:
        if not any(r.state == "declined" for r in rows):
            st.caption("Nobody has declined: no replacement is needed.")
            return
        shown = _kept_proposal(db, viewer, record, rows, config)
        if shown is not None:
            show(shown)
        return
    st.caption(
        "When presenters decline, propose the best replacement: everyone who accepted stays in the format they "
        "accepted, everyone awaiting a reply stays in the format offered, and those who declined stay out."
    )
    if st.button("Propose a replacement", icon=":material/swap_horiz:", key=f"prog.replace.propose.{record.id}"):
        st.session_state[SHOWN_KEY] = _propose(db, viewer, record, config)
    shown = st.session_state.get(SHOWN_KEY)
    if shown is None or shown.line_up_id != record.id:
        return
    show(shown)
    if shown.can_confirm:
        confirm_form(db, viewer, shown, settings, config)


def _solve_key(
    db: Database, viewer: Viewer, record: lineups_da.LineUpRecord, rows: list[inv.InvitationRecord]
) -> tuple:
    """What a proposal depends on (see the module's notes)."""
    with db.read() as session:
        version = audit.data_version(session)
    invitations = tuple((r.id, r.version, r.state) for r in rows)
    return (viewer.username, viewer.role, record.id, record.version, invitations, version)


def _kept_proposal(
    db: Database,
    viewer: Viewer,
    record: lineups_da.LineUpRecord,
    rows: list[inv.InvitationRecord],
    config: CallConfig,
) -> rep.Replacement | None:
    """The proposal for the office: the one kept in this session if nothing it depends on changed,
    otherwise solved now (and kept). A refusal in words is kept too, and said again."""
    key = _solve_key(db, viewer, record, rows)
    kept = st.session_state.get(SOLVED_KEY)
    if kept is not None and kept[0] == key:
        shown, refusal = kept[1], kept[2]
        if refusal:
            notice("error", "No replacement was proposed:", refusal, icon=":material/error:")
        return shown
    refusals: list[str] = []
    shown = _propose(db, viewer, record, config, refusals=refusals)
    if shown is not None or refusals:
        st.session_state[SOLVED_KEY] = (key, shown, refusals[0] if refusals else "")
    return shown


def _propose(
    db: Database,
    viewer: Viewer,
    record: lineups_da.LineUpRecord,
    config: CallConfig,
    *,
    refusals: list[str] | None = None,
) -> rep.Replacement | None:
    try:
        with db.read() as session:
            return rep.propose_replacement(session, viewer=viewer, line_up_id=record.id, config=config)
    except AccessDenied:
        _refused(db, viewer, "propose a replacement", record.id)
    except rep.ReplacementError as exc:
        notice("error", "No replacement was proposed:", str(exc), icon=":material/error:")
        if refusals is not None:
            refusals.append(str(exc))
    return None


def show(shown: rep.Replacement) -> None:
    """The proposal: who declined, who comes in, the score change, each rule's cost, the rules relaxed."""
    proposal = shown.proposal
    if proposal is None:
        notice("info", "No replacement is proposed:", shown.message, icon=":material/info:")
        return
    st.text(f"Declined (version {shown.version} of {shown.name}): {', '.join(shown.declined)}")
    if not proposal.feasible:
        st.error("No replacement can be proposed. Why:", icon=":material/block:")
        st.text("\n".join(f"• {b.message}" for b in proposal.blockers))
        return
    if not shown.entering:
        st.info("Nobody can be proposed to come in.", icon=":material/info:")
    else:
        st.dataframe(
            pd.DataFrame(
                [{"Reference": e.reference, "Title": e.title, "Format": e.format_words} for e in shown.entering]
            ),
            hide_index=True,
            width="stretch",
        )
    st.metric("Score change", f"{proposal.score_change:+.2f}", help="The proposal's total minus the line-up's before")
    st.dataframe(
        shown.rule_costs(),
        hide_index=True,
        width="stretch",
        column_config={"Given up for this rule": st.column_config.NumberColumn(format="%.2f")},
    )
    st.caption("Given up for this rule: how much higher the total would be without it, the others kept.")
    if proposal.relaxed:
        st.warning("Not every rule can be kept; the proposal relaxes:", icon=":material/warning:")
        st.text("\n".join(f"• {b.message}" for b in proposal.relaxed))


def confirm_form(db: Database, viewer: Viewer, shown: rep.Replacement, settings: Settings, config: CallConfig) -> None:
    """Admin: confirm the proposal shown, and invite the newcomers with a date to reply by."""
    with st.form(f"prog.replace.confirm.{shown.line_up_id}", border=True):
        st.caption(
            "Confirming saves a new version of the line-up without those who declined, signs it off in your "
            "name, and queues an invitation to each newcomer."
        )
        reply_by = reply_by_input("Reply by (the newcomers' invitations)", key="prog.replace.reply_by")
        if not st.form_submit_button("Confirm replacement and invite", type="primary", icon=":material/send:"):
            return
    done = attempt(
        db,
        viewer,
        lambda session: rep.confirm_replacement(
            session,
            viewer=viewer,
            line_up_id=shown.line_up_id,
            expected_version=shown.version,
            expected_invitations=shown.expected_invitations,
            entering=[e.submission_id for e in shown.entering],
            reply_by=reply_by,
            settings=settings,
            config=config,
        ),
        attempted="confirm a replacement",
        entity_id=shown.line_up_id,
        lead="The replacement was not confirmed:",
        stale=(rep.StaleReplacement,),
        refusals=(rep.ReplacementError, signoff.SignOffError, inv.InvitationError),
    )
    if done is None:
        return
    st.session_state.pop(SHOWN_KEY, None)
    invited = ", ".join(done.invited) or "nobody"
    st.session_state[FLASH_KEY] = [  # the first line in a success box (our words), the rest as text
        f"Replacement confirmed: version {done.version} is signed off.",
        f"Invited: {invited}.",
        *done.report.lines()[1:],
    ]
    st.rerun()
