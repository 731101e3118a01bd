"""Assignments (admin): assign submissions to reviewers automatically or by
hand, see progress per reviewer and declared conflicts, close reviewing.

The automatic run (`scoring.assignment`) gives every submission k reviewers
with balanced loads, never a conflicted, same-organisation or same-domain
reviewer, and keeps every existing assignment and review.
"""

import streamlit as st

from data_access.assignments import plan_assignments, run_auto_assignment
from data_access.call_state import reviewing_closed
from data_access.expertise import fit_input, reviewer_fit
from ui import assignment_data as data
from ui import assignment_views as views
from ui import context
from ui.guard import require_page

viewer = require_page("assignments")
config = context.call_config()
db = context.database()
k = config.reviewers_per_submission

st.title("Assignments", anchor=False)
views.show_flash()
views.show_notice()
with db.read() as session:
    closed = reviewing_closed(session)
overview = data.overview(db, k)  # read again only when it changed (a draft saved changes none of it)
progress, conflicts, short, due = overview.progress, overview.conflicts, overview.short, overview.due

views.reviewing_switch(db, viewer, closed=closed, due=due)

active = progress[progress["active"]]
cols = st.columns(4)
cols[0].metric(f"Submissions short of {k} reviewers", short)
cols[1].metric("Assignments (without conflicts)", int((active["assigned"] - active["conflicts"]).sum()))
cols[2].metric("Reviews submitted", int(progress["submitted"].sum()))
cols[3].metric("Conflicts of interest", len(conflicts))

# The tabs keep which one is open (a switch reruns the page), so that Edit by hand's picker of every
# submission's reference (about 110 kB at 10,000 submissions) is sent only while that tab is open.
tab_progress, tab_auto, tab_conflicts, tab_edit = st.tabs(
    ["Progress per reviewer", "Assign automatically", "Conflicts of interest", "Edit by hand"],
    key="assignments.tab",
    on_change="rerun",
)
with tab_progress:
    views.progress_table(progress)
    views.fit_table(
        data.fit(db, config),
        {r: n for r, n, a in zip(progress["reviewer_id"], progress["reviewer"], progress["active"], strict=True) if a},
    )
    with st.container(border=True):
        views.remind(db, viewer, config, context.settings().public_url, due)

with tab_auto:
    st.caption(
        f"Gives every submission {k} reviewers (review.reviewers_per_submission in the call's configuration), "
        "balancing loads within each reviewer's capacity, then following reviewers' bids and expertise "
        "(weights in [assignment] of the call's configuration) as far as those loads allow. Nobody gets a submission they declared a conflict "
        "with, or whose contributor shares their organisation or email domain; deactivated reviewers get "
        "nothing new. Existing assignments and reviews are kept, so run it again after each import."
    )
    names = dict(zip(progress["reviewer_id"], progress["reviewer"], strict=True))
    preview, apply, _ = st.columns([1, 1, 3])
    if preview.button("Preview", icon=":material/visibility:", key="assignments.preview"):
        with db.read() as session:
            plan = plan_assignments(session, k=k, fit=fit_input(session, config))
            views.keep_report(plan, applied=False, names=names, fit=reviewer_fit(session, viewer, config, plan))
    if apply.button("Assign now", type="primary", icon=":material/group_add:", key="assignments.run"):
        with db.write() as session:
            plan = run_auto_assignment(session, k=k, actor=viewer.username, fit=fit_input(session, config))
            fit_after = reviewer_fit(session, viewer, config)
        views.keep_report(plan, applied=True, names=names, fit=fit_after)
        views.flash("success", f"Added {len(plan.new)} assignments.")
        st.rerun()
    views.plan_report()
    with st.container(border=True):
        views.tell_reviewers(db, viewer, config, context.settings().public_url)

with tab_conflicts:
    views.conflicts_table(conflicts, k)

if tab_edit.open:
    with tab_edit:
        views.edit_by_hand(db, viewer)
