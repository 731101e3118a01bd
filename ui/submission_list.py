"""The Submissions page's list for the admin and the office, read once per change and shared.

Every visit of the page read all the submissions with their codes and links
(`data_access.submissions.load_submission_frame`, about 0.2 s of the server's
CPU at 10,000 submissions, on every visit, whether or not anything had
changed). For staff the frame is the same for everyone (they see every field
as it is; `mask_for_viewer` copies it before adding anything), so it is read
once for each version of the tables it is read from
(`data_access.submissions.LIST_TABLES`, `audit.tables_version`): a review
saved, an assignment made or a message sent reads nothing again; an import, an
edit, a redaction or an erasure does, at the next visit. A reviewer's list
(their assignments only) is not cached here.

The cached frame is shared by every session (`st.cache_resource`, not copied):
`list_submissions` and `mask_for_viewer` never change it (pinned by
tests/ui/test_submission_list.py).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from data_access import audit
from data_access.db import Database
from data_access.submissions import LIST_TABLES, load_submission_frame
from ui import context

KEEP = 2  # the current version's frame, and the one a run still under way may have read


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _every(url: str, key: tuple[int, ...]) -> pd.DataFrame:
    with context.database().read() as session:
        return load_submission_frame(session, links=True)


def every_submission(db: Database) -> pd.DataFrame:
    """`load_submission_frame(session, links=True)` as the tables are now. Unmasked: staff only, through
    `data_access.submissions.list_submissions(..., every=...)`; never change it."""
    with db.read() as session:
        key = audit.tables_version(session, *LIST_TABLES)
    return _every(db.url, key)
