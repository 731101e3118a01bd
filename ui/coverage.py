"""The coverage data the Coverage and Exports pages share, cached per database and data version.

Viewer-independent, and without any title, summary or identity: the codes of
every submission with its calibrated score and evidence strength
(`scoring.coverage.coverage_frame`), the review progress per day, the reviews
due and the saved line-ups' members. Anything shown of a submission itself is
read afterwards, masked for the viewer (`data_access.coverage.cell_submissions`).
The scores come from the calibration all pages share (`ui.scores`).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

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


@st.cache_data(show_spinner="Counting the evidence…", max_entries=4)
def _coverage_data(url: str, version: int, weights: tuple, threshold: float) -> CoverageData:
    db = context.database()
    with db.read() as session:
        data = coverage_da.coverage_inputs(session, with_scores=False)
    scored = scores.current_scores(db, context.call_config(), version)
    return CoverageData(
        frame=cov.coverage_frame(data.submissions, scored),
        progress=cov.review_progress(data.review_times, due=data.reviews_due),
        reviews_due=data.reviews_due,
        line_ups={line_up.id: line_up for line_up in data.line_ups},
    )


def coverage_data(db: Database, config: CallConfig) -> CoverageData:
    with db.read() as session:
        version = audit.data_version(session)
    return _coverage_data(db.url, version, tuple(config.weights.items()), config.disagreement_threshold)
