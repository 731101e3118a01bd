"""Rankings (admin, office): submissions by calibrated score, beside the plain mean.

The scores come from `scoring.calibrate` over the submitted reviews, computed
once per change of the reviews for every page (`ui.scores`); the submissions' list is read again only
after a change of the submissions (`ui.rankings.ranking_inputs`). The rank-shift chart (`ui.rankings.rank_shift`)
draws the top `ui.paging.CHART_TOP` unless every point is asked for, in a fragment that checks the role again at
each of its reruns (`ui.guard.page_fragment`). Titles and
comments are contributor or reviewer text and are shown in dataframe cells or
with st.text only. The reviewers' leniency and the reviews behind a row are for
the admin alone, checked here on the server. The panel's decisions (`ui.decisions`): a column,
the selected row's reason and history, and the admin's form to record one.
"""

import streamlit as st

from access.roles import Role
from charts.ranking import leniency_figure, leniency_table, score_distribution_figure, score_distribution_table
from data_access.reviews import reviews_of_submission
from scoring.agreement import INTERVAL_COLUMN, ORDINAL_COLUMN, agreement_display
from scoring.ranking import CANNOT_JUDGE, HOW_IT_WORKS, SORTS, ranking_table, reviews_behind_table, sort_caption
from ui import context, discussion, review_changes
from ui import decisions as decisions_ui
from ui.charts import chart
from ui.figures import Keyed, shared_figure
from ui.guard import require_page
from ui.links import open_submission
from ui.paging import find_box, page_of
from ui.rankings import rank_shift, ranking_inputs

viewer = require_page("rankings")
config = context.call_config()
db = context.database()
labels = {c.id: c.label for c in config.criteria}


ranking = ranking_inputs(db, config)  # each part read again only when what it is read from changed
inputs, agreement, cal = ranking.inputs, ranking.agreement, ranking.calibration

st.title("Rankings", anchor=False)
if cal.submissions.empty:
    st.info("No submitted reviews yet: rankings appear once reviewers submit.", icon=":material/hourglass_empty:")
    st.stop()

left, right = st.columns([2, 1])
sort = left.radio(
    "Sort by", list(SORTS), format_func=lambda k: sort_caption(k).capitalize(), horizontal=True, key="rankings.sort"
)
flagged_only = right.toggle("Only those flagged for discussion", key="rankings.flagged")
table = ranking_table(
    cal.submissions,
    inputs.submissions,
    criterion_labels=labels,
    impact_labels=config.vocabulary("reported_impact").labels(),
    sort=sort,
    flagged_only=flagged_only,
)
decided = decisions_ui.current(db, viewer)  # the panel's decisions
table = decisions_ui.with_decision_column(table, decided)
table = review_changes.with_column(table, review_changes.changed(db, viewer), viewer)  # changed since a review
closed = decisions_ui.closed_flags(decided)  # flags a decision of shortlisted or not shortlisted closed
n_flagged = int(cal.submissions["flagged"].sum())
st.caption(
    f"Sorted by the {sort_caption(sort)}. {len(cal.submissions)} reviewed submissions; {n_flagged} flagged for "
    f"discussion (on some criterion the standard deviation of the reviewers' scores is "
    f"{config.disagreement_threshold:g} or more: for two reviewers, scores "
    f"{2 * config.disagreement_threshold:g} or more points apart). "
    f"'{CANNOT_JUDGE}' means no reviewer could judge that criterion; it is left out of the averages, never "
    "counted as 0. Moved: places gained (+) or lost (−) by calibration compared with the plain mean."
)
with st.expander("How these scores are computed", icon=":material/info:"):
    st.markdown(HOW_IT_WORKS)

