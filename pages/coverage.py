"""Coverage (office, admin): the evidence and gap map, and what came in by nation, source, form, stage and impact.

The codes and scores are read once per database and data version into a
shared cache that holds no title, summary or identity; the submissions of a
clicked cell are read afterwards, masked for the viewer like the Submissions
page. Charts and their tables carry counts and scores only.
"""

from functools import partial

import streamlit as st

from charts.coverage import category_figure, gap_map_figure, review_progress_figure, score_distribution_figure
from data_access import coverage as coverage_da
from scoring import coverage as cov
from ui import context
from ui.charts import chart, selected_points
from ui.coverage import coverage_data
from ui.decisions import coverage_filter
from ui.figures import shared_figure
from ui.guard import page_fragment, require_page
from ui.links import open_submission
from ui.render import table_key
from ui.tables import HEADERS, submission_table

viewer = require_page("coverage")
config = context.call_config()
db = context.database()
LEVEL = config.evidence_strength_level
show = partial(chart, viewer=viewer, page="coverage", via="Coverage page")  # every chart: figure, caption, table, CSV

data = coverage_data(db, config)
frame, progress, due, line_ups = data.frame, data.progress, data.reviews_due, data.line_ups

st.title("Coverage", anchor=False)
st.caption(
    "What the evidence covers, how strong it is, and where nothing came in. Pick what the columns show, "
    "narrow with the filters, and click a cell (or drag a box over several) to list its submissions."
)
if frame.empty:
    st.info("No submissions yet: the map fills in once submissions are imported.", icon=":material/hourglass_empty:")
    st.stop()

top = st.columns([2, 2, 1.4])
column = top[0].selectbox(
    "Columns show", list(cov.COLUMN_DIMENSIONS), format_func=cov.COLUMN_DIMENSIONS.get, key="coverage.column"
)
colour_by = top[1].radio(
    "Colour shows",
    list(cov.COLOUR_BY),
    format_func=lambda k: cov.COLOUR_BY[k][1],
    horizontal=True,
    key="coverage.colour",
)
reviewed_only = top[2].toggle("Reviewed submissions only", key="coverage.reviewed")
line_up = line_ups.get(
    top[2].selectbox(
        "Mark a saved line-up",
        [None, *line_ups],
        format_func=lambda i: "None" if i is None else f"{line_ups[i].name} (version {line_ups[i].version})",
        key="coverage.line_up",
        disabled=not line_ups,
        help=None if line_ups else "No line-up has been saved yet.",
    )
)
chosen = {}
for place, name in zip(st.columns(3), ("nation", "stage", "reported_impact"), strict=True):
    vocab = config.vocabulary(name)
    chosen[name] = tuple(
        place.multiselect(HEADERS[name], vocab.ids, format_func=vocab.label, placeholder="All", key=f"coverage.{name}")
    )

shown = cov.filter_coverage(frame, cov.CoverageFilter(reviewed_only=reviewed_only, **chosen))
shown = coverage_filter(db, viewer, shown, top[2])  # by the panel's decision (data_access.decisions)
matrix = cov.coverage_matrix(shown, config, column=column, level=LEVEL)
marked = cov.line_up_cells(shown, line_up.submission_ids, config, column=column) if line_up else None

st.header("Evidence and gap map", anchor=False)
st.markdown(cov.gap_summary(matrix))
with st.expander("How to read this map", icon=":material/help:"):
    st.markdown(cov.HOW_TO_READ.format(level=LEVEL))
if marked is not None:
    st.text(f"★ marks the cells of the saved line-up “{line_up.name}” (version {line_up.version}).")


