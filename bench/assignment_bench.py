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

4. Mixed pairs, on calls with exclusions: the outside check's (300
   submissions from 20 organisations, 50 reviewers from the same ones, k = 3,
   2% declared conflicts) and the 10,000-submission one above. Distinct
   reviewer pairs and the largest number of submissions a pair shares, for
   the plan and for a random balanced plan (the plan's own loads, reviewers
   per submission and exclusions, reviewers otherwise shuffled by random
   swaps); then, over `--mixing-seeds` seeds (default 30), the calibrated
   ranking's Kendall tau on simulated biases (`bench/calibration_bench.py`'s
   simulation) on the plan and on the random balanced one: mean, paired
   standard error, wins. Targets: largest overlap <= 4 and >= 600 distinct
   pairs on the outside check's call, no worse than random on the large
   one, and the tau difference not below zero beyond noise (mean + 2 paired
   standard errors >= 0).

Prints `solve_s=`, `incremental_s=`, `db_run_s=`, the number of assignments,
submissions short of k, and the load spread, and FIGURE lines
(`bench/figures.py`). Target: under 10 s for 10,000 submissions, 50 reviewers,
k = 3; the exit status is 1 when a figure misses it.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert  # noqa: E402

from bench.calibration_bench import Scenario, evaluate  # noqa: E402
from bench.databases import migrated_database  # noqa: E402
from bench.figures import figure  # noqa: E402
from data_access.assignments import run_auto_assignment  # noqa: E402
from data_access.db import Database  # noqa: E402
from data_access.models import ConflictOfInterest, Submission, User, utcnow  # noqa: E402
from scoring.assignment import (  # noqa: E402
    ExistingAssignment,
    ReviewerToAssign,
    SubmissionToAssign,
    exclusion,
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


def outside_check(seed: int):
    """The outside check's call: 300 submissions, 15 from each of 20
    organisations, 50 reviewers from the same organisations, 2% of the
    pairs declared conflicts."""
    rng = random.Random(seed)
    orgs = [f"Organisation {i}" for i in range(20)]
    subs = [SubmissionToAssign(i, f"CFE-{i:04d}", orgs[i % 20]) for i in range(1, 301)]
    revs = [ReviewerToAssign(1000 + j, f"Reviewer {j}", orgs[j % 20]) for j in range(50)]
    conflicts = [(s.id, r.id) for s in subs for r in revs if rng.random() < 0.02]
    return subs, revs, conflicts


def pair_stats(pairs) -> tuple[int, int]:
    """(distinct reviewer pairs, most submissions one pair shares)."""
    by_sub: dict[int, list[int]] = {}
    for s, r in pairs:
        by_sub.setdefault(s, []).append(r)
    counts = Counter(p for revs in by_sub.values() for p in itertools.combinations(sorted(revs), 2))
    return len(counts), max(counts.values(), default=0)


def random_balanced(pairs, subs, revs, conflicts, rng: random.Random, sweeps: int = 20) -> list[tuple[int, int]]:
    """The plan's loads, reviewers per submission and exclusions, reviewers
    otherwise random: `sweeps` x (assignments) random swaps of two
    submissions' reviewers, each made when both may take the other's."""
    subs_by_id, revs_by_id, conflicted = {s.id: s for s in subs}, {r.id: r for r in revs}, set(conflicts)
    ok_cache: dict[tuple[int, int], bool] = {}

    def ok(s: int, r: int) -> bool:
        if (s, r) not in ok_cache:
            ok_cache[s, r] = exclusion(subs_by_id[s], revs_by_id[r], conflicted=(s, r) in conflicted) is None
        return ok_cache[s, r]

    entries = [list(p) for p in pairs]
    members: dict[int, set[int]] = {}
    for s, r in entries:
        members.setdefault(s, set()).add(r)
    for _ in range(sweeps * len(entries)):
        e1, e2 = entries[rng.randrange(len(entries))], entries[rng.randrange(len(entries))]
        (s1, a), (s2, c) = e1, e2
        if s1 == s2 or c in members[s1] or a in members[s2] or not ok(s1, c) or not ok(s2, a):
            continue
        members[s1].symmetric_difference_update({a, c})
        members[s2].symmetric_difference_update({a, c})
        e1[1], e2[1] = c, a
    return [(s, r) for s, r in entries]


def bench_mixing(seeds: int) -> bool:
    """Distinct pairs and the largest overlap, plan against random balanced;
    then the calibrated ranking's Kendall tau on both over `seeds` seeds."""
    ok = True
    label = "outside check's call (300 x 50, k=3, 20 organisations, 2% conflicts)"
    subs, revs, conflicts = outside_check(0)
    started, cpu_started = time.perf_counter(), time.process_time()
    plan = solve_assignment(subs, revs, k=3, conflicts=conflicts)
    solve_s, solve_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    distinct, top = pair_stats(plan.new)
    r_distinct, r_top = pair_stats(random_balanced(plan.new, subs, revs, conflicts, random.Random(0)))
    print(f"mixing {label}: distinct={distinct} largest={top} random_distinct={r_distinct} random_largest={r_top}")
    ok &= figure(
        f"mixed pairs, {label}: solve", round(solve_s, 2), "s", target=("<", TARGET_S), cpu=round(solve_cpu, 2)
    )
    note = f"random balanced plan: {r_distinct} distinct pairs, largest overlap {r_top}"
    ok &= figure(f"mixed pairs, {label}: distinct reviewer pairs", distinct, "", target=(">=", 600), note=note)
    ok &= figure(f"mixed pairs, {label}: largest pair overlap", top, "", target=("<=", 4), note=note)

    subs, revs, conflicts = synthetic(10_000, 50)
    plan = solve_assignment(subs, revs, k=3, conflicts=conflicts)
    distinct, top = pair_stats(plan.new)
    r_distinct, r_top = pair_stats(random_balanced(plan.new, subs, revs, conflicts, random.Random(0), sweeps=5))
    print(f"mixing 10,000 x 50: distinct={distinct} largest={top} random_distinct={r_distinct} random_largest={r_top}")
    big = "10,000 x 50 x k=3 with exclusions"
    note = f"random balanced plan: {r_distinct} distinct pairs, largest overlap {r_top}"
    ok &= figure(f"mixed pairs, {big}: distinct reviewer pairs", distinct, "", target=(">=", r_distinct), note=note)
    ok &= figure(f"mixed pairs, {big}: largest pair overlap", top, "", target=("<=", r_top), note=note)

    scenario = Scenario("outside check", label, 300, 50, 3)
    diffs, taus, r_taus = [], [], []
    for seed in range(seeds):
        subs, revs, conflicts = outside_check(seed)
        plan = solve_assignment(subs, revs, k=3, conflicts=conflicts, seed=seed)
        shuffled = random_balanced(plan.new, subs, revs, conflicts, random.Random(seed))
        app = evaluate(scenario, seed, [(s - 1, r - 1000) for s, r in plan.new])["calibrated"][0]
        rnd = evaluate(scenario, seed, [(s - 1, r - 1000) for s, r in shuffled])["calibrated"][0]
        taus.append(app)
        r_taus.append(rnd)
        diffs.append(app - rnd)
    mean = statistics.fmean(diffs)
    se = statistics.stdev(diffs) / len(diffs) ** 0.5 if len(diffs) > 1 else 0.0
    wins = sum(d > 0 for d in diffs)
    print(
        f"mixing tau over {seeds} seeds: plan {statistics.fmean(taus):.3f}, random balanced "
        f"{statistics.fmean(r_taus):.3f}, difference {mean:+.4f} ± {se:.4f} (paired SE), plan better in {wins}"
    )
    note = (
        f"mean over {seeds} seeds (plan {statistics.fmean(taus):.3f}, random {statistics.fmean(r_taus):.3f}); "
        f"paired SE {se:.4f}; plan better in {wins} of {seeds}"
    )
    figure(f"mixed pairs, {label}: calibrated Kendall tau, plan minus random balanced", round(mean, 4), "", note=note)
    # "never worse": the difference is not below zero beyond noise
    return ok & figure(
        f"mixed pairs, {label}: calibrated Kendall tau, plan minus random balanced, mean + 2 paired SE",
        round(mean + 2 * se, 4),
        "",
        target=(">=", 0),
        note="below 0 would mean the plan ranks worse than a random balanced one beyond noise",
    )


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
    parser.add_argument("--mixing-seeds", type=int, default=30, help="seeds for the Kendall tau comparison; 0 skips")
    args = parser.parse_args(argv)
    ok = bench_solver(args.submissions, args.reviewers, args.k)
    if args.mixing_seeds:
        ok &= bench_mixing(args.mixing_seeds)
    backends = {"none": [], "both": ["sqlite", "postgresql"]}.get(args.backend, [args.backend])
    with tempfile.TemporaryDirectory(prefix="assignment-bench-") as tmp:
        for backend in backends:
            (Path(tmp) / backend).mkdir()
            ok &= bench_database(backend, args.submissions, args.reviewers, args.k, Path(tmp) / backend)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
