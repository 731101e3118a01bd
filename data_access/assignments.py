"""Assignments of submissions to reviewers, and conflicts of interest.

The rules of who may review what live in `scoring.assignment` (declared
conflicts, shared organisation or email domain, deactivated reviewers,
capacity), and are applied the same way to automatic and manual assignments.
An automatic run only adds: existing assignments and reviews are never moved.

On PostgreSQL, every change here first takes one transaction-scoped advisory
lock, so that two admins assigning at once (or a conflict declared meanwhile)
are applied one after the other; on SQLite, write units already are.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from access.roles import Role
from config import limits
from data_access import audit
from data_access.call_state import reviewing_closed
from data_access.drafts import clear_autosave
from data_access.models import Assignment, ConflictOfInterest, Review, Submission, User, utcnow
from data_access.reviews import back_to_draft, submitted_key
from data_access.standing import standing_assignments
from data_access.submissions import AccessDenied
from scoring.assignment import (
    AssignmentPlan,
    ExistingAssignment,
    ReviewerToAssign,
    SubmissionToAssign,
    describe_exclusion,
    exclusion,
    solve_assignment,
)
from scoring.fit import FitInput

_LOCK_KEY = 4_104_001  # pg_advisory_xact_lock key of assignment changes


class AssignmentError(ValueError):
    """Bad input about an assignment; the message is for people."""


def _lock(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _reviewer_input(user: User) -> ReviewerToAssign:
    return ReviewerToAssign(
        id=user.id,
        name=user.name,
        organisation=user.organisation,
        email=user.email,
        capacity=user.capacity,
        active=user.active,
    )


def _submission_input(sub: Submission) -> SubmissionToAssign:
    return SubmissionToAssign(
        id=sub.id, reference=sub.reference, organisation=sub.organisation, contact_email=sub.contact_email
    )


def _is_conflicted(session: Session, submission_id: int, reviewer_id: int) -> bool:
    return (
        session.scalar(
            select(ConflictOfInterest.id).where(
                ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
            )
        )
        is not None
    )


def _without_conflict(stmt):
    """`stmt` (selecting from assignments) limited to assignments without a conflict."""
    return standing_assignments(stmt)


def reviewer_loads(session: Session) -> dict[int, int]:
    """Reviewer id -> assignments that did not end in a conflict."""
    stmt = _without_conflict(select(Assignment.reviewer_id, func.count(Assignment.id)))
    return dict(session.execute(stmt.group_by(Assignment.reviewer_id)).all())


def reviewer_load(session: Session, *, reviewer_id: int) -> int:
    stmt = _without_conflict(select(func.count(Assignment.id))).where(Assignment.reviewer_id == reviewer_id)
    return int(session.scalar(stmt) or 0)


def add_assignment(
    session: Session, *, submission_id: int, reviewer_id: int, actor: str, source: str = "manual"
) -> int:
    """Assign one submission to one reviewer (by hand); the same rules as the
    automatic run. Returns the assignment's id (the existing one if already assigned)."""
    _lock(session)
    reviewer = session.get(User, reviewer_id)
    if reviewer is None or reviewer.role != Role.REVIEWER:
        raise AssignmentError("Only a reviewer can be assigned a submission.")
    if not reviewer.active:
        raise AssignmentError(f"{reviewer.name} is deactivated.")
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AssignmentError("No such submission.")
    existing = session.scalar(
        select(Assignment.id).where(Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer_id)
    )
    conflicted = _is_conflicted(session, submission_id, reviewer_id)
    if conflicted:
        raise AssignmentError(f"{reviewer.name} has a conflict of interest with this submission.")
    if existing is not None:
        return existing
    reason = exclusion(_submission_input(sub), _reviewer_input(reviewer))
    if reason is not None:
        raise AssignmentError(f"{describe_exclusion(reason, reviewer.name)}, so cannot review {sub.reference}.")
    if reviewer.capacity is not None and reviewer_load(session, reviewer_id=reviewer_id) >= reviewer.capacity:
        raise AssignmentError(
            f"{reviewer.name} is at their capacity of {reviewer.capacity}; raise it on the Users page first."
        )
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
    clear_autosave(session, submission_id=submission_id, reviewer_id=reviewer_id)  # their unsaved input goes too
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
    session: Session,
    *,
    submission_id: int,
    reviewer_id: int,
    actor: str,
    source: str,
    reason: str = "",
    unassigned: bool = False,
) -> int:
    """Record a conflict of interest: declared by the reviewer on a submission
    assigned to them (their review ends there), or, with `unassigned`, as a
    bid before assignment (`data_access.expertise`), or recorded by the admin
    at any time, assigned or not. A review the reviewer already submitted must be
    reopened by them first; when the admin records the conflict, it is set
    aside (back to a draft, audited), so its scores stop counting. Returns
    the conflict's id."""
    if problem := limits.too_long("The reason", reason.strip(), limits.CONFLICT_REASON):
        raise AssignmentError(problem)
    if "\x00" in reason:  # PostgreSQL cannot store it in text
        raise AssignmentError("The reason holds a null character, which cannot be stored. Remove it and try again.")
    _lock(session)
    existing = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
        )
    )
    if existing is not None:
        return existing.id
    reviewer = session.get(User, reviewer_id)
    if reviewer is None or reviewer.role != Role.REVIEWER:
        raise AssignmentError("Conflicts of interest are recorded for reviewers.")
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AssignmentError("No such submission.")
    assigned = session.scalar(
        select(Assignment.id).where(Assignment.submission_id == submission_id, Assignment.reviewer_id == reviewer_id)
    )
    if source == "reviewer":
        if assigned is None and not unassigned:
            raise AccessDenied("not assigned to this reviewer")
        if reviewing_closed(session):
            raise AssignmentError("Reviewing is closed; ask the coordinator to record the conflict.")
    review = session.scalar(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer_id)
    )
    submitted_review = review if review is not None and review.status == "submitted" else None
    set_aside = submitted_review is not None
    if set_aside and source == "reviewer":
        raise AssignmentError(
            f"{reviewer.name} has submitted a review of {sub.reference}; it must be reopened "
            "before a conflict of interest can be recorded, so that its scores stop counting."
        )
    if submitted_review is not None:
        # Found by the coordinator after the review was in: the review is set
        # aside (back to a draft, which counts nowhere), whether or not
        # reviewing is closed, so that a conflicted reviewer's scores never rank.
        back_to_draft(
            session,
            submitted_review,
            actor=actor,
            action="review.set_aside",
            detail="conflict of interest recorded by the coordinator",
        )
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
    clear_autosave(session, submission_id=submission_id, reviewer_id=reviewer_id)  # their review ends here
    audit.record(
        session,
        actor=actor,
        action="conflict.declare",
        entity="conflict",
        entity_id=row.id,
        new={
            "submission_id": submission_id,
            "reviewer_id": reviewer_id,
            "source": source,
            "reason": row.reason,
            "was_assigned": assigned is not None,
            "had_draft": review is not None and not set_aside,
            "set_aside_submitted_review": set_aside,
        },
    )
    return row.id


