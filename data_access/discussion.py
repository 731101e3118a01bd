"""The panel's discussion of a submission (issue 18): one thread per submission.

Who reads a thread: the admin and the office, and a reviewer who is assigned
the submission, has not declared a conflict with it and has submitted their own
review of it: the rule of reading the others' reviews
(`data_access.reviews.reviews_of_submission`). Who posts: the admin and those
reviewers; the office reads and does not post (it "reads everything, changes
nothing of the reviews"). The rights are read from the database in the
caller's transaction at the moment of each call, posting included: an account
deactivated or renamed, an assignment removed, a conflict declared or a review
reopened since the page was drawn stops the next call with `AccessDenied`
(`DiscussionNotYet`, an `AccessDenied`, when the only thing missing is the
reviewer's own submitted review: the page says so without logging a refusal).

Authors are shown the way the reviews show them to the same viewer: the admin
and the office see names; a reviewer sees "You", "Reviewer A", "Reviewer B"...
(the letters of the reviews they read beside the thread), and "Admin" for the
admin, never another reviewer's name or id. A post is the text typed, shown
as text by the pages (`ui.discussion`); it carries nothing of the submission,
so an anonymous contributor's identity reaches no thread from the data layer.

Posts are append-only: never edited or deleted (an erased submission takes
its thread with it). Each post is audited (`discussion.post`) with the
submission and its length in characters, not its text.

A thread is open while it has posts and the panel has not closed the
submission's flag: `open_discussions` takes the closed flags as `closed_ids`
(from the decisions the admin records).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from access.roles import STAFF, Role
from access.visibility import Viewer, review_author_label
from config import limits
from data_access import audit
from data_access.errors import AccessDenied
from data_access.models import (
    Assignment,
    ConflictOfInterest,
    DiscussionPost,
    Review,
    Submission,
    User,
    utcnow,
)

POST_MAX = limits.DISCUSSION_POST
EMPTY_POST = "Write something before posting: an empty post is not added."
NUL_IN_POST = "The post holds a NUL character, which cannot be stored. Remove it and try again."
OFFICE_READS_ONLY = "the office reads the panel's discussion and does not post"
ROLE_WORDS: dict[str, str] = {Role.ADMIN: "Admin", Role.OFFICE: "Office", Role.REVIEWER: "Reviewer"}


class DiscussionNotYet(AccessDenied):
    """A reviewer assigned the submission who has not submitted their own review (yet)."""


class PostError(ValueError):
    """A post that cannot be added as written (empty, too long, a NUL); nothing was changed."""


@dataclass(frozen=True)
class Post:
    id: int
    author: str  # as this viewer may see it: a name (staff), "Reviewer A", "Admin" or "You"
    own: bool
    body: str
    created_at: dt.datetime


@dataclass(frozen=True)
class Thread:
    submission_id: int
    posts: tuple[Post, ...]
    may_post: bool


@dataclass(frozen=True)
class DiscussionSummary:
    submission_id: int
    reference: str
    posts: int
    last_post_at: dt.datetime
    open: bool


def _role_now(session: Session, viewer: Viewer) -> str:
    """The viewer's role read from the database now; refused if the account is gone, inactive or renamed."""
    row = session.execute(select(User.role, User.active, User.username).where(User.id == viewer.user_id)).first()
    return _active_role(row, viewer)


def _active_role(row, viewer: Viewer) -> str:
    if row is None or not row.active or row.username != viewer.username:
        raise AccessDenied("account not active")
    return row.role


def _check(session: Session, viewer: Viewer, submission_id: int) -> str:
    """The viewer's role now, when they may read this submission's discussion; else AccessDenied.
    One statement (run on every rerun of a review's page): the account's columns, the submission's id and
    the viewer's assignment, conflict and review of it, never whole rows."""
    row = session.execute(
        select(
            User.role,
            User.active,
            User.username,
            Submission.id.label("submission"),
            Assignment.id.label("assignment"),
            ConflictOfInterest.id.label("conflict"),
            Review.status,
        )
        .select_from(User)
        .outerjoin(Submission, Submission.id == submission_id)
        .outerjoin(Assignment, (Assignment.submission_id == Submission.id) & (Assignment.reviewer_id == User.id))
        .outerjoin(
            ConflictOfInterest,
            (ConflictOfInterest.submission_id == Submission.id) & (ConflictOfInterest.reviewer_id == User.id),
        )
        .outerjoin(Review, (Review.submission_id == Submission.id) & (Review.reviewer_id == User.id))
        .where(User.id == viewer.user_id)
    ).first()
    role = _active_role(row, viewer)
    assert row is not None  # _active_role refused a missing account
    if row.submission is None:
        raise AccessDenied("no such submission")
    if role in STAFF:
        return role
    if role != Role.REVIEWER:
        raise AccessDenied("unknown role")
    if row.conflict is not None:
        raise AccessDenied("conflict of interest declared")
    if row.assignment is None:
        raise AccessDenied("not assigned")
    if row.status != "submitted":
        raise DiscussionNotYet("own review not submitted")
    return role


