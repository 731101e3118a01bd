"""bench/outbox_bench.py: what it queues (both databases), and a tiny real run."""

from __future__ import annotations

import argparse
import subprocess
import sys

from sqlalchemy import func, select

from bench import run_all
from bench.figures import parse
from bench.outbox_bench import messages, queue_batch
from data_access.models import AuditEntry, OutboxMessage
from tests.conftest import ROOT


def test_the_batch_is_queued_once_with_an_audit_entry_each(db):
    batch = messages(120)
    assert len({m.idempotency_key for m in batch}) == 120
    _seconds, _cpu, created = queue_batch(db, batch)
    _seconds, _cpu, created_again = queue_batch(db, batch)
    assert (created, created_again) == (120, 0)
    with db.read() as s:
        assert s.scalar(select(func.count(OutboxMessage.id))) == 120
        assert s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "outbox.queue")) == 120


def test_a_tiny_run_prints_its_figures_and_make_bench_runs_it():
    done = subprocess.run(
        [sys.executable, "bench/outbox_bench.py", "--messages", "200", "--backend", "sqlite"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = [f for f in map(parse, done.stdout.splitlines()) if f]
    assert [f["name"] for f in figures] == [
        "outbox: queueing 200 messages (SQLite)",
        "outbox: queueing the same 200 messages again (SQLite)",
    ]
    assert figures[0]["target"] == "< 5 s" and figures[0]["ok"] is True
    assert "outbox_bench.py" in [s.name for s in run_all._scripts(argparse.ArgumentParser(), None)]
