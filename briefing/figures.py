"""The pages' plotly figures as SVG, drawn by the system's Chromium through kaleido, offline.

kaleido (>= 1) drives a Chrome-family browser over the DevTools protocol; here
it is Debian's Chromium (`CHROMIUM`: the environment's BROWSER_PATH, else
/usr/bin/chromium), never a browser it would download. plotly.js is the copy
inside the installed plotly package (a file: URL) and MathJax is switched off
(kaleido would otherwise load it from a CDN), so drawing fetches nothing from
the network. One browser draws every figure of a briefing, one after another; `Drawer`
starts it while the caller is still gathering the figures.

kaleido is asynchronous: it runs in a thread of its own with its own event loop,
so that a caller with a loop running (Streamlit, Playwright's sync API) is unaffected.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

WIDTH = 900
HEIGHT = 460
TIMEOUT_SECONDS = 90


def chromium_path() -> str:
    return os.environ.get("BROWSER_PATH") or "/usr/bin/chromium"


class FigureError(RuntimeError):
    """The figures could not be drawn (no browser, or it failed); the message is for people."""


def _offline(spec: dict[str, Any]) -> dict[str, Any]:
    """The figure without what would make the browser fetch something: layout images (a URL each) and
    map tiles are dropped; the app's figures have neither."""
    layout = {k: v for k, v in (spec.get("layout") or {}).items() if k not in ("images", "mapbox", "map")}
    return {**spec, "layout": layout}


def _options(spec: dict[str, Any]) -> dict[str, Any]:
    layout = spec.get("layout") or {}
    return {"format": "svg", "width": layout.get("width") or WIDTH, "height": layout.get("height") or HEIGHT}


class Drawer:
    """A browser started at once, to draw figures later: its start (seconds, in processes of its own)
    overlaps the caller's work meanwhile, such as gathering the figures.

        with Drawer() as drawer:
            specs = ...                      # Chromium starts meanwhile
            svgs = drawer.draw(specs)        # FigureError if they cannot be drawn

    Leaving the block without drawing closes the browser unused.
    """

    def __init__(self) -> None:
        self._specs: queue.Queue[list[dict[str, Any]] | None] = queue.Queue()
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._result = self._pool.submit(lambda: asyncio.run(self._run()))
        self._asked = False

    async def _run(self) -> list[bytes]:
        import kaleido  # imported here: a briefing without figures never starts a browser

        async with kaleido.Kaleido(n=1, mathjax=False, timeout=TIMEOUT_SECONDS, path=chromium_path()) as k:
            specs = await asyncio.get_running_loop().run_in_executor(None, self._specs.get)
            return [bytes(await k.calc_fig(_offline(spec), opts=_options(spec))) for spec in specs or []]

    def draw(self, specs: Sequence[dict[str, Any]]) -> list[bytes]:
        if self._asked:
            raise RuntimeError("a Drawer draws once")
        self._asked = True
        self._specs.put(list(specs))
        try:
            return self._result.result()
        except Exception as exc:  # kaleido's and choreographer's errors have no common base
            raise FigureError(f"Cannot draw the figures: {exc}") from exc

    def __enter__(self) -> Drawer:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._asked:
            self._asked = True
            self._specs.put(None)
            with contextlib.suppress(Exception):  # an unused browser that failed to start: nothing to report
                self._result.result()
        self._pool.shutdown(wait=True)


def _check_browser() -> None:
    if not os.access(chromium_path(), os.X_OK):
        raise FigureError(f"Cannot draw the figures: no browser at {chromium_path()} (set BROWSER_PATH).")


def drawer() -> Drawer:
    """A Drawer, its browser starting now. FigureError at once if there is no browser."""
    _check_browser()
    return Drawer()


def to_svg(specs: Sequence[dict[str, Any]]) -> list[bytes]:
    """Each figure (`go.Figure.to_dict()`) as an SVG document, in order. FigureError if they cannot be drawn."""
    if not specs:
        return []
    with drawer() as d:
        return d.draw(specs)
