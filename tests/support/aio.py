"""Running a coroutine from a test.

Never `asyncio.run` in the test's own thread: under xdist a browser test's
Playwright (sync API) may have left a running event loop in the worker's
thread, and `asyncio.run` then fails ("cannot be called from a running event
loop") depending only on which tests shared the worker (seen twice in
fresh-clone runs). `tests/test_no_bare_asyncio_run.py` keeps it so."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any


def run_alone(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run `coroutine` to its end in a thread and event loop of its own; its result."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
