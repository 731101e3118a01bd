#!/usr/bin/env python
"""The Selection page's server cost after another user's save, in CPU seconds (issue 21).

    .venv/bin/python bench/bulk_seed.py sqlite:////tmp/big.db          # once: 10,000 submissions
    .venv/bin/python bench/selection_page_cost.py sqlite:////tmp/big.db --save comment
    .venv/bin/python bench/selection_page_cost.py URL --save score --runs 5

Runs the Selection page as the first admin in Streamlit's AppTest, in this one
process as a server would: a first visit (every cache empty), `--runs` repeat
visits, then `--runs` visits each just after a save by someone else, made in a
unit of work of its own so that the data version moves as it does with every
save. `--save comment` changes a submitted review's comment (what the line-up
is made of stays the same, as with a draft or an assignment); `--save score`
changes a submitted review's scores (the calibrated scores move). Prints the
CPU time of the process per visit (the machine may be busy: CPU time is the
fair figure) and the wall-clock time, and the medians. Not part of `make bench` (which runs the `*_bench.py` scripts).
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("EVIDENCE_COOKIE_KEY", "bench-" + "k" * 48)
os.environ["EVIDENCE_DEMO"] = "0"
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="a seeded database (bench/bulk_seed.py)")
    parser.add_argument("--save", choices=("comment", "score"), default="comment")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ["DATABASE_URL"] = args.url
    logging.disable(logging.WARNING)  # Streamlit's bare-mode warnings

    from sqlalchemy import select, update

    from access.visibility import Viewer
    from data_access.db import Database
    from data_access.models import Review, ReviewScore, User
    from tests.support.apptest import rerun, run_app

    db = Database(args.url)
    with db.read() as session:
        user = session.scalar(select(User).where(User.role == "admin", User.active).order_by(User.id).limit(1))
        admin = Viewer(user.id, user.username, user.name, user.role)
    saves = 0

    def save() -> None:
        nonlocal saves
        saves += 1
        with db.write() as session:
            review = session.scalar(
                select(Review.id).where(Review.status == "submitted").order_by(Review.id).offset(saves).limit(1)
            )
            if args.save == "comment":
                session.execute(update(Review).where(Review.id == review).values(comment=f"Changed ({saves})."))
                return
            for criterion, score in session.execute(
                select(ReviewScore.criterion, ReviewScore.score).where(ReviewScore.review_id == review)
            ).all():
                session.execute(
                    update(ReviewScore)
                    .where(ReviewScore.review_id == review, ReviewScore.criterion == criterion)
                    .values(score=1 if (score or 1) >= 3 else 5)
                )

    def timed(visit) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        visit()
        return time.process_time() - cpu, time.perf_counter() - wall

    holder = {}

    def first() -> None:
        holder["at"] = run_app(args.url, admin, page="pages/selection.py")

    cpu, wall = timed(first)
    if holder["at"].exception:
        print(f"the page failed: {holder['at'].exception}")
        return 1
    print(f"first visit (every cache empty): {cpu:.3f} s CPU, {wall:.3f} s")
    at = holder["at"]
    repeats = [timed(lambda: rerun(at, args.url)) for _ in range(args.runs)]
    after = []
    for _ in range(args.runs):
        save()
        after.append(timed(lambda: rerun(at, args.url)))
    for name, series in (("repeat visit", repeats), (f"after another user's save ({args.save})", after)):
        cpus = ", ".join(f"{c:.3f}" for c, _w in series)
        print(
            f"{name}: median {statistics.median(c for c, _w in series):.3f} s CPU ({cpus}), "
            f"{statistics.median(w for _c, w in series):.3f} s wall-clock"
        )
    db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
