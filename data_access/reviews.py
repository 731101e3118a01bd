"""Reviews: saving with optimistic locking, and reading what a viewer may see.

`save_review` takes the version the person opened (`expected_version`). If the
review changed since (another tab, another device), nothing is overwritten:
`StaleReview` carries the stored version so that the page can show both. The
update itself is a single `UPDATE ... WHERE version = :expected`, so two saves
racing on two servers cannot both win.

A reviewer may only write reviews of submissions assigned to them and not in
conflict; any other attempt raises `AccessDenied`, which the caller writes to
the audit log with `audit.record_denied`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import BindParameter, bindparam, delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from access.roles import STAFF, Role
from access.visibility import review_author_label, reviewer_names_visible
from config.call_config import CallConfig
from data_access import audit
from data_access.call_state import REVIEWING_CLOSED, reviewing_closed
from data_access.db import rows_matched
from data_access.models import (
    Assignment,
    CallState,
    ConflictOfInterest,
    Review,
    ReviewAutosave,
    ReviewScore,
    Submission,
    SubmissionCode,
    User,
    utcnow,
)
from data_access.standing import standing_reviews
from data_access.submissions import AccessDenied
from scoring.review_queue import queue_status
from scoring.rubric import check_review


class ReviewError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(" ".join(problems))


class ReviewingClosed(Exception):
    """The admin has closed reviewing; reviews can no longer change."""


@dataclass(frozen=True)
class ReviewRecord:
    id: int
    submission_id: int
    reviewer_id: int
    status: str
    scores: dict[str, int | None]
    comment: str
    recommendation: str | None
    confidence: str | None
    version: int
    updated_at: dt.datetime
    submitted_at: dt.datetime | None
    reviewer_name: str = ""
    own: bool = False  # the viewer's own review (set by reviews_of_submission)

    def as_values(self) -> dict:
        return {
            "status": self.status,
            "scores": dict(self.scores),
            "comment": self.comment,
            "recommendation": self.recommendation,
            "confidence": self.confidence,
        }


class StaleReview(Exception):
    """The review changed since it was opened; `current` is what is stored now."""

    def __init__(self, current: ReviewRecord | None) -> None:
        self.current = current
        super().__init__("This review was changed in another window since you opened it.")


@dataclass
class ReviewDraft:
    scores: dict[str, int | None] = field(default_factory=dict)
    comment: str = ""
    recommendation: str | None = None
    confidence: str | None = None


def _record(review: Review, name: str = "") -> ReviewRecord:
    return ReviewRecord(
        id=review.id,
        submission_id=review.submission_id,
        reviewer_id=review.reviewer_id,
        status=review.status,
        scores={s.criterion: s.score for s in review.scores},
        comment=review.comment,
        recommendation=review.recommendation,
        confidence=review.confidence,
        version=review.version,
        updated_at=review.updated_at,
        submitted_at=review.submitted_at,
        reviewer_name=name,
    )


# Statements of the save path, built once: a burst of reviewers saving at the
# same moment queues on the database, so each save should hold it briefly.
_SID: BindParameter[int] = bindparam("sid")
_RID: BindParameter[int] = bindparam("rid")
_MAY_REVIEW = (
    select(Assignment.id, ConflictOfInterest.id)
    .outerjoin(
        ConflictOfInterest,
        (ConflictOfInterest.submission_id == Assignment.submission_id)
        & (ConflictOfInterest.reviewer_id == Assignment.reviewer_id),
    )
    .where(Assignment.submission_id == _SID, Assignment.reviewer_id == _RID)
)
_OWN_REVIEW = (
    select(
        Review.id,
        Review.status,
        Review.comment,
        Review.recommendation,
        Review.confidence,
        Review.version,
        Review.updated_at,
        Review.submitted_at,
        ReviewScore.criterion,
        ReviewScore.score,
    )
    .outerjoin(ReviewScore, ReviewScore.review_id == Review.id)
    .where(Review.submission_id == _SID, Review.reviewer_id == _RID)
)
_SAVE_CHECKS = select(
    select(Assignment.id)
    .where(Assignment.submission_id == _SID, Assignment.reviewer_id == _RID)
    .scalar_subquery()
    .label("assignment"),
    select(ConflictOfInterest.id)
    .where(ConflictOfInterest.submission_id == _SID, ConflictOfInterest.reviewer_id == _RID)
    .scalar_subquery()
    .label("conflict"),
    select(CallState.value).where(CallState.key == REVIEWING_CLOSED).scalar_subquery().label("closed"),
)
_REVIEW_VALUES = ("status", "comment", "recommendation", "confidence", "updated_at", "submitted_at")
# Two first saves racing meet at the unique (submission, reviewer) pair: the
# loser inserts nothing (no row returned) and is told the review is stale.
_INSERT_REVIEW = {
    "sqlite": sqlite_insert(Review).on_conflict_do_nothing().returning(Review.id),
    "postgresql": postgresql_insert(Review).on_conflict_do_nothing().returning(Review.id),
}
_UPDATE_REVIEW = (
    update(Review)
    .where(Review.id == bindparam("review_id"), Review.version == bindparam("expected"))
    .values(version=Review.version + 1, **{name: bindparam(f"new_{name}") for name in _REVIEW_VALUES})
)
_DELETE_SCORES = delete(ReviewScore).where(ReviewScore.review_id == bindparam("review_id"))
_INSERT_SCORES = insert(ReviewScore)
# A real save or submit ends the draft session: the autosaved input is in the review now.
_DELETE_AUTOSAVE = delete(ReviewAutosave).where(
    ReviewAutosave.submission_id == _SID, ReviewAutosave.reviewer_id == _RID
)


def may_review(session: Session, *, submission_id: int, reviewer_id: int) -> bool:
    """Is the submission assigned to this reviewer, without a conflict? (One query.)"""
    row = session.connection().execute(_MAY_REVIEW, {"sid": submission_id, "rid": reviewer_id}).first()
    return row is not None and row[1] is None


def check_may_save(
    session: Session, *, submission_id: int, reviewer_id: int, draft: ReviewDraft, submit: bool, config: CallConfig
) -> None:
    """Refuse a save (or an autosave, `data_access.drafts`) that may not happen, in this order:
    AccessDenied (not assigned, or in conflict), ReviewingClosed, ReviewError (the values)."""
    problems = check_review(
        scores=draft.scores,
        comment=draft.comment,
        recommendation=draft.recommendation,
        confidence=draft.confidence,
        submit=submit,
        config=config,
    )
    checks = session.connection().execute(_SAVE_CHECKS, {"sid": submission_id, "rid": reviewer_id}).one()
    if checks.assignment is None or checks.conflict is not None:
        raise AccessDenied("not assigned to this reviewer, or in conflict")
    if checks.closed:
        raise ReviewingClosed()
    if problems:
        raise ReviewError(problems)


def get_own_review(session: Session, *, submission_id: int, reviewer_id: int) -> ReviewRecord | None:
    rows = session.connection().execute(_OWN_REVIEW, {"sid": submission_id, "rid": reviewer_id}).all()
    if not rows:
        return None
    first = rows[0]
    return ReviewRecord(
        id=first.id,
        submission_id=submission_id,
        reviewer_id=reviewer_id,
        status=first.status,
        scores={r.criterion: r.score for r in rows if r.criterion is not None},
        comment=first.comment,
        recommendation=first.recommendation,
        confidence=first.confidence,
        version=first.version,
        updated_at=first.updated_at,
        submitted_at=first.submitted_at,
    )


def save_review(
    session: Session,
    *,
    submission_id: int,
    reviewer_id: int,
    actor: str,
    draft: ReviewDraft,
    submit: bool,
    expected_version: int | None,
    config: CallConfig,
) -> ReviewRecord:
    """Save a draft or submit. Raises AccessDenied, ReviewingClosed, ReviewError or StaleReview.

    `expected_version` is the version the person opened: None or 0 for a
    review that did not exist yet."""
    check_may_save(
        session, submission_id=submission_id, reviewer_id=reviewer_id, draft=draft, submit=submit, config=config
    )
    conn = session.connection()
    now = utcnow()
    status = "submitted" if submit else "draft"
    submitted_at = now if submit else None
    values = {
        "status": status,
        "comment": draft.comment,
        "recommendation": draft.recommendation,
        "confidence": draft.confidence,
        "updated_at": now,
        "submitted_at": submitted_at,
    }
    existing = get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id)
    if existing is None:
        if expected_version not in (None, 0):
            raise StaleReview(None)
        review_id = conn.execute(
            _INSERT_REVIEW[conn.dialect.name],
            {"submission_id": submission_id, "reviewer_id": reviewer_id, "version": 1, "created_at": now} | values,
        ).scalar_one_or_none()
        if review_id is None:
            raise StaleReview(get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id))
        version, old_values = 1, None
    else:
        if expected_version != existing.version:
            raise StaleReview(existing)
        result = conn.execute(
            _UPDATE_REVIEW,
            {"review_id": existing.id, "expected": expected_version} | {f"new_{k}": v for k, v in values.items()},
        )
        if result.rowcount != 1:
            raise StaleReview(get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id))
        conn.execute(_DELETE_SCORES, {"review_id": existing.id})
        review_id, version, old_values = existing.id, existing.version + 1, existing.as_values()
    if draft.scores:
        conn.execute(
            _INSERT_SCORES, [{"review_id": review_id, "criterion": k, "score": v} for k, v in draft.scores.items()]
        )
    conn.execute(_DELETE_AUTOSAVE, {"sid": submission_id, "rid": reviewer_id})
    record = ReviewRecord(
        id=review_id,
        submission_id=submission_id,
        reviewer_id=reviewer_id,
        status=status,
        scores=dict(draft.scores),
        comment=draft.comment,
        recommendation=draft.recommendation,
        confidence=draft.confidence,
        version=version,
        updated_at=now,
        submitted_at=submitted_at,
    )
    audit.record(
        session,
        actor=actor,
        action="review.submit" if submit else "review.save_draft",
        entity="review",
        entity_id=record.id,
        old=old_values,
        new={"submission_id": submission_id, **record.as_values()},
    )
    return record


def reopen_review(
    session: Session, *, submission_id: int, reviewer_id: int, actor: str, expected_version: int
) -> ReviewRecord:
    """Turn one's own submitted review back into a draft, until reviewing closes."""
    if not may_review(session, submission_id=submission_id, reviewer_id=reviewer_id):
        raise AccessDenied("not assigned to this reviewer, or in conflict")
    if reviewing_closed(session):
        raise ReviewingClosed()
    existing = session.scalar(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer_id)
    )
    if existing is None or existing.status != "submitted":
        raise ReviewError(["Only a submitted review can be reopened."])
    if not back_to_draft(session, existing, actor=actor, action="review.reopen", expected_version=expected_version):
        raise StaleReview(get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id))
    return _record(existing)


