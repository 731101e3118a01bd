#!/usr/bin/env python
"""`make bench`: seed a large call, run every benchmark, and write docs/benchmarks.md.

    .venv/bin/python bench/run_all.py                    # what `make bench` runs: about 30 minutes, quiet
    .venv/bin/python bench/run_all.py --only pages selection --output /tmp/some.md
    make bench-only ONLY="panel browser_pages"           # one part again, on a fresh 10,000 call
    .venv/bin/python bench/run_all.py --only panel --submissions 1000   # do the scripts run? (no targets)

1. Notes the machine: cores, memory, CPU, load average, Python, commit.
2. Seeds the call every issue's targets speak of, with `bench/bulk_seed.py`:
   10,000 submissions, 50 reviewers, 30,000 submitted reviews, into a
   throwaway SQLite file and a throwaway PostgreSQL database
   (`tests/support/postgres.py`). Their URLs reach the scripts as
   BENCH_SQLITE_URL and BENCH_POSTGRESQL_URL: the pages, calibration and
   selection benchmarks read them, submit_next and browser_pages (a real
   browser, on the SQLite call) and panel (fifty sessions at once, on both; it
   adds fresh assignments and reviews to the calls it runs on); import,
   assignment and concurrency need empty databases and make their own.
3. Runs every `bench/*_bench.py`, one after another, showing its report, and
   collects the FIGURE lines it prints (`bench/figures.py`) and the ABOUT
   lines saying what it chose to measure. The two long ones are sized so the
   whole should fit about half an hour on a quiet two-core machine (the rest
   took 8 minutes there): browser_pages visits each page for its role, by URL
   and by sidebar click, repeat and after another user's save, 3 times each
   for the heavy pages and the empty page and 2 for the rest (220 visits);
   panel runs, on each of its three configurations (SQLite; PostgreSQL with
   one server and with two), 210 s at the panel's pace (a 30 s reading time
   before each submission's first score: the targets) and then 60 s at the
   stress pace (capacity figures). Measured on 2026-12-07 on a busy machine
   (load average 7 to 23), not a quiet one: at 1,000 submissions the browser
   bench took 6.7 minutes; at 10,000, the office's 96 of the 220 visits (the
   heaviest pages) took 8.2 minutes at load 12 to 14, and the whole browser
   bench 3.5 minutes at load 2.7; the panel, at 10,000, 17.5 minutes at load
   6 to 19 (about 4 minutes a configuration at the panel's pace, 2 at the
   stress pace; the waits, not the load, set most of it).
4. Writes every figure, its target and PASS or FAIL, the machine and the
   command, each script's time, target count and ABOUT lines to
   docs/benchmarks.md (or --output), prints a summary (with each script's
   count of figures meeting their targets), and exits 1 if a figure misses its
   target or a script fails.

Everything is thrown away afterwards. On a shared machine, the wall-clock
figures depend on what else runs: each figure with a CPU-time counterpart
shows both, and the load average is noted before and after each script.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from bench.figures import parse, parse_about, record  # noqa: E402

DEFAULT_OUTPUT = ROOT / "docs" / "benchmarks.md"
# The rest run with their defaults. The panel (bench/panel_bench.py's docstring says why these): the
# panel's pace, a 30 s reading time before each submission's first score and the office reloading a page
# every 20 s on average, for 210 s (the targets), then
# the stress pace, no reading time, for 60 s (capacity figures, no targets), on each of its three
# configurations.
PANEL_ARGS = ["--read", "30", "--think", "3", "--office-think", "20", "--seconds", "210", "--stress-seconds", "60"]
SCRIPT_ARGS = {"assignment_bench.py": ["--backend", "both"], "panel_bench.py": PANEL_ARGS}
SEED = {"submissions": 10_000, "reviewers": 50, "per_submission": 3}


@dataclass
class ScriptRun:
    name: str
    seconds: float = 0.0
    returncode: int = 0
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)
    figures: list[dict] = field(default_factory=list)
    about: list[str] = field(default_factory=list)  # what the script chose to measure, in its words

    def counts(self) -> tuple[int, int]:
        """(figures that meet their target, figures with a target)."""
        targeted = [f for f in self.figures if f.get("ok") is not None]
        return sum(1 for f in targeted if f["ok"]), len(targeted)


def machine() -> dict[str, str]:
    facts = {"cores": str(os.cpu_count())}
    with contextlib.suppress(OSError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                facts["memory"] = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                facts["CPU"] = line.split(":", 1)[1].strip()
                break
    facts["system"] = platform.platform()
    facts["Python"] = platform.python_version()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT, check=True
        ).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, cwd=ROOT).stdout
        facts["commit"] = commit + (" (with uncommitted changes)" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        facts["commit"] = "unknown"
    return facts


def load() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (float("nan"),) * 3


def show_load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def seed(workdir: Path, stack: contextlib.ExitStack, sizes: dict = SEED) -> tuple[dict[str, str], ScriptRun]:
    """Seed SQLite and PostgreSQL; returns the environment for the scripts and the seeding's figures."""
    from bench.bulk_seed import seed_bulk
    from bench.databases import migrated_database
    from config import load_call_config

    run = ScriptRun("seeding (bulk_seed.py)", load_before=load())
    started = time.perf_counter()
    env: dict[str, str] = {}
    config = load_call_config()
    for backend, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        (workdir / backend).mkdir()
        db = stack.enter_context(migrated_database(backend, workdir / backend))
        if db is None:
            run.figures.append(record(f"seeded call on {label}", None, target=("==", 0), note="it could not start"))
            run.returncode = 1
            continue
        seed_started = time.perf_counter()
        counts = seed_bulk(db, config=config, **sizes)
        seconds = time.perf_counter() - seed_started
        db.dispose()
        print(f"seeded {label}: {counts} in {seconds:.1f} s", flush=True)
        run.figures.append(
            record(
                f"seeded call on {label}: {counts['submissions']:,} submissions, {counts['users'] - 2} reviewers, "
                f"{counts['reviews']:,} submitted reviews",
                round(seconds, 1),
                "s",
                note="bench/bulk_seed.py: bulk inserts, not the app's per-row functions",
            )
        )
        env[f"BENCH_{backend.upper()}_URL"] = db.url
    run.seconds = time.perf_counter() - started
    run.load_after = load()
    return env, run