number = st.column_config.NumberColumn
found, search = find_box(table, key="rankings.search")
# Only one page of rows goes to the browser.
shown, key = page_of(found, "rankings.table", sort, flagged_only, *([search] if search else []))
event = st.dataframe(
    shown,
    hide_index=True,
    width="stretch",
    key=key,
    on_select="rerun",
    selection_mode="single-row",
    column_config={
        "Calibrated score": number(format="%.2f", help="Corrected for lenient and harsh reviewers (1 to 5)."),
        "Plain mean": number(format="%.2f", help="Weighted average of the reviewers' scores (1 to 5)."),
        "Moved": number(format="%+d"),
        "Disagreement": number(
            format="%.2f", help="Largest standard deviation of the reviewers' scores on one criterion (points)."
        ),
        "Discuss": st.column_config.CheckboxColumn(help="Flagged: the reviewers disagree."),
        "Decision": st.column_config.TextColumn(help="The panel's decision; select the row for its reason."),
    },
)
decisions_ui.record_expander(db, viewer)  # the admin's "Record the panel's decision"

rows = event.selection.rows if event is not None else []
if not rows:
    st.caption("Select a row to open its submission" + (" and read the reviews behind it." if viewer.is_admin else "."))
else:
    submission_id = int(shown.index[rows[0]])
    if viewer.is_admin:
        st.header("Reviews behind the selected row", anchor=False)
    st.text(f"{table.loc[submission_id, 'Reference']}: {table.loc[submission_id, 'Title']}")
    open_submission(table.loc[submission_id, "Reference"])
    decisions_ui.decision_panel(db, viewer, submission_id, key="row")  # reason and history; the admin's form
    if viewer.is_admin:
        with db.read() as session:
            records = reviews_of_submission(
                session, submission_id=submission_id, viewer_role=viewer.role, viewer_id=viewer.user_id
            )
        records = [r for r in records if r.status == "submitted"]
        st.dataframe(
            reviews_behind_table(
                records,
                criterion_labels=labels,
                recommendation_label=config.recommendations.label,
                confidence_label=config.confidence_levels.label,
            ),
            hide_index=True,
            width="stretch",
        )
        for r in records:
            if r.comment.strip():
                st.text(f"{r.reviewer_name}:\n{r.comment}")

if n_flagged:  # issue 18: what is left to discuss, and the open threads
    discussion.flagged_section(db, viewer, table, closed=closed, listed=not flagged_only)

st.header("Scores and agreement", anchor=False)
chart(
    shared_figure(score_distribution_figure, Keyed(inputs.scores, ranking.content), labels),  # once per content
    caption="How often each score was given on each criterion, including 'cannot judge'.",
    table=lambda: score_distribution_table(inputs.scores, labels),
    what="scores-given",
    key="rankings.distribution",
    viewer=viewer,
    page="rankings",
    via="Rankings page",
)
st.dataframe(
    agreement_display(agreement, labels),
    hide_index=True,
    column_config={ORDINAL_COLUMN: number(format="%.2f"), INTERVAL_COLUMN: number(format="%.2f")},
)
st.caption(
    "Inter-rater agreement per criterion on the raw scores: 1 is perfect, 0 no better than chance; from 0.8 "
    "agreement is good, from 0.667 moderate. Read the ordinal alpha (the reading is of it): it uses only the "
    "order of the scores, as the steps between 1 and 5 are not known to be equal. The interval alpha takes the "
    "steps as equal, as the calibrated score does. Leniency differences lower both; calibration corrects for them."
)


rank_shift(table, viewer)

if viewer.is_admin:
    st.header("Reviewers' leniency (admin only)", anchor=False)
    chart(
        shared_figure(leniency_figure, cal.reviewers, inputs.reviewer_names),
        caption=(
            "How many points above (lenient) or below (harsh) a typical panel member each reviewer scores the "
            "same submission, as estimated by the calibration; the calibrated score removes this."
        ),
        table=lambda: leniency_table(cal.reviewers, inputs.reviewer_names),
        what="reviewer-leniency",
        key="rankings.leniency",
        viewer=viewer,
        page="rankings",
        roles={Role.ADMIN},  # checked again at the click, like the page's own check above
        via="Rankings page (admin)",
    )
