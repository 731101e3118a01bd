"""Parts of the Assignments page (admin): progress per reviewer, the report
of an automatic run, declared conflicts, and editing one submission's
reviewers by hand. Names, reasons and references are shown as text or in
table cells, never as Markdown."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from access.roles import Role
from access.visibility import Viewer
from config import limits
from config.call_config import CallConfig
from data_access import assignments as assignments_da
from data_access import notify
from data_access.call_state import set_reviewing_closed
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.users import require_role
from scoring.assignment import AssignmentPlan
from scoring.fit import FitCounts
from scoring.review_queue import STATUS_LABELS
from ui import assignment_data, render

FLASH = "assignments.flash"
REPORT = "assignments.report"
NOTICE = "assignments.notice"


def flash(kind: str, text: str, detail: str = "") -> None:
    render.flash(FLASH, kind, text, detail)


def show_flash() -> None:
    render.show_flash(FLASH)


def progress_table(progress: pd.DataFrame) -> None:
    shown = progress.rename(
        columns={
            "reviewer": "Reviewer",
            "username": "Username",
            "active": "Active",
            "capacity": "Capacity",
            "assigned": "Assigned",
            "conflicts": "Conflicts",
            "drafts": "Drafts",
            "submitted": "Submitted",
            "not_started": "Not started",
            "percent_done": "Done",
        }
    ).drop(columns=["reviewer_id"])
    shown["Capacity"] = shown["Capacity"].map(lambda c: "no limit" if pd.isna(c) else str(int(c)))
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Done": st.column_config.ProgressColumn("Done", format="%d%%", min_value=0, max_value=100),
            "Capacity": st.column_config.TextColumn("Capacity", help="Most assignments this reviewer takes"),
        },
    )


def keep_report(
    plan: AssignmentPlan, *, applied: bool, names: dict[int, str], fit: dict[int, FitCounts] | None = None
) -> None:
    """Remember a run's report (plain data) to show after the rerun; `fit`:
    each reviewer's fit with the plan's assignments (`fit_rows`)."""
    st.session_state[REPORT] = {
        "fit": fit_rows(fit or {}, names, plan.active_reviewers),
        "applied": applied,
        "k": plan.k,
        "added": len(plan.new),
        "spread": plan.spread,
        "shortfalls": [
            {"Reference": s.reference, "Reviewers": s.reviewers, "Needed": s.needed, "Why": s.reason}
            for s in plan.shortfalls
        ],
        "loads": [
            {
                "Reviewer": names.get(r, str(r)),
                "Before": plan.loads_before[r],
                "After": plan.loads_after[r],
                "Added": plan.loads_after[r] - plan.loads_before[r],
            }
            for r in sorted(plan.loads_after, key=lambda r: names.get(r, ""))
        ],
        "notes": list(plan.notes),
    }


def plan_report() -> None:
    report = st.session_state.get(REPORT)
    if not report:
        return
    verb = "Added" if report["applied"] else "Would add"
    with st.container(border=True):
        st.markdown("**Result of the run**" if report["applied"] else "**Preview** (nothing written yet)")
        cols = st.columns(3)
        cols[0].metric(f"{verb} assignments", report["added"])
        cols[1].metric(f"Submissions short of {report['k']} reviewers", len(report["shortfalls"]))
        cols[2].metric("Most minus least loaded", report["spread"])
        for note in report["notes"]:
            st.text(note)
        if report["shortfalls"]:
            st.caption("These submissions cannot get enough reviewers, and why:")
            st.dataframe(pd.DataFrame(report["shortfalls"]), hide_index=True, width="stretch")
        st.caption("Assignments per active reviewer (conflicts not counted):")
        st.dataframe(pd.DataFrame(report["loads"]), hide_index=True, width="stretch")
        if report.get("fit"):
            st.caption("Fit after the run: each reviewer's assignments by their bid, and matching their expertise:")
            st.dataframe(pd.DataFrame(report["fit"]), hide_index=True, width="stretch")


# --- expertise and bids (issue 18: counts per reviewer, never which submissions) ---------


def fit_rows(fit: dict[int, FitCounts], names: dict[int, str], reviewers) -> list[dict]:
    """One row per reviewer: their assignments by bid level and expertise match."""
    empty = FitCounts()
    return [
        {
            "Reviewer": names.get(r, str(r)),
            "Assignments": (c := fit.get(r, empty)).total,
            "Eager": c.eager,
            "Willing": c.willing,
            "No bid": c.no_bid,
            "Rather not": c.rather_not,
            "Match their expertise": c.expertise,
        }
        for r in sorted(reviewers, key=lambda r: names.get(r, ""))
    ]


def fit_table(fit: dict[int, FitCounts], names: dict[int, str]) -> None:
    st.caption(
        "How the current assignments fit each reviewer: by the bid they made (eager, willing, rather not, or "
        "none) and how many share a theme or focus area with their stated expertise. Counts only: which "
        "submissions a reviewer bid on is theirs alone."
    )
    st.dataframe(pd.DataFrame(fit_rows(fit, names, list(names))), hide_index=True, width="stretch")


def conflicts_table(conflicts: pd.DataFrame, k: int) -> None:
    if conflicts.empty:
        st.caption("No conflict of interest has been declared or recorded.")
        return
    needs = conflicts["reviewers_now"] < k
    st.caption(
        f"{int(needs.sum())} of these submissions now have fewer than {k} reviewers: run the automatic "
        "assignment to replace the conflicted reviewers, or add someone in 'Edit by hand'."
    )
    shown = pd.DataFrame(
        {
            "Reference": conflicts["reference"],
            "Reviewer": conflicts["reviewer"],
            "Declared by": conflicts["source"].map({"reviewer": "the reviewer", "admin": "the coordinator"}),
            "Reason": conflicts["reason"],
            "When": conflicts["declared_at"].map(render.format_when),
            "Was assigned": conflicts["was_assigned"],
            "Reviewers now": conflicts["reviewers_now"],
            "Needs a reviewer": needs,
        }
    )
    st.dataframe(shown, hide_index=True, width="stretch")


def _act(db: Database, success: str, fn, **kwargs) -> None:
    """One change by hand in its own unit of work; a refusal is shown, nothing changes. What was
    done, and a refusal's reason, name people and references: shown as text (`render.notice`)."""
    try:
        with db.write() as session:
            fn(session, **kwargs)
    except assignments_da.AssignmentError as exc:
        render.notice("error", "Nothing was changed:", str(exc))
        return
    flash("success", "Done:", success)
    st.rerun()