def withdraw_conflict(session: Session, *, submission_id: int, reviewer_id: int, actor: str) -> None:
    """Remove a conflict the admin recorded (by mistake). A conflict declared
    by the reviewer themselves stays: it is their statement."""
    row = session.scalar(
        select(ConflictOfInterest).where(
            ConflictOfInterest.submission_id == submission_id, ConflictOfInterest.reviewer_id == reviewer_id
        )
    )
    if row is None:
        raise AssignmentError("No conflict of interest is recorded for that reviewer and submission.")
    if row.source != "admin":
        raise AssignmentError("The reviewer declared this conflict themselves; it cannot be withdrawn for them.")
    old = {"submission_id": submission_id, "reviewer_id": reviewer_id, "source": row.source, "reason": row.reason}
    session.delete(row)
    session.flush()
    audit.record(session, actor=actor, action="conflict.withdraw", entity="conflict", entity_id=row.id, old=old)


# --- automatic assignment ------------------------------------------------------


def _solver_inputs(session: Session):
    submissions = [
        SubmissionToAssign(id=i, reference=ref, organisation=org, contact_email=email)
        for i, ref, org, email in session.execute(
            select(Submission.id, Submission.reference, Submission.organisation, Submission.contact_email)
        )
    ]
    reviewers = [_reviewer_input(u) for u in session.scalars(select(User).where(User.role == Role.REVIEWER))]
    existing = [
        ExistingAssignment(submission_id=s, reviewer_id=r, finished=status == "submitted")
        for s, r, status in session.execute(
            select(Assignment.submission_id, Assignment.reviewer_id, Review.status).outerjoin(
                Review,
                (Review.submission_id == Assignment.submission_id) & (Review.reviewer_id == Assignment.reviewer_id),
            )
        )
    ]
    conflicts = [
        (s, r) for s, r in session.execute(select(ConflictOfInterest.submission_id, ConflictOfInterest.reviewer_id))
    ]
    return submissions, reviewers, existing, conflicts


