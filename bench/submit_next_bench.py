#!/usr/bin/env python
"""How long a reviewer waits after "Submit and next", in a real browser, on a large call.

    .venv/bin/python bench/submit_next_bench.py                      # 10,000 submissions, 50 reviews, SQLite
    .venv/bin/python bench/submit_next_bench.py --submissions 300 --reviewers 5 --reviews 3
    .venv/bin/python bench/submit_next_bench.py --url sqlite:////tmp/big.db   # an already seeded call

Seeds a throwaway SQLite call with `bench/bulk_seed.py` (or uses `--url`, or
BENCH_SQLITE_URL when `bench/run_all.py` has seeded one), gives one reviewer
(`bench-reviewer-01`, who already has several hundred submitted reviews) `--reviews` + 1
more assignments through the app's own `add_assignment`, and starts the app's
server (`bench/bench_server.py`: serve.py plus the bench's empty page).
Debian's Chromium, driven by Playwright, signs in as that reviewer and opens
My reviews on the first new assignment. Then, `--reviews` times: score it
(untimed: a 3 for each criterion, a recommendation, a confidence), click
"Submit and next" (`submit_and_next`), and time until the next
submission's form is usable: the URL names another submission, its first
score radio is there and enabled, nothing on the page is stale and
Streamlit's status widget ("Running...") is gone.

Figures: the median and the 95th percentile (nearest rank) of that wait;
target p95 under 1 s on a quiet machine. Next to them, in the same browser
and server, the same wait for the empty page (`bench/empty_page.py`: click its
button, wait for its run to end): what any click costs on this machine now
(the WebSocket round trip, the sign-in check, the navigation, drawing), so a
slow figure on a busy machine can be told from a slow page. The CPU column is
the server process's CPU time per click (its /proc stat), which other work on
the machine hardly changes; the browser's own work is not in it. The bench
checks that every timed click did submit a review (the count in the database
moves by `--reviews`), and fails otherwise.
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_page import EMPTY_KEY, EMPTY_TITLE, RUN_AGAIN  # noqa: E402
from bench.figures import figure  # noqa: E402

os.environ.setdefault("EVIDENCE_COOKIE_KEY", secrets.token_urlsafe(48))
os.environ.setdefault("EVIDENCE_BCRYPT_ROUNDS", "4")

REVIEWER = "bench-reviewer-01"
TARGET_P95 = 1.0
CHROMIUM = "/usr/bin/chromium"

# The clicks that submit the open review and open the next unfinished one:
# My reviews' "Submit and next" (before it existed, "Submit review" then
# "Next unfinished"; the function below still takes several in turn).
SUBMIT_AND_NEXT: tuple[str, ...] = ("Submit and next",)

# The next submission's form is usable: another submission in the URL, the
# first criterion's score radio there and enabled, nothing stale, the run finished.
FORM_USABLE = """([before, criterion]) => {
    const open = new URLSearchParams(window.location.search).get('submission');
    if (!open || open === before) return false;
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const group = [...document.querySelectorAll('[role="radiogroup"]')]
        .find(g => (g.getAttribute('aria-label') || '').includes(criterion));
    const radio = group && group.querySelector('input[type="radio"]');
    return !!radio && !radio.disabled;
}"""
# The empty page's run count ("Run 7"), and its next run drawn.
RUN_COUNT = """() => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
    .map(e => e.textContent).find(t => t.startsWith('Run ')) || null"""
EMPTY_RUN_DONE = f"""(before) => {{
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const count = ({RUN_COUNT})();
    return !!count && count !== before;
}}"""
OPEN_SUBMISSION = "() => new URLSearchParams(window.location.search).get('submission')"


def submit_and_next(page) -> None:
    """The click being timed: every label of SUBMIT_AND_NEXT in turn, each but
    the last waited for until its button has left the page (its run has drawn
    the result)."""
    for i, label in enumerate(SUBMIT_AND_NEXT):
        button = page.get_by_role("button", name=label, exact=True)
        button.click()
        if i < len(SUBMIT_AND_NEXT) - 1:
            button.wait_for(state="detached")


def outcome_text(page) -> str:
    """What the page says under the form's buttons (for a report when a click goes nowhere)."""
    box = page.locator(".st-key-my_reviews-outcome")
    return box.inner_text() if box.count() else ""


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: the smallest value with at least
    95% of the values at or below it."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def server_cpu(pid: int) -> float:
    """CPU seconds (user and system) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def give_assignments(url: str, count: int, reviewer_name: str = REVIEWER) -> tuple[list[str], int]:
    """Assign `count` submissions the reviewer has not been given to `reviewer_name`,
    through the app's own function; returns their references (in reference
    order, the order "next unfinished" follows) and the reviewer's assignments."""
    from sqlalchemy import func, select

    from data_access.assignments import add_assignment
    from data_access.db import Database
    from data_access.models import Assignment, Submission, User

    db = Database(url)
    try:
        with db.write() as session:
            reviewer = session.scalar(select(User.id).where(User.username == reviewer_name))
            if reviewer is None:
                raise SystemExit(f"{reviewer_name} is not in {db.dialect}'s call: seed it with bench/bulk_seed.py")
            given = select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer)
            rows = session.execute(
                select(Submission.id, Submission.reference)
                .where(Submission.id.not_in(given))
                .order_by(Submission.reference)
                .limit(count)
            ).all()
            if len(rows) < count:
                raise SystemExit(f"only {len(rows)} submissions are left to assign to {reviewer_name}")
            for submission_id, _ in rows:
                add_assignment(session, submission_id=submission_id, reviewer_id=reviewer, actor="bench")
            total = session.scalar(select(func.count(Assignment.id)).where(Assignment.reviewer_id == reviewer))
        return [ref for _, ref in rows], total
    finally:
        db.dispose()


