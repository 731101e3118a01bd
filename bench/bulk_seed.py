#!/usr/bin/env python
"""A large synthetic call, written fast, for the benchmarks.

    .venv/bin/python bench/bulk_seed.py sqlite:////tmp/big.db                # 10,000 submissions
    .venv/bin/python bench/bulk_seed.py URL --submissions 2000 --reviewers 20

Writes into an empty, migrated database: an admin (`admin`), an office user
(`office`), `--reviewers` reviewers (`bench-reviewer-01`...; every password is
`bench-pass`), `--submissions` submissions drawn like the demo call's
(`data_access.demo.generate_demo`, so with its gaps and its mix of nations,
stages and impacts), each assigned to `--per-submission` reviewers and, by
default, reviewed by all of them (10,000 x 3 = 30,000 submitted reviews, with
lenient and harsh reviewers and some "cannot judge"), submitted over the
eighteen days after the call closed. One audit entry records the seeding.

It bypasses the app's per-row functions (and their per-row audit entries) and
inserts with SQLAlchemy Core in bulk: ~10 s for the default size on SQLite,
where the app's own functions would take minutes. Not for real data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from config import MULTI_VALUED, SINGLE_VALUED, CallConfig, load_call_config
from data_access import audit
from data_access.db import Database
from data_access.demo import generate_demo
from data_access.models import (
    Assignment,
    Review,
    ReviewScore,
    Submission,
    SubmissionCode,
    User,
    utcnow,
)
from data_access.users import hash_password

PASSWORD = "bench-seed-sign-in"  # noqa: S105 - synthetic accounts of a throwaway database
ACTOR = "bench-seed"
CHUNK = 5_000


def _chunks(rows: list[dict]):
    for start in range(0, len(rows), CHUNK):
        yield rows[start : start + CHUNK]


def seed_bulk(
    db: Database,
    *,
    config: CallConfig,
    submissions: int = 10_000,
    reviewers: int = 50,
    per_submission: int = 3,
    reviewed_share: float = 1.0,
    seed: int = 42,
) -> dict[str, int]:
    """Write the call in one transaction; refuses a database that has submissions or users."""
    rng = random.Random(seed)
    now = utcnow()
    closed = dt.datetime.combine(config.submissions_close, dt.time(10), tzinfo=dt.UTC)
    password = hash_password(PASSWORD, username=None, rounds=4)
    people = [("admin", "Bench Admin", "admin"), ("office", "Bench Office", "office")]
    people += [(f"bench-reviewer-{i + 1:02d}", f"Bench Reviewer {i + 1:02d}", "reviewer") for i in range(reviewers)]
    inputs = generate_demo(config, n=submissions, seed=seed).submissions

    with db.write() as session:
        if session.scalar(select(func.count(Submission.id))) or session.scalar(select(func.count(User.id))):
            raise RuntimeError("The database is not empty; the bench call is only written into an empty one.")
        user_rows = [
            {"id": i + 1, "username": u, "name": n, "role": r, "password_hash": password, "active": True}
            for i, (u, n, r) in enumerate(people)
        ]
        session.execute(insert(User), user_rows)
        reviewer_ids = [row["id"] for row in user_rows if row["role"] == "reviewer"]
        sub_rows, code_rows = _submission_rows(inputs, config, now)
        _insert(session, Submission, sub_rows)
        _insert(session, SubmissionCode, code_rows)
        assignment_rows, review_rows, score_rows = _review_rows(
            rng,
            reviewer_ids,
            len(inputs),
            config=config,
            per_submission=per_submission,
            reviewed_share=reviewed_share,
            closed=closed,
        )
        _insert(session, Assignment, assignment_rows)
        _insert(session, Review, review_rows)
        _insert(session, ReviewScore, score_rows)
        if db.dialect == "postgresql":  # explicit ids: move the sequences past them
            for table in ("users", "submissions", "reviews"):
                session.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")  # noqa: S608 - fixed names
                )
        counts = {
            "users": len(user_rows),
            "submissions": len(sub_rows),
            "codes": len(code_rows),
            "assignments": len(assignment_rows),
            "reviews": len(review_rows),
            "scores": len(score_rows),
        }
        audit.record(session, actor=ACTOR, action="bench.seed", entity="call", new=counts)
    return counts


def _insert(session, model, rows: list[dict]) -> None:
    for chunk in _chunks(rows):
        session.execute(insert(model), chunk)


def _submission_rows(inputs, config: CallConfig, now: dt.datetime) -> tuple[list[dict], list[dict]]:
    """Rows of `submissions` and of `submission_codes` for the generated inputs (ids from 1)."""
    sub_rows, code_rows = [], []
    for i, data in enumerate(inputs, start=1):
        sub_rows.append(
            {
                "id": i,
                "reference": f"{config.reference_prefix}-{i:05d}",
                "title": data.title,
                "summary": data.summary,
                "received_at": data.received_at,
                "organisation": data.organisation,
                "contact_name": data.contact_name,
                "contact_email": data.contact_email,
                "anonymous": bool(data.anonymous),
                "region": data.region,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                **{name: getattr(data, name) for name in SINGLE_VALUED},
            }
        )
        for name in MULTI_VALUED:
            code_rows += [
                {"submission_id": i, "field": name, "code": code, "position": p}
                for p, code in enumerate(getattr(data, name))
            ]
    return sub_rows, code_rows


def _review_rows(
    rng: random.Random,
    reviewer_ids: list[int],
    n_submissions: int,
    *,
    config: CallConfig,
    per_submission: int,
    reviewed_share: float,
    closed: dt.datetime,
) -> tuple[list[dict], list[dict], list[dict]]:
    """Rows of `assignments`, `reviews` and `review_scores`: lenient and harsh
    reviewers, drawn from `rng` in a fixed order."""
    leniency = {r: rng.gauss(0, 0.6) for r in reviewer_ids}
    spread = {r: rng.lognormvariate(0, 0.3) for r in reviewer_ids}
    k = min(per_submission, len(reviewer_ids))
    assignment_rows, review_rows, score_rows = [], [], []
    review_id = 0
    for sid in range(1, n_submissions + 1):
        quality = {c: rng.gauss(0, 1) for c in config.criterion_ids}
        for reviewer in rng.sample(reviewer_ids, k):
            assignment_rows.append(
                {"submission_id": sid, "reviewer_id": reviewer, "source": "auto", "created_by": ACTOR}
            )
            if rng.random() >= reviewed_share:
                continue
            review_id += 1
            when = closed + dt.timedelta(days=rng.random() * 18)
            review_rows.append(
                {
                    "id": review_id,
                    "submission_id": sid,
                    "reviewer_id": reviewer,
                    "status": "submitted",
                    "comment": "",
                    "recommendation": "feature",
                    "confidence": "medium",
                    "version": 1,
                    "created_at": when,
                    "updated_at": when,
                    "submitted_at": when,
                }
            )
            for c in config.criterion_ids:
                raw = 3 + leniency[reviewer] + spread[reviewer] * quality[c] + rng.gauss(0, 0.6)
                score = None if rng.random() < 0.04 else max(1, min(5, round(raw)))
                score_rows.append({"review_id": review_id, "criterion": c, "score": score})
    return assignment_rows, review_rows, score_rows


def on_a_seeded_call(url: str | None, run, *, prefix: str, seed_args: list[str]) -> int:
    """run(url) on `url`, else on the SQLite call bench/run_all.py seeded
    (BENCH_SQLITE_URL), else on a throwaway SQLite call this script seeds in a
    child process with `seed_args` (--submissions N ...); returns run's status."""
    import os
    import subprocess
    import tempfile

    url = url or os.environ.get("BENCH_SQLITE_URL")
    if url:
        return run(url)
    with tempfile.TemporaryDirectory(prefix=prefix) as workdir:
        url = f"sqlite:///{workdir}/bench.db"
        subprocess.run([sys.executable, __file__, url, *seed_args], check=True, cwd=Path(__file__).parent.parent)
        return run(url)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="an empty database's URL; it is migrated first")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--per-submission", type=int, default=3)
    parser.add_argument(
        "--reviewed-share", type=float, default=1.0, help="share of assignments with a submitted review"
    )
    args = parser.parse_args(argv)
    from data_access.migrate import upgrade

    db = Database(args.url)
    upgrade(db)
    started = time.perf_counter()
    counts = seed_bulk(
        db,
        config=load_call_config(),
        submissions=args.submissions,
        reviewers=args.reviewers,
        per_submission=args.per_submission,
        reviewed_share=args.reviewed_share,
    )
    db.dispose()
    print(f"seeded {counts} in {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
