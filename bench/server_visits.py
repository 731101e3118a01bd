#!/usr/bin/env python
"""What the server spends on a visit to the office's and a reviewer's pages, on an already seeded call.

    .venv/bin/python bench/bulk_seed.py sqlite:////tmp/big.db --submissions 50000
    .venv/bin/python bench/server_visits.py sqlite:////tmp/big.db --runs 3
    .venv/bin/python bench/server_visits.py --backend postgresql --submissions 50000   # a throwaway call

Not part of `make bench` (it is for whatever size is asked about):
docs/deploy.md's sizing at 50,000 submissions was measured with it. Without a
URL it seeds a throwaway call (`--backend`, `--submissions`, 50 reviewers, 3
reviews a submission) with `bench/bulk_seed.py`, as panel_bench does. It starts the app's server (serve.py, one process) on the call, and over
Streamlit's protocol (`bench/protocol_client.py`, nothing drawn) signs in as
the office and as a reviewer (`bench-reviewer-01`). For each page, `--runs`
times each: a visit right after another user's save (a reviewer's session
saves a draft with another score, so the data version moves, as every save
does during reviewing), a visit right after another user's submitted review
was submitted again with another score (`Resubmitter`: the submitted scores
move), then a repeat visit. `--pages` narrows the pages. Each visit is timed until its run
has ended, with the server process's CPU seconds (/proc) and the bytes it sent
over the WebSocket. Last, the server's resident memory and its high-water mark.

Prints a table and FIGURE lines (no targets: the numbers are for sizing).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import figure  # noqa: E402
from bench.submit_next_bench import server_cpu  # noqa: E402

os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

PAGES = {
    "office": ("rankings", "coverage", "submissions", "exports"),
    "bench-reviewer-01": ("my_reviews", "my_expertise"),
}
STATES = ("after another user's save", "after another user's submitted review", "repeat visit")


class Resubmitter:
    """Another user's submitted review submitted again with another score of its first criterion, through the app's
    own `save_review` (the version + 1 and the scores rewritten, as the form's Submit does): the submitted scores
    move, so the office's pages read them again (a draft leaves them be)."""

    def __init__(self, db_url: str, config) -> None:
        from sqlalchemy import select

        from data_access.db import Database
        from data_access.models import Review

        self.db, self.config = Database(db_url), config
        with self.db.read() as session:
            review = session.scalars(select(Review).where(Review.status == "submitted").order_by(Review.id)).first()
            if review is None:
                raise RuntimeError("no submitted review to submit again")
            self.pair = (review.submission_id, review.reviewer_id)
        self.submits = 0

    def submit(self) -> None:
        from data_access.reviews import ReviewDraft, get_own_review, save_review

        sid, rid = self.pair
        with self.db.write() as session:
            own = get_own_review(session, submission_id=sid, reviewer_id=rid)
            if own is None:
                raise RuntimeError("the review to submit again is gone")
            first = self.config.criteria[0].id
            draft = ReviewDraft(
                scores=own.scores | {first: 2 if self.submits % 2 else 4},
                comment=own.comment or "Submitted again.",
                recommendation=own.recommendation,
                confidence=own.confidence,
            )
            save_review(
                session,
                submission_id=sid,
                reviewer_id=rid,
                actor="bench",
                draft=draft,
                submit=True,
                expected_version=own.version,
                config=self.config,
            )
        self.submits += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", nargs="?", help="a call seeded by bench/bulk_seed.py (default: seed one)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--submissions", type=int, default=50_000, help="when this script seeds the call")
    parser.add_argument("--runs", type=int, default=3, help="visits per page and state")
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument("--pages", nargs="+", help="only these pages (URL paths), e.g. rankings coverage")
    args = parser.parse_args(argv)
    if args.url:
        return visits(args.url, args)
    from bench.panel_bench import seeded

    with contextlib.ExitStack() as stack:
        url = seeded(args.backend, argparse.Namespace(submissions=args.submissions, reviewers=50), stack)
        if url is None:
            print(f"{args.backend} did not start")
            return 1
        return visits(url, args)


def visits(url: str, args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    from bench.browser_pages_bench import Saver
    from bench.panel_bench import rss_mb
    from bench.protocol_client import ProtocolSession
    from bench.stream_wire import issued_token
    from config import load_call_config
    from data_access.db import Database
    from data_access.models import Submission
    from tests.support.live import LiveServer

    db = Database(url)
    with db.read() as session:
        print(f"{db.dialect}: {session.scalar(select(func.count(Submission.id))):,} submissions", flush=True)
    db.dispose()
    load = os.getloadavg()
    print(f"load average at the start: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="server-visits-") as logs:
        server = LiveServer.start(url, Path(logs))
        try:
            pid = server.process.pid
            saver = Saver(server.url, url, load_call_config())
            resubmitter = Resubmitter(url, load_call_config())
            sessions = {}
            for username in PAGES:
                session = ProtocolSession(server.url, issued_token(url, username), timeout=args.timeout)
                session.visit("")
                sessions[username] = session
            print(f"{'page':<14}{'state':<28}{'wall s':>14}{'server CPU s':>16}{'kB sent':>10}", flush=True)
            for username, pages in PAGES.items():
                session = sessions[username]
                for page in [p for p in pages if not args.pages or p in args.pages]:
                    for state in STATES:
                        walls, cpus, sent = [], [], []
                        for _ in range(args.runs):
                            if state == STATES[0]:
                                saver.save()
                            elif state == STATES[1]:
                                resubmitter.submit()
                            else:
                                session.visit(page, "")  # untimed: what the server caches is current
                            before = server_cpu(pid)
                            visit = session.visit(page, "")
                            if not visit.ended:
                                raise RuntimeError(f"{page}: no answer in {args.timeout:g} s")
                            cpus.append(server_cpu(pid) - before)
                            walls.append(visit.seconds)
                            sent.append(visit.received)
                        wall, cpu, kb = (
                            statistics.median(walls),
                            statistics.median(cpus),
                            statistics.median(sent) / 1000,
                        )
                        print(f"{page:<14}{state:<28}{wall:>14.2f}{cpu:>16.2f}{kb:>10,.0f}", flush=True)
                        figure(
                            f"{page} ({username}, {state}): server CPU per visit",
                            round(cpu, 2),
                            "s",
                            note=f"median of {args.runs}; wall {wall:.2f} s (protocol, nothing drawn); {kb:,.0f} kB sent",
                        )
            for session in sessions.values():
                session.close()
            saver.session.close()
            resubmitter.db.dispose()
            rss, hwm = rss_mb(pid), rss_mb(pid, "VmHWM")
        finally:
            server.stop()
    load = os.getloadavg()
    print(f"server memory: {rss:.0f} MB resident at the end, {hwm:.0f} MB high-water mark")
    print(f"load average at the end: {load[0]:.2f}, {load[1]:.2f}, {load[2]:.2f}")
    figure("server resident memory at the end", round(rss), "MB", note=f"high-water mark {hwm:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
