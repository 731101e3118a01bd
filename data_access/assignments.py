"""Assignments of submissions to reviewers, and conflicts of interest."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access import audit
from data_access.models import Assignment, ConflictOfInterest, Review, Submission, User, utcnow


class AssignmentError(ValueError):
    """Bad input about an assignment; the message is for people."""


def add_assignment(
    session: Session, *, submission_id: int, reviewer_id: int, actor: str, source: str = "manual"
) -> int:
    reviewer = session.get(User, reviewer_id)
    if reviewer is None or reviewer.role != "reviewer":
        raise AssignmentError("Only a reviewer can be assigned a submission.")
    if not reviewer.active:
        raise AssignmentError(f"{reviewer.name} is deactivated.")
    if session.get(Submission, submission_id) is None:
        raise AssignmentError("No such submission.")
    if (
        session.scalar(
            select(ConflictOfInterest.id).where(
                ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
            )
        )
        is not None
    ):
        raise AssignmentError(f"{reviewer.name} has a conflict of interest with this submission.")
    existing = session.scalar(
        select(Assignment.id).where(Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer_id)
    )
    if existing is not None:
        return existing
    row = Assignment(
        submission_id=submission_id, reviewer_id=reviewer_id, source=source, created_by=actor, created_at=utcnow()
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="assignment.add",
        entity="assignment",
        entity_id=row.id,
        new={"submission_id": submission_id, "reviewer_id": reviewer_id, "source": source},
    )
    return row.id


def remove_assignment(session: Session, *, submission_id: int, reviewer_id: int, actor: str) -> None:
    row = session.scalar(
        select(Assignment).where(Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer_id)
    )
    if row is None:
        raise AssignmentError("That reviewer is not assigned this submission.")
    review = session.scalar(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer_id)
    )
    if review is not None and review.status == "submitted":
        raise AssignmentError(
            "This reviewer has submitted a review of it; the review is kept and the assignment cannot be removed."
        )
    session.delete(row)
    audit.record(
        session,
        actor=actor,
        action="assignment.remove",
        entity="assignment",
        entity_id=row.id,
        old={
            "submission_id": submission_id,
            "reviewer_id": reviewer_id,
            "source": row.source,
            "had_draft": review is not None,
        },
    )
    session.flush()


def declare_conflict(
    session: Session, *, submission_id: int, reviewer_id: int, actor: str, source: str, reason: str = ""
) -> int:
    existing = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
        )
    )
    if existing is not None:
        return existing.id
    reviewer = session.get(User, reviewer_id)
    if reviewer is None or reviewer.role != "reviewer":
        raise AssignmentError("Conflicts of interest are recorded for reviewers.")
    if session.get(Submission, submission_id) is None:
        raise AssignmentError("No such submission.")
    row = ConflictOfInterest(
        submission_id=submission_id,
        reviewer_id=reviewer_id,
        source=source,
        reason=reason.strip(),
        declared_by=actor,
        created_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="conflict.declare",
        entity="conflict",
        entity_id=row.id,
        new={"submission_id": submission_id, "reviewer_id": reviewer_id, "source": source, "reason": row.reason},
    )
    return row.id


def assignments_frame(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(Assignment.submission_id, Assignment.reviewer_id, Assignment.source, Assignment.created_at)
    ).all()
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "source", "created_at"])


def conflicts_frame(session: Session) -> pd.DataFrame:
    rows = session.execute(
        select(
            ConflictOfInterest.submission_id,
            ConflictOfInterest.reviewer_id,
            ConflictOfInterest.source,
            ConflictOfInterest.reason,
            ConflictOfInterest.declared_by,
            ConflictOfInterest.created_at,
        )
    ).all()
    return pd.DataFrame(rows, columns=["submission_id", "reviewer_id", "source", "reason", "declared_by", "created_at"])
