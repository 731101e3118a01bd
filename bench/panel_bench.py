#!/usr/bin/env python
"""The panel at once: 50 reviewers doing the review loop while the office reloads Rankings and Coverage.

    .venv/bin/python bench/panel_bench.py                                  # what `make bench` runs
    .venv/bin/python bench/panel_bench.py --backend sqlite --stress-seconds 0   # the panel's pace alone
    .venv/bin/python bench/panel_bench.py --submissions 1000 --seconds 30 --backend sqlite   # a quick run
    .venv/bin/python bench/panel_bench.py --backend postgresql --replicas 2 --reviewers 25

On the 10,000-submission call (BENCH_SQLITE_URL / BENCH_POSTGRESQL_URL when
`bench/run_all.py` has seeded them, otherwise a throwaway call seeded here with
`bench/bulk_seed.py`), each of `--reviewers` reviewers (`bench-reviewer-01`...)
is given fresh assignments through the app's own `add_assignment`, and the
app's server (serve.py, the real gate) is started: one process, or with
`--replicas 2` (PostgreSQL only) two processes on the one database, sharing the
cookie key and Streamlit's cookie secret as docs/deploy.md sets them up, each
session staying on one of them as a sticky load balancer would keep it.

For `--seconds`, every session works at once:

* `--reviewers` reviewer sessions do the review loop: open the queue (My
  reviews), open a submission (`?submission=REF`, a fresh assignment), score it
  (five choices, each its own run, as each click is: 3 for every criterion, a
  recommendation, a confidence), save (Save draft), submit (Submit). All but
  `--browsers` of them speak Streamlit's protocol (`bench/protocol_client.py`):
  a WebSocket each, the messages the frontend sends, timed until the run has
  ended (nothing drawn); the other `--browsers` are Debian's Chromium driven by
  Playwright, timed until the page is usable (the run ended, Streamlit's
  status widget gone, nothing stale; opening the queue and a submission are
  page loads by URL there, with the sign-in from the cookie).
* `--offices` office sessions (protocol) reload Rankings, then Coverage, in turn,
  one every `--office-think` seconds on average (uniformly 0.5-1.5 times it;
  default `--think`; `make bench` gives 20 at the panel's pace: people read a
  ranking before reloading it; the stress pace reloads every `--think`).
* Every session signs in and opens its first page before the clock starts
  (untimed), then waits a random part of one loop's mean waiting (an
  office session: of one think time), untimed but inside the window, so the
  sessions start out of phase rather than all at the same step. Then it waits
  before every step: after opening a submission, a reading time before its
  first score (`--read`, uniformly 0.5-1.5 times the mean), before every other
  step a think time (`--think`, the same way). A session whose next wait
  would end after the time stops at once (a loop under way is left unfinished
  and not counted), so the bench ends within a step of the time.

Two paces, each on a fresh server. **The panel's pace** (the targets; `make
bench`: read 30 s, think 3 s, 210 s): a loop is 8 think times and a reading
time, about 54 s, so 50 reviewers ask at most about 56 loops a minute. That is
still several times a real panel's: a panel member reads a submission (its
summary and documents) for minutes before scoring; at 5-15 minutes a
submission, 50 reviewers complete about 3-10 loops a minute. The 210 s give
each session, after its start out of phase, two to three loops. **The stress
pace** (`--stress-seconds`, after each panel's pace: no reading time, a think
time before every step, as this bench ran before): a loop about 27 s, at most
about 111 loops a minute from 50 reviewers, more than one server on two
cores completes (about 0.8 CPU s a loop): its step times are capacity
figures, printed without a target, labelled "stress pace (capacity)"; its
saves and memory keep their targets (no pace may lose a save).

Figures, for each database (and replica count): the median and p95 of each
step, separately for the protocol sessions and the Chromium ones (target p95
under 2 s); the saves (drafts and submissions) the clients saw confirmed
("Draft saved." / "Review submitted." in the run) and those that failed (an
error, or no answer within `--timeout`) (target 0); the saves lost: a
confirmed save whose review is not in the database afterwards, in the state
confirmed (target 0); the loops completed; the server's CPU use over the
window (CPU seconds per second, from /proc) and its peak resident memory
(sampled every half second, with the kernel's own high-water mark; target under
1 GB per process). The server runs on the same two cores as the clients and the
browsers: the CPU figures are the server process's own.

What a loop costs the server, two ways: the server CPU per completed loop
(every server's CPU over the window, divided by the loops completed in it;
the office's reloads included), and, once the panel has stopped, one review
loop by one session alone on the first server with no think time, the
server's CPU measured around each step (`alone`): each step kind's CPU (the
choices' mean), the loop's sum, and the office opening Rankings and Coverage
after that save and again (the panel's pace only). The think-time model is
printed with each phase: how many loops a minute the sessions ask for at most,
however fast the server; and the reading time measured, from each submission
drawn to its first score asked.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import random
import secrets
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import about, figure  # noqa: E402
from bench.panel_pace import (  # noqa: E402
    TimeUp,
    loop_seconds,
    office_think,
    out_of_phase,
    reading,
    stress_pace,
    think,
    think_model,
    wait,
)
from bench.panel_report import report  # noqa: E402
from bench.submit_next_bench import server_cpu  # noqa: E402

# The server and the sign-in tokens this process issues must share the key: set before anything reads it.
os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

CHROMIUM = "/usr/bin/chromium"
OFFICE_PAGES = (("rankings", "Rankings"), ("coverage", "Coverage"))
SAVED = {"save": "Draft saved.", "submit": "Review submitted."}
LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Tally:
    """What every session saw, shared by their threads."""

    steps: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))
    failed_steps: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    confirmed: list[tuple[str, str, str]] = field(default_factory=list)  # (username, reference, "save"/"submit")
    failed_saves: list[str] = field(default_factory=list)
    loops: int = 0
    reads: list[float] = field(default_factory=list)  # seconds from a submission opened to its first score asked
    ran_out: int = 0  # sessions that finished their fresh assignments before the time was up
    by_session: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # loops completed by each
    lock: threading.Lock = field(default_factory=threading.Lock)

    def completed(self, username: str) -> None:
        """A reviewer session completed a loop."""
        with self.lock:
            self.loops += 1
            self.by_session[username] += 1

    def step(self, source: str, step: str, seconds: float, ok: bool) -> None:
        with self.lock:
            if ok:
                self.steps[(source, step)].append(seconds)
            else:
                self.failed_steps[(source, step)] += 1


class Start:
    """Every session signs in and opens its first page before the clock starts (untimed: fifty
    sign-ins at once are not the review loop); then all of them work until the deadline."""

    def __init__(self, sessions: int, seconds: float) -> None:
        self.barrier = threading.Barrier(sessions + 1)
        self.go = threading.Event()
        self.seconds = seconds
        self.deadline = float("inf")

    def ready(self) -> None:
        """A session is set up (or failed to be): wait for the others, then for the clock."""
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait()
        self.go.wait()

    def all_ready(self) -> None:
        self.barrier.wait()

    def open(self) -> None:
        self.deadline = time.monotonic() + self.seconds
        self.go.set()

    def over(self, margin: float = 0.0) -> bool:
        return time.monotonic() + margin > self.deadline


def choices_for(config) -> list[tuple[str, bool, str]]:
    """The form's choices in the order a person makes them: (the radio's label, whether the label is a
    prefix, the option): 3 for every criterion, then the first recommendation and confidence."""
    out = [(f"{c.label}: ", True, "3") for c in config.criteria]
    out.append(("Recommendation", False, config.recommendations.label(config.recommendations.ids[0])))
    out.append(("Your confidence", False, config.confidence_levels.label(config.confidence_levels.ids[0])))
    return out


def rss_mb(pid: int, field_name: str = "VmRSS") -> float:
    """A process's resident memory (VmRSS) or its high-water mark (VmHWM), in MB, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


