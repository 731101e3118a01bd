#!/usr/bin/env python
"""How long a search of documents' text takes, over 10,000 submissions with documents (issue 15).

    .venv/bin/python bench/search_documents_bench.py
    .venv/bin/python bench/search_documents_bench.py --submissions 500 --runs 3   # quick

On a fresh SQLite file and a throwaway PostgreSQL cluster (bench/databases.py),
each migrated to the newest schema (so the FTS5 table and its triggers, or the
GIN index, are what the app has): seeds a call (bench/bulk_seed.py, no reviews)
and gives each submission one or two documents of DOC_WORDS words drawn from a
Zipf-like vocabulary of VOCABULARY made-up words (bulk inserts: the triggers
or the index do their work as on an attach). Then times what the Submissions
page does for a search: `data_access.search.search_documents` (at most 50
hits, with snippets) and `matching_submission_ids` (every submission it
adds to the list), in one read unit, for three queries (a common word, a
word of middling frequency, two rare words together), as the admin and as a
reviewer (rights in the SQL). The figure per database is the median over
queries and RUNS runs of the slowest query's kind (after one warm-up);
target: under 300 ms (issue 15). Figures are FIGURE lines (bench/figures.py);
the exit status is 1 when one misses its target.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select, text  # noqa: E402

from access.visibility import Viewer  # noqa: E402
from bench.bulk_seed import seed_bulk  # noqa: E402
from bench.databases import migrated_database  # noqa: E402
from bench.figures import figure  # noqa: E402
from config import load_call_config  # noqa: E402
from data_access.db import Database  # noqa: E402
from data_access.models import DocumentContent, Submission, SubmissionDocument, User, utcnow  # noqa: E402
from data_access.search import matching_submission_ids, search_documents  # noqa: E402

TARGET_MS = 300.0
RUNS = 10
DOC_WORDS = 600
VOCABULARY = 20_000
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "qui", "dor", "fen", "gal", "hut", "jex"]


def vocabulary(size: int, rng: random.Random) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words, key=lambda w: (rng.random(), w))


def seed_documents(db: Database, submissions: int, rng: random.Random) -> tuple[int, list[str]]:
    """One or two documents per submission; returns how many, and the vocabulary by frequency rank."""
    words = vocabulary(VOCABULARY, rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    now = utcnow()
    with db.write() as session:
        contents = [{"sha256": f"{i:064x}", "size": 1, "content": b"x"} for i in range(1, 3)]
        session.execute(insert(DocumentContent), contents)
        ids = list(session.scalars(select(Submission.id).order_by(Submission.id)))
        rows = []
        for sid in ids:
            for position in range(1, rng.choice((1, 2)) + 1):
                sha = contents[position - 1]["sha256"]
                body = " ".join(rng.choices(words, weights, k=DOC_WORDS))
                rows.append(
                    {
                        "submission_id": sid,
                        "position": position,
                        "original_name": f"document-{position}.txt",
                        "kind": "text",
                        "media_type": "text/plain; charset=utf-8",
                        "size": len(body),
                        "original_sha256": sha,
                        "reviewer_sha256": sha,
                        "redacted": False,
                        "text": body,
                        "text_truncated": False,
                        "uploaded_by": "bench",
                        "uploaded_at": now,
                    }
                )
            if len(rows) >= 2_000:
                session.execute(insert(SubmissionDocument), rows)
                rows = []
        if rows:
            session.execute(insert(SubmissionDocument), rows)
        count = session.query(SubmissionDocument).count()
    with db.write() as session:  # what autovacuum (PostgreSQL) or a long-lived database has done by then
        session.execute(text("ANALYZE"))
    return count, words


def viewers(db: Database) -> dict[str, Viewer]:
    with db.read() as session:
        out = {}
        for role in ("admin", "reviewer"):
            user = session.scalars(select(User).where(User.role == role).order_by(User.id)).first()
            assert user is not None
            out[role] = Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)
        return out


def page_search(db: Database, viewer: Viewer, query: str) -> tuple[int, int]:
    with db.read() as session:
        hits = search_documents(session, query=query, viewer=viewer, limit=50)
        ids = matching_submission_ids(session, query=query, viewer=viewer)
    return len(hits), len(ids)


def bench(backend: str, submissions: int, runs: int) -> bool:
    name = NAMES[backend]
    with tempfile.TemporaryDirectory(prefix="search-bench-") as tmp, migrated_database(backend, Path(tmp)) as db:
        if db is None:
            figure(
                f"document search on {name}", None, "ms", target=("<", TARGET_MS), note="the database could not start"
            )
            return False
        rng = random.Random(15)
        seed_bulk(
            db, config=load_call_config(), submissions=submissions, reviewers=50, per_submission=3, reviewed_share=0.0
        )
        started = time.perf_counter()
        documents, words = seed_documents(db, submissions, rng)
        print(
            f"{name}: {submissions:,} submissions, {documents:,} documents written and indexed in "
            f"{time.perf_counter() - started:.1f} s",
            flush=True,
        )
        queries = {
            "a common word": words[2],
            "a middling word": words[300],
            "two rare words": f"{words[5000]} {words[9000]}",
        }
        slowest = 0.0
        for role, viewer in viewers(db).items():
            for kind, query in queries.items():
                page_search(db, viewer, query)  # warm-up
                times, cpus = [], []
                for _ in range(runs):
                    t, c = time.perf_counter(), time.process_time()
                    hits, subs = page_search(db, viewer, query)
                    times.append((time.perf_counter() - t) * 1000)
                    cpus.append((time.process_time() - c) * 1000)
                median, cpu = statistics.median(times), statistics.median(cpus)
                print(f"  {role:<9} {kind:<16} {median:8.1f} ms (CPU {cpu:7.1f} ms)  {hits} hits, {subs} submissions")
                if median > slowest:
                    slowest, slowest_cpu, slowest_what = median, cpu, f"{kind}, as {role}"
        return figure(
            f"document search on {name}: {submissions:,} submissions, {documents:,} documents, slowest query's median",
            round(slowest, 1),
            "ms",
            target=("<", TARGET_MS),
            cpu=round(slowest_cpu, 1),
            note=f"{slowest_what}; 50 hits with snippets and every matching submission (the Submissions page's search)",
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = [bench(backend, args.submissions, args.runs) for backend in backends]
    return 0 if all(ok) else 1


if __name__ == "__main__":
    sys.exit(main())
