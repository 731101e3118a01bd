"""Exports (admin, office): the presenter list of a saved line-up, the scores and the coverage table, as CSV;
and the Commissioner's briefing, as PDF or HTML (`ui.briefing`, docs/briefing.md).

Every file comes from `formats.csv_export.to_csv_bytes` (UTF-8 with BOM for
Excel, RFC 4180 quoting, formula cells neutralised) and carries no anonymous
contributor's identity. Each file is made when the person clicks, after their
role is checked again, and written to the audit log then, with the file's
name, row count and SHA-256 (`ui.exports`).
"""

import datetime as dt

import streamlit as st

from data_access import audit
from data_access import exports as exports_da
from data_access import lineups as lineups_da
from data_access.exports import ExportTable
from formats.csv_export import export_filename
from scoring import coverage as cov
from ui import context
from ui import scores as ui_scores
from ui.briefing import briefing_section
from ui.coverage import coverage_frame
from ui.exports import export_button
from ui.guard import require_page

viewer = require_page("exports")
config = context.call_config()
db = context.database()


def offer(table: ExportTable, label: str, key: str) -> None:
    """A file of a table this page shows."""
    offer_at_click(
        lambda _session: table, what=table.what, file_name=table.filename, rows=len(table.rows), label=label, key=key
    )


def offer_at_click(make, *, what: str, file_name: str, rows: int, label: str, key: str) -> None:
    """A file this page does not show, built by `make(session)` only when someone clicks (ui.exports)."""
    export_button(
        make,
        what=what,
        file_name=file_name,
        label=label,
        key=key,
        viewer=viewer,
        page="exports",
        via="Exports page",
        primary=True,
    )
    caption(rows, file_name)


def coverage_table(frame) -> ExportTable:
    table = cov.coverage_export(frame, config)
    return ExportTable(
        what="coverage",
        field_names=list(table.columns),
        rows=table.to_dict("records"),
        filename=export_filename(config.call_id, "coverage"),
    )


def caption(rows: int, file_name: str) -> None:
    st.caption(f"{rows} rows · {file_name} · UTF-8 CSV that Excel opens directly.")


st.title("Exports", anchor=False)
with db.read() as session:
    summaries = lineups_da.list_line_ups(session)
scores = ui_scores.current_scores(db, config)  # shared, fitted again only after a review changed (ui.scores)

st.header("Presenter list", anchor=False)
if not summaries:
    st.info("No line-up has been saved yet: the admin saves one on the Selection page.", icon=":material/info:")
else:
    by_id = {s.id: s for s in summaries}
    chosen = st.selectbox(
        "Saved line-up",
        list(by_id),
        format_func=lambda i: f"{by_id[i].name} (version {by_id[i].version})",
        key="exports.line_up",
    )
    with db.read() as session:
        presenters = exports_da.presenter_list(session, config=config, line_up_id=chosen, scores=scores)
    if presenters.notes:
        st.warning("Changed since this line-up was saved:", icon=":material/warning:")
        st.text("\n".join(presenters.notes))
    st.dataframe(presenters.rows, hide_index=True, width="stretch", column_order=presenters.field_names)
    st.caption(
        "Scores are today's calibrated and per-criterion means; anonymous contributors' identities are left out."
    )
    offer(presenters, "Download the presenter list", "exports.presenters")

st.header("Scores", anchor=False)
with db.read() as session:
    scored = exports_da.scores_table_size(session, scores=scores)
if not scored:
    st.info("No submission has a submitted review yet.", icon=":material/hourglass_empty:")
else:
    st.caption(
        "Every reviewed submission, highest calibrated score first, with its per-criterion means, the plain mean, "
        "the reviewers' disagreement, whether it is flagged for discussion, and the panel's decision with its "
        "reason. Organisations of anonymous "
        "submissions are left out; contact details are only in the presenter list."
    )
    today = dt.date.today()
    offer_at_click(
        lambda session: exports_da.scores_table(session, config=config, scores=scores, today=today),
        what="scores",
        file_name=export_filename(config.call_id, "scores", today),
        rows=scored,
        label="Download the scores",
        key="exports.scores",
    )

st.header("Coverage table", anchor=False)
coverage = coverage_frame(db, config)  # shared with the Coverage page, read again only after a change of it
if coverage.empty:
    st.info("No submissions yet.", icon=":material/hourglass_empty:")
else:
    st.caption(
        "Every cell of the evidence and gap map (Coverage page) for each choice of columns: submissions, reviewed, "
        "mean calibrated score and evidence strength, and the kind of gap. Counts and means only, no identities."
    )
    offer_at_click(
        lambda _session: coverage_table(coverage),  # built at the click, from the frame of this run
        what="coverage",
        file_name=export_filename(config.call_id, "coverage"),
        rows=cov.coverage_export_rows(config),
        label="Download the coverage table",
        key="exports.coverage",
    )

briefing_section(db, config, viewer, summaries)

with db.read() as session:
    mine = audit.list_entries(session, filters=audit.AuditFilter(actor=viewer.username, limit=200))
mine = mine[mine["action"].str.startswith("export.")].head(10)
if not mine.empty:
    st.header("Your recent exports", anchor=False)
    st.dataframe(
        mine.assign(
            file=mine["new"].map(lambda v: (v or {}).get("file")), rows=mine["new"].map(lambda v: (v or {}).get("rows"))
        )[["at", "action", "file", "rows"]].rename(
            columns={"at": "When", "action": "What", "file": "File", "rows": "Rows"}
        ),
        hide_index=True,
    )
