"""What imports changed, and "Changed since your review" (issue 19).

An import that updates a submission records one `SubmissionChange` per
submission (`record_changes`, in the import's unit of work): which fields, by
name only, which batch, when. A reviewer whose review of it (draft or
submitted) was last saved before a change sees "Changed since your review",
with the names of the fields changed since (`changed_since_review`); it clears
when they save or submit their review again (its `updated_at` then follows
the change). The admin sees which submissions changed after a review of
theirs (`changed_after_reviews`).

Field names are safe to show: they say which kind of thing changed, never a
value, so an anonymous contributor's identity cannot leak through them.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from access.visibility import IDENTITY, field_class
from data_access.models import ConflictOfInterest, Review, SubmissionChange, utcnow
from importing import FIELDS_BY_NAME
from importing.source_key import SOURCE_KEY, change_label

_CHANGES = cast(Table, SubmissionChange.__table__)
_LABELS = {name: f.label for name, f in FIELDS_BY_NAME.items()}


def field_label(name: str) -> str:
    return change_label(name, _LABELS)


def updated_field_counts(rows: Iterable[Any]) -> dict[str, int]:
    """How many updated submissions each field changed in (names only)."""
    counts: Counter[str] = Counter()
    for r in rows:
        counts.update(list(r.changes))  # the names (a mapping would add its values)
    return dict(sorted(counts.items()))


def audit_values(changes: dict[str, tuple[Any, Any]], *, batch_id: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """An update's old and new values for its audit entry: an identity field's values are not
    copied into the log (the batch's list of changes, admin-only, keeps them)."""
    hidden = f"(changed by import batch {batch_id})"
    old, new = {}, {}
    for name, (before, after) in changes.items():
        identity = name != SOURCE_KEY and field_class(name) == IDENTITY
        old[name] = hidden if identity else before
        new[name] = hidden if identity else after
    return old, new


def record_changes(
    session: Session, rows: Sequence[Any], *, batch_id: int, actor: str, now: dt.datetime | None = None
) -> None:
    """One change record per updated row (its submission, its changed fields' names)."""
    params = [
        {
            "submission_id": r.submission_id,
            "import_batch_id": batch_id,
            "fields": [name for name in r.changes if name != SOURCE_KEY],
            "changed_by": actor[:64],
            "changed_at": now or utcnow(),
        }
        for r in rows
    ]
    params = [p for p in params if p["fields"]]  # a key recorded for the first time changes no content
    if params:
        session.execute(insert(_CHANGES), params)


def _ordered(names: Iterable[str]) -> list[str]:
    order = list(FIELDS_BY_NAME)
    return sorted(set(names), key=lambda n: order.index(n) if n in order else len(order))


def _labels_by_submission(session: Session, stmt: Any) -> dict[int, list[str]]:
    """(submission id, field names) rows -> submission id -> the fields' labels, in the template's order."""
    found: dict[int, set[str]] = defaultdict(set)
    for sid, names in session.execute(stmt):
        found[sid].update(names or [])
    return {sid: [field_label(n) for n in _ordered(names)] for sid, names in found.items()}


def changed_since_review(session: Session, *, reviewer_id: int) -> dict[int, list[str]]:
    """The reviewer's reviewed submissions (draft or submitted) changed by an import since they last
    saved their review: submission id -> the changed fields' labels. A submission they declared a
    conflict with is left out (they see its reference alone)."""
    conflicted = select(ConflictOfInterest.submission_id).where(ConflictOfInterest.reviewer_id == reviewer_id)
    stmt = (
        select(SubmissionChange.submission_id, SubmissionChange.fields)
        .join(Review, Review.submission_id == SubmissionChange.submission_id)
        .where(
            Review.reviewer_id == reviewer_id,
            SubmissionChange.changed_at > Review.updated_at,
            SubmissionChange.submission_id.not_in(conflicted),
        )
    )
    return _labels_by_submission(session, stmt)


def changed_after_reviews(session: Session) -> dict[int, list[str]]:
    """For the admin: submissions an import changed after a review of them was last saved
    (some reviewer has not seen the change yet): submission id -> changed fields' labels."""
    stmt = (
        select(SubmissionChange.submission_id, SubmissionChange.fields)
        .join(Review, Review.submission_id == SubmissionChange.submission_id)
        .where(SubmissionChange.changed_at > Review.updated_at)
    )
    return _labels_by_submission(session, stmt)