# ---------------------------------------------------------------------------
# The sessions


def protocol_reviewer(server_url, token, username, references, config, tally, start, rng, args) -> None:
    from bench.protocol_client import ProtocolSession

    source = "protocol"
    try:
        session = ProtocolSession(server_url, token, timeout=args.timeout)
        session.visit("my_reviews")  # the sign-in and the first page, before the clock
    finally:
        start.ready()
    try:
        try:
            out_of_phase(rng, loop_seconds(args, len(choices_for(config))), start)
        except TimeUp:
            return
        for reference in references:
            if start.over(args.think):
                return
            try:
                done = _protocol_loop(session, source, username, reference, config, tally, start, rng, args)
            except TimeUp:
                return
            if not done:
                return
            tally.completed(username)
        with tally.lock:
            tally.ran_out += 1
    finally:
        session.close()


def _protocol_loop(session, source, username, reference, config, tally, start, rng, args) -> bool:
    """One review loop; False when a step failed (the session stops there); raises TimeUp when the time
    is up before a step (after its think time)."""

    def step(name: str, *, page=None, query=None, strings=None, clicks=(), fragment_id="", read_from=None):
        wait(think(rng, args.think) if read_from is None else reading(rng, args), start)
        if read_from is not None:  # the submission was read from `read_from` until now
            with tally.lock:
                tally.reads.append(time.monotonic() - read_from)
        # a widget drawn in a fragment (the review form) reruns that fragment alone, as the browser asks
        visit = session.visit(page, query, strings=strings, clicks=clicks, fragment_id=fragment_id)
        tally.step(source, name, visit.seconds, visit.ended)
        return visit

    queue = step("open the queue", page="my_reviews", query="")
    if not queue.ended:
        return False
    form = step("open a submission", page="my_reviews", query=f"submission={reference}")
    if not form.ended:
        return False
    opened = time.monotonic()
    for n, (label, prefix, option) in enumerate(choices_for(config)):
        radio = session.last.widget("radio", label, prefix=prefix) or form.widget("radio", label, prefix=prefix)
        if radio is None or option not in radio.options:
            print(f"  {username} {reference}: no choice {option!r} for {label!r}", flush=True)
            return False
        read_from = opened if n == 0 else None  # the submission is read before its first score
        if not step("score", strings={radio.id: option}, fragment_id=radio.fragment_id, read_from=read_from).ended:
            return False
    for name, label in (("save", "Save draft"), ("submit", "Submit")):
        button = session.last.widget("button", label) or form.widget("button", label)
        if button is None:
            tally.failed_saves.append(f"{username} {reference}: no {label} button")
            return False
        visit = step(name, clicks=(button.id,), fragment_id=button.fragment_id)
        if visit.ended and visit.carries(SAVED[name]):
            with tally.lock:
                tally.confirmed.append((username, reference, name))
        else:
            with tally.lock:
                tally.failed_saves.append(
                    f"{username} {reference} {name}: " + ("no answer" if not visit.ended else "not confirmed")
                )
            return False
    return True


