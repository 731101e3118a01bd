"""The Import page's part in keeping in step with re-exports (issue 19):
the key column picker and the preview per row, field by field.

The key's header and every value are the file's text: shown as a widget's
option or in dataframe cells, never in a label, a caption or Markdown.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access.submission_changes import field_label
from importing import ColumnMapping, ImportPlan, Table, display_value
from importing.source_key import guess_key

NO_KEY = "(no key: rows match by their reference)"
SHOWN_CHARS = 60


def key_picker(table: Table, base: ColumnMapping, key: str) -> str | None:
    """The source key's column: the mapping's, else guessed (a response ID whose values are all
    filled and different), else none. The coordinator may pick any column, or none."""
    options = [NO_KEY, *table.headers]
    start = base.key if base.key in table.headers else guess_key(table)
    picked = st.selectbox(
        "Key column (matches a re-export's rows to the submissions they made)",
        options,
        index=options.index(start) if start else 0,
        key=f"{key}.source_key",
        help="Usually the form's response ID. A row whose key is stored updates that submission, a new key adds "
        "one, and submissions not in the file are left as they are. Each row needs a key, and no key twice. "
        "Saved with the mapping.",
    )
    return None if picked == NO_KEY else picked


def _short(value: object) -> str:
    text = display_value(value).replace("\n", " ")
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 1] + "\u2026"


def row_outcome(row) -> str:
    """What the import will do to one row, in words: the changes field by field for an update."""
    if row.action == "add":
        return "will add"
    if row.action == "unchanged":
        return "unchanged"
    changes = "; ".join(
        f"{field_label(name)}: {_short(old)} \u2192 {_short(new)}" for name, (old, new) in row.changes.items()
    )
    return f"will update: {changes}"


def row_preview(plan: ImportPlan) -> None:
    """Each row of the file and what the import will do to it, with the counts the import will report."""
    if not plan.ok or not plan.rows:
        return
    counts = plan.counts
    st.header("Row by row", anchor=False)
    st.caption(
        f"{counts['updated']} will update, {counts['added']} will add, {counts['unchanged']} unchanged. "
        "Submissions that are not in the file are left as they are."
    )
    frame = pd.DataFrame(
        {
            "Row": [r.row for r in plan.rows],
            "Key": [r.source_key or "" for r in plan.rows],
            "Reference": [r.data.reference or "" for r in plan.rows],
            "What happens": [row_outcome(r) for r in plan.rows],
        }
    )
    if not plan.mapping.key:
        frame = frame.drop(columns=["Key"])
    order = {"update": 0, "add": 1, "unchanged": 2}
    frame = frame.iloc[sorted(range(len(plan.rows)), key=lambda i: (order[plan.rows[i].action], plan.rows[i].row))]
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        key="import.rows",
        column_config={"What happens": st.column_config.TextColumn(width="large")},
    )
