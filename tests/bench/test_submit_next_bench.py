"""bench/submit_next_bench.py's parts that need no browser: the percentile, the
reviewer's extra assignments (on SQLite and PostgreSQL), and run_all finding
it. The bench itself runs tiny in tests/browser/test_submit_next_bench.py."""

from __future__ import annotations

import argparse
import random

from sqlalchemy import func, select

from bench import run_all
from bench.bulk_seed import seed_bulk
from bench.submit_next_bench import REVIEWER, give_assignments, p95, submitted_reviews
from data_access.models import Assignment, AuditEntry, Submission, User


def test_p95_is_the_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    random.Random(3).shuffle(values)
    assert p95(values) == 95.0
    assert p95(values[:20]) == sorted(values[:20])[18]  # 95% of 20 is the 19th
    assert p95([0.4]) == 0.4


def test_the_reviewer_is_given_new_assignments_in_reference_order_through_the_app(db, call_config):
    seed_bulk(db, config=call_config, submissions=40, reviewers=3, per_submission=2)
    with db.read() as s:
        reviewer = s.scalar(select(User.id).where(User.username == REVIEWER))
        had = set(s.scalars(select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer)))
    submitted = submitted_reviews(db.url)
    assert submitted == len(had)  # bulk_seed submits every assignment's review

    references, total = give_assignments(db.url, 4)

    assert references == sorted(references) and len(set(references)) == 4
    with db.read() as s:
        now = set(s.scalars(select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer)))
        logged = s.scalar(
            select(func.count(AuditEntry.id)).where(AuditEntry.actor == "bench", AuditEntry.action == "assignment.add")
        )
    assert len(now - had) == 4 and now >= had and total == len(now)
    assert logged == 4  # through add_assignment, audited like any assignment
    assert submitted_reviews(db.url) == submitted  # nothing reviewed yet


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["submit_next"])
    assert [s.name for s in scripts] == ["submit_next_bench.py"]
    assert "submit_next_bench.py" in [s.name for s in run_all._scripts(argparse.ArgumentParser(), None)]


def test_another_reviewer_can_be_given_the_assignments(db, call_config):
    seed_bulk(db, config=call_config, submissions=30, reviewers=3, per_submission=1)
    references, total = give_assignments(db.url, 2, "bench-reviewer-03")
    with db.read() as s:
        theirs = set(
            s.scalars(
                select(Submission.reference)
                .join(Assignment, Assignment.submission_id == Submission.id)
                .join(User, User.id == Assignment.reviewer_id)
                .where(User.username == "bench-reviewer-03")
            )
        )
    assert set(references) <= theirs and len(theirs) == total
