#!/usr/bin/env python
"""How long one message preview takes: the assignments digest, with real data.

`data_access.templates.preview` of the default "reviewer.assignments" template,
as the Messages page will call it: the admin's role checked, the first
reviewer's standing assignments read (on the seeded call of `bench/run_all.py`,
about 600 submissions each: the longest digest that call holds), the
template checked in the sandbox and rendered to subject, text and HTML.
Target: under 100 ms (issue 16), the median of RUNS runs after one warm-up.

Then the rendering alone, as queueing renders one message per recipient:
MESSAGES acknowledgements from the default template, each with its own
values (target: under 5 s, issue 16's bound for queueing 10,000 messages,
which this is only a part of; a template is checked and compiled once, then
rendered for each message).

Runs on the call seeded by `bench/run_all.py` when BENCH_SQLITE_URL /
BENCH_POSTGRESQL_URL name it; without them, on a throwaway SQLite call of
`--submissions` submissions that it seeds itself. Each timed preview checks
and compiles the template afresh (its caches emptied), as for wording the
admin has just typed.

    .venv/bin/python bench/templates_bench.py
    .venv/bin/python bench/templates_bench.py --submissions 200 --runs 3   # quick
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import select

from access.visibility import Viewer
from bench.bulk_seed import seed_bulk
from bench.figures import figure
from config import CallConfig, load_call_config
from data_access.db import Database
from data_access.migrate import upgrade
from data_access.models import User
from data_access.templates import Preview, preview
from messages import sandbox
from messages.templates import render, spec_for

TARGET_MS = 100.0
MESSAGES = 10_000
TARGET_RENDER_S = 5.0
RUNS = 20
PURPOSE = "reviewer.assignments"


def admin_viewer(db: Database) -> Viewer:
    with db.read() as s:
        admin = s.scalars(select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)).first()
        if admin is None:
            raise SystemExit("the call has no active admin to preview as")
        return Viewer(user_id=admin.id, username=admin.username, name=admin.name, role=admin.role)


def one_preview(db: Database, viewer: Viewer, config: CallConfig) -> Preview:
    spec = spec_for(PURPOSE)
    with db.read() as s:
        return preview(
            s,
            PURPOSE,
            spec.subject,
            spec.text,
            spec.html,
            viewer=viewer,
            config=config,
            base_url="https://evidence.example.org",
        )


def forget_templates() -> None:
    sandbox._check_part.cache_clear()
    sandbox._compiled.cache_clear()


def time_previews(url: str, label: str, runs: int) -> bool:
    db = Database(url)
    try:
        viewer = admin_viewer(db)
        config = load_call_config()  # the app keeps it loaded (st.cache_resource)
        shown = one_preview(db, viewer, config)  # warm-up: imports, compiled templates, connection
        walls, cpus = [], []
        for _ in range(runs):
            forget_templates()  # a preview is of wording just typed: checked and compiled afresh
            wall, cpu = time.perf_counter(), time.process_time()
            one_preview(db, viewer, config)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
    finally:
        db.dispose()
    items = shown.rendered.text.count("\n- ")
    print(f"{label}: {shown.about}, {items} submissions in the digest, {len(shown.rendered.text):,} characters")
    return figure(
        f"message preview (assignments digest, {items} submissions), {label}",
        round(statistics.median(walls), 2),
        "ms",
        target=("<", TARGET_MS),
        cpu=round(statistics.median(cpus), 2),
        note=f"median of {runs} runs",
    )


def time_renders(count: int) -> bool:
    spec = spec_for("contributor.acknowledgement")
    values = [spec.examples() | {"reference": f"CFE-{i:05}", "title": f"Evidence {i}"} for i in range(count)]
    wall, cpu = time.perf_counter(), time.process_time()
    for one in values:
        render(spec, spec.subject, spec.text, spec.html, one)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"rendered {count:,} acknowledgements in {wall:.2f} s")
    return figure(
        f"rendering {count:,} messages from one template",
        round(wall, 3),
        "s",
        target=("<", TARGET_RENDER_S),
        cpu=round(cpu, 3),
    )


def seeded_sqlite(folder: str, submissions: int) -> str:
    url = f"sqlite:///{folder}/templates_bench.db"
    db = Database(url)
    try:
        upgrade(db)
        seed_bulk(db, config=load_call_config(), submissions=submissions, reviewers=max(3, submissions // 200))
    finally:
        db.dispose()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--submissions", type=int, default=10_000, help="size of the call seeded without BENCH_*_URL")
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed runs (default {RUNS})")
    parser.add_argument("--messages", type=int, default=MESSAGES, help=f"messages rendered (default {MESSAGES:,})")
    args = parser.parse_args(argv)
    urls = [
        (label, os.environ[env])
        for env, label in (("BENCH_SQLITE_URL", "SQLite"), ("BENCH_POSTGRESQL_URL", "PostgreSQL"))
        if os.environ.get(env)
    ]
    ok = time_renders(args.messages)
    if urls:
        for label, url in urls:
            ok &= time_previews(url, label, args.runs)
        return 0 if ok else 1
    with tempfile.TemporaryDirectory() as folder:
        ok &= time_previews(seeded_sqlite(folder, args.submissions), "SQLite", args.runs)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
