"""Exports (admin, office): the presenter list of a saved line-up and the scores, as CSV.

Every file comes from `scoring.csv_export.to_csv_bytes` (UTF-8 with BOM for
Excel, RFC 4180 quoting, formula cells neutralised) and carries no anonymous
contributor's identity. Each download is written to the audit log by the
button's callback, with the file's name, row count and SHA-256.
"""

import streamlit as st

from data_access import audit
from data_access import exports as exports_da
from data_access import lineups as lineups_da
from data_access.exports import ExportTable
from ui import context
from ui.guard import require_page

viewer = require_page("exports")
config = context.call_config()
db = context.database()


def log_export(table: ExportTable, content: bytes) -> None:
    """The download button's callback: the export is in the audit log before anything else runs."""
    with context.database().write() as session:
        exports_da.record_export(session, actor=viewer.username, table=table, content=content, via="Exports page")


def offer(table: ExportTable, label: str, key: str) -> None:
    content = table.to_csv()
    st.download_button(
        label,
        content,
        file_name=table.filename,
        mime="text/csv",
        key=key,
        on_click=log_export,
        args=(table, content),
        icon=":material/download:",
        type="primary",
    )
    st.caption(f"{len(table.rows)} rows · {table.filename} · UTF-8 CSV that Excel opens directly.")


@st.cache_data(show_spinner="Scoring…", max_entries=4)
def current_scores(url: str, version: tuple[int, int], weights: tuple, threshold: float):
    """Shared, viewer-independent: today's calibrated scores."""
    with context.database().read() as session:
        return lineups_da.current_scores(session, config=config)


st.title("Exports")
with db.read() as session:
    summaries = lineups_da.list_line_ups(session)
    version = audit.data_version(session)
scores = current_scores(db.url, version, tuple(config.weights.items()), config.disagreement_threshold)

st.header("Presenter list")
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

st.header("Scores")
with db.read() as session:
    scores_export = exports_da.scores_table(session, config=config, scores=scores)
if not scores_export.rows:
    st.info("No submission has a submitted review yet.", icon=":material/hourglass_empty:")
else:
    st.caption(
        "Every reviewed submission, highest calibrated score first, with its per-criterion means, the plain mean, "
        "the reviewers' disagreement and whether it is flagged for discussion. Organisations of anonymous "
        "submissions are left out; contact details are only in the presenter list."
    )
    offer(scores_export, "Download the scores", "exports.scores")

with db.read() as session:
    mine = audit.list_entries(session, filters=audit.AuditFilter(actor=viewer.username, limit=200))
mine = mine[mine["action"].str.startswith("export.")].head(10)
if not mine.empty:
    st.subheader("Your recent exports")
    st.dataframe(
        mine.assign(
            file=mine["new"].map(lambda v: (v or {}).get("file")), rows=mine["new"].map(lambda v: (v or {}).get("rows"))
        )[["at", "action", "file", "rows"]].rename(
            columns={"at": "When", "action": "What", "file": "File", "rows": "Rows"}
        ),
        hide_index=True,
    )