def back_to_draft(
    session: Session, review: Review, *, actor: str, action: str, detail: str = "", expected_version: int | None = None
) -> bool:
    """Turn a submitted review back into a draft (which counts nowhere), with
    its audit entry: reopened by its reviewer (`expected_version` from their
    form; False, and nothing changed, if it moved since) or set aside by the
    coordinator."""
    stmt = update(Review).where(Review.id == review.id)
    if expected_version is not None:
        stmt = stmt.where(Review.version == expected_version)
    matched = rows_matched(
        session,
        stmt.values(
            status="draft", submitted_at=None, version=Review.version + 1, updated_at=utcnow()
        ).execution_options(synchronize_session=False),
    )
    session.expire(review)
    if matched != 1:
        return False
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="review",
        entity_id=review.id,
        old={"status": "submitted"},
        new={"status": "draft"},
        detail=detail,
    )
    return True


def reviews_of_submission(
    session: Session, *, submission_id: int, viewer_role: str, viewer_id: int
) -> list[ReviewRecord]:
    """The reviews of a submission that this viewer may read.

    Admin and office read every submitted review, with its author's name. A
    reviewer reads their own review, and the others' submitted reviews only
    once their own is submitted, without the others' names or ids
    (`reviewer_name` is "Reviewer A", "Reviewer B"..., `reviewer_id` 0); a
    reviewer in conflict with the submission, or not assigned it, reads none.
    """
    if viewer_role == Role.REVIEWER:
        if not may_review(session, submission_id=submission_id, reviewer_id=viewer_id):
            return []
        own = get_own_review(session, submission_id=submission_id, reviewer_id=viewer_id)
        if own is None or own.status != "submitted":
            if own is None:
                return []
            return [
                replace(own, reviewer_name=review_author_label(viewer_role, own=True, name="", position=0), own=True)
            ]
    elif viewer_role not in STAFF:
        return []
    rows = session.execute(
        select(Review, User.name)
        .join(User, User.id == Review.reviewer_id)
        .where(Review.submission_id == submission_id)
        .order_by(Review.id)
    ).all()
    out = []
    others = 0
    for review, name in rows:
        is_own = review.reviewer_id == viewer_id
        if not is_own and review.status != "submitted":
            continue
        others += 0 if is_own else 1
        record = replace(
            _record(review, review_author_label(viewer_role, own=is_own, name=name, position=others)), own=is_own
        )
        if not is_own and not reviewer_names_visible(viewer_role):
            record = replace(record, reviewer_id=0)
        out.append(record)
    return out