@page_fragment("coverage")
def gap_map(matrix: cov.CoverageMatrix, marked, colour_by: str, column: str) -> None:
    """The map and the submissions of the cells clicked on it: a click reruns this part alone, with the role
    checked again (`ui.guard.page_fragment`); the filters above rerun the page."""
    event = show(
        shared_figure(gap_map_figure, matrix, colour_by=colour_by, line_up=marked),  # built once per content
        caption=(
            f"Rows are the themes and their focus areas, columns the {matrix.column_label.lower()}. A bubble's area is "
            f"the number of submissions in the cell, its colour the {cov.COLOUR_BY[colour_by][1].lower()} of those "
            f"reviewed (see the scale: dark is lower, yellow higher). The number after each label is its total of distinct "
            f"submissions. {cov.totals_note(matrix)}"
        ),
        table=lambda: cov.cell_table(matrix),
        what="coverage",
        key=f"coverage.map.{column}",
        selectable=True,
    )

    cells = [tuple(p["customdata"][:2]) for p in selected_points(event) if len(p.get("customdata") or []) >= 2]
    cells = [c for c in dict.fromkeys(cells) if matrix.cell(*c) is not None]
    st.header("Submissions in the selected cells", anchor=False)
    if not cells:
        st.caption("Click a cell on the map, or drag a box over several, to list their submissions here.")
    else:
        st.text("\n".join(cov.describe_cell(matrix, *c) for c in cells))
        ids = matrix.submission_ids(cells)
        if ids:
            with db.read() as session:
                subs = coverage_da.cell_submissions(session, submission_ids=ids, viewer=viewer, config=config)
            listing = submission_table(
                subs, config, ["reference", "title", "organisation", "anonymous", "nation", "stage", "reported_impact"]
            )
            listing = listing.join(cov.scores_of(frame, subs["id"]).set_axis(listing.index))
            listing = listing.sort_values("Calibrated score", ascending=False, na_position="last")
            picked = st.dataframe(
                listing,
                hide_index=True,
                width="stretch",
                on_select="rerun",
                selection_mode="single-row",
                key=table_key("coverage.cell_list", cells, list(listing["Reference"])),
                column_config={
                    "Calibrated score": st.column_config.NumberColumn(format="%.2f"),
                    "Evidence strength": st.column_config.NumberColumn(
                        format="%.2f", help="Mean of the reviewers' evidence-strength scores (1 to 5)."
                    ),
                },
            )
            if picked.selection.rows:
                open_submission(listing.iloc[picked.selection.rows[0]]["Reference"])
            else:
                st.caption("Select a row to open its submission.")


gap_map(matrix, marked, colour_by, column)

st.header("Where the gaps are", anchor=False)
gap_rows = cov.gap_list(matrix)
if gap_rows.empty:
    st.caption("No absolute or evidence gaps with these filters.")
else:
    st.dataframe(gap_rows, hide_index=True, width="stretch")
    st.caption(
        "Absolute gaps first (nothing came in), then evidence gaps (submissions came in, but none of those judged "
        f"reaches evidence strength {LEVEL:g}). Cells whose submissions are all still awaiting review are not listed."
    )

st.header("What came in", anchor=False)
st.caption("With the filters above. A submission with several forms of evidence counts under each.")
fields = ("nation", "evidence_source", "evidence_forms", "stage", "reported_impact")
tabs = st.tabs([cov.COLUMN_DIMENSIONS[n] for n in fields], key="coverage.by", on_change="rerun")
for tab, name in zip(tabs, fields, strict=True):
    if not tab.open:  # only the open tab's chart is built
        continue
    label = cov.COLUMN_DIMENSIONS[name]
    counts = cov.count_by(shown, name, config)
    with tab:
        show(
            shared_figure(category_figure, counts, title=f"Submissions by {label.lower()}", category=label),
            caption=f"How many submissions came in for each {label.lower()}, dark for those already reviewed.",
            table=cov.category_table(counts, label),
            what=f"submissions-by-{name.replace('_', '-')}",
            key=f"coverage.by.{name}",
        )

st.header("Reviews and scores", anchor=False)
left, right = st.columns(2)
with left:
    show(
        shared_figure(review_progress_figure, progress, due=due, deadline=config.review_deadline),
        caption="How many reviews had been submitted by each day (all submissions, whatever the filters), against "
        "the reviews due and the review deadline.",
        table=cov.progress_table(progress),
        what="review-progress",
        key="coverage.progress",
    )
with right:
    bins = cov.score_bins(shown)
    show(
        shared_figure(score_distribution_figure, bins, level=LEVEL),
        caption="How the reviewed submissions shown are spread over the scale: calibrated score and mean "
        f"evidence strength; right of the dotted line they reach evidence strength {LEVEL:g}.",
        table=cov.bins_table(bins),
        what="score-distribution",
        key="coverage.scores",
    )