def plan_assignments(session: Session, *, k: int, fit: FitInput | None = None) -> AssignmentPlan:
    """What an automatic run would add now (nothing is written); with `fit`
    (bids and expertise, `data_access.expertise.fit_input`), the best fit."""
    submissions, reviewers, existing, conflicts = _solver_inputs(session)
    return solve_assignment(submissions, reviewers, k=k, existing=existing, conflicts=conflicts, fit=fit)


def run_auto_assignment(session: Session, *, k: int, actor: str, fit: FitInput | None = None) -> AssignmentPlan:
    """Plan and write the new assignments in the caller's unit of work, with
    one audit entry per assignment and one for the run."""
    _lock(session)
    plan = plan_assignments(session, k=k, fit=fit)
    now = utcnow()
    ids: Sequence[int] = []
    if plan.new:
        ids = session.scalars(
            insert(Assignment).returning(Assignment.id, sort_by_parameter_order=True),
            [
                {"submission_id": s, "reviewer_id": r, "source": "auto", "created_by": actor, "created_at": now}
                for s, r in plan.new
            ],
        ).all()
    audit.record_many(
        session,
        actor=actor,
        entries=[
            {
                "action": "assignment.add",
                "entity": "assignment",
                "entity_id": i,
                "new": {"submission_id": s, "reviewer_id": r, "source": "auto"},
                "detail": "automatic assignment",
            }
            for i, (s, r) in zip(ids, plan.new, strict=True)
        ],
    )
    audit.record(
        session,
        actor=actor,
        action="assignment.auto_run",
        entity="assignment",
        new={"k": k, "added": len(plan.new), "short": [s.reference for s in plan.shortfalls]},
        detail=f"{len(plan.new)} assignments added; {len(plan.shortfalls)} submissions short of {k} reviewers",
    )
    return plan


# --- reading -------------------------------------------------------------------


@dataclass(frozen=True)
class PanelMember:
    """One reviewer as seen from one submission, for editing by hand."""

    reviewer_id: int
    name: str
    active: bool
    load: int
    capacity: int | None
    assigned: bool
    review_status: str | None  # draft, submitted or None
    conflict: str | None  # "reviewer" or "admin" when a conflict is recorded
    conflict_reason: str
    excluded: str | None  # why they may not be added (in words), or None


def submission_panel(session: Session, *, submission_id: int) -> list[PanelMember]:
    """Every reviewer with their relation to one submission (admin view)."""
    sub = session.get(Submission, submission_id)
    if sub is None:
        raise AssignmentError("No such submission.")
    target = _submission_input(sub)
    assigned = set(session.scalars(select(Assignment.reviewer_id).where(Assignment.submission_id == submission_id)))
    reviews = dict(
        session.execute(select(Review.reviewer_id, Review.status).where(Review.submission_id == submission_id)).all()
    )
    conflicts = {
        r: (src, reason)
        for r, src, reason in session.execute(
            select(ConflictOfInterest.reviewer_id, ConflictOfInterest.source, ConflictOfInterest.reason).where(
                ConflictOfInterest.submission_id == submission_id
            )
        )
    }
    loads = reviewer_loads(session)
    out = []
    for user in session.scalars(select(User).where(User.role == Role.REVIEWER).order_by(User.name)):
        load = loads.get(user.id, 0)
        reason = exclusion(target, _reviewer_input(user), conflicted=user.id in conflicts)
        excluded = describe_exclusion(reason, user.name) if reason else None
        if excluded is None and user.capacity is not None and load >= user.capacity:
            excluded = f"{user.name} is at capacity ({user.capacity})"
        conflict = conflicts.get(user.id)
        out.append(
            PanelMember(
                reviewer_id=user.id,
                name=user.name,
                active=user.active,
                load=load,
                capacity=user.capacity,
                assigned=user.id in assigned,
                review_status=reviews.get(user.id),
                conflict=conflict[0] if conflict else None,
                conflict_reason=conflict[1] if conflict else "",
                excluded=excluded,
            )
        )
    return out