def submitted_reviews(url: str) -> int:
    from sqlalchemy import func, select

    from data_access.db import Database
    from data_access.models import Review, User

    db = Database(url)
    try:
        with db.read() as session:
            return session.scalar(
                select(func.count(Review.id))
                .join(User, User.id == Review.reviewer_id)
                .where(User.username == REVIEWER, Review.status == "submitted")
            )
    finally:
        db.dispose()


def score(page, config) -> None:
    """Fill the open form (untimed): 3 for every criterion, the first
    recommendation and confidence; each choice waited for."""
    from tests.support.browser import wait_idle

    choices = [(c.label, "3") for c in config.criteria]
    choices += [("Recommendation", config.recommendations.label(config.recommendations.ids[0]))]
    choices += [("Your confidence", config.confidence_levels.label(config.confidence_levels.ids[0]))]
    for group, option in choices:
        # Only the drawn form's groups: while a run redraws the page, Streamlit
        # keeps the previous elements a moment, marked stale.
        fresh = page.locator('[data-testid="stElementContainer"]:not([data-stale="true"]) [data-testid="stRadio"]')
        fresh.filter(has_text=group).get_by_text(option, exact=True).click()
        wait_idle(page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="an already seeded call (default: BENCH_SQLITE_URL, else a throwaway one)")
    parser.add_argument("--submissions", type=int, default=10_000)
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--per-submission", type=int, default=3)
    parser.add_argument("--reviews", type=int, default=50, help="timed Submit and next clicks")
    args = parser.parse_args(argv)
    if not os.path.exists(CHROMIUM):
        print(f"Debian's Chromium is not at {CHROMIUM} (apt-get install -y chromium)")
        figure("Submit and next: p95", None, "s", target=("<", TARGET_P95), note="no Chromium")
        return 1

    from bench.bulk_seed import on_a_seeded_call

    seed_args = ["--submissions", str(args.submissions), "--reviewers", str(args.reviewers)]
    seed_args += ["--per-submission", str(args.per_submission)]
    return on_a_seeded_call(args.url, lambda url: bench(url, args), prefix="submit-next-bench-", seed_args=seed_args)


