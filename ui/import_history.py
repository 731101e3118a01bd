"""A submission's import history on the Submissions page (admin only, checked
here on every run): each import that added or updated it, with its header
row, and each cell a person corrected in place. Text from the file is shown
in table cells (inert)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from data_access.db import Database
from data_access.import_history import import_history
from importing import FIELDS_BY_NAME

HOW = {"found": "found", "guessed": "guessed", "picked": "picked by the person"}


def history_panel(db: Database, viewer: Viewer, *, submission_id: int) -> None:
    if not viewer.is_admin:
        return
    with db.read() as session:
        steps = import_history(session, submission_id=submission_id)
    if not steps:
        return
    with st.expander("Import history", icon=":material/history:"):
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Import": s.batch_id,
                        "When": s.imported_at,
                        "Who": s.imported_by,
                        "File": s.filename,
                        "Row": s.row,
                        "What": s.action,
                        "Header row": ""
                        if s.header_row is None
                        else f"{s.header_row} ({HOW.get(s.header_row_from or '', '')})",
                        "Cells corrected": len(s.corrections),
                    }
                    for s in steps
                ]
            ),
            hide_index=True,
            width="stretch",
            key=f"history.{submission_id}",
        )
        fixes = [
            {
                "Import": s.batch_id,
                "Row": s.row,
                "Field": FIELDS_BY_NAME[c["field"]].label if c["field"] in FIELDS_BY_NAME else c["field"],
                "Column": c.get("column", ""),
                "In the file": c.get("original", ""),
                "Corrected to": c.get("new", ""),
                "By": c.get("by", ""),
                "When": c.get("at", ""),
            }
            for s in steps
            for c in s.corrections
        ]
        if fixes:
            st.caption("Cells corrected on the Import page or with --fix (the file itself was not changed):")
            st.dataframe(pd.DataFrame(fixes), hide_index=True, width="stretch", key=f"history.fixes.{submission_id}")
