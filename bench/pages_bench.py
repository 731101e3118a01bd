#!/usr/bin/env python
"""How long each page's script run takes on a large call, and how much memory the server needs.

    .venv/bin/python bench/pages_bench.py                      # 10,000 submissions, 30,000 reviews, SQLite
    .venv/bin/python bench/pages_bench.py --submissions 2000 --runs 3
    .venv/bin/python bench/pages_bench.py --url sqlite:////tmp/big.db   # an already seeded database

Seeds a throwaway SQLite database with `bench/bulk_seed.py` in a child process
(so that seeding does not count towards this process's memory), then runs
every page of `ui.navigation.PAGES` through Streamlit's AppTest, signed in as
someone whose role may open it (admin first, then office, then reviewer), in
this one process as a Streamlit server would. For each page it prints the
first run (shared caches still empty: what the first visitor after a change
waits) and the median of `--runs` further runs (what everyone else waits),
next to an empty page's (the sign-in check and the navigation that every page
pays), and the difference. Last, the process's peak resident memory (what the
server needs, with every page's shared caches filled).

With BENCH_SQLITE_URL and/or BENCH_POSTGRESQL_URL set (by `bench/run_all.py`,
which seeds them), it runs the pages against each of those calls instead, each
in a process of its own. The CPU column is the process's CPU time during a
run: on a busy machine the wall-clock time grows, the CPU time hardly.

Targets (issue 6): the Coverage page's median run under 1 s at 10,000
submissions, and the server under 500 MB. Each figure is also printed as a
FIGURE line (`bench/figures.py`); the exit status is 1 when one misses.
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_page import register_empty_page  # noqa: E402
from bench.figures import figure  # noqa: E402

os.environ.setdefault("EVIDENCE_COOKIE_KEY", "bench-" + "k" * 48)
os.environ["EVIDENCE_DEMO"] = "0"
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

TARGETS = {"coverage": 1.0}
MEMORY_TARGET_MB = 500


def seed(url: str, args: argparse.Namespace) -> None:
    command = [sys.executable, str(ROOT / "bench" / "bulk_seed.py"), url, "--submissions", str(args.submissions)]
    command += ["--reviewers", str(args.reviewers), "--per-submission", str(args.per_submission)]
    subprocess.run(command, check=True, cwd=ROOT)


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already seeded database (default: seed a throwaway SQLite file)")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--per-submission", type=int, default=3)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per page after the first")
    parser.add_argument("--pages", nargs="*", help="only these page keys (default: every page)")
    args = parser.parse_args(argv)

    if args.url:
        return bench_pages(args.url, args)
    seeded = [os.environ[env] for env in ("BENCH_SQLITE_URL", "BENCH_POSTGRESQL_URL") if os.environ.get(env)]
    if seeded:
        # Calls seeded by bench/run_all.py: each database in a process of its own, so that each
        # peak memory is one server's.
        status = 0
        for url in seeded:
            command = [sys.executable, __file__, "--url", url, "--runs", str(args.runs)]
            command += ["--pages", *args.pages] if args.pages else []
            status |= subprocess.run(command, check=False, cwd=ROOT).returncode
        return status
    with tempfile.TemporaryDirectory(prefix="pages-bench-") as workdir:
        url = f"sqlite:///{workdir}/bench.db"
        started = time.perf_counter()
        seed(url, args)
        print(f"(seeding took {time.perf_counter() - started:.1f} s)")
        return bench_pages(url, args)


def bench_pages(url: str, args: argparse.Namespace) -> int:
    """Every page against the seeded database at `url`, in this process; 1 when a target is missed."""
    os.environ["DATABASE_URL"] = url
    logging.disable(logging.WARNING)  # Streamlit's bare-mode warnings, the app's INFO lines

    from sqlalchemy import func, select

    from access.visibility import Viewer
    from data_access.db import Database
    from data_access.models import Review, Submission, User
    from tests.support.apptest import rerun, run_app
    from ui import navigation

    # An empty page, registered for this process only: the cost every page pays.
    empty = register_empty_page()

    db = Database(url)
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(db.dialect, db.dialect)
    with db.read() as session:
        n_subs = session.scalar(select(func.count(Submission.id)))
        n_reviews = session.scalar(select(func.count(Review.id)))
        viewers = {}
        for role in ("admin", "office", "reviewer"):
            user = session.scalar(select(User).where(User.role == role, User.active).order_by(User.id).limit(1))
            if user is not None:
                viewers[role] = Viewer(user.id, user.username, user.name, user.role)
    db.dispose()
    print(f"{label}: {n_subs} submissions, {n_reviews} reviews; {args.runs} timed runs per page after the first")
    print(f"peak memory before any page: {peak_rss_mb():.0f} MB")
    print(f"{'page':<14}{'as':<10}{'first run':>11}{'median':>10}{'- empty':>10}{'CPU':>9}  target")

    ok = True
    results: dict[str, tuple[float, float]] = {}
    chosen = [p for p in navigation.PAGES if p.key != empty.key and (not args.pages or p.key in args.pages)]
    for spec in (empty, *chosen):
        role = next((r for r in ("admin", "office", "reviewer") if r in spec.roles and r in viewers), None)
        if role is None:
            print(f"{spec.key:<14}(nobody in the database may open it)")
            continue
        started, cpu_started = time.perf_counter(), time.process_time()
        at = run_app(url, viewers[role], page=spec.path)
        first, first_cpu = time.perf_counter() - started, time.process_time() - cpu_started
        name = f"{label}, {spec.title} page"
        if at.exception:
            print(f"{spec.key:<14}{role:<10}FAILED: {at.exception}")
            ok &= figure(f"{name}: median run", None, "s", target=("<", 0), note=f"the page failed: {at.exception}")
            continue
        times, cpus = [], []
        for _ in range(args.runs):
            started, cpu_started = time.perf_counter(), time.process_time()
            rerun(at, url)
            times.append(time.perf_counter() - started)
            cpus.append(time.process_time() - cpu_started)
        median, cpu = statistics.median(times), statistics.median(cpus)
        results[spec.key] = (first, median)
        over = median - results[empty.key][1]
        target = TARGETS.get(spec.key)
        verdict = "" if target is None else f"< {target:g} s: {'PASS' if median < target else 'FAIL'}"
        print(f"{spec.key:<14}{role:<10}{first:>10.3f}s{median:>9.3f}s{over:>+9.3f}s{cpu:>8.3f}s  {verdict}")
        as_whom = f"as {role}"
        if spec.key == empty.key:
            figure(
                f"{label}, empty page (sign-in check and navigation): median run",
                round(median, 3),
                "s",
                cpu=round(cpu, 3),
            )
            continue
        figure(f"{name}: first run after a change", round(first, 3), "s", cpu=round(first_cpu, 3), note=as_whom)
        ok &= figure(
            f"{name}: median run",
            round(median, 3),
            "s",
            target=None if target is None else ("<", target),
            cpu=round(cpu, 3),
            note=f"{as_whom}; {over:+.3f} s against the empty page",
        )

    peak = peak_rss_mb()
    print(f"peak memory: {peak:.0f} MB (< {MEMORY_TARGET_MB} MB: {'PASS' if peak < MEMORY_TARGET_MB else 'FAIL'})")
    ok &= figure(
        f"{label}, server's peak memory after every page",
        round(peak),
        "MB",
        target=("<", MEMORY_TARGET_MB),
        note="resident set size of the one process that ran every page, with every shared cache filled",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