def bench(url: str, args: argparse.Namespace) -> int:
    """Time args.reviews clicks of Submit and next, and as many of the empty page; 1 when a target is missed."""
    from playwright.sync_api import sync_playwright

    from bench.bulk_seed import PASSWORD
    from config import load_call_config
    from data_access.db import Database
    from tests.support.browser import CHROMIUM_ARGS, Watched, sign_in, wait_idle
    from tests.support.live import LiveServer

    config = load_call_config()
    db = Database(url)
    label = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}.get(db.dialect, db.dialect)
    db.dispose()
    references, assigned = give_assignments(url, args.reviews + 1)
    before = submitted_reviews(url)
    print(f"{label}: {REVIEWER} has {assigned} assignments, {before} submitted; timing {args.reviews} clicks")
    clicks = " then ".join(f'"{step}"' for step in SUBMIT_AND_NEXT)
    print(f"the click: {clicks}")

    waits, cpus, empty_waits, empty_cpus = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="submit-next-server-") as logs:
        server = LiveServer.start(url, Path(logs), script=ROOT / "bench" / "bench_server.py")
        try:
            with sync_playwright() as p:
                browser = Watched(p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS))
                page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
                page.set_default_timeout(60_000)
                sign_in(page, server.url, REVIEWER, PASSWORD)

                page.goto(f"{server.url}/my_reviews?submission={references[0]}")
                page.get_by_text(f"Submission {references[0]}").wait_for()
                wait_idle(page)
                for _ in range(args.reviews):
                    open_now = page.evaluate(OPEN_SUBMISSION)
                    score(page, config)
                    cpu, started = server_cpu(server.process.pid), time.perf_counter()
                    submit_and_next(page)
                    try:
                        page.wait_for_function(FORM_USABLE, arg=[open_now, config.criteria[0].label], polling="raf")
                    except Exception:
                        shot = ROOT / "test-artifacts" / "submit-next-stuck.png"
                        shot.parent.mkdir(exist_ok=True)
                        page.screenshot(path=str(shot), full_page=True)
                        print(f"  {open_now}: the next form never came; the page says: {outcome_text(page)!r}")
                        print(f"  a picture of the page: {shot}")
                        raise
                    waits.append(time.perf_counter() - started)
                    cpus.append(server_cpu(server.process.pid) - cpu)
                    print(f"  {open_now}: {waits[-1]:.3f} s (server CPU {cpus[-1]:.2f} s)", flush=True)
                    wait_idle(page)

                page.goto(f"{server.url}/{EMPTY_KEY}")
                page.get_by_role("heading", name=EMPTY_TITLE, exact=True).wait_for()
                wait_idle(page)
                for _ in range(args.reviews):
                    shown = page.evaluate(RUN_COUNT)
                    cpu, started = server_cpu(server.process.pid), time.perf_counter()
                    page.get_by_role("button", name=RUN_AGAIN, exact=True).click()
                    page.wait_for_function(EMPTY_RUN_DONE, arg=shown, polling="raf")
                    empty_waits.append(time.perf_counter() - started)
                    empty_cpus.append(server_cpu(server.process.pid) - cpu)
                    wait_idle(page)
                browser.close()
        finally:
            server.stop()

    done = submitted_reviews(url) - before
    median, high = statistics.median(waits), p95(waits)
    empty_median, empty_high = statistics.median(empty_waits), p95(empty_waits)
    print(f"Submit and next: median {median:.3f} s, p95 {high:.3f} s (target < {TARGET_P95:g} s on a quiet machine)")
    print(f"empty page:      median {empty_median:.3f} s, p95 {empty_high:.3f} s")
    print(f"reviews submitted by the timed clicks: {done} of {args.reviews}")
    name = f"{label}, Submit and next until the next form is usable"
    note = f"{len(waits)} reviews by one reviewer with {assigned} assignments; the click: {clicks}"
    ok = figure(f"{name}: median", round(median, 3), "s", cpu=round(statistics.median(cpus), 3), note=note)
    ok &= figure(
        f"{name}: p95",
        round(high, 3),
        "s",
        target=("<", TARGET_P95),
        cpu=round(p95(cpus), 3),
        note=f"on a quiet machine; {note}; empty page p95 {empty_high:.3f} s in the same run",
    )
    empty = f"{label}, empty page in the browser (click until its run is drawn)"
    figure(f"{empty}: median", round(empty_median, 3), "s", cpu=round(statistics.median(empty_cpus), 3))
    figure(f"{empty}: p95", round(empty_high, 3), "s", cpu=round(p95(empty_cpus), 3), note="same browser and server")
    if done != args.reviews:
        print(f"PROBLEM: the timed clicks submitted {done} reviews, not {args.reviews}")
        ok &= figure(f"{label}, reviews submitted by the timed clicks", done, target=("==", args.reviews))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
