"""bench/search_documents_bench.py, tiny: it seeds a small call with documents, times the
Submissions page's search of their text and prints its FIGURE line; and `make bench` runs it."""

from __future__ import annotations

import argparse

import pytest

from bench import run_all, search_documents_bench
from bench.figures import parse


@pytest.mark.slow  # seeds a call with documents and searches it: a few seconds
def test_the_bench_searches_real_documents_and_prints_its_figure(capsys):
    assert search_documents_bench.main(["--submissions", "30", "--runs", "1", "--backend", "sqlite"]) == 0
    out = capsys.readouterr().out
    [fig] = [f for f in map(parse, out.splitlines()) if f]
    assert fig["name"].startswith("document search on SQLite: 30 submissions, ")
    assert fig["unit"] == "ms" and fig["target"] == "< 300 ms" and fig["value"] > 0
    [common] = [line for line in out.splitlines() if line.strip().startswith("admin     a common word")]
    assert common.endswith(", 30 submissions")  # the commonest word is in every submission's documents


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["search_documents"])
    assert [s.name for s in scripts] == ["search_documents_bench.py"]