def submissions_short(session: Session, *, k: int) -> int:
    """How many submissions have fewer than k reviewers who count: without a
    conflict, and active or with their review submitted (a deactivated
    reviewer's unfinished assignment will never be done; the automatic
    assignment replaces it, as `scoring.assignment` does)."""
    counts = (
        _without_conflict(select(Assignment.submission_id, func.count(Assignment.id).label("n")))
        .join(User, User.id == Assignment.reviewer_id)
        .outerjoin(
            Review,
            (Review.submission_id == Assignment.submission_id) & (Review.reviewer_id == Assignment.reviewer_id),
        )
        .where(User.active.is_(True) | (Review.status == "submitted"))
        .group_by(Assignment.submission_id)
        .subquery()
    )
    enough = select(counts.c.submission_id).where(counts.c.n >= k)
    return int(session.scalar(select(func.count(Submission.id)).where(Submission.id.not_in(enough))) or 0)


def submissions_to_reassign(session: Session, *, k: int) -> int:
    """How many submissions lost a reviewer to a declared conflict and now
    have fewer than k reviewers without one."""
    counts = (
        _without_conflict(select(Assignment.submission_id, func.count(Assignment.id).label("n")))
        .group_by(Assignment.submission_id)
        .subquery()
    )
    stmt = (
        select(func.count(func.distinct(Assignment.submission_id)))
        .join(
            ConflictOfInterest,
            (ConflictOfInterest.submission_id == Assignment.submission_id)
            & (ConflictOfInterest.reviewer_id == Assignment.reviewer_id),
        )
        .outerjoin(counts, counts.c.submission_id == Assignment.submission_id)
        .where(func.coalesce(counts.c.n, 0) < k)
    )
    return int(session.scalar(stmt) or 0)


# What the Assignments page's overview reads besides the reviews (`review_progress`, `submissions_short`,
# `conflicts_overview`): with which reviews are drafts and which submitted, the key of a cache of it (`progress_key`).
PROGRESS_TABLES = ("assignments", "conflicts_of_interest", "users", "submissions")


def progress_key(session: Session) -> tuple:
    """The key of the Assignments page's overview: the versions of `PROGRESS_TABLES`, the submitted reviews' key
    (`reviews.submitted_key`) and the drafts' (how many, the sum and the largest of their ids; one aggregate read).
    A draft saved again (the normal case while reviewing) moves none of them. A review started is a new row (the
    drafts' count); one submitted, reopened or set aside moves the submitted reviews' key; a review is deleted only
    with its submission (erased or purged: `submissions` moves, `db.ROWS_CHANGED_WITH`); so any change to which
    reviews are drafts and which submitted moves it. Read it in the same state as what it keys (`Database.snapshot`)."""
    drafts = session.execute(
        select(func.count(Review.id), func.sum(Review.id), func.max(Review.id)).where(Review.status == "draft")
    ).one()
    return (*audit.tables_version(session, *PROGRESS_TABLES), tuple(drafts), submitted_key(session))


def submission_references(session: Session) -> dict[str, int]:
    """Reference -> id of every submission, in reference order (admin pickers)."""
    return dict(session.execute(select(Submission.reference, Submission.id).order_by(Submission.reference)).all())


def conflicts_overview(session: Session) -> pd.DataFrame:
    """Every conflict of interest with what became of the submission's reviewing:
    reference, reviewer, who recorded it, why, when, whether the reviewer had
    been assigned, and how many reviewers without a conflict it has now."""
    reviewers_now = (
        _without_conflict(select(Assignment.submission_id, func.count(Assignment.id).label("n")))
        .group_by(Assignment.submission_id)
        .subquery()
    )
    was_assigned = (
        select(Assignment.id)
        .where(
            Assignment.submission_id == ConflictOfInterest.submission_id,
            Assignment.reviewer_id == ConflictOfInterest.reviewer_id,
        )
        .exists()
    )
    rows = session.execute(
        select(
            ConflictOfInterest.submission_id,
            Submission.reference,
            ConflictOfInterest.reviewer_id,
            User.name,
            ConflictOfInterest.source,
            ConflictOfInterest.reason,
            ConflictOfInterest.created_at,
            was_assigned,
            func.coalesce(reviewers_now.c.n, 0),
        )
        .join(Submission, Submission.id == ConflictOfInterest.submission_id)
        .join(User, User.id == ConflictOfInterest.reviewer_id)
        .outerjoin(reviewers_now, reviewers_now.c.submission_id == ConflictOfInterest.submission_id)
        .order_by(ConflictOfInterest.created_at.desc(), ConflictOfInterest.id.desc())
    ).all()
    columns = [
        "submission_id",
        "reference",
        "reviewer_id",
        "reviewer",
        "source",
        "reason",
        "declared_at",
        "was_assigned",
        "reviewers_now",
    ]
    frame = pd.DataFrame(rows, columns=columns)
    frame["was_assigned"] = frame["was_assigned"].astype(bool)
    return frame
