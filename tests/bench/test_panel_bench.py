"""bench/panel_bench.py's and bench/browser_pages_bench.py's parts that need no server: the
statistics, the think time, the form's choices, the check of saves against the database (on SQLite
and PostgreSQL), the figures and their verdicts, and run_all finding both scripts."""

from __future__ import annotations

import argparse
import math
import os
import random
import threading
import time

import pytest
from sqlalchemy import select, update

from bench import browser_pages_bench, panel_bench, panel_report, run_all
from bench.bulk_seed import seed_bulk
from bench.figures import parse
from data_access.models import Review, Submission, User


def _figures(capsys) -> dict[str, dict]:
    return {f["name"]: f for f in map(parse, capsys.readouterr().out.splitlines()) if f is not None}


def test_the_median_and_p95_of_the_steps():
    values = [float(v) for v in range(1, 41)]
    random.Random(5).shuffle(values)
    assert panel_report.summarise(values) == (20.5, 38.0)  # 95% of 40 is the 38th
    assert panel_report.summarise([0.3]) == (0.3, 0.3)


def test_think_times_stay_within_half_and_one_and_a_half_times_the_mean():
    rng = random.Random(1)
    times = [panel_bench.think(rng, 2.0) for _ in range(500)]
    assert min(times) >= 1.0 and max(times) <= 3.0
    assert max(times) - min(times) > 1.5  # drawn, not one value
    assert panel_bench.think(rng, 0) == 0.0


def test_the_form_is_filled_criteria_first_then_recommendation_and_confidence(call_config):
    choices = panel_bench.choices_for(call_config)
    assert [label for label, _, _ in choices[:-2]] == [f"{c.label}: " for c in call_config.criteria]
    assert all(prefix and option == "3" for _, prefix, option in choices[:-2])
    assert choices[-2] == (
        "Recommendation",
        False,
        call_config.recommendations.label(call_config.recommendations.ids[0]),
    )
    assert choices[-1][:2] == ("Your confidence", False)


def test_the_memory_of_a_process_is_read_from_proc():
    assert 5 < panel_bench.rss_mb(os.getpid()) <= panel_bench.rss_mb(os.getpid(), "VmHWM") < 100_000


def test_a_confirmed_save_missing_from_the_database_or_in_another_state_is_lost(db, call_config):
    seed_bulk(db, config=call_config, submissions=12, reviewers=3, per_submission=2)
    with db.write() as s:
        rows = s.execute(
            select(Review.id, User.username, Submission.reference)
            .join(User, User.id == Review.reviewer_id)
            .join(Submission, Submission.id == Review.submission_id)
            .order_by(Review.id)
        ).all()
        draft_id, draft_user, draft_ref = rows[0]
        s.execute(update(Review).where(Review.id == draft_id).values(status="draft", submitted_at=None))
        reviewed = {(u, r) for _, u, r in rows}
    _, user, submitted_ref = rows[1]
    never = next(
        (u, f"CFE-{n:05d}")
        for u in ("bench-reviewer-01", "bench-reviewer-02", "bench-reviewer-03")
        for n in range(1, 13)
        if (u, f"CFE-{n:05d}") not in reviewed
    )
    confirmed = [
        (user, submitted_ref, "submit"),  # there, submitted
        (user, submitted_ref, "save"),  # a draft saved before: any review row
        (draft_user, draft_ref, "save"),  # there, a draft
        (draft_user, draft_ref, "submit"),  # confirmed submitted, but a draft in the database: lost
        (*never, "save"),  # no review at all: lost
    ]
    assert panel_bench.saved_in_database(db.url, confirmed) == [(draft_user, draft_ref, "submit"), (*never, "save")]
    assert panel_bench.saved_in_database(db.url, confirmed[:3]) == []


def _args(**kw):
    return argparse.Namespace(
        **{"reviewers": 3, "browsers": 1, "offices": 1, "think": 2.0, "read": 0.0, "timeout": 60, **kw}
    )


