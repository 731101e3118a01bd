"""Autosaved review input: what a reviewer typed, kept on the server between saves.

The review form (`ui.autosave`) keeps its unsaved values here as the reviewer
works, so that a reload, a closed tab, signing out or another device finds
them again. One row per reviewer and submission (`review_autosaves`) holds the
values and the version of the review they started from (`base_version`): when
they are restored and later saved, `save_review` still compares that version,
so a review changed meanwhile in another window is shown side by side, never
overwritten.

An autosave is never a review: it does not change the `reviews` row (a
submitted review stays exactly as submitted), rankings, exports and other
people's views never read it, and a real save or submit deletes it in the
same unit of work (`data_access.reviews.save_review`). It is refused like a
save: `AccessDenied` for a submission not assigned to the reviewer or in
conflict, `ReviewingClosed` once reviewing is closed, `ReviewError` for values
a draft may not hold (the comment's length limit, unknown scores), and
`StaleReview` while the review stands submitted (reopen it first).

The audit log gets one `review.autosave` entry per draft session (when the
row is created: the first autosave after a save, a submit or ever), not one
per keystroke; the table is bookkeeping (`data_access.db.BOOKKEEPING_TABLES`)
and the action of kind draft, so autosaving never moves the data version
that keys the office's caches.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from config.call_config import CallConfig
from data_access import audit
from data_access.models import ReviewAutosave, utcnow
from data_access.reviews import (
    ReviewDraft,
    ReviewError,
    StaleReview,
    check_may_save,
    get_own_review,
    may_review,
)


@dataclass(frozen=True)
class Autosave:
    submission_id: int
    base_version: int
    draft: ReviewDraft
    saved_at: dt.datetime
    started_at: dt.datetime

    def as_values(self) -> dict:
        return {
            "scores": dict(self.draft.scores),
            "comment": self.draft.comment,
            "recommendation": self.draft.recommendation,
            "confidence": self.draft.confidence,
        }


def _stored_values(draft: ReviewDraft) -> dict:
    # JSON keys are strings: "cannot judge" (None) is kept as null under the criterion.
    return {
        "scores": dict(draft.scores),
        "comment": draft.comment,
        "recommendation": draft.recommendation,
        "confidence": draft.confidence,
    }


def autosave_review(
    session: Session,
    *,
    submission_id: int,
    reviewer_id: int,
    actor: str,
    draft: ReviewDraft,
    base_version: int,
    config: CallConfig,
) -> dt.datetime:
    """Keep the form's unsaved values; returns when. Raises AccessDenied,
    ReviewingClosed, ReviewError or StaleReview (the review stands submitted)."""
    if isinstance(base_version, bool) or not isinstance(base_version, int) or base_version < 0:
        raise ReviewError([f"Not a version a form starts from: {base_version!r}."])
    check_may_save(
        session, submission_id=submission_id, reviewer_id=reviewer_id, draft=draft, submit=False, config=config
    )
    own = get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id)
    if own is not None and own.status == "submitted":
        raise StaleReview(own)
    now = utcnow()
    values = _stored_values(draft)
    key = {"reviewer_id": reviewer_id, "submission_id": submission_id}
    # Two tabs autosaving at the same moment meet at the primary key: one inserts (and
    # writes the draft session's audit entry), the other updates.
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    inserted = session.execute(
        insert(ReviewAutosave)
        .values(**key, base_version=base_version, values=values, started_at=now, saved_at=now)
        .on_conflict_do_nothing()
        .returning(ReviewAutosave.submission_id)
    ).first()
    if inserted is None:
        session.execute(
            update(ReviewAutosave)
            .where(ReviewAutosave.reviewer_id == reviewer_id, ReviewAutosave.submission_id == submission_id)
            .values(base_version=base_version, values=values, saved_at=now)
            .execution_options(synchronize_session=False)
        )
        return now
    audit.record(
        session,
        actor=actor,
        action="review.autosave",
        entity="submission",
        entity_id=submission_id,
        new={"submission_id": submission_id, "base_version": base_version},
        detail="began keeping this reviewer's unsaved input automatically, until they save or submit",
    )
    return now


def get_autosave(session: Session, *, submission_id: int, reviewer_id: int) -> Autosave | None:
    """The reviewer's autosaved input for this submission, if any, while they may
    still review it and their review is not submitted (an autosave racing a
    submit on another server may outlive it: it is not brought back then)."""
    if not may_review(session, submission_id=submission_id, reviewer_id=reviewer_id):
        return None
    own = get_own_review(session, submission_id=submission_id, reviewer_id=reviewer_id)
    if own is not None and own.status == "submitted":
        return None
    row = session.scalar(
        select(ReviewAutosave).where(
            ReviewAutosave.reviewer_id == reviewer_id, ReviewAutosave.submission_id == submission_id
        )
    )
    if row is None:
        return None
    values = row.values or {}
    return Autosave(
        submission_id=submission_id,
        base_version=row.base_version,
        draft=ReviewDraft(
            scores=dict(values.get("scores") or {}),
            comment=values.get("comment") or "",
            recommendation=values.get("recommendation"),
            confidence=values.get("confidence"),
        ),
        saved_at=row.saved_at,
        started_at=row.started_at,
    )


def clear_autosave(session: Session, *, submission_id: int, reviewer_id: int) -> None:
    """Forget the reviewer's autosaved input for this submission (their own choice, or after a conflict)."""
    session.execute(
        delete(ReviewAutosave).where(
            ReviewAutosave.reviewer_id == reviewer_id, ReviewAutosave.submission_id == submission_id
        )
    )