# What a reviewer's queue is read from besides their own reviews (`queue_key`).
QUEUE_TABLES = ("assignments", "submissions", "submission_codes", "conflicts_of_interest")


def queue_key(session: Session, *, reviewer_id: int) -> tuple:
    """What `reviewer_queue` depends on, cheaply (two small reads): the versions of the tables it reads
    besides the reviews (`audit.tables_version`: any assignment, submission, theme or conflict written,
    by anyone, moves it), and a fingerprint of this reviewer's own reviews: how many, the newest id, the
    sum of their versions (every save, submit, reopen or set-aside adds one to a review's version) and
    the latest `updated_at`. Another reviewer's save leaves it be, so a queue cached under it (per
    session: `ui.review_queue.load`) survives the panel's saves and is read again after any change of
    its own rows. Read it before the queue, in the same unit: a change between the two reads leaves the
    queue newer than its key, never older."""
    own = session.execute(
        select(func.count(Review.id), func.max(Review.id), func.sum(Review.version), func.max(Review.updated_at)).where(
            Review.reviewer_id == reviewer_id
        )
    ).one()
    return (reviewer_id, *audit.tables_version(session, *QUEUE_TABLES), *own)


def reviewer_queue(session: Session, *, reviewer_id: int) -> pd.DataFrame:
    """A reviewer's own assignments in reference order: submission_id,
    reference, title and themes (a list of codes; both empty where they
    declared a conflict), status (see
    `scoring.review_queue`), updated_at of their review."""
    rows = session.execute(
        select(
            Assignment.submission_id,
            Submission.reference,
            Submission.title,
            Review.status,
            Review.updated_at,
            ConflictOfInterest.id,
        )
        .join(Submission, Submission.id == Assignment.submission_id)
        .outerjoin(
            Review, (Review.submission_id == Assignment.submission_id) & (Review.reviewer_id == Assignment.reviewer_id)
        )
        .outerjoin(
            ConflictOfInterest,
            (ConflictOfInterest.submission_id == Assignment.submission_id)
            & (ConflictOfInterest.reviewer_id == Assignment.reviewer_id),
        )
        .where(Assignment.reviewer_id == reviewer_id)
        .order_by(Submission.reference)
    ).all()
    themes: dict[int, list[str]] = {}
    # The reviewer's submissions first, then their themes by the primary key (submission_id, field,
    # code): as a join, SQLite walked every submission's themes (the (field, code) index) and
    # looked each up in the assignments, ~13 ms at 10,000 submissions on every run of My reviews.
    own = select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer_id)
    for sid, code in session.execute(
        select(SubmissionCode.submission_id, SubmissionCode.code)
        .where(SubmissionCode.submission_id.in_(own), SubmissionCode.field == "themes")
        .order_by(SubmissionCode.submission_id, SubmissionCode.position)
    ):
        themes.setdefault(sid, []).append(code)
    out: list[dict[str, object]] = [
        {
            "submission_id": sid,
            "reference": ref,
            "title": "" if conflict_id is not None else title,
            "themes": [] if conflict_id is not None else themes.get(sid, []),
            "status": queue_status(conflicted=conflict_id is not None, review_status=status),
            "updated_at": None if conflict_id is not None else updated,
        }
        for sid, ref, title, status, updated, conflict_id in rows
    ]
    return pd.DataFrame(out, columns=["submission_id", "reference", "title", "themes", "status", "updated_at"])