def test_the_panel_figures_judge_steps_saves_and_memory(capsys):
    tally = panel_bench.Tally()
    for seconds in (0.5, 0.6, 0.7, 1.9):
        tally.step("protocol", "save", seconds, True)
    for seconds in (0.4, 2.5):
        tally.step("Chromium", "open the queue", seconds, True)
    tally.step("protocol", "save", 0.0, False)
    tally.confirmed = [("bench-reviewer-01", "CFE-00001", "save"), ("bench-reviewer-01", "CFE-00001", "submit")]
    tally.loops = 1
    lost = [("bench-reviewer-01", "CFE-00001", "submit")]

    ok = panel_bench.report("SQLite, 1 server", tally, lost, 60.0, {101: 30.0}, {101: 512.4}, 0, _args())

    figures = _figures(capsys)
    assert ok is False
    save = figures["SQLite, 1 server, save (protocol): p95"]
    assert (save["value"], save["ok"]) == (1.9, True)
    assert "1 failed" in save["note"]
    queue = figures["SQLite, 1 server, open the queue (Chromium): p95"]
    assert (queue["value"], queue["ok"]) == (2.5, False)
    assert figures["SQLite, 1 server, saves failed"]["value"] == 0
    assert figures["SQLite, 1 server, saves lost (confirmed, not in the database)"]["ok"] is False
    assert figures["SQLite, 1 server, server CPU use"]["value"] == 0.5
    memory = figures["SQLite, 1 server, server peak memory"]
    assert (memory["value"], memory["ok"]) == (512, True)
    loops = figures["SQLite, 1 server, review loops completed per minute"]
    assert loops["value"] == 1.0 and "think 1-3 s before every step" in loops["note"]
    per_loop = figures["SQLite, 1 server, server CPU per completed loop"]
    assert (per_loop["value"], per_loop["unit"]) == (30.0, "s") and "1 loops completed" in per_loop["note"]
    assert not any("alone" in name for name in figures)  # no loop measured alone: no such figure


def test_the_cpu_of_each_step_alone_and_of_the_loop(capsys):
    tally = panel_bench.Tally()
    tally.step("protocol", "submit", 0.3, True)
    tally.loops = 0
    solo = {
        "open the queue": [0.04],
        "open a submission": [0.1],
        "score": [0.02, 0.03, 0.04, 0.05, 0.06],
        "save": [0.2],
        "submit": [0.25],
        "Rankings (office, after a save)": [0.6],
    }
    panel_bench.report(
        "PostgreSQL, 2 servers", tally, [], 30.0, {1: 3.0, 2: 6.0}, {1: 1.0, 2: 1.0}, 0, _args(), solo=solo
    )
    figures = _figures(capsys)
    assert figures["PostgreSQL, 2 servers, server CPU per completed loop"]["value"] is None  # no loop: no quotient
    assert figures["PostgreSQL, 2 servers, server CPU of one step alone: score"]["value"] == 0.04
    assert "the mean of 5" in figures["PostgreSQL, 2 servers, server CPU of one step alone: score"]["note"]
    assert (
        figures["PostgreSQL, 2 servers, server CPU of one step alone: Rankings (office, after a save)"]["value"] == 0.6
    )
    loop = figures["PostgreSQL, 2 servers, server CPU of one review loop alone"]
    assert loop["value"] == 0.79 and "its 9 steps" in loop["note"]  # the office's visit is not in the loop


def test_a_cpu_tally_gives_each_step_the_server_cpu_since_the_one_before():
    tally = panel_bench.CpuTally(os.getpid())
    tally.step("alone", "open the queue", 0.1, True)  # next to nothing since the mark
    burnt = tally.mark + 0.3  # CPU time is counted in clock ticks: compare with a little slack below
    while panel_bench.server_cpu(os.getpid()) < burnt:
        pass
    tally.step("alone", "save", 0.4, True)
    tally.step("alone", "submit", 0.1, False)  # failed: not recorded
    assert set(tally.cpu) == {"open the queue", "save"}
    assert tally.cpu["open the queue"][0] < 0.1 and 0.29 < tally.cpu["save"][0] < 1.0


def test_the_think_model_says_what_the_panel_asks_at_most():
    text = panel_bench.think_model(_args(reviewers=50, think=3.0), 5)
    assert "between 0.5 and 1.5 times 3 s" in text
    assert "9 steps, so about 27 s of thinking a loop" in text and "at most 111 loops a minute" in text
    assert "unbounded" in panel_bench.think_model(_args(think=0.0), 5)


