"""Reviews whose assignment still stands, and assignments without a conflict: one helper each."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import delete, func, select

from data_access.models import Assignment, ConflictOfInterest, Review
from data_access.standing import standing_assignments, standing_reviews
from tests.factories import assign, make_submission, make_user, submit_review

ROOT = Path(__file__).resolve().parents[2]


def test_only_reviews_and_assignments_that_stand_are_counted(db, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
        kept, removed, conflicted = (make_submission(s, call_config) for _ in range(3))
        for sid in (kept, removed, conflicted):
            assign(s, sid, reviewer)
            submit_review(s, call_config, sid, reviewer)
        s.execute(delete(Assignment).where(Assignment.submission_id == removed))
        s.add(
            ConflictOfInterest(
                submission_id=conflicted, reviewer_id=reviewer.user_id, source="admin", declared_by="test"
            )
        )
    with db.read() as s:
        assert s.scalar(select(func.count(Review.id))) == 3
        reviews = s.scalars(standing_reviews(select(Review.submission_id))).all()
        assignments = s.scalars(standing_assignments(select(Assignment.submission_id))).all()
    assert reviews == [kept]
    assert assignments == [kept]


def test_the_joins_are_written_once_in_the_data_layer():
    join = "(Assignment.submission_id == Review.submission_id) & (Assignment.reviewer_id == Review.reviewer_id)"
    without = "ConflictOfInterest.id.is_(None)"
    files = list((ROOT / "data_access").glob("*.py"))
    assert [p.name for p in files if join in p.read_text()] == ["standing.py"]
    assert [p.name for p in files if without in p.read_text()] == ["standing.py"]
