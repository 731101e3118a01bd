#!/usr/bin/env python
"""How long each page takes to become usable in a real browser, for each role, on a large call.

    .venv/bin/python bench/browser_pages_bench.py                       # 10,000 submissions (what make bench runs)
    .venv/bin/python bench/browser_pages_bench.py --submissions 1000    # a quick run
    .venv/bin/python bench/browser_pages_bench.py --roles office --pages rankings coverage --heavy-runs 5

On the SQLite call `bench/run_all.py` seeded (BENCH_SQLITE_URL), or `--url`, or a
throwaway call seeded here with `bench/bulk_seed.py`, the app's server
(`bench/bench_server.py`: serve.py plus the bench's empty page) is started and
Debian's Chromium (Playwright, /usr/bin/chromium) signs in as the admin, the
office and a reviewer (`bench-reviewer-01`), one browser context each. Each
page is visited for its role: the office every page it has (all of them
shared with the admin); the admin its own pages, and Selection and Submissions
again (issue 21 measured them for the admin); a reviewer every page it has
(`--every-role`: every page with every role that has it). For each such page,
and for the empty page (`bench/empty_page.py`: the sign-in check and the navigation,
nothing else) in the same run:

* by URL (`page.goto`: a new document, a new WebSocket, the sign-in from the
  cookie) and by a click on the page's link in the sidebar (from the empty page;
  the empty page's own link is clicked from Overview);
* as a repeat visit (the page was just visited: what the server caches is
  current) and after another user's save (just before each visit, a second
  session, a reviewer over Streamlit's protocol (`bench/protocol_client.py`),
  saves a draft of a review with another score: the data version moves, as it
  does with every save during reviewing);

it is visited `--heavy-runs` times (3) for the heavy pages (Rankings,
Coverage, Selection, Exports, Submissions: seconds where the rest take well
under one) and the empty page, `--runs` times (2) for the others (so that
`make bench` fits its half hour), and timed until usable: the page's title is drawn,
the run the visit asked for has ended (read from the WebSocket's frames, as the
browser tests' `wait_idle` does), nothing drawn is stale and Streamlit's status
widget (`[data-testid="stStatusWidget"]`, "Running...") is gone. Never a fixed
wait. The bytes received over the WebSocket during each visit are summed
(Playwright's `websocket` / `framereceived` events; what a page load fetches over
HTTP, the frontend's own files, is not in them).

Figures, for each role, page, way in and state: the p95 (nearest rank) of the
time to usable, target under 1 s on a repeat visit and under 1.5 s after a
save (on a quiet machine), with the median and the bytes per visit (median) in
the note; and the same p95 divided by the empty page's p95 (same role, way in
and state, same run), target at most 3. With so few visits the p95 is the
slowest of them. The browser's own work (drawing) is in these times; the
CPU column is the server process's CPU time per visit (median).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_page import EMPTY_KEY, EMPTY_TITLE  # noqa: E402
from bench.figures import about, figure  # noqa: E402
from bench.submit_next_bench import p95, server_cpu  # noqa: E402

os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(40))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

CHROMIUM = "/usr/bin/chromium"
TARGETS = {"repeat visit": 1.0, "after another user's save": 1.5}
RATIO_TARGET = 3.0
ROLES = {"admin": "admin", "office": "office", "reviewer": "bench-reviewer-01"}
SAVER = "bench-reviewer-02"
MODES = ("by URL", "by sidebar click")
STATES = ("repeat visit", "after another user's save")
# The pages whose visits cost the most (issue 21's table: seconds, where the rest take well under one):
# `--heavy-runs` visits per series for them and the empty page they are compared with, `--runs` for the rest.
HEAVY = ("rankings", "coverage", "selection", "exports", "submissions")
# Each page for its role (the default; `--every-role` visits every page with every role that has it): the
# pages the admin and the office share are the office's (it reads them all through reviewing), and two
# of them the admin's as well (issue 21 measured them for the admin); the admin's own pages; every page
# a reviewer has.
ADMIN_ALSO = ("selection", "submissions")

# Usable: the page's title drawn, the run asked for ended (tests/support/browser.IDLE: the frames
# seen by WIRE_WATCH), nothing stale, no status widget.
USABLE = """(title) => {
    const wire = window.__evidenceWire;
    const app = document.querySelector('[data-testid="stApp"]');
    if (!wire || !app) return false;
    if (!(wire.started > wire.asked && wire.ended > wire.started)) return false;
    if (app.dataset.testScriptState !== 'notRunning' || app.dataset.testConnectionState !== 'CONNECTED') return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    return [...document.querySelectorAll('h1')].some(h => h.textContent.trim() === title);
}"""


@dataclass
class Series:
    """The visits of one role, page, way in and state."""

    seconds: list[float] = field(default_factory=list)
    received: list[int] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)


class Wire:
    """Bytes received over the page's WebSockets (every socket the page opens, as it opens them)."""

    def __init__(self, page) -> None:
        self.received = 0
        page.on("websocket", self._opened)

    def _opened(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        self.received += len(payload if isinstance(payload, bytes) else payload.encode("utf-8"))


class Saver:
    """Another user: a reviewer's session over the protocol saving a draft, a different score each time."""

    def __init__(self, server_url: str, db_url: str, config) -> None:
        from bench.protocol_client import ProtocolSession
        from bench.stream_wire import issued_token
        from bench.submit_next_bench import give_assignments

        reference = give_assignments(db_url, 1, SAVER)[0][0]
        self.session = ProtocolSession(server_url, issued_token(db_url, SAVER), timeout=180)
        self.session.visit("")
        self.form = self.session.visit("my_reviews", f"submission={reference}")
        self.criterion = f"{config.criteria[0].label}: "
        self.saves = 0

    def save(self) -> None:
        radio = self.form.widget("radio", self.criterion, prefix=True)
        button = self.form.widget("button", "Save draft")
        if radio is None or button is None:
            raise RuntimeError("the saver's form has no score or no Save draft")
        self.session.visit(strings={radio.id: "2" if self.saves % 2 else "4"})
        visit = self.session.visit(clicks=(button.id,))
        if not visit.carries("Draft saved."):
            raise RuntimeError("the other user's save was not confirmed")
        self.saves += 1


def plan(role: str, specs: list[tuple[str, str]], args) -> list[tuple[str, str]]:
    """The pages (URL path, title) visited as `role`, of those its navigation gives it: each page for
    its role (see ADMIN_ALSO), or with `--every-role` all of them; `--pages` narrows either."""
    from ui.navigation import pages_for

    if not getattr(args, "every_role", False) and role == "admin":
        office = {s.url_path for s in pages_for("office")}
        specs = [(k, t) for k, t in specs if k not in office or k in ADMIN_ALSO]
    if args.pages:
        specs = [(k, t) for k, t in specs if k in args.pages]
    return specs


def runs_for(key: str, args) -> int:
    """Timed visits per series: `--heavy-runs` for the heavy pages and the empty page, `--runs` otherwise."""
    return args.heavy_runs if key in HEAVY or key == EMPTY_KEY else args.runs


def choice(args) -> str:
    """The bench's coverage in words, for its figures and docs/benchmarks.md."""
    pages = "every page with every role that has it" if args.every_role else "each page for its role"
    return (
        f"{pages}; {' and '.join(MODES)}; {' and '.join(STATES)}; {args.heavy_runs} visits per series for "
        f"{', '.join(HEAVY)} and the empty page, {args.runs} for the other pages (p95 is the slowest of them)"
    )


def address(server_url: str, key: str) -> str:
    """A page's URL: the default page (Overview) is the app's root; its key is no path."""
    from ui.navigation import DEFAULT_PAGE

    return f"{server_url}/" if key == DEFAULT_PAGE else f"{server_url}/{key}"


def go_to_start(page, server_url: str, start: tuple[str, str]) -> None:
    """Untimed: open the page a sidebar click starts from, by its URL (a click there was seen to find
    the sidebar inert while the page just loaded by URL settled)."""
    from tests.support.browser import wait_idle

    key, title = start
    page.goto(address(server_url, key))
    page.wait_for_function(USABLE, arg=title, polling="raf")
    wait_idle(page)


def measure(page, wire: Wire, server, mode: str, key: str, title: str, start, before) -> tuple[float, int, float]:
    """One timed visit: (seconds until usable, bytes received, server CPU seconds)."""
    if mode == "by sidebar click":
        go_to_start(page, server.url, start)
    before()
    wire.received = 0
    cpu, started = server_cpu(server.process.pid), time.perf_counter()
    if mode == "by URL":
        page.goto(address(server.url, key))
    else:
        page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title, exact=True).click()
    page.wait_for_function(USABLE, arg=title, polling="raf")
    seconds = time.perf_counter() - started
    return seconds, wire.received, server_cpu(server.process.pid) - cpu


