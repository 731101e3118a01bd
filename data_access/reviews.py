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
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from config.call_config import CallConfig
from data_access import audit
from data_access.call_state import reviewing_closed
from data_access.models import (
    Assignment,
    ConflictOfInterest,
    Review,
    ReviewScore,
    User,
    utcnow,
)
from data_access.submissions import AccessDenied
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


def may_review(session: Session, *, submission_id: int, reviewer_id: int) -> bool:
    assigned = (
        session.scalar(
            select(Assignment.id).where(
                Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer_id
            )
        )
        is not None
    )
    conflicted = (
        session.scalar(
            select(ConflictOfInterest.id).where(
                ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
            )
        )
        is not None
    )
    return assigned and not conflicted


def get_own_review(session: Session, *, submission_id: int, reviewer_id: int) -> ReviewRecord | None:
    review = session.scalar(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer_id)
    )
    return _record(review) if review else None


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
    """Save a draft or submit. Raises AccessDenied, ReviewingClosed, ReviewError or StaleReview."""
    if not may_review(session, submission_id=submission_id, reviewer_id=reviewer_id):
        raise AccessDenied("not assigned to this reviewer, or in conflict")
    if reviewing_closed(session):
        raise ReviewingClosed()
    problems = check_review(
        scores=draft.scores,
        comment=draft.comment,
        recommendation=draft.recommendation,
        confidence=draft.confidence,
        submit=submit,
        config=config,
    )
    if problems:
        raise ReviewError(problems)
    now = utcnow()
    existing = session.scalar(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer_id)
    )
    status = "submitted" if submit else "draft"
    if existing is None:
        if expected_version not in (None, 0):
            raise StaleReview(None)
        review = Review(
            submission_id=submission_id,
            reviewer_id=reviewer_id,
            status=status,
            comment=draft.comment,
            recommendation=draft.recommendation,
            confidence=draft.confidence,
            version=1,
            created_at=now,
            updated_at=now,
            submitted_at=now if submit else None,
        )
        review.scores = [ReviewScore(criterion=k, score=v) for k, v in draft.scores.items()]
        session.add(review)
        session.flush()
        old_values = None
    else:
        if expected_version != existing.version:
            raise StaleReview(_record(existing))
        old_values = _record(existing).as_values()
        result = session.execute(
            update(Review)
            .where(Review.id == existing.id, Review.version == expected_version)
            .values(
                status=status,
                comment=draft.comment,
                recommendation=draft.recommendation,
                confidence=draft.confidence,
                version=Review.version + 1,
                updated_at=now,
                submitted_at=now if submit else None,
            )
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            session.expire(existing)
            raise StaleReview(get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id))
        stored = {s.criterion: s for s in existing.scores}
        for criterion, score in draft.scores.items():
            if criterion in stored:
                stored[criterion].score = score
            else:
                existing.scores.append(ReviewScore(criterion=criterion, score=score))
        for criterion, row in stored.items():
            if criterion not in draft.scores:
                existing.scores.remove(row)
        session.flush()
        session.expire(existing)
        review = existing
    record = _record(review)
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
    result = session.execute(
        update(Review)
        .where(Review.id == existing.id, Review.version == expected_version)
        .values(status="draft", submitted_at=None, version=Review.version + 1, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.expire(existing)
        raise StaleReview(get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id))
    session.expire(existing)
    audit.record(
        session,
        actor=actor,
        action="review.reopen",
        entity="review",
        entity_id=existing.id,
        old={"status": "submitted"},
        new={"status": "draft"},
    )
    return _record(existing)


def reviews_of_submission(
    session: Session, *, submission_id: int, viewer_role: str, viewer_id: int
) -> list[ReviewRecord]:
    """The submitted reviews of a submission that this viewer may read.

    Admin and office read all. A reviewer reads others' reviews only after
    submitting their own, and nothing of a submission they are in conflict on.
    """
    if viewer_role == "reviewer":
        own = get_own_review(session, submission_id=submission_id, reviewer_id=viewer_id)
        if own is None or own.status != "submitted":
            return [own] if own else []
        if not may_review(session, submission_id=submission_id, reviewer_id=viewer_id):
            return []
    elif viewer_role not in ("admin", "office"):
        return []
    rows = session.execute(
        select(Review, User.name)
        .join(User, User.id == Review.reviewer_id)
        .where(Review.submission_id == submission_id)
        .order_by(Review.id)
    ).all()
    out = []
    for review, name in rows:
        if review.reviewer_id != viewer_id and review.status != "submitted":
            continue
        out.append(_record(review, name))
    return out


def scores_frame(session: Session, *, submitted_only: bool = True) -> pd.DataFrame:
    """Long frame of scores: submission_id, reviewer_id, criterion, score (NaN = cannot judge).

    The input of `scoring.score_submissions`. For admin and office views only.
    """
    stmt = select(Review.submission_id, Review.reviewer_id, ReviewScore.criterion, ReviewScore.score).join(
        ReviewScore, ReviewScore.review_id == Review.id
    )
    if submitted_only:
        stmt = stmt.where(Review.status == "submitted")
    frame = pd.DataFrame(session.execute(stmt).all(), columns=["submission_id", "reviewer_id", "criterion", "score"])
    frame["score"] = frame["score"].astype("Float64").astype(float)
    return frame


def review_progress(session: Session) -> pd.DataFrame:
    """Per reviewer: assigned, conflicts, drafts, submitted."""
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
    status_counts = session.execute(
        select(Review.reviewer_id, Review.status, func.count()).group_by(Review.reviewer_id, Review.status)
    ).all()
    drafts = {r: n for r, s, n in status_counts if s == "draft"}
    submitted = {r: n for r, s, n in status_counts if s == "submitted"}
    rows = []
    for user in session.scalars(select(User).where(User.role == "reviewer").order_by(User.name)):
        n = assigned.get(user.id, 0)
        rows.append(
            {
                "reviewer_id": user.id,
                "reviewer": user.name,
                "username": user.username,
                "active": user.active,
                "assigned": n,
                "conflicts": conflicts.get(user.id, 0),
                "drafts": drafts.get(user.id, 0),
                "submitted": submitted.get(user.id, 0),
            }
        )
    frame = pd.DataFrame(
        rows, columns=["reviewer_id", "reviewer", "username", "active", "assigned", "conflicts", "drafts", "submitted"]
    )
    due = frame["assigned"] - frame["conflicts"]
    frame["not_started"] = (due - frame["drafts"] - frame["submitted"]).clip(lower=0)
    frame["percent_done"] = (100 * frame["submitted"] / due.where(due > 0)).round(0).fillna(0)
    return frame
