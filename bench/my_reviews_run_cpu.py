#!/usr/bin/env python
"""The CPU time of one whole-page run of My reviews, in the script's own thread (AppTest).

    .venv/bin/python bench/my_reviews_run_cpu.py --url sqlite:////tmp/big.db --runs 40

On a call seeded with `bench/bulk_seed.py` (every review submitted), `bench-reviewer-01` (600
assignments at 10,000 submissions) opens one of their submitted submissions (their review, two
other reviews' cards, the discussion) and the page is run again `--runs` times with nothing
changed: what every whole-page run costs the script's thread, measured with `time.thread_time()`
around Streamlit's script run. Unlike the server's process CPU (`bench/loop_cpu_bench.py`, counted
in 10 ms ticks, on a shared machine moved by the others' load), this figure repeats within a few
per cent; it leaves out the server's event loop (sending the messages). Prints the median and the
mean, and the bytes of the elements drawn.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")
os.environ["EVIDENCE_DEMO"] = "0"

from bench.figures import figure  # noqa: E402

USERNAME = "bench-reviewer-01"


def _opened(url: str):
    """An AppTest of My reviews signed in as the bench reviewer, one of their submissions open."""
    from sqlalchemy import select

    from access.visibility import Viewer
    from data_access.db import Database
    from data_access.models import Assignment, Submission, User
    from tests.support.apptest import rerun, run_app

    db = Database(url)
    try:
        with db.read() as s:
            user = s.execute(select(User).where(User.username == USERNAME)).scalar_one()
            viewer = Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)
            reference = s.scalar(
                select(Submission.reference)
                .join(Assignment, Assignment.submission_id == Submission.id)
                .where(Assignment.reviewer_id == user.id)
                .order_by(Submission.reference)
                .limit(1)
            )
    finally:
        db.dispose()
    at = run_app(url, viewer, page="pages/my_reviews.py")
    at.query_params["submission"] = reference
    rerun(at, url)
    if at.exception:
        raise SystemExit(f"My reviews failed: {at.exception}")
    return at


def _drawn_bytes(node) -> int:
    proto = getattr(node, "proto", None)
    own = proto.ByteSize() if hasattr(proto, "ByteSize") else 0
    children = getattr(node, "children", None)
    return own + sum(_drawn_bytes(c) for c in (children.values() if isinstance(children, dict) else ()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="a call seeded with bench/bulk_seed.py")
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)
    from streamlit.runtime.scriptrunner import script_runner

    from tests.support.apptest import rerun

    at = _opened(args.url)
    rerun(at, args.url)  # warm
    spent: list[float] = []
    run_script = script_runner.ScriptRunner._run_script

    def timed(self, *a, **k):
        started = time.thread_time()
        try:
            return run_script(self, *a, **k)
        finally:
            spent.append(time.thread_time() - started)

    script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]
    try:
        for _ in range(args.runs):
            rerun(at, args.url)
    finally:
        script_runner.ScriptRunner._run_script = run_script  # type: ignore[method-assign]
    median, mean = statistics.median(spent) * 1000, statistics.fmean(spent) * 1000
    size = _drawn_bytes(at._tree)
    print(f"My reviews, a whole-page run: median {median:.1f} ms, mean {mean:.1f} ms CPU (n={len(spent)}); {size} B")
    figure("My reviews, a reviewer's whole-page run: script thread CPU", round(median, 1), "ms", note=f"n={len(spent)}")
    figure("My reviews, a reviewer's whole-page run: elements drawn", size, "B")
    return 0


if __name__ == "__main__":
    sys.exit(main())
