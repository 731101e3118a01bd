"""Audit log (admin): who imported, assigned, scored, changed or exported what, when."""

import datetime as dt
import json

import streamlit as st

from config import limits
from data_access import audit, audit_actions
from ui import context
from ui.exports import table_download
from ui.guard import require_page

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
days = cols[2].date_input("Between (UTC days)", value=(), format="DD/MM/YYYY", key="audit.days")
limit = cols[3].number_input("Newest entries", min_value=10, max_value=20_000, value=500, step=100, key="audit.limit")
first, last = (*days, None, None)[:2] if days else (None, None)
last = last or first  # one day chosen: that day

with db.read() as session:
    entries = audit.list_entries(
        session,
        filters=audit.AuditFilter(
            action=None if action == "(all)" else action,
            actor=actor or None,
            since=dt.datetime.combine(first, dt.time(), tzinfo=dt.UTC) if first else None,
            until=dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) if last else None,
            limit=int(limit),
        ),
    )
# The registry's words for people; the code stays in the CSV and in the filter's value.
entries.insert(entries.columns.get_loc("action"), "happened", entries["action"].map(audit_actions.words))
for column in ("old", "new"):
    entries[column] = entries[column].map(lambda v: "" if v is None else json.dumps(v, ensure_ascii=False))
st.caption(
    f"{len(entries)} entries, newest first. Before and After are the values a change replaced and wrote; "
    "an erased submission's entries keep only its reference."
)
text = st.column_config.TextColumn
st.dataframe(
    entries,
    hide_index=True,
    width="stretch",
    column_config={
        "id": st.column_config.NumberColumn("Entry", format="%d"),
        "at": st.column_config.DatetimeColumn("When (UTC)", format="D MMM YYYY, HH:mm:ss"),
        "actor": text("Who"),
        "happened": text("What happened"),
        "action": None,  # the code, in the CSV for whoever searches the log
        "entity": text("What"),
        "entity_id": text("Which"),
        "old": text("Before", width="medium"),
        "new": text("After", width="medium"),
        "detail": text("Detail", width="medium"),
    },
)
# Downloading the log is itself an export, written to the log like every other.
table_download(
    entries,
    what="audit-log",
    key="audit.csv",
    viewer=viewer,
    page="audit_log",
    via="Audit log page",
    label="Download as CSV",
)
