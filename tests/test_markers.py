"""The `browser` and `postgres` markers are on exactly the tests they name, and
`make check`'s marker expression (CHECK_MARKERS in the Makefile) selects
exactly the rest, less the tests marked slow. pytest itself collects and
selects, in a subprocess, as `make check` would. And `-n TEST_WORKERS` (as `make test` runs) keeps
each browser module whole on one worker."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conftest import ROOT

MAKEFILE = (ROOT / "Makefile").read_text()
QUICK = re.search(r"^CHECK_MARKERS := (.+)$", MAKEFILE, re.M).group(1).strip()
WORKERS = int(re.search(r"^TEST_WORKERS := (\d+)$", MAKEFILE, re.M).group(1))


def run_pytest(*args: str, env: dict[str, str]) -> None:
    """pytest in a subprocess, in the project's folder, with `env` added to the environment; it must pass."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def collect(expression: str, report) -> tuple[dict, dict]:
    plugins = ["-p", "no:xdist", "-p", "tests.support.collection"]
    run_pytest("--collect-only", *plugins, "-m", expression, "tests", env={"EVIDENCE_COLLECTION_REPORT": str(report)})
    data = json.loads(report.read_text())
    return data["selected"], data["deselected"]


def in_browser_folder(facts: dict) -> bool:
    return facts["path"].startswith("tests/browser/")


def uses_postgresql(facts: dict) -> bool:
    return "pg_cluster" in facts["fixtures"] or "postgresql" in facts["params"].values()


def test_markers_name_exactly_the_browser_and_postgresql_tests_and_m_selects_by_them(tmp_path):
    selected, deselected = collect(QUICK, tmp_path / "collection.json")
    items = {**selected, **deselected}
    browser = {node for node, facts in items.items() if in_browser_folder(facts)}
    postgres = {node for node, facts in items.items() if uses_postgresql(facts)}
    assert browser and postgres and len(browser | postgres) < len(items)

    assert {node for node, facts in items.items() if "browser" in facts["markers"]} == browser
    assert {node for node, facts in items.items() if "postgres" in facts["markers"]} == postgres
    slow = {node for node, facts in items.items() if "slow" in facts["markers"]}
    wrongly_selected = sorted(set(selected) & (browser | postgres | slow))
    wrongly_left_out = sorted(set(deselected) - (browser | postgres | slow))
    assert not wrongly_selected, f"-m {QUICK!r} selected: {wrongly_selected[:10]}"
    assert not wrongly_left_out, f"-m {QUICK!r} left out: {wrongly_left_out[:10]}"


def test_make_tests_workers_run_each_browser_module_whole_on_one_worker(tmp_path):
    """As `make test` runs them (`-n TEST_WORKERS`, no `--dist`): each browser module is one group, on
    one worker (its module-scoped server starts once), and the modules are spread over every worker.
    Each test only says where it is (tests.support.placement) and is skipped: nothing starts."""
    assert WORKERS > 1
    run_pytest(
        "-n",
        str(WORKERS),
        "-p",
        "tests.support.placement",
        "tests/browser",
        env={"EVIDENCE_PLACEMENT_REPORT": str(tmp_path)},
    )
    workers_of: dict[str, set[str]] = {}
    for report in tmp_path.glob("*.tsv"):
        for line in report.read_text().splitlines():
            worker, node = line.split("\t")
            workers_of.setdefault(node.split("::")[0], set()).add(worker)
    assert len(workers_of) == len(list((ROOT / "tests" / "browser").glob("test_*.py")))
    split = {module: sorted(workers) for module, workers in workers_of.items() if len(workers) > 1}
    assert not split, f"modules split over workers: {split}"
    assert set().union(*workers_of.values()) == {f"gw{n}" for n in range(WORKERS)}
