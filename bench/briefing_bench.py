"""How long does the Commissioner's briefing take on the 10,000-submission call?

Makes the whole briefing (every section) as PDF and as HTML, as the Exports
page's button and `manage.py briefing` do (`data_access.briefing_files.make_briefing`:
today's calibration, the content, five figures drawn by Chromium through kaleido,
the HTML, and WeasyPrint's PDF), and prints how long each step took. The call is
the one bench/run_all.py seeds (BENCH_SQLITE_URL), or a throwaway one seeded here
with bench/bulk_seed.py (10,000 submissions, 30,000 reviews, no saved line-up).

The CPU figure adds this process's CPU time and Chromium's (a child process that
draws the figures): on a shared machine the wall-clock time can be many times it.

    .venv/bin/python bench/briefing_bench.py
    .venv/bin/python bench/briefing_bench.py --url sqlite:////tmp/big.db
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.figures import figure
from briefing.figures import to_svg
from briefing.pdf import html_to_pdf
from briefing.render import render_html
from config import load_call_config
from data_access.briefing import BriefingOptions, gather
from data_access.briefing_files import make_briefing
from data_access.db import Database

TARGET_S = 30.0


def _cpu() -> float:
    """This process's CPU time and its finished children's (Chromium, once kaleido has closed it)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _timed(fn):
    start, cpu = time.perf_counter(), _cpu()
    out = fn()
    return out, time.perf_counter() - start, _cpu() - cpu


def bench(url: str) -> int:
    config = load_call_config()
    db = Database(url)
    try:
        options = BriefingOptions()

        def steps():
            with db.read() as session:
                content, t_gather, _ = _timed(lambda: gather(session, config=config, options=options))
            svgs, t_svg, _ = _timed(lambda: to_svg([f.spec for f in content.figures]))
            html, t_html, _ = _timed(lambda: render_html(content, svgs))
            pdf, t_pdf, _ = _timed(lambda: html_to_pdf(html))
            return (t_gather, t_svg, t_html, t_pdf, len(html), len(pdf), len(content.figures))

        (t_gather, t_svg, t_html, t_pdf, n_html, n_pdf, n_fig), _, _ = _timed(steps)
        print("The briefing, step by step (every section, the call's own line-up if any):")
        print(f"  content (calibration, counts, gap map, strongest, agreement)  {t_gather:7.2f} s")
        print(f"  {n_fig} figures drawn to SVG (kaleido, Chromium)                   {t_svg:7.2f} s")
        print(f"  HTML ({n_html / 1e6:.2f} MB)                                        {t_html:7.2f} s")
        print(f"  PDF ({n_pdf / 1e6:.2f} MB, WeasyPrint)                             {t_pdf:7.2f} s")
        ok = True
        for fmt in ("pdf", "html"):
            file, wall, cpu = _timed(lambda fmt=fmt: make_briefing(db, config=config, options=options, fmt=fmt))
            verdict = "PASS" if wall < TARGET_S else "FAIL"
            print(f"make_briefing as {fmt}: {wall:.2f} s ({len(file.content):,} bytes)  [{verdict}: target < 30 s]")
            ok &= figure(
                f"briefing as {fmt.upper()}, 10,000-submission call, every section",
                round(wall, 2),
                "s",
                target=("<", TARGET_S),
                cpu=round(cpu, 2),
                note="one run; CPU time includes Chromium's",
            )
        return 0 if ok else 1
    finally:
        db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a seeded call's database URL (default: BENCH_SQLITE_URL, else seed one)")
    args = parser.parse_args()
    from bench.bulk_seed import on_a_seeded_call

    return on_a_seeded_call(args.url, bench, prefix="briefing-bench-", seed_args=["--submissions", "10000"])


if __name__ == "__main__":
    sys.exit(main())
