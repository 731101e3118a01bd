#!/usr/bin/env python
"""How fast is the automatic assignment on a large call?

    .venv/bin/python bench/assignment_bench.py                     # 10,000 x 50, k = 3
    .venv/bin/python bench/assignment_bench.py --submissions 2000 --backend none

1. The solver alone (`scoring.assignment.solve_assignment`) on synthetic data:
   organisations shared by some reviewers and contributors, shared email
   domains, declared conflicts and a few part-time reviewers.
2. Then an incremental run: 5% more submissions arrive, everything else kept.
3. With `--backend sqlite` / `postgresql` / `both` (default sqlite), the whole
   admin action on a seeded database: read, solve, insert the assignments and
   their audit entries, commit (`data_access.assignments.run_auto_assignment`).

Prints `solve_s=`, `incremental_s=`, `db_run_s=`, the number of assignments,
submissions short of k, and the load spread, and FIGURE lines
(`bench/figures.py`). Target: under 10 s for 10,000 submissions, 50 reviewers,
k = 3; the exit status is 1 when a figure misses it.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.databases import migrated_database  # noqa: E402
from bench.figures import figure  # noqa: E402
from data_access.assignments import run_auto_assignment  # noqa: E402
from data_access.db import Database  # noqa: E402
from data_access.models import ConflictOfInterest, Submission, User, utcnow  # noqa: E402
from scoring.assignment import (  # noqa: E402
    ExistingAssignment,
    ReviewerToAssign,
    SubmissionToAssign,
    solve_assignment,
)

TARGET_S = 10.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def synthetic(n_subs: int, n_revs: int, seed: int = 42):
    rng = random.Random(seed)
    orgs = [f"Organisation {i}" for i in range(n_subs // 8 + 1)]
    subs = [
        SubmissionToAssign(i, f"BENCH-{i:06d}", rng.choice(orgs), f"c{i}@org{rng.randrange(len(orgs))}.example")
        for i in range(1, n_subs + 1)
    ]
    revs = [
        ReviewerToAssign(
            100_000 + j,
            f"Reviewer {j}",
            rng.choice(orgs),
            f"r{j}@org{rng.randrange(len(orgs))}.example",
            capacity=rng.choice([None] * 9 + [n_subs // n_revs]),
        )
        for j in range(n_revs)
    ]
    conflicts = [(rng.randint(1, n_subs), 100_000 + rng.randrange(n_revs)) for _ in range(n_subs // 20)]
    return subs, revs, conflicts


def bench_solver(n_subs: int, n_revs: int, k: int) -> bool:
    subs, revs, conflicts = synthetic(n_subs, n_revs)
    started, cpu_started = time.perf_counter(), time.process_time()
    plan = solve_assignment(subs, revs, k=k, conflicts=conflicts)
    solve_s, solve_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    existing = [ExistingAssignment(s, r, finished=(s % 3 == 0)) for s, r in plan.new]
    more = n_subs // 20
    extra = [SubmissionToAssign(n_subs + i, f"BENCH-N{i:05d}", f"Organisation {i}") for i in range(1, more + 1)]
    started, cpu_started = time.perf_counter(), time.process_time()
    again = solve_assignment([*subs, *extra], revs, k=k, existing=existing, conflicts=conflicts)
    incremental_s, incremental_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"solver submissions={n_subs} reviewers={n_revs} k={k} solve_s={solve_s:.2f} "
        f"assignments={len(plan.new)} short={len(plan.shortfalls)} spread={plan.spread} "
        f"incremental_s={incremental_s:.2f} incremental_added={len(again.new)} incremental_spread={again.spread}",
        flush=True,
    )
    size = f"{n_subs:,} x {n_revs} x k={k}"
    ok = figure(f"assignment solver, {size}", round(solve_s, 2), "s", target=("<", TARGET_S), cpu=round(solve_cpu, 2))
    ok &= figure(f"assignment solver, {size}: submissions short of k", len(plan.shortfalls), "", target=("==", 0))
    ok &= figure(
        "assignment solver, 5% more submissions arrive",
        round(incremental_s, 2),
        "s",
        target=("<", TARGET_S),
        cpu=round(incremental_cpu, 2),
    )
    return ok


def seed(db: Database, n_subs: int, n_revs: int) -> None:
    subs, revs, conflicts = synthetic(n_subs, n_revs)
    now = utcnow()
    with db.write() as s:
        s.execute(
            insert(User),
            [
                {
                    "id": r.id,
                    "username": f"bench{r.id}",
                    "name": r.name,
                    "email": r.email,
                    "role": "reviewer",
                    "password_hash": "x",
                    "active": True,
                    "organisation": r.organisation,
                    "capacity": r.capacity,
                    "sessions_valid_after": now,
                    "created_at": now,
                    "updated_at": now,
                }
                for r in revs
            ],
        )
        s.execute(
            insert(Submission),
            [
                {
                    "id": sub.id,
                    "reference": sub.reference,
                    "title": f"Synthetic submission {sub.id}",
                    "summary": "Synthetic.",
                    "organisation": sub.organisation,
                    "contact_email": sub.contact_email,
                    "anonymous": False,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for sub in subs
            ],
        )
        s.execute(
            insert(ConflictOfInterest),
            [
                {"submission_id": sid, "reviewer_id": rid, "source": "admin", "reason": "", "declared_by": "bench"}
                for sid, rid in sorted(set(conflicts))
            ],
        )


def bench_database(backend: str, n_subs: int, n_revs: int, k: int, workdir: Path) -> bool:
    name = f"assignment, whole admin action on {NAMES[backend]} (read, solve, write, audit)"
    with migrated_database(backend, workdir) as db:
        if db is None:
            return figure(name, None, "s", target=("<", TARGET_S), note="the database could not start")
        seed(db, n_subs, n_revs)
        started, cpu_started = time.perf_counter(), time.process_time()
        with db.write() as s:
            plan = run_auto_assignment(s, k=k, actor="bench")
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"backend={backend} submissions={n_subs} reviewers={n_revs} k={k} db_run_s={elapsed:.2f} "
            f"assignments={len(plan.new)} short={len(plan.shortfalls)} spread={plan.spread}",
            flush=True,
        )
        note = "CPU counts this process only" + (", not the server" if backend != "sqlite" else "")
        return figure(name, round(elapsed, 2), "s", target=("<", TARGET_S), cpu=round(cpu, 2), note=note)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("-k", type=int, default=3)
    parser.add_argument("--backend", choices=["none", "sqlite", "postgresql", "both"], default="sqlite")
    args = parser.parse_args(argv)
    ok = bench_solver(args.submissions, args.reviewers, args.k)
    backends = {"none": [], "both": ["sqlite", "postgresql"]}.get(args.backend, [args.backend])
    with tempfile.TemporaryDirectory(prefix="assignment-bench-") as tmp:
        for backend in backends:
            (Path(tmp) / backend).mkdir()
            ok &= bench_database(backend, args.submissions, args.reviewers, args.k, Path(tmp) / backend)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
