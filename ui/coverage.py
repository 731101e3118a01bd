"""The coverage data the Coverage and Exports pages share, cached by what each part depends on.

Viewer-independent, and without any title, summary or identity: the codes of
every submission with its calibrated score and evidence strength
(`scoring.coverage.coverage_frame`), the review progress per day, the reviews
due and the saved line-ups' members. Anything shown of a submission itself is
read afterwards, masked for the viewer (`data_access.coverage.cell_submissions`).

Three caches, so that a reviewer's save (the normal case while reviewing) reads
no code again: the submissions' codes (`scoring.coverage.code_frame`: their lists
made once, not after every submitted review), keyed by the versions of the tables they
are read from (`data_access.coverage.CODE_TABLES`, `audit.tables_version`); the
frame of codes and scores, keyed by those and the scores' content (`ui.scores.content_key`,
whose calibration all pages share: a draft saved moves no key of the submitted scores, and reads
and rebuilds nothing); the review progress (reviews per day, counted by the database), reviews due and
line-ups (a few small reads), keyed by the submitted reviews' key and the versions of the tables
the rest is read from (`data_access.coverage.PROGRESS_TABLES`), in a dictionary of this module, under
the key of the state it was read in (`ui.scores.kept_at_key`). Each holds at most `ui.scores.KEEP`
entries. The coverage export's table (`export_table`) is made from the same
frame, only when asked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from config import CallConfig
from data_access import audit
from data_access import coverage as coverage_da
from data_access.coverage import SavedLineUp
from data_access.db import Database
from scoring import coverage as cov
from ui import context, scores


@dataclass(frozen=True)
class CoverageData:
    frame: pd.DataFrame  # scoring.coverage.coverage_frame
    progress: pd.DataFrame  # scoring.coverage.review_progress
    reviews_due: int
    line_ups: dict[int, SavedLineUp]  # newest first


@dataclass(frozen=True)
class _Progress:
    progress: pd.DataFrame
    reviews_due: int
    line_ups: dict[int, SavedLineUp]


@st.cache_data(show_spinner="Counting the evidence…", max_entries=scores.KEEP)
def _codes(url: str, codes_key: tuple[int, ...]) -> pd.DataFrame:
    """`scoring.coverage.code_frame` of the submissions' codes: made once per change of the codes."""
    with context.database().read() as session:
        return cov.code_frame(coverage_da.submission_codes(session))


@st.cache_resource(show_spinner=False, max_entries=scores.KEEP)
def _frame(
    url: str, codes_key: tuple[int, ...], content: str, weights: tuple, threshold: float, _scores_key: tuple
) -> pd.DataFrame:
    """Keyed by the scores' content (`ui.scores.content_key`), read under `_scores_key` (not part of the key).
    Shared, never changed: `coverage_data` hands each run a shallow copy, which pandas' copy-on-write (always on
    from pandas 3) copies where the run changes it. Not `st.cache_data`: its copy for each run, unpickling
    10,000 rows of lists, took 0.05-0.08 s of the server's CPU on every visit, about half of Coverage's."""
    scored = scores.current_scores(context.database(), context.call_config(), key=_scores_key)
    return cov.scored_frame(_codes(url, codes_key), scored)


# (database URL, the versions of PROGRESS_TABLES, the submitted reviews' key it was read at) -> _Progress.
_kept_progress: dict[tuple, _Progress] = {}


def _read_progress(session: Session) -> _Progress:
    per_day = coverage_da.reviews_per_day(session)  # counted by the database: a few rows, not one a review
    due = coverage_da.reviews_due(session)
    line_ups = coverage_da.saved_line_ups(session)
    return _Progress(cov.progress_by_day(per_day, due=due), due, {line_up.id: line_up for line_up in line_ups})


def _progress(url: str, tables_key: tuple[int, ...], scores_key: tuple) -> _Progress:
    """Keyed by the versions of `coverage_da.PROGRESS_TABLES` and the submitted reviews' key (`ui.scores`), kept
    under the key it was read at (`ui.scores.kept_at_key`, at most `ui.scores.KEEP`); a copy for the run."""
    kept = scores.kept_at_key(_kept_progress, (url, tables_key), scores_key, _read_progress)
    return replace(kept, progress=kept.progress.copy(), line_ups=dict(kept.line_ups))


def coverage_frame(db: Database, config: CallConfig) -> pd.DataFrame:
    """Every submission's codes with its calibrated score and evidence strength (`scoring.coverage.coverage_frame`)."""
    return coverage_data(db, config, progress=False).frame


def coverage_data(db: Database, config: CallConfig, *, progress: bool = True) -> CoverageData:
    """The frame, and (`progress`) the review progress, reviews due and line-ups, as they are now: each read again
    only when what it is read from changed (a draft saved changes none of them), all of one key's scores."""
    with db.read() as session:
        codes_key = audit.tables_version(session, *coverage_da.CODE_TABLES)
        tables_key = audit.tables_version(session, *coverage_da.PROGRESS_TABLES)
        scores_key = scores.key_in(session, db.url)
    weights = tuple(config.weights.items())

    def part(key: tuple) -> CoverageData:
        shared = _frame(db.url, codes_key, scores.content_key(db, key), weights, config.disagreement_threshold, key)
        frame = shared.copy(deep=False)  # the run's own: a change to it never reaches the shared frame
        if not progress:
            return CoverageData(frame=frame, progress=pd.DataFrame(), reviews_due=0, line_ups={})
        state = _progress(db.url, tables_key, key)
        return CoverageData(
            frame=frame, progress=state.progress, reviews_due=state.reviews_due, line_ups=state.line_ups
        )

    return scores.fresh(db, part, scores_key)