def edit_by_hand(db: Database, viewer: Viewer) -> None:
    references = assignment_data.references(db)
    reference = st.selectbox(
        "Submission", list(references), index=None, placeholder="Type a reference", key="assignments.edit.ref"
    )
    if reference is None:
        return
    submission_id = references[reference]
    with db.read() as session:
        panel = assignments_da.submission_panel(session, submission_id=submission_id)
    st.dataframe(_panel_table(panel), hide_index=True, width="stretch")
    ids = {m.reviewer_id: m for m in panel}
    add_col, remove_col, conflict_col = st.columns(3)
    common = {"submission_id": submission_id, "actor": viewer.username}
    with add_col.container(border=True):
        _pick_and_act(
            db,
            ids,
            common,
            label="Add a reviewer",
            choices=[m.reviewer_id for m in panel if not m.assigned and m.excluded is None],
            key="asg.add",
            button="Assign",
            success=lambda name: f"Assigned {reference} to {name}.",
            fn=assignments_da.add_assignment,
        )
    with remove_col.container(border=True):
        _pick_and_act(
            db,
            ids,
            common,
            label="Remove a reviewer",
            choices=[m.reviewer_id for m in panel if m.assigned and m.review_status != "submitted"],
            key="asg.rm",
            button="Remove",
            success=lambda name: f"Removed {name} from {reference}.",
            fn=assignments_da.remove_assignment,
        )
    with conflict_col.container(border=True):
        _record_conflict(db, panel, ids, reference, common)
        _withdraw_conflict(db, panel, ids, reference, common)


