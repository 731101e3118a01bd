""" "Changed since your review" (issue 19, `data_access.submission_changes`):
the mark on My reviews (queue and review page), on Submissions and on
Rankings. What is shown is the names of the changed fields (our own labels),
never a value, so an anonymous contributor's identity cannot leak through it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from data_access import submission_changes
from data_access.db import Database

REVIEWER_COLUMN = "Changed since your review"
STAFF_COLUMN = "Changed since a review"


def changed(db: Database, viewer: Viewer) -> dict[int, list[str]]:
    """Submission id -> changed fields' labels: for a reviewer, since their own review; for staff, since
    any review (read for each run: reviewer-specific, never cached)."""
    with db.read() as session:
        if viewer.is_reviewer:
            return submission_changes.changed_since_review(session, reviewer_id=viewer.user_id)
        return submission_changes.changed_after_reviews(session)


def column_name(viewer: Viewer) -> str:
    return REVIEWER_COLUMN if viewer.is_reviewer else STAFF_COLUMN


def marks(ids, marked: dict[int, list[str]]) -> list[str]:
    """One cell per submission id: the changed fields, or empty."""
    return [", ".join(marked.get(int(i), [])) for i in ids]


def with_column(table: pd.DataFrame, marked: dict[int, list[str]], viewer: Viewer) -> pd.DataFrame:
    """`table` (indexed by submission id) with the mark's column, when any submission is marked."""
    if not marked:
        return table
    out = table.copy()
    out[column_name(viewer)] = marks(out.index, marked)
    return out


def notice(fields: list[str] | None, viewer: Viewer) -> None:
    """The mark on one submission, with what changed."""
    if not fields:
        return
    if viewer.is_reviewer:
        st.warning(
            f"Changed since your review: {', '.join(fields)}. An import of the form's responses changed this "
            "submission after you last saved your review. Read it again: saving your review again (or "
            "reopening a submitted one) clears this mark.",
            icon=":material/change_circle:",
        )
    else:
        st.warning(
            f"Changed since a review: {', '.join(fields)}. An import changed this submission after a reviewer "
            "last saved their review of it; the mark clears for each reviewer when they save again.",
            icon=":material/change_circle:",
        )
