"""bench/document_view_bench.py: a tiny real run prints its figures, and `make bench` runs it."""

from __future__ import annotations

import argparse
import subprocess
import sys

from bench import run_all
from bench.figures import parse
from tests.conftest import ROOT


def test_a_tiny_run_opens_the_pdf_and_prints_its_figures():
    done = subprocess.run(
        [sys.executable, "bench/document_view_bench.py", "--pages", "3", "--runs", "1", "--backend", "sqlite"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    figures = [f for f in map(parse, done.stdout.splitlines()) if f]
    assert [f["name"] for f in figures] == [
        "documents: a 3-page PDF's first page, the page's run (SQLite)",
        "documents: a 3-page PDF's first page, read and rendered (SQLite)",
    ]
    assert figures[0]["target"] == "< 2 s" and figures[0]["value"] > 0
    assert "document_view_bench.py" in [s.name for s in run_all._scripts(argparse.ArgumentParser(), None)]