def driver_rows(session: Session, stmt) -> Sequence[Any]:
    """`stmt`'s rows as the database driver gives them (tuples of its own types: none of SQLAlchemy's processing,
    for large reads whose types are plain)."""
    result = session.connection().execute(stmt)
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


def read_scores(
    session: Session, *, submitted_only: bool = True, review_ids: list[int] | None = None
) -> tuple[np.ndarray, pd.DataFrame]:
    """The scores (of the reviews `review_ids` only, if given) as `scores_frame`, with each row's review id apart
    (an int64 array): ordered by review id, then criterion, whichever reviews are read, so that a frame patched
    review by review (`data_access.scores_delta`) has the rows, in the order, of a whole read."""
    stmt = select(Review.id, Review.submission_id, Review.reviewer_id, ReviewScore.criterion, ReviewScore.score).join(
        ReviewScore, ReviewScore.review_id == Review.id
    )
    if submitted_only:
        stmt = stmt.where(Review.status == "submitted")
    if review_ids is not None:
        stmt = stmt.where(Review.id.in_(review_ids))
    # SQLite walks the reviews by id and each one's scores by the primary key (review_id, criterion): no sort.
    stmt = stmt.order_by(Review.id, ReviewScore.criterion)
    # The driver's rows as they come (ids, a criterion id, a small integer: no type of ours to convert), column
    # by column with the types known: ~2.5x faster than SQLAlchemy's rows and pandas inferring the types
    # (the office's pages read this after every reviewer's save: issue 21).
    rows = driver_rows(session, stmt)
    n = len(rows)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
    return ids, pd.DataFrame(
        {
            "submission_id": np.fromiter((r[1] for r in rows), dtype=np.int64, count=n),
            "reviewer_id": np.fromiter((r[2] for r in rows), dtype=np.int64, count=n),
            "criterion": pd.array([r[3] for r in rows], dtype="str"),
            "score": np.array([r[4] for r in rows], dtype=float),  # None (cannot judge) becomes NaN
        }
    )


