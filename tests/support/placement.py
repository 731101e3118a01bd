"""A pytest plugin for tests/test_markers.py: each test, as its setup starts,
writes which worker it is on (`PYTEST_XDIST_WORKER`) and its node id to the
folder named by EVIDENCE_PLACEMENT_REPORT, and is skipped there (no fixture
runs: no server, browser or database starts). Loaded with
`-p tests.support.placement`."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    folder = os.environ.get("EVIDENCE_PLACEMENT_REPORT")
    if not folder:
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(Path(folder) / f"{worker}.tsv", "a") as report:
        report.write(f"{worker}\t{item.nodeid}\n")
    pytest.skip("placement only")
