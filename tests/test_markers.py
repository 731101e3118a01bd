"""`-m browser` and `-m postgres` select what they claim: pytest itself, in a
subprocess, selects by marker, and every selected item has the property the
marker names, and every item with that property is selected."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def collect(expression: str, tmp_path: Path) -> tuple[dict, dict]:
    report = tmp_path / "collection.json"
    env = {**os.environ, "EVIDENCE_COLLECTION_REPORT": str(report)}
    plugins = ["-p", "no:cacheprovider", "-p", "no:xdist", "-p", "tests.support.collection"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", *plugins, "-m", expression, "tests"],
        cwd=ROOT,
        env=env,
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


def neither(facts: dict) -> bool:
    return not in_browser_folder(facts) and not uses_postgresql(facts)


@pytest.mark.parametrize(
    ("expression", "claim"),
    [
        ("browser", in_browser_folder),
        ("postgres", uses_postgresql),
        ("not browser and not postgres", neither),
    ],
    ids=["browser", "postgres", "neither"],
)
def test_a_marker_expression_selects_exactly_the_tests_it_names(expression, claim, tmp_path):
    selected, deselected = collect(expression, tmp_path)
    assert selected, f"-m {expression!r} selected nothing"
    assert deselected, f"-m {expression!r} deselected nothing"
    wrongly_selected = sorted(node for node, facts in selected.items() if not claim(facts))
    wrongly_left_out = sorted(node for node, facts in deselected.items() if claim(facts))
    assert not wrongly_selected, f"-m {expression!r} selected: {wrongly_selected[:10]}"
    assert not wrongly_left_out, f"-m {expression!r} left out: {wrongly_left_out[:10]}"
