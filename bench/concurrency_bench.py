#!/usr/bin/env python
"""Many reviewers saving at the same moment: is any review lost or overwritten?

    .venv/bin/python bench/concurrency_bench.py                  # SQLite and PostgreSQL
    .venv/bin/python bench/concurrency_bench.py --backend sqlite

Each of `--reviewers` reviewers (default 20) has `--reviews` assignments
(default 50; neighbours share submissions). Threads, each with its own unit of
work per save, as Streamlit runs sessions; a barrier before every save makes
all reviewers save at the same moment:

1. every reviewer saves a first draft of each of their reviews;
2. every reviewer submits each of their reviews;
3. two tabs race: half the reviewers save each review from two tabs at once,
   both opened on the submitted version (so still `--reviewers` sessions at
   once): one tab must win, the other must be told the review changed
   (StaleReview), never overwrite.

Afterwards every stored review is compared with what its writers were told
they saved. A lost update is a review whose stored values are not those of
its last successful save, a successful save that is missing, or two
successful saves made from the same opened version. Prints per backend:
`lost_updates=`, `errors=` (anything but a StaleReview refusal),
`stale_refused=` (of the race's saves, exactly half must be refused), and the median and p95 save latency in milliseconds of the
saves in steps 1 and 2 (`median_ms=`, `p95_ms=`) and of the race (`race_`).
Targets: no lost updates, no errors, p95 under 50 ms (SQLite) and 100 ms
(PostgreSQL); each figure is also printed as a FIGURE line (`bench/figures.py`)
and the exit status is 1 when one misses its target.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.databases import migrated_database  # noqa: E402
from bench.figures import figure  # noqa: E402
from config import load_call_config  # noqa: E402
from data_access.db import Database  # noqa: E402
from data_access.reviews import ReviewDraft, StaleReview, get_own_review, save_review  # noqa: E402
from tests.factories import assign, make_submission, make_user  # noqa: E402

P95_TARGET_MS = {"sqlite": 50.0, "postgresql": 100.0}
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Outcome:
    """What the writers were told, per (submission, reviewer)."""

    successes: dict[tuple[int, int], list[tuple[int | None, int, dict]]] = field(default_factory=dict)
    latencies_ms: dict[str, list[float]] = field(default_factory=dict)  # per step
    cpu_seconds: dict[str, float] = field(default_factory=dict)  # per step: this process's CPU time
    errors: list[str] = field(default_factory=list)
    stale: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def seed(db: Database, config, n_reviewers: int, n_reviews: int) -> list[tuple[object, list[int]]]:
    """Reviewers with their assigned submission ids; neighbours overlap by half."""
    n_subs = max(n_reviews, (n_reviewers * n_reviews) // 2)
    with db.write() as s:
        subs = [make_submission(s, config, reference=f"BENCH-{i:05d}") for i in range(n_subs)]
        people = []
        for r in range(n_reviewers):
            person = make_user(s, username=f"bench{r:03d}", name=f"Bench Reviewer {r}")
            start = (r * n_reviews // 2) % n_subs
            mine = [subs[(start + i) % n_subs] for i in range(n_reviews)]
            for sub in mine:
                assign(s, sub, person)
            people.append((person, mine))
    return people


def _draft(reviewer: int, sub: int, step: str, tab: int) -> tuple[ReviewDraft, dict]:
    scores = {"promise": 1 + (reviewer + sub) % 5, "evidence_strength": None, "survivor_involvement": 1 + sub % 5}
    comment = f"reviewer {reviewer}, submission {sub}, {step}, tab {tab}"
    draft = ReviewDraft(scores=scores, comment=comment, recommendation="feature", confidence="medium")
    return draft, {"scores": scores, "comment": comment}


def _timed_save(db, config, outcome, step, person, sub, draft, values, *, submit, expected):
    started = time.perf_counter()
    try:
        with db.write() as s:
            record = save_review(
                s,
                submission_id=sub,
                reviewer_id=person.user_id,
                actor=person.username,
                draft=draft,
                submit=submit,
                expected_version=expected,
                config=config,
            )
    except StaleReview:
        elapsed = (time.perf_counter() - started) * 1000
        with outcome.lock:
            outcome.latencies_ms.setdefault(step, []).append(elapsed)
            outcome.stale += 1
        return None
    except Exception as exc:  # noqa: BLE001 - every other failure is counted and shown
        with outcome.lock:
            outcome.errors.append(f"{type(exc).__name__}: {exc}"[:300])
        return None
    elapsed = (time.perf_counter() - started) * 1000
    with outcome.lock:
        outcome.latencies_ms.setdefault(step, []).append(elapsed)
        outcome.successes.setdefault((sub, person.user_id), []).append(
            (expected, record.version, {**values, "status": record.status})
        )
    return record.version


def run(db: Database, config, n_reviewers: int, n_reviews: int) -> Outcome:
    people = seed(db, config, n_reviewers, n_reviews)
    outcome = Outcome()
    versions: dict[tuple[int, int], int | None] = {}

    def step(name: str, jobs: list[tuple]) -> None:
        barrier = threading.Barrier(len(jobs))

        def worker(index, person, mine, tab):
            for sub in mine:
                barrier.wait()
                draft, values = _draft(index, sub, name, tab)
                version = _timed_save(
                    db,
                    config,
                    outcome,
                    name,
                    person,
                    sub,
                    draft,
                    values,
                    submit=name != "draft",
                    expected=versions.get((sub, person.user_id)),
                )
                if tab == 1 and name != "race":
                    versions[(sub, person.user_id)] = version

        cpu_started = time.process_time()
        _run_threads([(worker, job) for job in jobs])
        outcome.cpu_seconds[name] = time.process_time() - cpu_started

    step("draft", [(i, p, m, 1) for i, (p, m) in enumerate(people)])
    step("submit", [(i, p, m, 1) for i, (p, m) in enumerate(people)])
    racers = people[: max(1, n_reviewers // 2)]
    step("race", [(i, p, m, tab) for i, (p, m) in enumerate(racers) for tab in (1, 2)])
    return outcome


def _run_threads(jobs) -> None:
    threads = [threading.Thread(target=fn, args=args) for fn, args in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def lost_updates(db: Database, people_reviews: int, outcome: Outcome) -> int:
    lost = 0
    with db.read() as s:
        for (sub, reviewer), saves in outcome.successes.items():
            bases = [expected for expected, _, _ in saves]
            if len(bases) != len(set(bases)):
                lost += 1  # two saves from one opened version both "succeeded"
                continue
            _, version, values = max(saves, key=lambda x: x[1])
            stored = get_own_review(s, submission_id=sub, reviewer_id=reviewer)
            if stored is None or (stored.version, stored.scores, stored.comment, stored.status) != (
                version,
                values["scores"],
                values["comment"],
                values["status"],
            ):
                lost += 1
    # every review must exist and have been submitted exactly once
    missing = people_reviews - sum(
        1 for saves in outcome.successes.values() if any(v["status"] == "submitted" for _, _, v in saves)
    )
    return lost + max(0, missing)


def _percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), ordered[max(0, round(0.95 * len(ordered)) - 1)]


def report(backend: str, outcome: Outcome, lost: int, n_reviewers: int) -> bool:
    steady = outcome.latencies_ms.get("draft", []) + outcome.latencies_ms.get("submit", [])
    race = outcome.latencies_ms.get("race", [])
    median, p95 = _percentiles(steady)
    race_median, race_p95 = _percentiles(race)
    print(
        f"backend={backend} saves={len(steady) + len(race)} lost_updates={lost} errors={len(outcome.errors)} "
        f"stale_refused={outcome.stale}/{len(race) // 2} median_ms={median:.1f} p95_ms={p95:.1f} "
        f"race_median_ms={race_median:.1f} race_p95_ms={race_p95:.1f}",
        flush=True,
    )
    for error in outcome.errors[:5]:
        print(f"  error: {error}", flush=True)
    name = f"saves on {NAMES[backend]}, {n_reviewers} reviewers at once"
    ok = figure(f"{name}: lost updates", lost, "", target=("==", 0))
    ok &= figure(f"{name}: errors", len(outcome.errors), "", target=("==", 0))
    ok &= figure(
        f"{name}: two tabs racing, saves refused as stale",
        outcome.stale,
        "",
        target=("==", len(race) // 2),
        note="exactly one tab of each pair must be refused",
    )
    ok &= figure(f"{name}: median latency", round(median, 1), "ms")
    cpu_ms = 1000 * (outcome.cpu_seconds.get("draft", 0) + outcome.cpu_seconds.get("submit", 0)) / max(1, len(steady))
    ok &= figure(
        f"{name}: CPU time of the app per save",
        round(cpu_ms, 2),
        "ms",
        note=f"{n_reviewers} saves at once queue for one Python process: the last waits about {n_reviewers} times this",
    )
    ok &= figure(f"{name}: p95 latency", round(p95, 1), "ms", target=("<", P95_TARGET_MS[backend]))
    ok &= figure(f"{name}: two tabs racing, p95 latency", round(race_p95, 1), "ms")
    return ok


def bench_backend(backend: str, n_reviewers: int, n_reviews: int, workdir: Path) -> bool:
    with migrated_database(backend, workdir) as db:
        if db is None:
            return figure(f"saves on {NAMES[backend]}", None, "", note="the database could not start", target=("==", 0))
        outcome = run(db, load_call_config(), n_reviewers, n_reviews)
        lost = lost_updates(db, n_reviewers * n_reviews, outcome)
        return report(backend, outcome, lost, n_reviewers)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--reviews", type=int, default=50)
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = True
    with tempfile.TemporaryDirectory(prefix="concurrency-bench-") as tmp:
        for backend in backends:
            (Path(tmp) / backend).mkdir()
            ok &= bench_backend(backend, args.reviewers, args.reviews, Path(tmp) / backend)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
