"""Today's submitted scores and their calibration, read and fitted once per change of the submitted reviews,
shared by every page.

The Rankings, Coverage, Selection and Exports pages (and the briefing) all rank by the same calibration
(`scoring.calibrate` over the submitted reviews). Both are keyed by `scores_key`: a fingerprint of the
submitted reviews (`data_access.reviews.submitted_key`: how many, the newest id, the sums of their ids and
versions, the latest `updated_at`), not the data version nor the reviews' tables' versions, so a draft saved
(the normal case while reviewing), a submission edited, a decision recorded or a line-up saved neither reads
nor fits them again (issue 21). The fingerprint is one aggregate read (~6 ms at 30,000 reviews), and is read
only when the versions of the reviews' tables (`audit.tables_version` of `SCORE_TABLES`, a read of two rows)
moved since the last run: what each version gave is kept (`KEEP` entries). After a save, the fit starts where
the last one of the same database and call ended (`calibrate(..., start=)`): a sweep or two instead of ~50, to
the same numbers within the fit's tolerance (tests/scoring/test_calibration_warm.py).

The frame itself is read again only in part: the last one read is kept per database (`_kept`, `KEEP` databases)
with its manifest (each submitted review's id, version and `updated_at`), and after a change only the scores of
the reviews new or changed since are read and patched in (`data_access.scores_delta.scores_since`: at 10,000
submissions a narrow read of 30,000 reviews and a few rows, instead of 90,000 scores); a large change (over
20 % of the reviews) or none kept reads them all. The patched frame is the whole read's, to the row and its
order (both by review id, then criterion), so its digest and the calibration's "same scores" hold either way.

A frame is cached under the key of the state it was read in: both are read in one `Database.snapshot`. When
the scores moved between a run's reading of the key and of the frame, the frame is kept for its own key and
`ScoresMoved` carries that key; `fresh` (used by every function here that reads the key itself, by Selection,
Rankings and Coverage) does the run's part again with it. So a frame is never cached under a key it does not
match, whatever order the saves come in (a review submitted and reopened gives the earlier key back).

The API, for any page or section that needs them:

* `scores_key(db)`, or `key_in(session, url)` within a read of the caller's: the key (read it once per run and
  pass it on, inside `fresh`, or let the functions read it);
* `submitted_scores(db, key)`: `data_access.reviews.scores_frame`, the long frame of submitted scores (read
  in part, as above; the same frame);
* `content_key(db, key)`: the digest of those scores' content, the key of anything computed from them alone
  (the calibration here, Rankings' agreement, Coverage's frame): equal scores under another key (a review
  reopened and submitted again unchanged) compute nothing again;
* `calibration(db, config, key=...)` / `current_scores(db, config, key=...)`: the `scoring.Calibration`
  and its `submissions` frame (`scoring.score_submissions`), indexed by submission_id.

Each cache holds at most `KEEP` entries (`st.cache_data(max_entries=...)`; the keys of the tables' versions, the
frames handed on, the frames kept for the next read and the starts of warm fits likewise), so memory does not
grow with the number of saves.
Viewer-independent, with no identity: submission and reviewer ids, scores and the reviewers' fitted leniency
(which only the admin's part of the Rankings page shows).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm import Session

from config import CallConfig
from data_access import audit
from data_access import reviews as reviews_da
from data_access.db import Database
from data_access.scores_delta import KeptScores, scores_since
from scoring import Calibration, calibrate
from ui import context

SCORE_TABLES = reviews_da.SCORE_TABLES
KEEP = 4  # entries per cache: the current key, and a few for runs that read an older one
ATTEMPTS = 3  # tries of a run's part in `fresh` (the last one may raise ScoresMoved)

T = TypeVar("T")

# (database URL, weights, threshold) -> the last fit and the scores it was fitted to: the next one's start, or
# the answer itself when the submitted scores are the same (a review reopened and submitted again unchanged),
# so equal scores always give the same numbers, to the last bit.
_starts: dict[tuple, tuple[pd.DataFrame, Calibration]] = {}
_starts_lock = threading.Lock()
# (database URL, audit.tables_version of SCORE_TABLES) -> the submitted scores' key read at those versions.
_keys: dict[tuple, tuple] = {}
# (database URL, key) -> a frame read when the scores had moved past the key asked for: handed to the next read of
# its own key (the run's part again, `fresh`), so that one is not read twice.
_handed: dict[tuple, pd.DataFrame] = {}
# (database URL,) -> the last submitted scores read, with the manifest of the state they were read in: the next
# read reads only the reviews that changed since (`data_access.scores_delta.scores_since`).
_kept: dict[tuple, KeptScores] = {}
_lock = threading.Lock()


def _remember(store: dict, where: tuple, value) -> None:
    with _lock:
        store[where] = value
        while len(store) > KEEP:  # the oldest go
            del store[next(iter(store))]


class ScoresMoved(Exception):
    """The submitted scores changed between reading their key and reading them; `key`: theirs now."""

    def __init__(self, key: tuple) -> None:
        self.key = key
        super().__init__("the submitted scores changed while they were read")


def key_in(session: Session, url: str) -> tuple:
    """The submitted scores' key (`data_access.reviews.submitted_key`), read in `session`: the versions of the
    reviews' tables first, and the fingerprint only when those moved since it was last read (in this process)."""
    where = (url, audit.tables_version(session, *SCORE_TABLES))
    with _lock:
        known = _keys.get(where)
    if known is None:
        # Read after the versions (the same snapshot on SQLite, a later one on PostgreSQL): never older than them.
        known = reviews_da.submitted_key(session)
        _remember(_keys, where, known)
    return known