def scores_frame(session: Session, *, submitted_only: bool = True) -> pd.DataFrame:
    """Long frame of scores: submission_id, reviewer_id, criterion, score (NaN = cannot judge), ordered by
    review id, then criterion.

    The input of `scoring.score_submissions`. For admin and office views only.
    """
    return read_scores(session, submitted_only=submitted_only)[1]


# What `scores_frame` reads (the cheap pre-check of `submitted_key`'s callers: `audit.tables_version`).
SCORE_TABLES = ("reviews", "review_scores")


def submitted_key(session: Session) -> tuple:
    """A fingerprint of the submitted reviews, the key of `scores_frame` (one aggregate read, ~6 ms at 30,000
    reviews on SQLite, no index): how many, the newest id, the sum of their ids, the sum of their versions and
    the latest `updated_at`. A draft saved leaves it be (issue 21). Every way a submitted score can change moves
    it: a review submitted (a new row, or a draft's version +1 with `updated_at` now: the count or the sums
    move) or submitted again (`save_review`: version +1, scores rewritten in the same unit); reopened or set
    aside (`back_to_draft`: out of the submitted ones: the count); deleted with its submission (erasure, purge:
    the count). Nothing else writes `reviews` or `review_scores` (tests/data_access/test_submitted_key.py keeps
    that list), nor changes a review's submission or reviewer. `data_access.scores_delta` relies on the same
    list, review by review: every write of a review sets its `updated_at`, and every write of its scores adds
    one to its version. Cached per `audit.tables_version` of
    `SCORE_TABLES` by `ui.scores`; read it in the same state as the frame it keys (`Database.snapshot`)."""
    row = session.execute(
        select(
            func.count(Review.id),
            func.max(Review.id),
            func.sum(Review.id),
            func.sum(Review.version),
            func.max(Review.updated_at),
        ).where(Review.status == "submitted")
    ).one()
    count, newest, ids, versions, latest = row
    return (int(count), newest, None if ids is None else int(ids), None if versions is None else int(versions), latest)


def review_progress(session: Session) -> pd.DataFrame:
    """Per reviewer: capacity, assigned, conflicts, drafts, submitted, not started, percent done."""
    assigned = dict(
        session.execute(select(Assignment.reviewer_id, func.count()).group_by(Assignment.reviewer_id)).all()
    )
    conflicts = dict(
        session.execute(
            select(ConflictOfInterest.reviewer_id, func.count())
            .join(
                Assignment,
                (Assignment.submission_id == ConflictOfInterest.submission_id)
                & (Assignment.reviewer_id == ConflictOfInterest.reviewer_id),
            )
            .group_by(ConflictOfInterest.reviewer_id)
        ).all()
    )
    # Reviews of assignments that stand (not removed, no conflict since).
    status_counts = session.execute(
        standing_reviews(select(Review.reviewer_id, Review.status, func.count())).group_by(
            Review.reviewer_id, Review.status
        )
    ).all()
    drafts = {r: n for r, s, n in status_counts if s == "draft"}
    submitted = {r: n for r, s, n in status_counts if s == "submitted"}
    rows = []
    for user in session.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.name)):
        n = assigned.get(user.id, 0)
        rows.append(
            {
                "reviewer_id": user.id,
                "reviewer": user.name,
                "username": user.username,
                "active": user.active,
                "capacity": user.capacity,
                "assigned": n,
                "conflicts": conflicts.get(user.id, 0),
                "drafts": drafts.get(user.id, 0),
                "submitted": submitted.get(user.id, 0),
            }
        )
    frame = pd.DataFrame(
        rows,
        columns=[
            "reviewer_id",
            "reviewer",
            "username",
            "active",
            "capacity",
            "assigned",
            "conflicts",
            "drafts",
            "submitted",
        ],
    )
    due = frame["assigned"] - frame["conflicts"]
    frame["not_started"] = (due - frame["drafts"] - frame["submitted"]).clip(lower=0)
    frame["percent_done"] = (100 * frame["submitted"] / due.where(due > 0)).round(0).fillna(0)
    return frame
