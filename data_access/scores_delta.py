"""The submitted scores read again after a change, reading only the reviews that changed (issue 21).

`ui.scores` keeps, per database, the last frame of submitted scores it read (`reviews.scores_frame`'s frame)
with its manifest: each submitted review's id, version and `updated_at`, read in the same state. After a
review is submitted, submitted again or reopened, `scores_since` reads the manifest again (one narrow read
of the reviews: CPU ~20 ms at 30,000 reviews, 10,000 submissions, on SQLite, ~65 ms at 90,000; ~10 ms at 30,000
on PostgreSQL; the whole read of the scores ~0.15 s at 30,000), and the scores of only the reviews that are new
or whose entry changed; the rows of the reviews that left the submitted ones, or changed, go.

Why an unchanged entry means unchanged rows: every statement that writes `reviews` or `review_scores`
(tests/data_access/test_submitted_key.py keeps the list) sets the review's `updated_at`, and every one that
writes its scores also adds one to its version (`save_review`); none changes a review's submission or
reviewer; a review deleted (with its submission) leaves the manifest. `updated_at` is in the entry because
an id can come back: SQLite gives a new row the largest id + 1, so after the review with the largest id is
deleted, the next review takes its id, at version 1 like it, but with another `updated_at`.

The patched frame is the frame a whole read gives, to the row and its order: both are ordered by review id,
then criterion (`reviews.read_scores`), so the digest (`ui.scores.digest`) and the calibration's "same scores,
same numbers" hold whichever way a frame was built (tests/data_access/test_scores_delta.py compares them after
random sequences of changes, on both databases). A large change (more than `WHOLE_SHARE` of the reviews), or
nothing kept, reads the whole frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from data_access.models import Review
from data_access.reviews import driver_rows, read_scores

WHOLE_SHARE = 0.2  # more than this share of the reviews changed: one whole read instead
CHUNK = 500  # review ids per `IN (...)`


@dataclass(frozen=True, eq=False)
class Manifest:
    """Each submitted review's id, version and `updated_at` (as text), as arrays (numpy: the diff of 30,000 is
    1-2 ms; as sets of tuples it took ~25)."""

    ids: np.ndarray  # int64
    versions: np.ndarray  # int64
    stamps: np.ndarray  # object (str)

    def __len__(self) -> int:
        return len(self.ids)

    def changed(self, newer: Manifest) -> tuple[np.ndarray, np.ndarray]:
        """(the reviews whose rows go: gone or changed since, those whose rows are read: new or changed), by id."""
        common, mine, theirs = np.intersect1d(self.ids, newer.ids, assume_unique=True, return_indices=True)
        moved = (self.versions[mine] != newer.versions[theirs]) | (self.stamps[mine] != newer.stamps[theirs])
        changed = common[moved.astype(bool)]
        gone = np.setdiff1d(self.ids, common, assume_unique=True)
        new = np.setdiff1d(newer.ids, common, assume_unique=True)
        return np.union1d(gone, changed), np.union1d(new, changed)


@dataclass(frozen=True, eq=False)
class KeptScores:
    """A frame of submitted scores (`reviews.scores_frame`'s columns and order), its rows' review ids, and the
    manifest of the state it was read in."""

    manifest: Manifest
    review_ids: np.ndarray
    frame: pd.DataFrame


def manifest(session: Session) -> Manifest:
    """(id, version, updated_at as text) of each submitted review: one narrow read. As text: PostgreSQL's driver
    makes a datetime of each (~20 ms of the client's CPU at 30,000 reviews, against ~8 ms as text; SQLite
    stores text)."""
    stmt = select(Review.id, Review.version, cast(Review.updated_at, String)).where(Review.status == "submitted")
    rows = driver_rows(session, stmt)
    n = len(rows)
    stamps = np.empty(n, dtype=object)
    stamps[:] = [r[2] for r in rows]
    return Manifest(
        np.fromiter((r[0] for r in rows), dtype=np.int64, count=n),
        np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
        stamps,
    )


def whole(session: Session, entries: Manifest | None = None) -> KeptScores:
    """Every submitted score, read at once, with its manifest (`entries`, if read already in this state)."""
    entries = manifest(session) if entries is None else entries
    ids, frame = read_scores(session)
    return KeptScores(entries, ids, frame)


def scores_since(session: Session, kept: KeptScores | None) -> KeptScores:
    """The submitted scores as they are in `session`'s state: `kept` itself if no submitted review changed since
    it was read, else `kept` without the reviews gone or changed and with the new or changed ones' scores read
    now, or (nothing kept, or a large change) every score read again."""
    entries = manifest(session)
    if kept is None:
        return whole(session, entries)
    drop, wanted = kept.manifest.changed(entries)
    if not len(drop) and not len(wanted):
        return kept
    if len(np.union1d(drop, wanted)) > WHOLE_SHARE * max(len(entries), len(kept.manifest)):  # reviews changed
        return whole(session, entries)
    kept_rows = ~np.isin(kept.review_ids, drop)
    asked = wanted.tolist()
    parts = [read_scores(session, review_ids=asked[at : at + CHUNK]) for at in range(0, len(asked), CHUNK)]
    ids = np.concatenate([kept.review_ids[kept_rows], *(p[0] for p in parts)])
    frame = pd.concat([kept.frame[kept_rows], *(p[1] for p in parts)], ignore_index=True)
    # Each review's rows come from one part, in criterion order already: a stable sort by review id gives the
    # whole read's order.
    order = np.argsort(ids, kind="stable")
    return KeptScores(entries, ids[order], frame.take(order).reset_index(drop=True))
