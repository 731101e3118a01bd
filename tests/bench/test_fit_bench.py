"""bench/fit_bench.py, small: fit against the fit-blind plan on a 600-submission call and the
outside check's, its FIGURE lines printed; and `make bench` runs it."""

from __future__ import annotations

import argparse

import pytest

from bench import fit_bench, run_all
from bench.figures import parse


@pytest.mark.slow  # two calls solved with and without fit: several seconds
def test_a_small_run_prints_its_figures(capsys):
    fit_bench.main(["--submissions", "600", "--reviewers", "20"])
    figures = {f["name"]: f for f in map(parse, capsys.readouterr().out.splitlines()) if f}
    eager = figures["fit, 600 x 20 x k=3: share of eager bids assigned"]
    assert eager["target"] == ">= 0.9" and eager["value"] >= 0.9
    assert figures["fit, 600 x 20 x k=3: reviewers whose load differs from the fit-blind plan's"]["value"] == 0
    assert figures["fit, the outside check's call: share of rather-not bids assigned"]["value"] <= 0.02
    assert len(figures) == 16


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["fit"])
    assert [s.name for s in scripts] == ["fit_bench.py"]