def protocol_office(server_url, token, tally, start, rng, args) -> None:
    from bench.protocol_client import ProtocolSession

    try:
        session = ProtocolSession(server_url, token, timeout=args.timeout)
        session.visit(OFFICE_PAGES[0][0])  # the sign-in and the first page, before the clock
    finally:
        start.ready()
    try:
        pause = office_think(args)
        try:
            out_of_phase(rng, pause, start)
        except TimeUp:
            return
        turn = 1
        while not start.over(pause):
            page, title = OFFICE_PAGES[turn % len(OFFICE_PAGES)]
            turn += 1
            try:
                wait(think(rng, pause), start)
            except TimeUp:
                break
            visit = session.visit(page, "")
            tally.step("protocol", f"{title} (office)", visit.seconds, visit.ended)
    finally:
        session.close()


def browser_reviewer(server_url, username, references, config, tally, start, rng, args) -> None:
    """One reviewer in Chromium (its own Playwright and browser, in this thread)."""
    from playwright.sync_api import sync_playwright

    from bench.bulk_seed import PASSWORD
    from tests.support.browser import CHROMIUM_ARGS, Watched, sign_in, wait_idle

    source = "Chromium"
    usable = """() => !document.querySelector('[data-testid="stStatusWidget"]')
        && !document.querySelector('[data-stale="true"]')"""
    with sync_playwright() as p:
        browser = Watched(p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
        try:
            try:
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(args.timeout * 1000)
                sign_in(page, server_url, username, PASSWORD)  # before the clock
            finally:
                start.ready()

            def timed(name: str, act, ready, read_from=None) -> bool:
                wait(think(rng, args.think) if read_from is None else reading(rng, args), start)
                if read_from is not None:  # the submission was read from `read_from` until now
                    with tally.lock:
                        tally.reads.append(time.monotonic() - read_from)
                started = time.perf_counter()
                try:
                    act()
                    ready()
                    wait_idle(page, timeout=args.timeout * 1000)
                    page.wait_for_function(usable, polling="raf")
                except Exception as exc:  # noqa: BLE001 - a step that never became usable is a failed step
                    print(f"  {username} (Chromium) {name}: {type(exc).__name__}", flush=True)
                    tally.step(source, name, 0.0, False)
                    return False
                tally.step(source, name, time.perf_counter() - started, True)
                return True

            out_of_phase(rng, loop_seconds(args, len(choices_for(config))), start)
            for reference in references:
                if start.over(args.think):
                    return
                if not timed(
                    "open the queue",
                    lambda: page.goto(f"{server_url}/my_reviews"),
                    lambda: page.get_by_role("heading", name="My reviews").first.wait_for(),
                ):
                    return
                if not timed(
                    "open a submission",
                    lambda r=reference: page.goto(f"{server_url}/my_reviews?submission={r}"),
                    lambda r=reference: page.get_by_text(f"Submission {r}").first.wait_for(),
                ):
                    return
                opened = time.monotonic()
                for n, (label, _prefix, option) in enumerate(choices_for(config)):
                    read_from = opened if n == 0 else None  # the submission is read before its first score
                    fresh = page.locator(
                        '[data-testid="stElementContainer"]:not([data-stale="true"]) [data-testid="stRadio"]'
                    )
                    choice = fresh.filter(has_text=label.rstrip(": ")).get_by_text(option, exact=True)
                    if not timed("score", choice.click, lambda: None, read_from):
                        return
                for name, label in (("save", "Save draft"), ("submit", "Submit")):
                    button = page.get_by_role("button", name=label, exact=True)
                    ok = timed(name, button.click, lambda t=SAVED[name]: page.get_by_text(t).first.wait_for())
                    with tally.lock:
                        if ok:
                            tally.confirmed.append((username, reference, name))
                        else:
                            tally.failed_saves.append(f"{username} {reference} {name} (Chromium)")
                    if not ok:
                        return
                tally.completed(username)
        except TimeUp:
            pass
        finally:
            browser.close()


def coverage(args, backends) -> str:
    """What the panel bench measures with these arguments, in words, for run_all's report."""
    servers = [
        f"{LABELS[b]} with {' and with '.join(str(n) for n in args.replicas)} server(s)"
        if b == "postgresql"
        else f"{LABELS[b]} with 1 server"
        for b in backends
    ]
    stress = (
        f"; then, on each, the stress pace (capacity; no targets): no reading time, think {args.think:g} s before "
        f"every step and every office reload, {args.stress_seconds:g} s"
        if args.stress_seconds > 0
        else ""
    )
    return (
        f"{args.reviewers} reviewers ({args.browsers} in Chromium, the rest over Streamlit's protocol) doing the "
        f"review loop and {args.offices} office sessions reloading Rankings and Coverage (one or the other every "
        f"0.5-1.5 times {office_think(args):g} s), {args.seconds:g} s after "
        f"all had signed in, on {'; '.join(servers)}; the panel's pace (the targets): a reading time uniformly "
        f"0.5-1.5 times {args.read:g} s before a submission's first score, think time uniformly 0.5-1.5 times "
        f"{args.think:g} s before every other step, each session starting at a random point of its first loop; "
        f"then one review loop alone on the server for each step's CPU{stress}"
    )


class CpuTally(Tally):
    """A Tally that records, for each step, the server's CPU seconds since the previous step (one
    session alone on the server, so the CPU is that step's)."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self.pid = pid
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.mark = server_cpu(pid)

    def step(self, source: str, step: str, seconds: float, ok: bool) -> None:
        now = server_cpu(self.pid)
        if ok:
            self.cpu[step].append(now - self.mark)
        self.mark = now


def alone(server, url: str, username: str, reference: str, config, args) -> dict[str, list[float]]:
    """The server's CPU seconds for each step of one review loop by one session alone on it (the
    others have stopped), then the office opening Rankings and Coverage after that save and again:
    {step: CPU seconds of each}. Empty if the loop did not complete."""
    from bench.protocol_client import ProtocolSession
    from bench.stream_wire import issued_token

    reviewer = ProtocolSession(server.url, issued_token(url, username), timeout=args.timeout)
    office = ProtocolSession(server.url, issued_token(url, "office"), timeout=args.timeout)
    try:
        reviewer.visit("my_reviews")
        office.visit("")
        tally = CpuTally(server.process.pid)
        quick = argparse.Namespace(**{**vars(args), "think": 0.0, "read": 0.0})
        if not _protocol_loop(
            reviewer, "alone", username, reference, config, tally, Start(0, math.inf), random.Random(0), quick
        ):
            return {}
        for state in ("after a save", "repeat visit"):
            for page, title in OFFICE_PAGES:
                visit = office.visit(page, "")
                tally.step("alone", f"{title} (office, {state})", visit.seconds, visit.ended)
        return dict(tally.cpu)
    finally:
        reviewer.close()
        office.close()


# ---------------------------------------------------------------------------
# One phase: a database, one or two servers, every session for the time given


def saved_in_database(url: str, confirmed: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The confirmed saves whose review is not in the database in the state confirmed (a draft saved:
    any review row; a submission: status submitted)."""
    from sqlalchemy import select

    from data_access.db import Database
    from data_access.models import Review, Submission, User

    db = Database(url)
    try:
        with db.read() as session:
            rows = session.execute(
                select(User.username, Submission.reference, Review.status)
                .join(User, User.id == Review.reviewer_id)
                .join(Submission, Submission.id == Review.submission_id)
                .where(User.username.like("bench-reviewer-%"))
            ).all()
    finally:
        db.dispose()
    state = {(u, r): s for u, r, s in rows}
    lost = []
    for username, reference, kind in confirmed:
        status = state.get((username, reference))
        if status is None or (kind == "submit" and status != "submitted"):
            lost.append((username, reference, kind))
    return lost


