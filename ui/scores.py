"""Today's calibrated scores, computed once per database and data version and shared by every page.

The Rankings, Coverage, Selection and Exports pages all rank by the same
calibration (`scoring.calibrate` over the submitted reviews). Fitting it takes
a noticeable fraction of a second on a large call, so it is done once after
each change to the data and kept in a `st.cache_data` keyed by the database
URL, `audit.data_version` and the call's weights and disagreement threshold.
It is viewer-independent and holds no identity: submission and reviewer ids,
scores and the reviewers' fitted leniency (which only the admin's part of the
Rankings page shows).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from config import CallConfig
from data_access import audit
from data_access.db import Database
from data_access.reviews import scores_frame
from scoring import Calibration, calibrate
from ui import context


@st.cache_data(show_spinner="Scoring…", max_entries=4)
def _calibration(url: str, version: int, weights: tuple, threshold: float) -> Calibration:
    with context.database().read() as session:
        frame = scores_frame(session)
    return calibrate(frame, dict(weights), disagreement_threshold=threshold)


def calibration(db: Database, config: CallConfig, version: int | None = None) -> Calibration:
    """The calibration of the submitted reviews as they are now (`version`: `audit.data_version`, if read already)."""
    if version is None:
        with db.read() as session:
            version = audit.data_version(session)
    return _calibration(db.url, version, tuple(config.weights.items()), config.disagreement_threshold)


def current_scores(db: Database, config: CallConfig, version: int | None = None) -> pd.DataFrame:
    """`scoring.score_submissions` of the submitted reviews as they are now, indexed by submission_id."""
    return calibration(db, config, version).submissions
