"""Audit log (admin): who imported, assigned, scored, changed or exported what, when, in words."""

import datetime as dt

import streamlit as st

from config import limits
from data_access import audit, audit_actions, audit_view
from formats import times
from ui import context
from ui.exports import rows_download
from ui.guard import require_page

PAGE_SIZES = (25, 50, 100, 200)
EXPORT_LIMIT = 20_000  # the newest entries a CSV carries

viewer = require_page("audit_log")
db = context.database()

st.title("Audit log", anchor=False)
with db.read() as session:
    actions = audit.distinct_actions(session)
cols = st.columns([2, 2, 2, 1])
action = cols[0].selectbox(
    "What happened",
    ["(all)", *actions],
    format_func=lambda code: code if code == "(all)" else audit_actions.words(code),
    key="audit.action",
)
actor = cols[1].text_input("Who (username)", max_chars=limits.USERNAME, key="audit.actor").strip().lower()
days = cols[2].date_input("Between (days, UK time)", value=(), format="DD/MM/YYYY", key="audit.days")
page_size = cols[3].selectbox("Per page", PAGE_SIZES, index=2, key="audit.page_size")
first, last = (*days, None, None)[:2] if days else (None, None)
last = last or first  # one day chosen: that day
filters = audit.AuditFilter(
    action=None if action == "(all)" else action,
    actor=actor or None,
    since=dt.datetime.combine(first, dt.time(), tzinfo=times.UK) if first else None,
    until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=times.UK) if last else None,
)

page_number = int(st.session_state.get("audit.page") or 1)
with db.read() as session:
    shown = audit_view.readable_page(session, filters=filters, page=page_number, page_size=int(page_size))
if shown.pages > 1:
    st.session_state["audit.page"] = shown.page  # within the pages the filters leave
    st.number_input(f"Page (of {shown.pages})", min_value=1, max_value=shown.pages, step=1, key="audit.page")
first_shown = (shown.page - 1) * int(page_size) + 1
st.caption(
    (
        f"Entries {first_shown}–{first_shown + len(shown.rows) - 1} of {shown.total}, newest first. "
        if shown.rows
        else "No entries match. "
    )
    + f"{times.ZONE_NOTE} Changes shows each value as “field: before → after”; "
    "an erased submission's entries keep only its reference. "
    f"The CSV holds the newest {min(shown.total, EXPORT_LIMIT)} matching entries, in the same words."
)
st.dataframe(
    shown.rows,
    hide_index=True,
    width="stretch",
    row_height=80,  # up to three lines of Changes
    column_order=audit_view.COLUMNS,
    column_config={
        "When": st.column_config.TextColumn("When", width="small"),
        "Changes": st.column_config.TextColumn("Changes", width="large"),
        "Detail": st.column_config.TextColumn("Detail", width="medium"),
    },
)
# Downloading the log is itself an export, written to the log like every other; read at the click.
rows_download(
    lambda session: audit_view.readable_export(session, filters=filters, limit=EXPORT_LIMIT),
    field_names=audit_view.EXPORT_COLUMNS,
    what="audit-log",
    key="audit.csv",
    viewer=viewer,
    page="audit_log",
    via="Audit log page",
    label="Download as CSV",
)
