#!/usr/bin/env python
"""What one reviewer's loop costs the server in CPU: each step kind and the whole loop.

    .venv/bin/python bench/loop_cpu_bench.py --backend sqlite --loops 5
    .venv/bin/python bench/loop_cpu_bench.py --backend postgresql --loops 5 --submissions 10000

On a call seeded with `bench/bulk_seed.py` (as bench/panel_bench.py does; or
`--url` for one already seeded), the app's server (serve.py) is started, one
reviewer (`bench-reviewer-01`) is given fresh assignments through the app's
own `add_assignment`, and a protocol session (`bench/protocol_client.py`) does
the review loop `--loops` times after one loop of warming up: open the queue,
open a submission, five score choices, Save draft, Submit (nine script runs).
Each step's cost is the server process's CPU time (user and system, from
/proc) across the step, with nothing else talking to the server: the figure
that decides how many reviewers one process serves, and one a busy machine
hardly changes (the kernel counts it in 10 ms ticks: the figures are means
over many runs). Sign-in is measured in a browser instead
(tests/browser/test_sign_in.py: the protocol client cannot answer the cookie's
component).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

from bench.figures import figure  # noqa: E402
from bench.panel_bench import LABELS, SAVED, choices_for, seeded  # noqa: E402
from bench.submit_next_bench import server_cpu  # noqa: E402

USERNAME = "bench-reviewer-01"


def one_loop(session, pid: int, reference: str, config, sent=None) -> dict[str, list[float]] | None:
    """One review loop; the server's CPU seconds per step kind (None if a step failed). `sent`, when
    given, gains per step kind (bytes received, messages, script runs) of each step."""
    costs: dict[str, list[float]] = defaultdict(list)

    def step(name, **kwargs):
        time.sleep(0.3)  # let the server settle (a previous run's tail, the collector's tick)
        before = server_cpu(pid)
        visit = session.visit(**kwargs)
        time.sleep(0.05)
        costs[name].append(server_cpu(pid) - before)
        if sent is not None:
            sent[name].append((visit.received, len(visit.frames), visit.runs))
        return visit

    if not step("open the queue", page="my_reviews", query="").ended:
        return None
    form = step("open a submission", page="my_reviews", query=f"submission={reference}")
    if not form.ended:
        return None
    for label, prefix, option in choices_for(config):
        radio = session.last.widget("radio", label, prefix=prefix) or form.widget("radio", label, prefix=prefix)
        if radio is None or not step("score", strings={radio.id: option}, fragment_id=radio.fragment_id).ended:
            print(f"  no choice {option!r} for {label!r}", flush=True)
            return None
    for name, label in (("save", "Save draft"), ("submit", "Submit")):
        button = session.last.widget("button", label) or form.widget("button", label)
        visit = step(name, clicks=(button.id,), fragment_id=button.fragment_id) if button else None
        if visit is None or not visit.carries(SAVED[name]):
            print(f"  {name}: not confirmed", flush=True)
            return None
    return costs


def run(url: str, backend: str, args) -> bool:
    from bench.protocol_client import ProtocolSession
    from bench.stream_wire import issued_token
    from bench.submit_next_bench import give_assignments
    from config import load_call_config
    from tests.support.live import LiveServer

    config = load_call_config()
    fresh = give_assignments(url, args.loops + 1, USERNAME)[0]
    token = issued_token(url, USERNAME)
    label = LABELS[backend]
    with tempfile.TemporaryDirectory(prefix="loop-cpu-") as logs:
        server = LiveServer.start(url, Path(logs), extra_env={"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)})
        try:
            pid = server.process.pid
            session = ProtocolSession(server.url, token, timeout=args.timeout)
            session.visit("my_reviews")
            one_loop(session, pid, fresh[0], config)  # warm: imports, caches, the first of everything
            costs: dict[str, list[float]] = defaultdict(list)
            sent: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
            loops = []
            for reference in fresh[1:]:
                got = one_loop(session, pid, reference, config, sent)
                if got is None:
                    return False
                for name, values in got.items():
                    costs[name].extend(values)
                loops.append(sum(sum(v) for v in got.values()))
            session.close()
        finally:
            server.stop()
    ok = True
    for name, values in costs.items():
        mean = statistics.fmean(values) * 1000
        size, messages, runs = (statistics.fmean(x) for x in zip(*sent[name], strict=True))
        print(
            f"  {label}: {name:20} n={len(values):3} mean {mean:6.1f} ms CPU  max {max(values) * 1000:6.0f} ms"
            f"  sent {size / 1000:6.1f} kB in {messages:5.1f} messages, {runs:.1f} runs"
        )
        figure(
            f"{label}, one reviewer, {name}: server CPU per run",
            round(mean, 1),
            "ms",
            note=f"mean of {len(values)} (the kernel counts CPU time in 10 ms ticks); max {max(values) * 1000:.0f} ms",
        )
    print(f"  {label}: per loop mean {statistics.fmean(loops):.3f} s CPU: {', '.join(f'{x:.2f}' for x in loops)}")
    figure(
        f"{label}, one reviewer: server CPU per loop (9 runs)",
        round(statistics.fmean(loops), 3),
        "s",
        note=f"mean of {len(loops)} loops; {', '.join(f'{x:.2f}' for x in loops)}",
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--loops", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=60)
    parser.add_argument("--url", help="a call already seeded with bench/bulk_seed.py")
    args = parser.parse_args(argv)
    ok = True
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with contextlib.ExitStack() as stack:
            url = args.url or seeded(backend, args, stack)
            if url is None:
                ok = False
                continue
            ok &= run(url, backend, args)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