def _panel_table(panel: list[assignments_da.PanelMember]) -> pd.DataFrame:
    """Who reviews the submission, who could, and why the others cannot."""
    return pd.DataFrame(
        [
            {
                "Reviewer": m.name,
                "Assigned": m.assigned,
                "Review": STATUS_LABELS.get(m.review_status, m.review_status) if m.review_status else "",
                "Conflict": {"reviewer": "declared", "admin": "recorded by the coordinator"}.get(m.conflict, ""),
                "Conflict reason": m.conflict_reason,
                "Load": m.load,
                "Capacity": "no limit" if m.capacity is None else str(m.capacity),
                "Cannot be added because": "" if m.assigned else (m.excluded or ""),
            }
            for m in panel
        ]
    )


def _pick_and_act(db: Database, ids: dict, common: dict, *, label, choices, key, button, success, fn) -> None:
    """A reviewer picked from `choices` and a button that applies `fn` to them."""
    who = st.selectbox(label, choices, index=None, format_func=lambda r: ids[r].name, key=key)
    if st.button(button, disabled=who is None, key=f"{key}.go"):
        _act(db, success(ids[who].name), fn, reviewer_id=who, **common)


def _record_conflict(
    db: Database, panel: list[assignments_da.PanelMember], ids: dict, reference: str, common: dict
) -> None:
    free = [m.reviewer_id for m in panel if m.conflict is None]
    who = st.selectbox("Record a conflict", free, index=None, format_func=lambda r: ids[r].name, key="asg.coi")
    submitted = who is not None and ids[who].review_status == "submitted"
    if submitted:
        render.notice(
            "warning",
            "This reviewer has submitted a review of this submission. Recording the conflict sets that "
            "review aside: it goes back to a draft, its scores stop counting, and the audit log says why.",
            f"{ids[who].name}, {reference}",
            icon=":material/warning:",
        )
    reason = st.text_input("Reason", max_chars=limits.CONFLICT_REASON, key="asg.coi.reason")
    if st.button("Record conflict", disabled=who is None, key="asg.coi.go"):
        _act(
            db,
            f"Recorded a conflict of interest for {ids[who].name} on {reference}"
            + ("; their submitted review is set aside." if submitted else "."),
            assignments_da.declare_conflict,
            reviewer_id=who,
            source="admin",
            reason=reason,
            **common,
        )


def _withdraw_conflict(
    db: Database, panel: list[assignments_da.PanelMember], ids: dict, reference: str, common: dict
) -> None:
    mine = [m.reviewer_id for m in panel if m.conflict == "admin"]
    if mine:
        who = st.selectbox("Withdraw a conflict you recorded", mine, format_func=lambda r: ids[r].name, key="asg.wd")
        if st.button("Withdraw", key="asg.wd.go"):
            _act(
                db,
                f"Withdrew the conflict of {ids[who].name} on {reference}.",
                assignments_da.withdraw_conflict,
                reviewer_id=who,
                **common,
            )


# --- messages to reviewers (docs/messages.md, "Digests, reminders and acknowledgements") ---------------


def _queue_for_reviewers(db: Database, viewer: Viewer, queue, **kwargs) -> None:
    """Queue a digest or reminders in one unit of work (an active admin, checked in it); the
    report is kept as text for the next run, a refusal shown in words with nothing queued."""
    try:
        with db.write() as session:
            require_role(session, viewer, Role.ADMIN, to="send messages to reviewers")
            report = queue(session, actor=viewer.username, **kwargs)
    except (notify.NotifyError, AccessDenied) as exc:
        st.error("Nothing was queued:", icon=":material/block:")
        st.text(str(exc))
        return
    st.session_state[NOTICE] = report.lines()
    st.rerun()


def show_notice() -> None:
    """What the last digest or reminder run queued (names shown as text)."""
    lines = st.session_state.pop(NOTICE, None)
    if lines:
        st.success("Queued in the outbox; they are sent from the Messages page or by send-queued.")
        st.text("\n".join(lines))


