"""Overview: the call, its deadlines, counts, progress and what to do next."""

import datetime as dt

import streamlit as st

from access.roles import Role
from data_access.overview import build_overview
from formats import times
from ui import context
from ui.guard import require_page
from ui.navigation import PAGES_BY_KEY, allowed

viewer = require_page("overview")
config = context.call_config()
db = context.database()
today = dt.datetime.now(times.UK).date()  # the call's dates are UK dates
with db.read() as session:
    ov = build_overview(session, viewer=viewer, config=config, today=today)

st.title("Overview", anchor=False)
st.text(config.title)
st.caption(f"{config.organisers} · {config.conference}")

deadline = f"{config.review_deadline.day} {config.review_deadline:%B %Y}"
if ov.deadline_passed_open:
    st.warning(
        f"The review deadline ({deadline}) has passed and reviewing is still open: "
        + (
            "reviews can still be saved and submitted until reviewing is closed on the Assignments page."
            if viewer.role == Role.ADMIN
            else "reviews can still be saved and submitted until the coordinator closes reviewing."
        ),
        icon=":material/schedule:",
    )
cols = st.columns(4)
cols[0].metric("Submissions", ov.submissions)
cols[1].metric("Reviews submitted", f"{ov.reviews_submitted} of {ov.assignments_due}")
cols[2].metric(
    "Fully reviewed",
    f"{ov.fully_reviewed} of {ov.submissions}",
    help=f"Submissions with at least {config.reviewers_per_submission} submitted reviews.",
)
cols[3].metric("Active reviewers", ov.reviewers)

st.progress(
    min(ov.percent_done / 100, 1.0), text=f"Review progress: {ov.percent_done:.0f}% of assigned reviews submitted"
)

closed_text = "closed" if today > config.submissions_close else "closes"
deadline_text = "was" if today > config.review_deadline else "is"
st.caption(
    f"The call {closed_text} on {config.submissions_close.day} {config.submissions_close:%B %Y}. "
    f"The review deadline {deadline_text} {config.review_deadline.day} {config.review_deadline:%B %Y}."
    + (" Reviewing is closed." if ov.reviewing_closed else "")
)

if viewer.role == Role.REVIEWER:
    mine = st.columns(3)
    mine[0].metric("Assigned to you", ov.own_due)
    mine[1].metric("Your drafts", ov.own_draft)
    mine[2].metric("You have submitted", ov.own_submitted)

st.header("What to do next", anchor=False)
for step in ov.next_steps:
    if step.page and step.page in PAGES_BY_KEY and allowed(viewer.role, step.page):
        spec = PAGES_BY_KEY[step.page]
        st.page_link(spec.path, label=step.text, icon=spec.icon)
    else:
        st.write(step.text)

if ov.by_theme:
    st.header("Submissions by theme", anchor=False)
    themes = config.vocabulary("themes")
    st.dataframe(
        [{"Theme": themes.label(code), "Submissions": ov.by_theme.get(code, 0)} for code in themes.ids],
        hide_index=True,
    )
    st.caption("A submission with both themes counts under each.")