def run_script(script: Path, env: dict[str, str]) -> ScriptRun:
    run = ScriptRun(script.name, load_before=load())
    print(f"\n== {script.name} (load average {show_load(run.load_before)})", flush=True)
    command = [sys.executable, str(script), *SCRIPT_ARGS.get(script.name, [])]
    started = time.perf_counter()
    with subprocess.Popen(
        command, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            record, text = parse(line), parse_about(line)
            if record is not None:
                run.figures.append(record)
            elif text is not None:
                run.about.append(text)
                print(f"({text})", flush=True)
            else:
                print(line, end="", flush=True)
    run.returncode = process.returncode
    run.seconds = time.perf_counter() - started
    run.load_after = load()
    print(f"== {script.name}: {run.seconds:.0f} s, exit status {run.returncode}", flush=True)
    return run


# ---------------------------------------------------------------------------
# The report


def verdict(record: dict) -> str:
    if record.get("ok") is None:
        return ""
    if record["ok"]:
        return "PASS"
    if record.get("cpu_ok"):
        return "FAIL (its CPU time meets the target: the machine was busy)"
    return "FAIL"


def show_value(value, unit: str) -> str:
    if value is None:
        return "none (see note)"
    if isinstance(value, bool):
        return str(value)
    if unit in ("rows/s", "MB") or (isinstance(value, int) and not unit):
        text = f"{value:,.0f}"
    elif unit == "s":
        text = f"{value:.3f}" if value < 1 else f"{value:.2f}" if value < 10 else f"{value:.1f}"
    elif unit == "ms":
        text = f"{value:.1f}" if value >= 1 else f"{value:.2f}"
    else:
        text = f"{value:g}"
    return f"{text} {unit}".strip()


def failures(runs: list[ScriptRun]) -> list[str]:
    out = [f"{r.name}: {f['name']}" for r in runs for f in r.figures if f.get("ok") is False]
    # A script exits 1 when one of its figures misses (listed above); any other failure is a problem of its own.
    out += [
        f"{r.name}: exited with status {r.returncode}"
        for r in runs
        if r.returncode != 0 and not any(f.get("ok") is False for f in r.figures)
    ]
    out += [f"{r.name}: printed no figure" for r in runs if not r.figures]
    return out


def _section(run: ScriptRun) -> list[str]:
    """A script's own section of the report: its time, load, what it measured, every figure."""
    lines = [
        "",
        f"### {run.name}",
        "",
        f"{run.seconds:.0f} s; load average {show_load(run.load_before)} before, "
        f"{show_load(run.load_after)} after"
        + ("" if run.returncode == 0 else f"; **exit status {run.returncode}**")
        + ".",
        "",
    ]
    lines += [*(text if text.endswith(".") else f"{text}." for text in run.about), ""] if run.about else []
    if not run.figures:
        return [*lines, "No figure was printed."]
    lines += ["| figure | value | CPU | target | result | note |", "|---|---|---|---|---|---|"]
    for f in run.figures:
        lines.append(
            f"| {_cell(f['name'])} | {show_value(f['value'], f['unit'])} | {_cpu(f)} | {_cell(f.get('target') or '')} "
            f"| {verdict(f)} | {_cell(f.get('note') or '')} |"
        )
    return lines


def _met(run: ScriptRun) -> str:
    met, targeted = run.counts()
    return f"{met} of {targeted}" if targeted else "no target"


def _cpu(record: dict) -> str:
    return show_value(record["cpu"], record["unit"]) if record.get("cpu") is not None else ""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def report(
    facts: dict[str, str],
    runs: list[ScriptRun],
    *,
    started: dt.datetime,
    seconds: float,
    command: str,
    sizes: dict = SEED,
) -> str:
    targeted = [f for r in runs for f in r.figures if f.get("ok") is not None]
    met = sum(1 for f in targeted if f["ok"])
    problems = failures(runs)
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`bench/run_all.py`); run it again rather than editing this file. How each",
        "figure is measured is in the docstring of its script in `bench/`.",
        "",
        f"**{met} of {len(targeted)} figures with a target meet it"
        + (".**" if not problems else f"; {len(problems)} problem(s), listed at the end.**"),
        "",
        "## Machine and run",
        "",
        "| | |",
        "|---|---|",
        f"| date | {started:%Y-%m-%d %H:%M} UTC, {seconds / 60:.1f} minutes |",
        f"| command | `{command}` |",
        *(f"| {k} | {_cell(v)} |" for k, v in facts.items()),
        f"| load average at the start (1, 5, 15 min) | {show_load(runs[0].load_before)} |",
        f"| load average at the end | {show_load(runs[-1].load_after)} |",
        "",
        "The seeded call: "
        f"{sizes['submissions']:,} submissions drawn like the demo call's, {sizes['reviewers']} reviewers, each "
        f"submission reviewed by {sizes['per_submission']} of them "
        f"({sizes['submissions'] * sizes['per_submission']:,} submitted reviews, three criteria each), on SQLite and on "
        "PostgreSQL 15. Wall-clock figures are what people wait; the CPU column is the same figure from the CPU time "
        "of the measuring process (a rate per CPU second), which a busy machine hardly changes. A target is judged on "
        "the wall-clock figure; where that misses and the CPU figure meets it, the result says so. PostgreSQL's CPU "
        "columns leave out the database server's own work.",
        "",
        "## Scripts",
        "",
        "What each script took, how many of its figures with a target meet it, and what it chose to measure "
        "(in its own words; the rest is in its docstring).",
        "",
        "| script | time | targets met | what it measured |",
        "|---|---|---|---|",
        *(f"| {_cell(r.name)} | {r.seconds / 60:.1f} min | {_met(r)} | {_cell(' '.join(r.about))} |" for r in runs),
        "",
        "## Targets",
        "",
        "| figure | value | CPU | target | result |",
        "|---|---|---|---|---|",
        *(
            f"| {_cell(f['name'])} | {show_value(f['value'], f['unit'])} | {_cpu(f)} | {_cell(f['target'])} "
            f"| {verdict(f)} |"
            for f in targeted
        ),
        "",
        "## Every figure, by script",
    ]
    for run in runs:
        lines += _section(run)
    if problems:
        lines += ["", "## Problems", "", *(f"* {_cell(p)}" for p in problems)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--only", nargs="*", help="run only these scripts (e.g. pages selection); nothing is written without --output"
    )
    parser.add_argument("--output", type=Path, help=f"the report (default {DEFAULT_OUTPUT.relative_to(ROOT)})")
    parser.add_argument(
        "--submissions",
        type=int,
        default=SEED["submissions"],
        help="seed a smaller call, to check the scripts run (the targets are for 10,000; nothing is written "
        "without --output)",
    )
    args = parser.parse_args(argv)
    sizes = {**SEED, "submissions": args.submissions}
    scripts = _scripts(parser, args.only)
    output = args.output or (None if args.only or sizes != SEED else DEFAULT_OUTPUT)
    command = _command_line(argv)

    started, clock = dt.datetime.now(dt.UTC), time.perf_counter()
    facts = machine()
    print("machine: " + "; ".join(f"{k} {v}" for k, v in facts.items()), flush=True)
    runs: list[ScriptRun] = []
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp, contextlib.ExitStack() as stack:
        print(f"seeding {sizes} on SQLite and PostgreSQL (load average {show_load(load())})", flush=True)
        env, seeding = seed(Path(tmp), stack, sizes)
        runs.append(seeding)
        for script in scripts:
            runs.append(run_script(script, env))
    seconds = time.perf_counter() - clock

    problems = failures(runs)
    _print_summary(runs, problems, seconds)
    if output is not None:
        output.write_text(
            report(facts, runs, started=started, seconds=seconds, command=command, sizes=sizes), encoding="utf-8"
        )
        print(f"written: {output}")
    return 1 if problems else 0