def test_the_reading_time_takes_the_place_of_the_think_before_the_first_score_in_the_model():
    text = panel_bench.think_model(_args(reviewers=50, think=3.0, read=30.0), 5)
    assert "reading time, uniformly between 0.5 and 1.5 times 30 s" in text
    assert "9 steps, so about 54 s of thinking a loop" in text and "at most 56 loops a minute" in text
    # the stress pace: the same arguments without the reading time, for its own time
    stress = panel_bench.stress_pace(_args(read=30.0, seconds=210, stress_seconds=60, assignments=None))
    assert (stress.read, stress.seconds, stress.assignments, stress.think) == (0.0, 60, None, 2.0)


class _FormSession:
    """A reviewer's session that draws the review form for any submission and confirms every save."""

    def __init__(self, call_config, clock):
        from bench.protocol_client import Visit, Widget

        self.clock, self.asked = clock, []
        widgets = [
            Widget("radio", f"r{n}", label.rstrip(" ") + " x" if prefix else label, (option,))
            for n, (label, prefix, option) in enumerate(panel_bench.choices_for(call_config))
        ]
        widgets += [Widget("button", "save", "Save draft"), Widget("button", "submit", "Submit")]
        self.last = Visit(ended=True, widgets=widgets, frames=[b"Draft saved. Review submitted."])

    def visit(self, page=None, query=None, **changes):
        self.asked.append((self.clock.now, page, query, changes.get("strings"), changes.get("clicks")))
        return self.last


class _Clock:
    """time.sleep and time.monotonic for the loop, without waiting: each sleep moves `now` on."""

    def __init__(self):
        self.now, self.sleeps = 1000.0, []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def monotonic(self):
        return self.now


@pytest.mark.parametrize("read", [30.0, 0.0])
def test_a_submission_is_read_before_its_first_score_and_every_other_step_waits_a_think_time(
    monkeypatch, call_config, read
):
    clock = _Clock()
    monkeypatch.setattr(panel_bench.time, "sleep", clock.sleep)
    monkeypatch.setattr(panel_bench.time, "monotonic", clock.monotonic)
    session, tally = _FormSession(call_config, clock), panel_bench.Tally()
    start = panel_bench.Start(0, math.inf)
    args = _args(think=2.0, read=read)

    done = panel_bench._protocol_loop(
        session, "protocol", "r", "CFE-00001", call_config, tally, start, random.Random(3), args
    )

    choices = len(panel_bench.choices_for(call_config))
    assert done and len(session.asked) == 4 + choices
    assert session.asked[1][1:3] == ("my_reviews", "submission=CFE-00001")
    assert session.asked[2][3] is not None  # the first score comes right after the submission was opened
    waits = clock.sleeps
    first_score = waits[2]
    others = waits[:2] + waits[3:]
    assert len(waits) == len(session.asked)
    reading_mean = read or 2.0  # with no reading time, a think time there as before every step
    assert 0.5 * reading_mean <= first_score <= 1.5 * reading_mean
    assert all(1.0 <= w <= 3.0 for w in others)
    # what the figure reports: from the submission drawn to its first score asked
    assert tally.reads == [pytest.approx(first_score)]
    assert [c for *_, c in session.asked[-2:]] == [("save",), ("submit",)]


def test_sessions_start_out_of_phase_within_one_cycle_and_stop_when_the_time_is_up(monkeypatch):
    clock = _Clock()
    monkeypatch.setattr(panel_bench.time, "sleep", clock.sleep)
    monkeypatch.setattr(panel_bench.time, "monotonic", clock.monotonic)
    start = panel_bench.Start(0, 100.0)
    start.open()
    rng = random.Random(2)
    for _ in range(200):
        panel_bench.out_of_phase(rng, 54.0, panel_bench.Start(0, math.inf))
    assert 0 <= min(clock.sleeps) < 5 and 49 < max(clock.sleeps) <= 54.0  # spread over one cycle
    clock.now, waited = start.deadline - 1, len(clock.sleeps)
    with pytest.raises(panel_bench.TimeUp):  # a wait that would end past the window: no wait, no step after it
        panel_bench.out_of_phase(random.Random(1), 54.0, start)
    assert len(clock.sleeps) == waited  # stopped at once: a 30 s reading does not stretch the window by 30 s