def tell_reviewers(db: Database, viewer: Viewer, config: CallConfig, base_url: str) -> None:
    st.caption(
        "After an automatic run or assignments by hand: one message per reviewer listing the submissions "
        "assigned to them since their last such message (reference and title only). Clicking again queues "
        "nothing new; a later batch of assignments gets its own message."
    )
    if st.button("Tell reviewers about new assignments", icon=":material/mail:", key="assignments.digest"):
        _queue_for_reviewers(db, viewer, notify.queue_digests, config=config, base_url=base_url)


def remind(db: Database, viewer: Viewer, config: CallConfig, base_url: str, due: list[tuple[int, str, int]]) -> None:
    """The Remind action: some or all reviewers with unfinished reviews."""
    if not due:
        st.caption("Every active reviewer has finished their reviews: nobody to remind.")
        return
    names = {reviewer_id: f"{name} ({unfinished} unfinished)" for reviewer_id, name, unfinished in due}
    chosen = st.multiselect(
        "Reviewers to remind (all with unfinished reviews unless you choose)",
        list(names),
        format_func=names.__getitem__,
        key="assignments.remind.who",
    )
    purpose = notify.reminder_purpose(config, dt.datetime.now(dt.UTC).date())
    kind = "a reminder" if purpose == notify.REMINDER else "an overdue notice (the deadline has passed)"
    st.caption(f"Each gets {kind}, at most once a day; reviewers without an email address are listed, not sent to.")
    label = f"Remind the {len(chosen)} chosen" if chosen else f"Remind all {len(due)}"
    if st.button(label, icon=":material/alarm:", key="assignments.remind"):
        ids = chosen or list(names)
        _queue_for_reviewers(db, viewer, notify.queue_reminders, config=config, base_url=base_url, reviewer_ids=ids)


CONFIRM_CLOSE = "assignments.confirm_close"


def unfinished_words(due: list[tuple[int, str, int]]) -> str:
    """Who is still unfinished, in words: "3 unfinished reviews by 2 reviewers: Ann (2), Bo (1)."."""
    if not due:
        return "Every assigned review is submitted."
    reviews = sum(n for _id, _name, n in due)
    people = ", ".join(f"{name} ({n})" for _id, name, n in due)
    return (
        f"{reviews} assigned review{'s' if reviews != 1 else ''} not yet submitted, "
        f"by {len(due)} reviewer{'s' if len(due) != 1 else ''}: {people}."
    )


def reviewing_switch(db: Database, viewer: Viewer, *, closed: bool, due: list[tuple[int, str, int]]) -> None:
    """Close reviewing only after a confirmation that says who is still unfinished; reopen at once.

    The first click asks; "Yes, close reviewing" closes it; "Cancel" changes nothing."""
    status, toggle = st.columns([4, 1])
    if closed:
        status.warning("Reviewing is closed: no review can be saved, submitted or reopened.", icon=":material/lock:")
        if toggle.button("Reopen reviewing", key="assignments.toggle_closed"):
            _set_closed(db, viewer, closed=False, success="Reviewing is open again.")
        return
    status.info("Reviewing is open: reviewers can save, submit and reopen their reviews.", icon=":material/lock_open:")
    if toggle.button("Close reviewing", key="assignments.toggle_closed"):
        st.session_state[CONFIRM_CLOSE] = True
    if not st.session_state.get(CONFIRM_CLOSE):
        return
    with st.container(border=True):
        st.warning("Close reviewing? Nothing has changed yet.", icon=":material/help:")
        st.text(  # people's names: plain text, never Markdown
            "Once closed, no review can be saved, submitted or reopened until you reopen reviewing. "
            + unfinished_words(due)
        )
        yes, no, _ = st.columns([1, 1, 3])
        if yes.button("Yes, close reviewing", key="assignments.close.confirm", type="primary"):
            st.session_state.pop(CONFIRM_CLOSE, None)
            _set_closed(db, viewer, closed=True, success="Reviewing is closed.")
        if no.button("Cancel", key="assignments.close.cancel"):
            st.session_state.pop(CONFIRM_CLOSE, None)
            st.rerun()


def _set_closed(db: Database, viewer: Viewer, *, closed: bool, success: str) -> None:
    with db.write() as session:
        set_reviewing_closed(session, closed=closed, actor=viewer.username)
    flash("success", success)
    st.rerun()