def scores_key(db: Database) -> tuple:
    """What the submitted scores depend on: moves with every unit of work that changed a submitted review."""
    with db.read() as session:
        return key_in(session, db.url)


def fresh(db: Database, part: Callable[[tuple], T], key: tuple | None = None) -> T:
    """`part(key)` with the scores' key as it is now (`key`, if read already), again with the newer key if the
    scores moved while `part` read them (`ScoresMoved`): whatever `part` cached is of one key's scores."""
    key = scores_key(db) if key is None else key
    for _ in range(ATTEMPTS - 1):
        try:
            return part(key)
        except ScoresMoved as moved:
            key = moved.key
    return part(key)


def kept_at_key(store: dict, where: tuple, key: tuple, read: Callable[[Session], T]) -> T:
    """Something else read from the submitted reviews (Coverage's reviews per day), kept in `store` under `where`
    and the key of the state it was read in (one `Database.snapshot`, at most `KEEP` entries): `key`'s if kept,
    else read now and kept under the key it was read at (newer than `key` if the scores moved meanwhile: never
    under a key it does not match, and no run does its part again for it)."""
    with _lock:
        kept = store.get((*where, key))
    if kept is not None:
        return kept
    with context.database().snapshot() as session:
        value = read(session)
        now = reviews_da.submitted_key(session)
    _remember(store, (*where, now), value)
    return value


@st.cache_data(show_spinner="Reading the reviews…", max_entries=KEEP)
def _submitted_scores(url: str, key: tuple) -> pd.DataFrame:
    with _lock:
        handed = _handed.pop((url, key), None)
    if handed is not None:
        return handed
    with _lock:
        kept = _kept.get((url,))
    with context.database().snapshot() as session:
        read = scores_since(session, kept)
        now = reviews_da.submitted_key(session)
    if read is not kept:
        _remember(_kept, (url,), read)
    # A frame of its own for the caches (Streamlit hands the computed one itself to this run): the kept one is
    # the next read's base, whatever a caller does with it (shallow: pandas copies on write).
    frame = read.frame.copy(deep=False)
    if now != key:  # moved since the key was read: this frame is now's, kept for that key, never cached under this
        _remember(_handed, (url, now), frame)
        raise ScoresMoved(now)
    return frame


def submitted_scores(db: Database, key: tuple | None = None) -> pd.DataFrame:
    """`data_access.reviews.scores_frame` as it is now (`key`: `scores_key(db)`, if read already; with a key,
    ScoresMoved if the scores moved past it)."""
    if key is None:
        return fresh(db, lambda now: _submitted_scores(db.url, now))
    return _submitted_scores(db.url, key)


def digest(frame: pd.DataFrame) -> str:
    """A digest of a frame's content (column names, values and their order): equal frames, equal digests."""
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return hashlib.sha256(repr(list(frame.columns)).encode() + rows.tobytes()).hexdigest()


@st.cache_data(show_spinner=False, max_entries=KEEP)
def _content(url: str, key: tuple) -> str:
    return digest(_submitted_scores(url, key))


def content_key(db: Database, key: tuple | None = None) -> str:
    """The key of what is computed from the submitted scores alone: their content's digest. A review submitted
    or reopened changes it; the same scores under another key (reopened and submitted again unchanged) do not,
    so the calibration, the agreement and Coverage's frame are not computed again."""
    if key is None:
        return fresh(db, lambda now: _content(db.url, now))
    return _content(db.url, key)


@st.cache_data(show_spinner="Scoring…", max_entries=KEEP)
def _calibration(url: str, content: str, weights: tuple, threshold: float, _key: tuple) -> Calibration:
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
    db: Database, config: CallConfig, version: int | None = None, *, key: tuple | None = None
) -> Calibration:
    """The calibration of the submitted reviews as they are now. `key`: `scores_key(db)`, if read already (then
    ScoresMoved if the scores moved past it); `version` (the data version) is accepted from callers that have
    it, and not needed: the key is the scores' own."""

    def part(now: tuple) -> Calibration:
        weights = tuple(config.weights.items())
        return _calibration(db.url, _content(db.url, now), weights, config.disagreement_threshold, now)

    return fresh(db, part) if key is None else part(key)


def current_scores(
    db: Database, config: CallConfig, version: int | None = None, *, key: tuple | None = None
) -> pd.DataFrame:
    """`scoring.score_submissions` of the submitted reviews as they are now, indexed by submission_id."""
    return calibration(db, config, key=key).submissions
