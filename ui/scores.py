"""Today's submitted scores and their calibration, read and fitted once per change of the reviews, shared by
every page.

The Rankings, Coverage, Selection and Exports pages (and the briefing) all rank by the same calibration
(`scoring.calibrate` over the submitted reviews). Both are keyed by `scores_key`: the versions of the
tables the scores are read from (`reviews`, `review_scores`: `audit.tables_version`), not the data version,
so a change elsewhere (a submission edited, a decision recorded, a line-up saved) neither reads nor fits
them again. After a save, the fit starts where the last one of the same database and call ended
(`calibrate(..., start=)`): a sweep or two instead of ~50, to the same numbers within the fit's tolerance
(tests/scoring/test_calibration_warm.py).

The API, for any page or section that needs them:

* `scores_key(db)`: the key (read it once per run and pass it on, or let the functions read it);
* `submitted_scores(db, key)`: `data_access.reviews.scores_frame`, the long frame of submitted scores;
* `content_key(db, key)`: the digest of those scores' content, the key of anything computed from them alone
  (the calibration here, Rankings' agreement, Coverage's frame): a draft saved moves `scores_key`, so the
  scores are read again (~0.1 s at 10,000 submissions), but not this, so nothing is computed again (issue 21);
* `calibration(db, config, key=...)` / `current_scores(db, config, key=...)`: the `scoring.Calibration`
  and its `submissions` frame (`scoring.score_submissions`), indexed by submission_id.

Each cache holds at most `KEEP` entries (`st.cache_data(max_entries=...)`), and the starts of warm fits one
per database and call, so memory does not grow with the number of saves. Viewer-independent, with no
identity: submission and reviewer ids, scores and the reviewers' fitted leniency (which only the admin's
part of the Rankings page shows).
"""

from __future__ import annotations

import hashlib
import threading

import pandas as pd
import streamlit as st

from config import CallConfig
from data_access import audit
from data_access.db import Database
from data_access.reviews import scores_frame
from scoring import Calibration, calibrate
from ui import context

SCORE_TABLES = ("reviews", "review_scores")
KEEP = 4  # entries per cache: the current key, and a few for runs that read an older one

# (database URL, weights, threshold) -> the last fit and the scores it was fitted to: the next one's start, or
# the answer itself when the submitted scores are the same (a draft saved, a review reopened and not yet changed:
# the reviews' tables moved, the scores did not), so equal scores always give the same numbers, to the last bit.
_starts: dict[tuple, tuple[pd.DataFrame, Calibration]] = {}
_starts_lock = threading.Lock()


def scores_key(db: Database) -> tuple[int, ...]:
    """What the submitted scores depend on: moves with every unit of work that changed a review or a score."""
    with db.read() as session:
        return audit.tables_version(session, *SCORE_TABLES)


@st.cache_data(show_spinner="Reading the reviews…", max_entries=KEEP)
def _submitted_scores(url: str, key: tuple[int, ...]) -> pd.DataFrame:
    with context.database().read() as session:
        return scores_frame(session)


def submitted_scores(db: Database, key: tuple[int, ...] | None = None) -> pd.DataFrame:
    """`data_access.reviews.scores_frame` as it is now (`key`: `scores_key(db)`, if read already)."""
    return _submitted_scores(db.url, scores_key(db) if key is None else key)


def digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's content (column names, values and their order): equal frames, equal digests."""
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(repr(list(frame.columns)).encode() + rows.tobytes()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _content(url: str, key: tuple[int, ...]) -> str:
    return digest(_submitted_scores(url, key))


def content_key(db: Database, key: tuple[int, ...] | None = None) -> str:
    """The key of what is computed from the submitted scores alone: their content's digest. A draft saved moves
    `scores_key` (the reviews' tables changed) and the scores are read again, but this stays, so the calibration,
    the agreement and Coverage's frame are not computed again; a review submitted or reopened changes it."""
    return _content(db.url, scores_key(db) if key is None else key)


@st.cache_data(show_spinner="Scoring…", max_entries=KEEP)
def _calibration(url: str, content: str, weights: tuple, threshold: float, _key: tuple[int, ...]) -> Calibration:
    """Keyed by the scores' content; `_key` (not part of the cache's key) is the scores' key it was read under."""
    frame = _submitted_scores(url, _key)
    where = (url, weights, threshold)
    with _starts_lock:
        last = _starts.get(where)
    if last is not None and last[0].equals(frame):
        return last[1]
    fitted = calibrate(frame, dict(weights), disagreement_threshold=threshold, start=None if last is None else last[1])
    with _starts_lock:
        _starts[where] = (frame, fitted)
        while len(_starts) > KEEP:  # other databases (tests) or calls: the oldest go
            del _starts[next(iter(_starts))]
    return fitted


def calibration(
    db: Database, config: CallConfig, version: int | None = None, *, key: tuple[int, ...] | None = None
) -> Calibration:
    """The calibration of the submitted reviews as they are now. `key`: `scores_key(db)`, if read already;
    `version` (the data version) is accepted from callers that have it, and not needed: the key is the
    scores' own."""
    key = scores_key(db) if key is None else key
    return _calibration(db.url, content_key(db, key), tuple(config.weights.items()), config.disagreement_threshold, key)


def current_scores(
    db: Database, config: CallConfig, version: int | None = None, *, key: tuple[int, ...] | None = None
) -> pd.DataFrame:
    """`scoring.score_submissions` of the submitted reviews as they are now, indexed by submission_id."""
    return calibration(db, config, key=key).submissions
