"""What the Assignments page (admin) reads, read once per change of what it is read from and shared.

Every visit read the progress per reviewer twice (once more for the reminders), the submissions short of
reviewers, the conflicts, every assignment's fit with the bids and expertise (the codes of every submission)
and every submission's reference: about 0.5 s of the server's CPU at 10,000 submissions, on every visit,
whether or not anything had changed, and a draft saved by any reviewer changed nothing of it. Now:

* the overview (progress per reviewer, who is unfinished, the submissions short of reviewers, the conflicts)
  is keyed by `data_access.assignments.progress_key`: the versions of the tables it reads besides the reviews,
  and which reviews are drafts and which submitted. A draft saved again (the normal case while reviewing)
  moves none of it; a review started, submitted or reopened, an assignment, a conflict or a user changed does.
  It is read in one snapshot with its key and cached only under the key it was read at (`_Moved`), so a key
  that comes back (a review submitted, then reopened) never brings back what it was before;
* the fit of the assignments with bids and expertise (`data_access.expertise.assignment_fit`), keyed by the
  versions of `FIT_TABLES` and the call's weights and themes;
* the references Edit by hand picks from, keyed by the version of `submissions`.

Each holds at most `KEEP` entries. Admin only: the page checks the role (`ui.guard.require_page`) at every
request before anything here is read; nothing here is keyed by or depends on who asks (counts per reviewer,
reviewers' names, the conflicts and their reasons, which every admin sees alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from config.call_config import CallConfig
from data_access import assignments as assignments_da
from data_access import audit
from data_access.db import Database
from data_access.expertise import FIT_TABLES, assignment_fit
from data_access.notify import unfinished_in
from data_access.reviews import review_progress
from scoring.fit import FitCounts
from ui import context

KEEP = 2  # the current version's, and the one a run still under way may have read


@dataclass(frozen=True)
class Overview:
    progress: pd.DataFrame  # data_access.reviews.review_progress
    due: list[tuple[int, str, int]]  # data_access.notify.unfinished_reviewers
    short: int  # data_access.assignments.submissions_short
    conflicts: pd.DataFrame  # data_access.assignments.conflicts_overview


class _Moved(Exception):
    """What the overview depends on changed between reading its key and reading it: `overview` is now's."""

    def __init__(self, overview: Overview) -> None:
        self.overview = overview
        super().__init__("the assignments' overview changed while it was read")


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _overview(url: str, key: tuple, k: int) -> Overview:
    with context.database().snapshot() as session:
        progress = review_progress(session)
        overview = Overview(
            progress=progress,
            due=unfinished_in(progress),
            short=assignments_da.submissions_short(session, k=k),
            conflicts=assignments_da.conflicts_overview(session),
        )
        now = assignments_da.progress_key(session)
    if now != key:  # never cached under a key it does not match
        raise _Moved(overview)
    return overview


def overview(db: Database, k: int) -> Overview:
    """Progress per reviewer, the unfinished, the submissions short of `k` reviewers and the conflicts, as now."""
    with db.read() as session:
        key = assignments_da.progress_key(session)
    try:
        return _overview(db.url, key, k)
    except _Moved as moved:
        return moved.overview


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _fit(url: str, key: tuple[int, ...], weights: tuple, themes: tuple[str, ...], _config: CallConfig):
    with context.database().read() as session:
        return assignment_fit(session, _config)


def fit(db: Database, config: CallConfig) -> dict[int, FitCounts]:
    """Each reviewer's assignments counted by bid and expertise match (`data_access.expertise.reviewer_fit`)."""
    with db.read() as session:
        key = audit.tables_version(session, *FIT_TABLES)
    weights = tuple(sorted(config.assignment_weights.items()))
    return _fit(db.url, key, weights, tuple(sorted(config.vocabularies["themes"].ids)), config)


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _references(url: str, key: tuple[int, ...]) -> dict[str, int]:
    with context.database().read() as session:
        return assignments_da.submission_references(session)


def references(db: Database) -> dict[str, int]:
    """Reference -> id of every submission, in reference order (`submission_references`)."""
    with db.read() as session:
        key = audit.tables_version(session, "submissions")
    return _references(db.url, key)