def _scripts(parser: argparse.ArgumentParser, only: list[str] | None) -> list[Path]:
    """The bench scripts to run: all of them, or those named by --only."""
    scripts = sorted(HERE.glob("*_bench.py"))
    if only:
        scripts = [s for s in scripts if s.name.removesuffix("_bench.py") in only or s.name in only]
        if not scripts:
            parser.error(f"no bench script matches {only}")
    return scripts


def _command_line(argv: list[str] | None) -> str:
    """How this run was started, for the report."""
    rest = sys.argv[1:] if argv is None else argv
    command = shlex.join(["python", "bench/run_all.py", *rest])
    if os.environ.get("MAKELEVEL") and not rest:
        command = "make bench"
    return command


def _print_summary(runs: list[ScriptRun], problems: list[str], seconds: float) -> None:
    targeted = [f for r in runs for f in r.figures if f.get("ok") is not None]
    print(f"\n== summary ({seconds / 60:.1f} minutes, load average at the end {show_load(load())})")
    width = max((len(f["name"]) for r in runs for f in r.figures), default=10)
    for run in runs:
        for f in run.figures:
            if f.get("ok") is not None:
                print(f"{f['name']:<{width}}  {show_value(f['value'], f['unit']):>14}  {f['target']:<16} {verdict(f)}")
    for run in runs:
        met, count = run.counts()
        if count:
            print(f"{run.name}: {met} of {count} figures with a target meet it")
    print(f"{sum(1 for f in targeted if f['ok'])} of {len(targeted)} figures with a target meet it.")
    for problem in problems:
        print(f"PROBLEM: {problem}")


if __name__ == "__main__":
    sys.exit(main())