class Watch:
    """The servers' CPU time over the window and their peak resident memory (sampled, and VmHWM)."""

    def __init__(self, pids: list[int]) -> None:
        self.pids = pids
        self.peak = dict.fromkeys(pids, 0.0)
        self.stop = threading.Event()
        self.cpu0 = {pid: server_cpu(pid) for pid in pids}
        self.started = time.monotonic()
        self.thread = threading.Thread(target=self._sample, daemon=True)
        self.thread.start()

    def _sample(self) -> None:
        while not self.stop.wait(0.5):
            for pid in self.pids:
                with contextlib.suppress(OSError, ValueError):
                    self.peak[pid] = max(self.peak[pid], rss_mb(pid))

    def finish(self) -> tuple[float, dict[int, float], dict[int, float]]:
        """(seconds, CPU seconds per server, peak MB per server)."""
        self.stop.set()
        self.thread.join()
        seconds = time.monotonic() - self.started
        cpu = {pid: server_cpu(pid) - self.cpu0[pid] for pid in self.pids}
        for pid in self.pids:
            with contextlib.suppress(OSError, ValueError):
                self.peak[pid] = max(self.peak[pid], rss_mb(pid, "VmHWM"))
        return seconds, cpu, self.peak


def phase(url: str, backend: str, replicas: int, args, *, capacity: bool = False) -> bool:
    from bench.stream_wire import issued_token
    from bench.submit_next_bench import give_assignments
    from config import load_call_config
    from tests.support.live import LiveServer

    config = load_call_config()
    label = f"{LABELS[backend]}, {replicas} server" + ("s" if replicas > 1 else "")
    label += ", stress pace (capacity)" if capacity else ", panel's pace"
    # enough for the time at the fastest the waits allow (each half its mean), at most 20
    fastest = 0.5 * max(loop_seconds(args, len(choices_for(config))), 0.8)
    per_reviewer = args.assignments or min(20, max(2, math.ceil(args.seconds / fastest) + 1))
    usernames = [f"bench-reviewer-{i + 1:02d}" for i in range(args.reviewers)]
    print(
        f"\n== {label}: {args.reviewers} reviewers ({args.browsers} in Chromium), {args.offices} office, "
        f"{args.seconds:g} s, read {args.read:g} s, think {args.think:g} s; {per_reviewer} fresh assignments each",
        flush=True,
    )
    fresh = {u: give_assignments(url, per_reviewer, u)[0] for u in usernames}
    solo_reference = give_assignments(url, 1, usernames[0])[0][0]  # for the loop measured alone, afterwards
    print(think_model(args, len(choices_for(config))), flush=True)
    tokens = {u: issued_token(url, u) for u in usernames}
    office_tokens = [issued_token(url, "office") for _ in range(args.offices)]

    tally = Tally()
    shared = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    with tempfile.TemporaryDirectory(prefix="panel-bench-") as logs:
        servers = []
        try:
            for _ in range(replicas):
                servers.append(LiveServer.start(url, Path(logs), extra_env=shared))
            for server in servers:  # one page each, so the first session does not pay the imports
                from bench.protocol_client import ProtocolSession

                warm = ProtocolSession(server.url, issued_token(url, "office"), timeout=args.timeout)
                warm.visit("")
                warm.close()
            start = Start(args.reviewers + args.offices, args.seconds)
            threads = []
            rng = random.Random(7)
            for i, username in enumerate(usernames):
                server = servers[i % replicas]  # sticky: a session stays on its server
                seed_rng = random.Random(rng.random())
                if i < args.browsers:
                    target, extra = browser_reviewer, (server.url, username, fresh[username], config)
                else:
                    target, extra = protocol_reviewer, (server.url, tokens[username], username, fresh[username], config)
                threads.append(threading.Thread(target=target, args=(*extra, tally, start, seed_rng, args)))
            for j, token in enumerate(office_tokens):
                server = servers[j % replicas]
                threads.append(
                    threading.Thread(
                        target=protocol_office,
                        args=(server.url, token, tally, start, random.Random(rng.random()), args),
                    )
                )
            signing_in = time.monotonic()
            for thread in threads:
                thread.daemon = True
                thread.start()
            start.all_ready()
            print(
                f"{len(threads)} sessions signed in and on their first page in {time.monotonic() - signing_in:.0f} s; "
                f"the clock starts",
                flush=True,
            )
            watch = Watch([s.process.pid for s in servers])
            clients_cpu = time.process_time()
            start.open()
            for thread in threads:
                thread.join(timeout=max(0.0, start.deadline - time.monotonic()) + 2 * args.timeout + 30)
            seconds, cpu, peak = watch.finish()
            clients_cpu = time.process_time() - clients_cpu
            stuck = sum(t.is_alive() for t in threads)
            try:
                solo = {} if capacity else alone(servers[0], url, usernames[0], solo_reference, config, args)
            except Exception as exc:  # noqa: BLE001 - an extra measurement: its failure is reported, not fatal
                print(f"the loop alone failed: {type(exc).__name__}: {exc}", flush=True)
                solo = {}
        finally:
            for server in servers:
                server.stop()

    lost = saved_in_database(url, tally.confirmed)
    extra = {"clients_cpu": clients_cpu, "solo": solo, "capacity": capacity, "loop_steps": 4 + len(choices_for(config))}
    return report(label, tally, lost, seconds, cpu, peak, stuck, args, **extra)


