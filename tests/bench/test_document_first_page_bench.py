"""bench/document_first_page_bench.py's parts that need no browser: the PDF it
attaches, and make bench running it. The bench itself drives Chromium; it is
run by `make bench`, not by the suite (one browser test covers documents)."""

from __future__ import annotations

import argparse

from bench import run_all
from bench.document_first_page_bench import bench_pdf
from documents.prepare import prepare


def test_the_bench_pdf_has_the_pages_asked_for_and_the_app_accepts_it():
    prepared = prepare(bench_pdf(12), "bench-report.pdf")
    assert prepared.sniffed.kind == "pdf"
    text = prepared.text.text
    assert text.index("Page 1 of 12") < text.index("Page 2 of 12") < text.index("Page 12 of 12")


def test_make_bench_runs_it():
    scripts = run_all._scripts(argparse.ArgumentParser(), ["document_first_page"])
    assert [s.name for s in scripts] == ["document_first_page_bench.py"]