def bench(url: str, args: argparse.Namespace) -> int:
    from playwright.sync_api import sync_playwright

    from bench.bulk_seed import PASSWORD
    from config import load_call_config
    from data_access.db import Database
    from tests.support.browser import CHROMIUM_ARGS, Watched, sign_in, wait_idle
    from tests.support.live import LiveServer
    from ui.navigation import pages_for

    config = load_call_config()
    db = Database(url)
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(db.dialect, db.dialect)
    db.dispose()
    results: dict[tuple[str, str, str, str], Series] = {}
    titles: dict[str, str] = {EMPTY_KEY: EMPTY_TITLE}
    started_all = time.perf_counter()
    about(f"{label}: {choice(args)}")
    with tempfile.TemporaryDirectory(prefix="browser-pages-server-") as logs:
        server = LiveServer.start(url, Path(logs), script=ROOT / "bench" / "bench_server.py")
        try:
            saver = Saver(server.url, url, config)
            with sync_playwright() as p:
                browser = Watched(p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
                for role in args.roles:
                    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                    page.set_default_timeout(args.timeout * 1000)
                    wire = Wire(page)
                    sign_in(page, server.url, ROLES[role], PASSWORD)
                    specs = plan(role, [(s.url_path, s.title) for s in pages_for(role)], args)
                    for key, title in [(EMPTY_KEY, EMPTY_TITLE), *specs]:
                        titles[key] = title
                        start = ("overview", "Overview") if key == EMPTY_KEY else (EMPTY_KEY, EMPTY_TITLE)
                        for mode in MODES:
                            if mode == "by URL":  # the first visit: untimed, so the next is a repeat
                                page.goto(address(server.url, key))
                                page.wait_for_function(USABLE, arg=title, polling="raf")
                                wait_idle(page)
                            for state, before in zip(STATES, (lambda: None, saver.save), strict=True):
                                series = results.setdefault((role, key, mode, state), Series())
                                for _ in range(runs_for(key, args)):
                                    seconds, received, cpu = measure(
                                        page, wire, server, mode, key, title, start, before
                                    )
                                    wait_idle(page)
                                    series.seconds.append(seconds)
                                    series.received.append(received)
                                    series.cpu.append(cpu)
                                print(
                                    f"  {role:8} {title:20} {mode:17} {state:26} "
                                    + " ".join(f"{s:.2f}" for s in series.seconds)
                                    + f" s; {statistics.median(series.received) / 1000:.0f} kB",
                                    flush=True,
                                )
                    page.context.close()
                browser.close()
            saver.session.close()
        finally:
            server.stop()
    minutes = (time.perf_counter() - started_all) / 60
    visits = sum(len(series.seconds) for series in results.values())
    print(f"{len(results)} series, {visits} visits in {minutes:.1f} minutes ({saver.saves} saves by the other user)")
    return report(label, results, titles, args, minutes)


def report(label: str, results: dict, titles: dict[str, str], args, minutes: float) -> int:
    ok = True
    for (role, key, mode, state), series in results.items():
        if key == EMPTY_KEY:
            continue
        empty = results.get((role, EMPTY_KEY, mode, state))
        high, median = p95(series.seconds), statistics.median(series.seconds)
        empty_high = p95(empty.seconds) if empty else None
        kb = statistics.median(series.received) / 1000
        name = f"{label}, {titles[key]} ({role}, {mode}, {state})"
        note = (
            f"median {median:.3f} s; {kb:,.0f} kB over the WebSocket per visit; "
            f"{len(series.seconds)} visits; empty page p95 {empty_high:.3f} s"
            if empty_high is not None
            else f"median {median:.3f} s; {kb:,.0f} kB per visit"
        )
        ok &= figure(
            f"{name}: p95",
            round(high, 3),
            "s",
            target=("<", TARGETS[state]),
            cpu=round(statistics.median(series.cpu), 3),
            note=note,
        )
        if empty_high:
            ok &= figure(
                f"{name}: p95 / empty page's",
                round(high / empty_high, 2),
                "x",
                target=("<=", RATIO_TARGET),
                note=f"{high:.3f} s against {empty_high:.3f} s",
            )
    for (role, key, mode, state), series in results.items():
        if key == EMPTY_KEY:
            figure(
                f"{label}, empty page ({role}, {mode}, {state}): p95",
                round(p95(series.seconds), 3),
                "s",
                cpu=round(statistics.median(series.cpu), 3),
                note=f"median {statistics.median(series.seconds):.3f} s; "
                f"{statistics.median(series.received) / 1000:,.0f} kB per visit",
            )
    figure(f"{label}, browser pages bench: duration", round(minutes, 1), "min", note=choice(args))
    return 0 if ok else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already seeded call (default: BENCH_SQLITE_URL, else a throwaway one)")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=2, help="timed visits per role, page, way in and state")
    parser.add_argument("--heavy-runs", type=int, default=3, help="the same, for the heavy pages and the empty page")
    parser.add_argument("--roles", nargs="+", choices=tuple(ROLES), default=list(ROLES))
    parser.add_argument(
        "--every-role", action="store_true", help="every page with every role that has it, not each for its role"
    )
    parser.add_argument("--pages", nargs="*", help="only these pages (URL paths); the empty page always")
    parser.add_argument("--timeout", type=float, default=180, help="seconds a visit may take before it fails")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"Debian's Chromium is not at {CHROMIUM} (apt-get install -y chromium)")
        figure("browser pages: Chromium", None, target=("==", 0), note="no Chromium")
        return 1

    from bench.bulk_seed import on_a_seeded_call

    seed_args = ["--submissions", str(args.submissions)]
    return on_a_seeded_call(args.url, lambda url: bench(url, args), prefix="browser-pages-bench-", seed_args=seed_args)


if __name__ == "__main__":
    sys.exit(main())
