"""`make bench`'s collection of figures: FIGURE lines, their verdicts, the report and the exit status."""

from __future__ import annotations

import datetime as dt

from bench import run_all
from bench.figures import about, figure, parse, parse_about, record


def test_a_figure_line_reads_back_with_its_verdicts(capsys):
    assert figure("import", 1_500, "rows/s", target=(">=", 2_000), cpu=6_000, note="busy") is False
    assert figure("memory", 300, "MB", target=("<", 500)) is True
    assert figure("no target", 0.2, "s") is True
    lines = capsys.readouterr().out.splitlines()
    slow, memory, plain = (parse(line) for line in lines)
    assert slow == {
        "name": "import",
        "value": 1_500,
        "unit": "rows/s",
        "target": ">= 2,000 rows/s",
        "ok": False,
        "note": "busy",
        "cpu": 6_000,
        "cpu_ok": True,
    }
    assert (memory["ok"], memory["target"]) == (True, "< 500 MB")
    assert (plain["ok"], plain["target"]) == (None, None)
    assert parse("an ordinary line of a report") is None
    assert parse("FIGURE {not json") is None


def test_a_missing_value_misses_its_target():
    assert record("PostgreSQL import", None, "rows/s", target=(">=", 2_000))["ok"] is False


def _run(name, figures, returncode=0):
    return run_all.ScriptRun(name, seconds=3.0, returncode=returncode, figures=figures)


def test_problems_are_missed_targets_crashed_scripts_and_silent_ones():
    runs = [
        _run("fast_bench.py", [record("fast", 0.1, "s", target=("<", 1))]),
        _run("slow_bench.py", [record("slow", 2.0, "s", target=("<", 1), cpu=0.5)], returncode=1),
        _run("crash_bench.py", [record("first", 0.1, "s", target=("<", 1))], returncode=1),
        _run("silent_bench.py", []),
    ]
    assert run_all.failures(runs) == [
        "slow_bench.py: slow",
        "crash_bench.py: exited with status 1",
        "silent_bench.py: printed no figure",
    ]


def test_the_report_lists_every_figure_with_its_target_result_and_the_machine():
    runs = [
        _run("seeding", [record("seeded", 5.5, "s")]),
        _run(
            "pages_bench.py",
            [
                record("Coverage page: median run", 1.2, "s", target=("<", 1), cpu=0.3),
                record("peak memory", 450, "MB", target=("<", 500)),
            ],
            returncode=1,
        ),
    ]
    text = run_all.report(
        {"cores": "2", "memory": "23.5 GiB"},
        runs,
        started=dt.datetime(2026, 11, 30, 9, 0),
        seconds=300,
        command="make bench",
    )
    assert "**1 of 2 figures with a target meet it; 1 problem(s), listed at the end.**" in text
    assert "| command | `make bench` |" in text and "| cores | 2 |" in text
    assert (
        "| Coverage page: median run | 1.20 s | 0.300 s | < 1 s "
        "| FAIL (its CPU time meets the target: the machine was busy) |" in text
    )
    assert "| peak memory | 450 MB |  | < 500 MB | PASS |" in text
    assert "| seeded | 5.50 s |  |  |  |" in text
    assert text.rstrip().endswith("* pages_bench.py: Coverage page: median run")


def test_what_a_script_chose_to_measure_reaches_the_report_with_its_counts(capsys):
    about("each page for its role; 3 visits per series")
    line = capsys.readouterr().out.strip()
    assert parse_about(line) == "each page for its role; 3 visits per series" and parse(line) is None
    assert parse_about("FIGURE {}") is None and parse_about('ABOUT {"not": "text"}') is None
    browser = _run(
        "browser_pages_bench.py",
        [record("Rankings: p95", 0.8, "s", target=("<", 1)), record("Coverage: p95", 1.8, "s", target=("<", 1.5))],
        returncode=1,
    )
    browser.about = [parse_about(line)]
    runs = [_run("seeding", [record("seeded", 5.5, "s")]), browser]
    text = run_all.report({}, runs, started=dt.datetime(2026, 12, 7, 12, 0), seconds=600, command="make bench")
    assert "| browser_pages_bench.py | 0.1 min | 1 of 2 | each page for its role; 3 visits per series |" in text
    assert "| seeding | 0.1 min | no target |  |" in text
    assert "\neach page for its role; 3 visits per series.\n" in text  # in the script's own section too
    run_all._print_summary(runs, run_all.failures(runs), 600)
    summary = capsys.readouterr().out
    assert "browser_pages_bench.py: 1 of 2 figures with a target meet it" in summary
    assert summary.rstrip().endswith(
        "1 of 2 figures with a target meet it.\nPROBLEM: browser_pages_bench.py: Coverage: p95"
    )


def test_a_script_s_about_lines_are_collected_apart_from_its_figures(tmp_path, capsys):
    script = tmp_path / "tiny_bench.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(run_all.ROOT)!r})\n"
        "from bench.figures import about, figure\n"
        "print('a line of its report')\n"
        "about('two sessions, ten seconds')\n"
        "figure('steps', 0.5, 's', target=('<', 1))\n",
        encoding="utf-8",
    )
    run = run_all.run_script(script, {})
    assert run.returncode == 0 and run.about == ["two sessions, ten seconds"]
    assert [f["name"] for f in run.figures] == ["steps"] and run.counts() == (1, 1)
    out = capsys.readouterr().out
    assert "a line of its report" in out and "(two sessions, ten seconds)" in out and "FIGURE" not in out