def test_the_panel_fails_on_a_failed_save_and_names_each_replica(capsys):
    tally = panel_bench.Tally()
    tally.step("protocol", "submit", 0.3, True)
    tally.failed_saves = ["bench-reviewer-02 CFE-00004 submit: no answer"]
    ok = panel_bench.report(
        "PostgreSQL, 2 servers", tally, [], 30.0, {1: 3.0, 2: 6.0}, {1: 400.0, 2: 1100.0}, 0, _args()
    )
    figures = _figures(capsys)
    assert ok is False
    assert figures["PostgreSQL, 2 servers, saves failed"]["ok"] is False
    assert figures["PostgreSQL, 2 servers, server 1 peak memory"]["ok"] is True
    assert figures["PostgreSQL, 2 servers, server 2 peak memory"]["ok"] is False
    assert figures["PostgreSQL, 2 servers, server 2 CPU use"]["value"] == 0.2


def test_each_page_is_judged_on_its_own_target_and_against_the_empty_page(capsys):
    Series = browser_pages_bench.Series
    empty = browser_pages_bench.EMPTY_KEY
    results = {
        ("office", empty, "by URL", "repeat visit"): Series([0.3, 0.2, 0.25], [3000, 3000, 3000], [0.1, 0.1, 0.1]),
        ("office", empty, "by URL", "after another user's save"): Series([0.4, 0.3, 0.5], [3000] * 3, [0.1] * 3),
        ("office", "rankings", "by URL", "repeat visit"): Series([0.8, 0.9, 0.7], [10_000, 12_000, 11_000], [0.2] * 3),
        ("office", "rankings", "by URL", "after another user's save"): Series(
            [1.4, 1.6, 1.2], [3_100_000] * 3, [1.0] * 3
        ),
    }
    titles = {empty: "Empty", "rankings": "Rankings"}

    args = argparse.Namespace(runs=2, heavy_runs=3, every_role=False)
    status = browser_pages_bench.report("SQLite", results, titles, args, 1.5)

    figures = _figures(capsys)
    assert status == 1  # one target missed
    repeat = figures["SQLite, Rankings (office, by URL, repeat visit): p95"]
    assert repeat["value"] == 0.9 and repeat["ok"] is True and repeat["target"] == "< 1 s"
    assert "11 kB" in repeat["note"] and "empty page p95 0.300 s" in repeat["note"]
    ratio = figures["SQLite, Rankings (office, by URL, repeat visit): p95 / empty page's"]
    assert (ratio["value"], ratio["ok"]) == (3.0, True)
    saved = figures["SQLite, Rankings (office, by URL, after another user's save): p95"]
    assert (saved["value"], saved["ok"], saved["target"]) == (1.6, False, "< 1.5 s")
    assert "3,100 kB" in saved["note"]
    saved_ratio = figures["SQLite, Rankings (office, by URL, after another user's save): p95 / empty page's"]
    assert (saved_ratio["value"], saved_ratio["ok"]) == (3.2, False)
    assert figures["SQLite, empty page (office, by URL, repeat visit): p95"]["ok"] is None
    duration = figures["SQLite, browser pages bench: duration"]
    assert duration["note"].startswith("each page for its role; by URL and by sidebar click;")
    assert "3 visits per series for rankings," in duration["note"] and "2 for the other pages" in duration["note"]