# ---------------------------------------------------------------------------


def seeded(backend: str, args, stack: contextlib.ExitStack) -> str | None:
    """The call to run on: run_all's, or one seeded here (thrown away with `stack`)."""
    url = os.environ.get(f"BENCH_{backend.upper()}_URL")
    if url:
        return url
    from bench.bulk_seed import seed_bulk
    from bench.databases import migrated_database
    from config import load_call_config

    workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="panel-seed-")))
    db = stack.enter_context(migrated_database(backend, workdir))
    if db is None:
        return None
    started = time.perf_counter()
    counts = seed_bulk(db, config=load_call_config(), submissions=args.submissions, reviewers=max(50, args.reviewers))
    print(f"seeded {LABELS[backend]}: {counts} in {time.perf_counter() - started:.1f} s", flush=True)
    return db.url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--submissions", type=int, default=10_000, help="when this script seeds the call")
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--browsers", type=int, default=2, help="of the reviewers, how many in Chromium")
    parser.add_argument("--offices", type=int, default=2)
    parser.add_argument(
        "--seconds", type=float, default=210, help="how long every session works at once, at the panel's pace"
    )
    parser.add_argument("--think", type=float, default=3.0, help="mean think time between steps, seconds")
    parser.add_argument(
        "--read",
        type=float,
        default=30.0,
        help="mean reading time between opening a submission and its first score, seconds (0: a think time)",
    )
    parser.add_argument(
        "--office-think",
        type=float,
        help="the office sessions' mean time between two reloads, seconds (default: --think); make bench: 20",
    )
    parser.add_argument(
        "--stress-seconds",
        type=float,
        default=60,
        help="then the stress pace (read 0; capacity figures, no targets) for this long on each (0: none)",
    )
    parser.add_argument(
        "--assignments", type=int, help="fresh assignments per reviewer (default: enough for the time, at most 20)"
    )
    parser.add_argument("--timeout", type=float, default=60, help="a step with no answer by then has failed")
    parser.add_argument(
        "--replicas", type=int, nargs="+", default=[1, 2], help="server counts to run on PostgreSQL (SQLite: 1)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop the servers and the database
    if args.browsers and not os.path.exists(CHROMIUM):
        print(f"Debian's Chromium is not at {CHROMIUM}: --browsers 0, or apt-get install -y chromium")
        figure("panel: Chromium sessions", None, target=("==", 0), note="no Chromium")
        return 1
    ok = True
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    about(coverage(args, backends))
    for backend in backends:
        with contextlib.ExitStack() as stack:
            url = seeded(backend, args, stack)
            if url is None:
                ok &= figure(f"panel on {LABELS[backend]}", None, target=("==", 0), note="the database did not start")
                continue
            for replicas in [1] if backend == "sqlite" else args.replicas:
                ok &= phase(url, backend, replicas, args)
                if args.stress_seconds > 0:
                    ok &= phase(url, backend, replicas, stress_pace(args), capacity=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
