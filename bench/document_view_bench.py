#!/usr/bin/env python
"""How fast a long PDF's first page is ready to show (issue 15: visible in the browser in under 2 s).

    python bench/document_view_bench.py [--pages 100] [--runs 5] [--backend sqlite|postgresql|both]

On a fresh, migrated database of each backend, attaches a --pages page PDF
(text on every page) to a submission assigned to a reviewer, then times what
the server does when that reviewer opens it: the whole Submissions page run
in Streamlit's AppTest with the document chosen (the rights checked, the
document read and logged, its first page rendered by PDFium, the text read),
and, within it, `read_document` plus `documents.preview.pdf_page` alone. The
median of --runs runs after a first one, as FIGURE lines (`bench/figures.py`);
the browser's own share (fetching and drawing the picture) is measured by the
real-browser test. Exit status 1 when the page run misses its target.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.figures import figure  # noqa: E402

TARGET_SECONDS = 2.0
NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def long_pdf(pages: int) -> bytes:
    from documents.generate import make_pdf

    line = "Outreach workers met young people at the station every Friday evening; page {n}, line {i}."
    return make_pdf(["\n".join(line.format(n=n, i=i) for i in range(40)) for n in range(1, pages + 1)])


def seed(db, pages: int):
    """A submission with the PDF attached, assigned to a reviewer: (reviewer, submission id, document id)."""
    from config import load_call_config, load_settings
    from data_access.documents import COMMAND_LINE, attach_document
    from tests.factories import assign, make_submission, make_user

    config = load_call_config()
    with db.write() as session:
        reviewer = make_user(session, role="reviewer")
        sub_id = make_submission(session, config, reference="CFE-0001")
        assign(session, sub_id, reviewer)
        info = attach_document(
            session,
            submission_id=sub_id,
            name="report.pdf",
            content=long_pdf(pages),
            actor=COMMAND_LINE,
            limits=load_settings().document_limits,
        )
    return reviewer, sub_id, info.id


def timed(call) -> tuple[float, float]:
    started, cpu_started = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - started, time.process_time() - cpu_started


def run(backend: str, pages: int, runs: int) -> bool:
    from bench.databases import migrated_database
    from data_access.documents import read_document
    from documents import preview
    from tests.support.apptest import rerun, run_app

    with (
        tempfile.TemporaryDirectory(prefix="document-bench-") as folder,
        migrated_database(backend, Path(folder)) as db,
    ):
        if db is None:
            return True
        reviewer, sub_id, doc_id = seed(db, pages)
        label = NAMES[backend]

        def render() -> None:
            with db.write() as session:
                content = read_document(session, document_id=doc_id, viewer=reviewer, via="page").content
            shown = preview.pdf_page(content, 1)
            assert shown.count == pages

        at = run_app(db.url, reviewer, page="pages/submissions.py")
        at.query_params["submission"] = "CFE-0001"
        rerun(at, db.url)
        at.selectbox(key=f"documents.{sub_id}.open").set_value(doc_id)

        def page_run() -> None:
            rerun(at, db.url)
            assert not at.exception, at.exception
            assert [i.captions for i in at.get("image")] == [[f"Page 1 of {pages}"]]

        results = {}
        for name, call in (("page", page_run), ("render", render)):
            call()  # the first run warms what a server keeps warm
            times = [timed(call) for _ in range(runs)]
            results[name] = (statistics.median(t for t, _ in times), statistics.median(c for _, c in times))
        (page_s, page_cpu), (render_s, render_cpu) = results["page"], results["render"]
        print(f"{label}: {pages}-page PDF, first page: page run {page_s:.3f} s, read and render {render_s:.3f} s")
        ok = figure(
            f"documents: a {pages}-page PDF's first page, the page's run ({label})",
            round(page_s, 3),
            "s",
            target=("<", TARGET_SECONDS),
            cpu=round(page_cpu, 3),
            note="Submissions page with the document open (AppTest): rights, read, audit, render, text; median",
        )
        figure(
            f"documents: a {pages}-page PDF's first page, read and rendered ({label})",
            round(render_s, 3),
            "s",
            cpu=round(render_cpu, 3),
            note="read_document and documents.preview.pdf_page alone; median",
        )
        return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args(argv)
    os.environ.setdefault("EVIDENCE_COOKIE_KEY", "bench-" + "x" * 40)
    os.environ.setdefault("EVIDENCE_DEMO", "0")
    logging.disable(logging.WARNING)  # Streamlit's bare-mode warnings
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    ok = True
    for backend in backends:
        ok = run(backend, args.pages, args.runs) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
