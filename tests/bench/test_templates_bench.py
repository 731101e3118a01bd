"""bench/templates_bench.py, tiny: it seeds a small call, times the digest preview and
prints its FIGURE line; and `make bench` runs it."""

from __future__ import annotations

import argparse

import pytest

from bench import run_all, templates_bench
from bench.figures import parse


@pytest.mark.slow  # seeds a call and starts the bench: about 15 s
def test_the_bench_times_a_real_digest_preview_and_prints_its_figure(tmp_path, monkeypatch, capsys):
    for env in ("BENCH_SQLITE_URL", "BENCH_POSTGRESQL_URL"):
        monkeypatch.delenv(env, raising=False)
    templates_bench.main(["--submissions", "30", "--runs", "2", "--messages", "50"])
    out = capsys.readouterr().out
    figures = [f for f in map(parse, out.splitlines()) if f]
    assert len(figures) == 2
    renders, fig = figures
    assert renders["name"] == "rendering 50 messages from one template" and renders["target"] == "< 5 s"
    assert renders["value"] > 0
    # 30 submissions x 3 reviewers each, over 3 reviewers: the first has all 30 in the digest.
    assert fig["name"] == "message preview (assignments digest, 30 submissions), SQLite"
    assert fig["unit"] == "ms" and fig["target"] == "< 100 ms"
    assert fig["value"] > 0 and fig["cpu"] > 0
    assert "Bench Reviewer 01 (reviewer), 30 submissions in the digest" in out


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["templates"])
    assert [s.name for s in scripts] == ["templates_bench.py"]
