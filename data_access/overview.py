"""Counts for the Overview page and what each person should do next."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.roles import Role
from access.visibility import Viewer
from config.call_config import CallConfig
from data_access.assignments import submissions_to_reassign
from data_access.call_state import reviewing_closed
from data_access.models import (
    Assignment,
    DuplicateFlag,
    Review,
    Submission,
    SubmissionCode,
    User,
)
from data_access.standing import standing_assignments, standing_reviews


@dataclass(frozen=True)
class NextStep:
    text: str
    page: str | None = None  # a key of ui.navigation.PAGES


@dataclass(frozen=True)
class Overview:
    submissions: int
    by_theme: dict[str, int]
    reviewers: int
    assignments_due: int  # assignments without a conflict
    reviews_submitted: int
    reviews_draft: int
    fully_reviewed: int  # submissions with at least k submitted reviews
    reviewing_closed: bool
    deadline_passed_open: bool = False  # the review deadline has passed and reviewing is still open
    own_due: int = 0
    own_draft: int = 0
    own_submitted: int = 0
    next_steps: list[NextStep] = field(default_factory=list)

    @property
    def percent_done(self) -> float:
        return 100.0 * self.reviews_submitted / self.assignments_due if self.assignments_due else 0.0


def _due_assignments(session: Session, reviewer_id: int | None = None) -> int:
    stmt = standing_assignments(select(func.count(Assignment.id)))
    if reviewer_id is not None:
        stmt = stmt.where(Assignment.reviewer_id == reviewer_id)
    return int(session.scalar(stmt) or 0)


def build_overview(session: Session, *, viewer: Viewer, config: CallConfig, today: dt.date | None = None) -> Overview:
    today = today or dt.date.today()
    n_subs = int(session.scalar(select(func.count(Submission.id))) or 0)
    by_theme = dict(
        session.execute(
            select(SubmissionCode.code, func.count())
            .where(SubmissionCode.field == "themes")
            .group_by(SubmissionCode.code)
        ).all()
    )
    statuses = dict(session.execute(select(Review.status, func.count()).group_by(Review.status)).all())
    k = config.reviewers_per_submission
    per_sub = (
        select(Review.submission_id)
        .where(Review.status == "submitted")
        .group_by(Review.submission_id)
        .having(func.count() >= k)
        .subquery()
    )
    fully = int(session.scalar(select(func.count()).select_from(per_sub)) or 0)
    closed = reviewing_closed(session)
    overview: dict[str, Any] = {
        "submissions": n_subs,
        "by_theme": by_theme,
        "reviewers": int(
            session.scalar(select(func.count(User.id)).where(User.role == Role.REVIEWER, User.active)) or 0
        ),
        "assignments_due": _due_assignments(session),
        "reviews_submitted": statuses.get("submitted", 0),
        "reviews_draft": statuses.get("draft", 0),
        "fully_reviewed": fully,
        "reviewing_closed": closed,
        "deadline_passed_open": today > config.review_deadline and not closed,
    }
    if viewer.role == Role.REVIEWER:
        steps = _reviewer_steps(session, viewer=viewer, config=config, today=today, overview=overview)
    elif viewer.role == Role.ADMIN:
        steps = _admin_steps(session, k=k, overview=overview)
    else:
        steps = [
            NextStep("See what the evidence covers and where the gaps are.", "coverage"),
            NextStep(f"{fully} of {n_subs} submissions are fully reviewed; see the rankings.", "rankings"),
        ]
    overview["next_steps"] = steps
    return Overview(**overview)


def _reviewer_steps(
    session: Session, *, viewer: Viewer, config: CallConfig, today: dt.date, overview: dict
) -> list[NextStep]:
    """A reviewer's own counts (added to `overview`) and what they should do next."""
    # Only reviews of submissions still assigned to them without a conflict.
    own = dict(
        session.execute(
            standing_reviews(select(Review.status, func.count()))
            .where(Review.reviewer_id == viewer.user_id)
            .group_by(Review.status)
        ).all()
    )
    due = _due_assignments(session, viewer.user_id)
    overview.update(own_due=due, own_draft=own.get("draft", 0), own_submitted=own.get("submitted", 0))
    left = due - own.get("submitted", 0)
    if overview["reviewing_closed"]:
        return [NextStep("Reviewing is closed: your reviews can no longer change.")]
    if due == 0:
        return [NextStep("Nothing is assigned to you yet. The coordinator will assign submissions.")]
    if left <= 0:
        return [
            NextStep(
                "All your reviews are submitted. Thank you! You can now read the other reviews "
                "of the submissions you reviewed.",
                "my_reviews",
            )
        ]
    steps = [
        NextStep(
            f"Review {left} more submission{'s' if left != 1 else ''} ({own.get('draft', 0)} saved as drafts).",
            "my_reviews",
        )
    ]
    if today <= config.review_deadline:
        days = (config.review_deadline - today).days
        steps.append(NextStep(f"The review deadline is in {days} day{'s' if days != 1 else ''}."))
    return steps


def _admin_steps(session: Session, *, k: int, overview: dict) -> list[NextStep]:
    """What the coordinator should do next, in the order of the work."""
    n_subs, fully, closed = overview["submissions"], overview["fully_reviewed"], overview["reviewing_closed"]
    steps: list[NextStep] = []
    if n_subs == 0:
        steps.append(NextStep("Import the submissions from your spreadsheet.", "import"))
    unassigned = int(
        session.scalar(select(func.count(Submission.id)).where(~Submission.id.in_(select(Assignment.submission_id))))
        or 0
    )
    if unassigned:
        steps.append(
            NextStep(
                f"{unassigned} submission{'s have' if unassigned != 1 else ' has'} no reviewer yet: "
                "run the assignment.",
                "assignments",
            )
        )
    conflicts = submissions_to_reassign(session, k=k)
    if conflicts:
        steps.append(
            NextStep(
                f"{conflicts} submission{'s' if conflicts != 1 else ''} lost a reviewer to a declared "
                "conflict of interest: reassign them.",
                "assignments",
            )
        )
    flags = int(session.scalar(select(func.count(DuplicateFlag.id)).where(DuplicateFlag.status == "open")) or 0)
    if flags:
        steps.append(NextStep(f"Decide on {flags} likely duplicate submission{'s' if flags != 1 else ''}.", "import"))
    if n_subs and fully >= n_subs and not closed:
        steps.append(NextStep("Every submission is fully reviewed: close reviewing and pick the line-up.", "selection"))
    elif n_subs:
        steps.append(
            NextStep(
                f"{overview['reviews_submitted']} of {overview['assignments_due']} reviews are in; "
                "follow up with reviewers who are behind.",
                "assignments",
            )
        )
    return steps
