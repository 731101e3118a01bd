"""The `browser` and `postgres` markers are on exactly the tests they name, and
`make check`'s marker expression (CHECK_MARKERS in the Makefile) selects
exactly the rest, less the tests marked slow. pytest itself collects and
selects, in a subprocess, as `make check` would."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

from tests.conftest import ROOT

QUICK = re.search(r"^CHECK_MARKERS := (.+)$", (ROOT / "Makefile").read_text(), re.M).group(1).strip()


def collect(expression: str, report) -> tuple[dict, dict]:
    plugins = ["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "tests.support.collection"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *plugins, "-m", expression, "tests"],
        cwd=ROOT,
        env={**os.environ, "EVIDENCE_COLLECTION_REPORT": str(report)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
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