def test_each_page_is_visited_for_its_role_with_more_visits_for_the_heavy_ones():
    from ui.navigation import pages_for

    def keys(role, **kw):
        args = argparse.Namespace(**{"pages": None, "every_role": False, **kw})
        return [k for k, _ in browser_pages_bench.plan(role, [(s.url_path, s.title) for s in pages_for(role)], args)]

    office = {s.url_path for s in pages_for("office")}
    admin = keys("admin")
    assert set(admin) & office == {"selection", "submissions"}
    assert set(admin) - office == {s.url_path for s in pages_for("admin")} - office  # every page only the admin has
    assert keys("office") == [s.url_path for s in pages_for("office")]
    assert keys("reviewer") == [s.url_path for s in pages_for("reviewer")]
    assert keys("admin", every_role=True) == [s.url_path for s in pages_for("admin")]
    assert keys("admin", pages=["rankings", "users"]) == ["users"]
    assert keys("office", pages=["rankings", "users"]) == ["rankings"]

    args = argparse.Namespace(runs=2, heavy_runs=3)
    runs = {k: browser_pages_bench.runs_for(k, args) for k in ("rankings", "exports", "overview", "my_reviews")}
    assert runs == {"rankings": 3, "exports": 3, "overview": 2, "my_reviews": 2}
    assert browser_pages_bench.runs_for(browser_pages_bench.EMPTY_KEY, args) == 3


def test_make_bench_runs_both():
    names = [s.name for s in run_all._scripts(argparse.ArgumentParser(), None)]
    assert "panel_bench.py" in names and "browser_pages_bench.py" in names


@pytest.mark.slow  # three interpreters importing Streamlit
def test_the_browser_benches_start_a_server_whose_settings_load_without_a_cookie_key_given():
    """Each bench sets a cookie key for the server it starts and the sign-ins it issues (when none is
    given): the settings must accept it (a fixed key of too few distinct characters was refused)."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "EVIDENCE_COOKIE_KEY"}
    for module in ("bench.submit_next_bench", "bench.panel_bench", "bench.browser_pages_bench", "bench.server_visits"):
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}; from config import load_settings; load_settings()"],
            cwd=run_all.ROOT,
            env=env,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 0, f"{module}: {result.stderr[-500:]}"


def test_when_the_time_is_up_a_session_stops_before_its_next_step(call_config):
    from bench.protocol_client import Visit

    class Session:
        def __init__(self):
            self.asked = []
            self.last = Visit(ended=True)

        def visit(self, page=None, query=None, **changes):
            self.asked.append((page, query))
            return Visit(ended=True)

    start = panel_bench.Start(0, 0.3)
    start.open()
    session, tally = Session(), panel_bench.Tally()
    # Not over yet: the loop goes on (and stops at the form, whose radios this session never drew).
    assert not panel_bench._protocol_loop(
        session, "protocol", "r", "CFE-00001", call_config, tally, start, random.Random(1), _args(think=0.0)
    )
    assert session.asked == [("my_reviews", ""), ("my_reviews", "submission=CFE-00001")]
    while not start.over():
        pass
    with pytest.raises(panel_bench.TimeUp):
        panel_bench._protocol_loop(
            session, "protocol", "r", "CFE-00002", call_config, tally, start, random.Random(1), _args(think=0.0)
        )
    assert len(session.asked) == 2  # nothing more was asked of the server
    assert sorted(tally.steps) == [("protocol", "open a submission"), ("protocol", "open the queue")]


def _office_visits(monkeypatch, args, seconds: float, rng) -> tuple[list[float], float]:
    """One office session (`protocol_office`) against a server that answers at once, for `seconds`: the
    moments it asked for a page (the first before the clock), and the window's end."""
    from bench import protocol_client

    asked: list[float] = []

    class Session:
        def __init__(self, *a, **kw):
            pass

        def visit(self, page=None, query=None, **changes):
            asked.append(time.monotonic())
            return protocol_client.Visit(ended=True, seconds=0.0)

        def close(self):
            pass

    monkeypatch.setattr(protocol_client, "ProtocolSession", Session)
    start = panel_bench.Start(1, seconds)
    thread = threading.Thread(
        target=panel_bench.protocol_office, args=("http://server", "token", panel_bench.Tally(), start, rng, args)
    )
    thread.start()
    start.all_ready()
    start.open()
    thread.join(timeout=10)
    assert not thread.is_alive()
    return asked, start.deadline


class Slowest:  # every think time the longest the model allows: 1.5 times the mean
    def uniform(self, low, high):
        return high