def _reviewer_labels(session: Session, *, submission_id: int, viewer_id: int) -> dict[int, str]:
    """Reviewer ids -> "Reviewer A"...: the letters `reviews_of_submission` gives
    the other submitted reviews, in the same order (by review)."""
    labels: dict[int, str] = {}
    others = 0
    for reviewer_id, status in session.execute(
        select(Review.reviewer_id, Review.status).where(Review.submission_id == submission_id).order_by(Review.id)
    ):
        if reviewer_id == viewer_id or status != "submitted":
            continue
        others += 1
        labels[reviewer_id] = review_author_label(Role.REVIEWER, own=False, name="", position=others)
    return labels


def thread(session: Session, *, viewer: Viewer, submission_id: int) -> Thread:
    """The submission's discussion as this viewer may see it, oldest post first.
    Raises AccessDenied (or DiscussionNotYet) if they may not read it now."""
    role = _check(session, viewer, submission_id)
    rows = session.execute(
        select(
            DiscussionPost.id,
            DiscussionPost.author_id,
            DiscussionPost.author_role,
            DiscussionPost.body,
            DiscussionPost.created_at,
            User.name,
        )
        .join(User, User.id == DiscussionPost.author_id)
        .where(DiscussionPost.submission_id == submission_id)
        .order_by(DiscussionPost.id)
    ).all()
    labels = {} if role in STAFF else _reviewer_labels(session, submission_id=submission_id, viewer_id=viewer.user_id)
    others = len(labels)
    posts = []
    for post_id, author_id, author_role, body, created_at, name in rows:
        own = author_id == viewer.user_id
        if own:
            author = "You"
        elif role in STAFF:
            author = name if author_role == Role.REVIEWER else f"{name} ({ROLE_WORDS.get(author_role, author_role)})"
        elif author_role != Role.REVIEWER:
            author = ROLE_WORDS.get(author_role, "Panel")
        else:
            if author_id not in labels:  # their review is not submitted now (reopened, or set aside)
                others += 1
                labels[author_id] = review_author_label(Role.REVIEWER, own=False, name="", position=others)
            author = labels[author_id]
        posts.append(Post(id=post_id, author=author, own=own, body=body, created_at=created_at))
    return Thread(submission_id=submission_id, posts=tuple(posts), may_post=role != Role.OFFICE)


def check_body(body: str | None) -> str:
    """The post as it will be stored (surrounding blank space trimmed); PostError if it cannot be."""
    text = (body or "").strip()
    if not text:
        raise PostError(EMPTY_POST)
    if "\x00" in text:
        raise PostError(NUL_IN_POST)
    if problem := limits.too_long("The post", text, POST_MAX):
        raise PostError(problem)
    return text


def add_post(session: Session, *, viewer: Viewer, submission_id: int, body: str) -> Post:
    """Add the viewer's post to the submission's discussion, audited (submission
    and length, not the text). Raises AccessDenied (the office, or anyone who may
    not read the thread now) before PostError (empty, too long, a NUL)."""
    role = _check(session, viewer, submission_id)
    if role == Role.OFFICE:
        raise AccessDenied(OFFICE_READS_ONLY)
    text = check_body(body)
    now = utcnow()
    post = DiscussionPost(
        submission_id=submission_id, author_id=viewer.user_id, author_role=role, body=text, created_at=now
    )
    session.add(post)
    session.flush()
    audit.record(
        session,
        actor=viewer.username,
        action="discussion.post",
        entity="discussion_post",
        entity_id=post.id,
        new={"submission_id": submission_id, "characters": len(text)},
    )
    return Post(id=post.id, author="You", own=True, body=text, created_at=now)


def open_discussions(session: Session, *, viewer: Viewer, closed_ids: Collection[int] = ()) -> list[DiscussionSummary]:
    """Every submission with a discussion (admin and office only): its post
    count, last post, and whether it is open (it has posts and its flag is not
    in `closed_ids`, the flags the panel has closed). Latest post first."""
    if _role_now(session, viewer) not in STAFF:
        raise AccessDenied("only the admin and the office see the list of discussions")
    closed = set(closed_ids)
    rows = session.execute(
        select(
            DiscussionPost.submission_id,
            Submission.reference,
            func.count(DiscussionPost.id),
            func.max(DiscussionPost.created_at),
        )
        .join(Submission, Submission.id == DiscussionPost.submission_id)
        .group_by(DiscussionPost.submission_id, Submission.reference)
    ).all()
    out = [
        DiscussionSummary(
            submission_id=sid,
            reference=ref,
            posts=int(n),
            last_post_at=last,
            open=sid not in closed,
        )
        for sid, ref, n, last in rows
    ]
    return sorted(out, key=lambda d: (d.last_post_at, d.submission_id), reverse=True)
