"""No test calls asyncio.run in its own thread (see tests/support/aio.py)."""

import re

from tests.conftest import ROOT

BARE = re.compile(r"(?<![\w.])asyncio\.run\(")


def test_every_coroutine_in_the_tests_runs_in_a_thread_of_its_own():
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        if path.name != "aio.py"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if BARE.search(line) and "pool.submit(asyncio.run" not in line
    ]
    assert offenders == [], f"use tests.support.aio.run_alone instead: {offenders}"
