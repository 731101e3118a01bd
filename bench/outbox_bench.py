#!/usr/bin/env python
"""How fast messages are queued in the outbox (issue 16: 10,000 under 5 s).

    python bench/outbox_bench.py [--messages 10000] [--backend sqlite|postgresql|both]

On a fresh, migrated database of each backend (a SQLite file; a throwaway
PostgreSQL cluster, tests/support/postgres.py), queues --messages reviewer
reminders with `data_access.outbox.queue_many` in one unit of work (checked,
inserted in one INSERT with ON CONFLICT DO NOTHING, and one audit entry each),
then queues the same batch again (every key already queued: nothing is
written). Prints the wall-clock seconds and the CPU seconds of the process
for each, as FIGURE lines (`bench/figures.py`); the exit status is 1 when the
first misses its target.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import figure  # noqa: E402

TARGET_SECONDS = 5.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def messages(n: int) -> list:
    from data_access.outbox import NewMessage

    return [
        NewMessage(
            purpose="reviewer.reminder",
            recipient_email=f"reviewer{i:05d}@example.org",
            subject="Your reviews are due on Friday",
            body_text=f"Dear reviewer {i},\n\nYou have {i % 40 + 1} submissions left to review before Friday.\n",
            idempotency_key=f"reminder:{i}:2026-12-11",
            template="reviewer.reminder",
        )
        for i in range(n)
    ]


def queue_batch(db, batch: list) -> tuple[float, float, int]:
    """Queue `batch` in one unit of work: (wall seconds, CPU seconds, messages created)."""
    from data_access import outbox

    started, cpu_started = time.perf_counter(), time.process_time()
    with db.write() as session:
        report = outbox.queue_many(session, messages=batch, actor="bench")
    return time.perf_counter() - started, time.process_time() - cpu_started, report.created


def run(backend: str, n: int) -> bool:
    from bench.databases import migrated_database

    with tempfile.TemporaryDirectory(prefix="outbox-bench-") as folder, migrated_database(backend, Path(folder)) as db:
        if db is None:
            return True
        batch = messages(n)
        seconds, cpu, created = queue_batch(db, batch)
        if created != n:
            raise SystemExit(f"{NAMES[backend]}: queued {created} of {n} messages")
        print(f"{NAMES[backend]}: queued {n:,} messages in {seconds:.2f} s ({cpu:.2f} CPU s)")
        ok = figure(
            f"outbox: queueing {n:,} messages ({NAMES[backend]})",
            round(seconds, 2),
            "s",
            target=("<", TARGET_SECONDS),
            cpu=round(cpu, 2),
            note="queue_many in one unit of work, with an audit entry each",
        )
        again, again_cpu, created_again = queue_batch(db, batch)
        if created_again:
            raise SystemExit(f"{NAMES[backend]}: the same keys queued {created_again} messages twice")
        print(f"{NAMES[backend]}: the same {n:,} again (nothing new) in {again:.2f} s")
        figure(
            f"outbox: queueing the same {n:,} messages again ({NAMES[backend]})",
            round(again, 2),
            "s",
            cpu=round(again_cpu, 2),
            note="every idempotency key already queued: nothing written",
        )
        return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = True
    for backend in backends:
        ok = run(backend, args.messages) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
