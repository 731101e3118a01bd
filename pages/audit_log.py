"""Audit log (admin): who imported, assigned, scored, changed or exported what, when."""

import json

import streamlit as st

from data_access import audit
from ui import context
from ui.exports import table_download
from ui.guard import require_page

viewer = require_page("audit_log")
db = context.database()

st.title("Audit log")
with db.read() as session:
    actions = audit.distinct_actions(session)
cols = st.columns(3)
action = cols[0].selectbox("Action", ["(all)", *actions], key="audit.action")
actor = cols[1].text_input("Who (username)", key="audit.actor").strip().lower()
limit = cols[2].number_input("Newest entries", min_value=10, max_value=20_000, value=500, step=100, key="audit.limit")

with db.read() as session:
    entries = audit.list_entries(
        session,
        filters=audit.AuditFilter(action=None if action == "(all)" else action, actor=actor or None, limit=int(limit)),
    )
for column in ("old", "new"):
    entries[column] = entries[column].map(lambda v: "" if v is None else json.dumps(v, ensure_ascii=False))
st.caption(f"{len(entries)} entries, newest first.")
st.dataframe(entries, hide_index=True, width="stretch")
# Downloading the log is itself an export, written to the log like every other.
table_download(entries, what="audit-log", key="audit.csv", viewer=viewer, via="Audit log page", label="Download as CSV")
