"""Streamlit glue for the panel's decisions (`data_access.decisions`; docs/selection.md "Decisions").

`with_decision_column` adds a "Decision" column to the Rankings table;
`record_expander` is the admin's "Record the panel's decision" on Rankings
(a reference typed exactly, like the Selection page's pins); `decision_panel`
shows one submission's current decision, its reason and history (admin and
office) and, for the admin, the form to record a new one: it takes a
submission id, so any page can show it beside that submission.
`coverage_filter` narrows the Coverage page's frame to chosen decisions.

Reasons are typed text: shown with st.text or in dataframe cells, never
Markdown. Every write is checked again on the server at the moment of the
press; a refusal is said in words and written to the audit log. The version
of the decision the admin was shown is bound to the form's button when the
form is drawn (the button's callback arguments), so a decision recorded in
between, in another tab or by another admin, is reported, never overwritten.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.roles import STAFF
from access.visibility import Viewer
from data_access import audit
from data_access import decisions as decisions_da
from data_access.db import Database
from data_access.errors import AccessDenied
from ui.render import format_when

PREFIX = "decisions."
FLASH = PREFIX + "flash"  # (submission id, "success" or "error", message) of the last press
COLUMN = "Decision"


def current(db: Database, viewer: Viewer) -> dict[int, decisions_da.DecisionRecord]:
    """Every current decision by submission id, or {} for someone who may not read them."""
    if viewer.role not in STAFF:
        return {}
    with db.read() as session:
        return decisions_da.current_decisions(session, viewer=viewer)


def closed_flags(decided: dict[int, decisions_da.DecisionRecord]) -> frozenset[int]:
    """The submissions whose disagreement flag the panel closed (shortlisted or not shortlisted)."""
    return frozenset(sid for sid, record in decided.items() if record.decision in decisions_da.CLOSES_FLAG)


def with_decision_column(table: pd.DataFrame, decided: dict[int, decisions_da.DecisionRecord]) -> pd.DataFrame:
    """`table` (indexed by submission id) with a "Decision" column: the current decision in words."""
    out = table.copy()
    out[COLUMN] = [decided[i].label if i in decided else decisions_da.NO_DECISION for i in out.index]
    return out


def _refused(db: Database, viewer: Viewer, submission_id: int, detail: str) -> str:
    with db.write() as session:
        audit.record_denied(
            session,
            actor=viewer.username,
            attempted="record the panel's decision",
            entity="submission",
            entity_id=submission_id,
            detail=detail,
        )
    return "Only an active admin records the panel's decisions: nothing was recorded."


def _record(db: Database, viewer: Viewer, submission_id: int, shown_version: int, key: str) -> None:
    """The form's callback: record the decision against the version shown when the form was drawn."""
    state = st.session_state
    try:
        with db.write() as session:
            record = decisions_da.record_decision(
                session,
                viewer=viewer,
                submission_id=submission_id,
                decision=state.get(key + ".decision"),
                reason=state.get(key + ".reason", ""),
                expected_version=shown_version,
            )
    except AccessDenied as exc:
        state[FLASH] = (submission_id, "error", _refused(db, viewer, submission_id, str(exc)))
    except decisions_da.DecisionError as exc:
        state[FLASH] = (submission_id, "error", str(exc))
    else:
        state[FLASH] = (submission_id, "success", f"Recorded: {record.reference} {record.label.lower()}.")
        state[key + ".reason"] = ""


def _flash(submission_id: int) -> None:
    flash = st.session_state.get(FLASH)
    if flash and flash[0] == submission_id:
        del st.session_state[FLASH]  # said once, on the run after the press
        _sid, kind, message = flash
        if kind == "success":
            st.success(message, icon=":material/gavel:")
        else:
            st.error(message, icon=":material/block:")


def history_table(history: list[decisions_da.DecisionRecord]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "#": r.version,
                "Decision": r.label,
                "Reason": r.reason,
                "By": r.decided_by,
                "When": format_when(r.decided_at),
            }
            for r in history
        ],
        columns=["#", "Decision", "Reason", "By", "When"],
    )


def decision_panel(db: Database, viewer: Viewer, submission_id: int, *, key: str = "panel") -> None:
    """One submission's decision: current, reason and history (admin, office); the admin's form to record one.
    Shows nothing to anyone else (reviewers see no decisions)."""
    if viewer.role not in STAFF:
        return
    try:
        with db.read() as session:
            history = decisions_da.decision_history(session, viewer=viewer, submission_id=submission_id)
    except AccessDenied:
        st.error("Your account may no longer read the panel's decisions.", icon=":material/block:")
        return
    now = history[0] if history else None
    if now is None:
        st.text(f"Panel's decision: {decisions_da.NO_DECISION.lower()}.")
    else:
        st.text(
            f"Panel's decision: {now.label} (by {now.decided_by}, {format_when(now.decided_at)}).\nReason: {now.reason}"
        )
    if len(history) > 1:
        st.caption("Earlier decisions on this submission, newest first:")
        st.dataframe(history_table(history[1:]), hide_index=True, width="stretch")
    _flash(submission_id)
    if not viewer.is_admin:
        return
    form_key = f"{PREFIX}{key}.{submission_id}"
    with st.form(form_key, border=True):
        st.radio(
            "The panel's decision",
            list(decisions_da.LABELS),
            format_func=decisions_da.LABELS.get,
            index=None,
            horizontal=True,
            key=form_key + ".decision",
        )
        st.text_area(
            "Reason (required)",
            max_chars=decisions_da.REASON_MAX,
            key=form_key + ".reason",
            help="Why the panel decided so. Shortlisted or not shortlisted closes the disagreement flag; "
            "needs more reviews leaves it open.",
        )
        st.form_submit_button(
            "Record the decision",
            type="primary",
            icon=":material/gavel:",
            on_click=_record,
            args=(db, viewer, submission_id, now.version if now else 0, form_key),
        )


def record_expander(db: Database, viewer: Viewer) -> None:
    """The admin's "Record the panel's decision": a submission by its exact reference, then its panel."""
    if not viewer.is_admin:
        return
    with st.expander("Record the panel's decision", icon=":material/gavel:"):
        typed = st.text_input(
            "Submission reference (typed exactly, e.g. CFE-0001; or select its row in the table above)",
            max_chars=64,
            key=PREFIX + "reference",
        )
        if not typed.strip():
            return
        try:
            with db.read() as session:
                submission_id = decisions_da.submission_for_reference(session, viewer=viewer, reference=typed)
        except decisions_da.DecisionError as exc:
            st.error(str(exc), icon=":material/search_off:")
            return
        except AccessDenied:
            st.error("Your account may no longer read the panel's decisions.", icon=":material/block:")
            return
        decision_panel(db, viewer, submission_id, key="typed")


def coverage_filter(db: Database, viewer: Viewer, frame: pd.DataFrame, place) -> pd.DataFrame:
    """The Coverage page's filter by the panel's decision (none chosen: all); `frame` has an `id` column."""
    options = [*decisions_da.LABELS, "none"]
    words = {**decisions_da.LABELS, "none": decisions_da.NO_DECISION}
    chosen = place.multiselect(
        "Panel decision", options, format_func=words.get, placeholder="All", key="coverage.decision"
    )
    if not chosen:
        return frame
    decided = {sid: r.decision for sid, r in current(db, viewer).items()}
    kept = frame["id"].map(lambda sid: decided.get(int(sid), "none")).isin(chosen)
    return frame[kept]
