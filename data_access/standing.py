"""What still stands: assignments without a conflict, and the reviews of them.

A reviewer's assignment stands while it exists (it was not removed) and the
reviewer has declared no conflict of interest with the submission since. A
review counts towards progress only while its assignment stands. These two
helpers are the one place those joins are written.
"""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import Select

from data_access.models import Assignment, ConflictOfInterest, Review

S = TypeVar("S", bound=Select)


def standing_assignments(stmt: S) -> S:
    """`stmt` (selecting from assignments) limited to assignments without a conflict."""
    return stmt.outerjoin(
        ConflictOfInterest,
        (ConflictOfInterest.submission_id == Assignment.submission_id)
        & (ConflictOfInterest.reviewer_id == Assignment.reviewer_id),
    ).where(ConflictOfInterest.id.is_(None))


def standing_reviews(stmt: S) -> S:
    """`stmt` (selecting from reviews) limited to reviews whose assignment still
    stands: the reviewer is still assigned the submission and has declared no
    conflict with it."""
    return (
        stmt.join(
            Assignment,
            (Assignment.submission_id == Review.submission_id) & (Assignment.reviewer_id == Review.reviewer_id),
        )
        .outerjoin(
            ConflictOfInterest,
            (ConflictOfInterest.submission_id == Review.submission_id)
            & (ConflictOfInterest.reviewer_id == Review.reviewer_id),
        )
        .where(ConflictOfInterest.id.is_(None))
    )