def test_an_office_session_asks_for_nothing_once_the_time_is_up(monkeypatch):
    asked, deadline = _office_visits(monkeypatch, _args(think=0.2), 0.55, Slowest())
    assert len(asked) >= 2  # the first page before the clock, then at least one reload
    assert asked[-1] <= deadline  # with 0.3 s thinks and 0.55 s, a reload was due at 0.6 s: not asked


def test_the_office_reloads_at_its_own_pace_and_at_the_reviewers_pace_under_stress(monkeypatch):
    # --office-think: the office's own time between reloads, whatever the reviewers' think time.
    quick_office = _args(think=30.0, office_think=0.04)
    asked, _ = _office_visits(monkeypatch, quick_office, 0.5, Slowest())
    assert len(asked) >= 6  # 0.06 s a reload (the longest) in 0.5 s, beside the page before the clock
    # Not given: the reviewers' think time (30 s here): no reload in the window.
    asked, _ = _office_visits(monkeypatch, _args(think=30.0), 0.5, Slowest())
    assert len(asked) == 1
    # The stress pace reloads at the reviewers' think time, whatever --office-think says.
    stress = panel_bench.stress_pace(_args(think=30.0, office_think=0.04, seconds=210, stress_seconds=60))
    assert panel_bench.office_think(stress) == 30.0 and panel_bench.office_think(quick_office) == 0.04


def test_at_the_stress_pace_the_step_times_have_no_target_but_the_saves_and_memory_keep_theirs(capsys):
    tally = panel_bench.Tally()
    for seconds in (0.5, 6.0):
        tally.step("protocol", "score", seconds, True)
    tally.step("Chromium", "submit", 0.0, False)
    tally.loops, tally.reads = 2, [20.0, 40.0]
    label = "SQLite, 1 server, stress pace (capacity)"

    ok = panel_bench.report(label, tally, [], 60.0, {1: 48.0}, {1: 1500.0}, 0, _args(read=30.0), capacity=True)

    figures = _figures(capsys)
    score = figures[f"{label}, score (protocol): p95"]
    assert (score["value"], score["target"], score["ok"]) == (6.0, None, None)  # 6 s: no miss at this pace
    assert "capacity figure, no target" in score["note"]
    never = figures[f"{label}, submit (Chromium): p95"]
    assert (never["value"], never["target"], never["ok"]) == (None, None, None)
    assert figures[f"{label}, saves failed"]["target"] == "== 0"
    assert figures[f"{label}, server peak memory"]["ok"] is False  # 1,500 MB: over 1 GB at any pace
    assert ok is False  # the memory alone
    assert figures[f"{label}, wait between opening a submission and its first score: mean"]["value"] == 30.0
    assert "read 15-45 s before a submission's first score" in figures[f"{label}, saves failed"]["note"]
    assert figures[f"{label}, server CPU per completed loop"]["value"] == 24.0
    # 2 score steps done, of 9-step loops: 2/9 of a loop's worth in a minute; 48 CPU s over it: 216 s a loop
    assert figures[f"{label}, review loops' worth of steps per minute"]["value"] == 0.2
    assert figures[f"{label}, server CPU per loop's worth of steps"]["value"] == 216.0


def test_the_loops_figure_says_the_fewest_and_most_loops_a_reviewer_session_completed(capsys):
    tally = panel_bench.Tally()
    for username in ("bench-reviewer-01", "bench-reviewer-01", "bench-reviewer-02"):
        tally.completed(username)
    tally.step("protocol", "submit", 0.3, True)
    panel_bench.report("SQLite, 1 server, panel's pace", tally, [], 60.0, {1: 3.0}, {1: 400.0}, 0, _args())
    loops = _figures(capsys)["SQLite, 1 server, panel's pace, review loops completed per minute"]
    assert loops["value"] == 3.0
    assert "3 loops in 60 s; each reviewer session 0-2;" in loops["note"]  # the third reviewer completed none
    tally.completed("bench-reviewer-03")
    panel_bench.report("SQLite, 1 server, panel's pace", tally, [], 60.0, {1: 3.0}, {1: 400.0}, 0, _args())
    assert (
        "each reviewer session 1-2;"
        in _figures(capsys)["SQLite, 1 server, panel's pace, review loops completed per minute"]["note"]
    )
