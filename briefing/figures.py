"""The pages' plotly figures as SVG, drawn by the system's Chromium through kaleido, offline.

kaleido (>= 1) drives a Chrome-family browser over the DevTools protocol; here
it is Debian's Chromium (`CHROMIUM`: the environment's BROWSER_PATH, else
/usr/bin/chromium), never a browser it would download. plotly.js is the copy
inside the installed plotly package (a file: URL) and MathJax is switched off
(kaleido would otherwise load it from a CDN), so drawing fetches nothing from
the network. One browser draws every figure of a briefing, one after another.

kaleido is asynchronous: it runs in a thread of its own with its own event loop,
so that a caller with a loop running (Streamlit, Playwright's sync API) is unaffected.
"""

from __future__ import annotations

import asyncio
import os
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


async def _draw(specs: Sequence[dict[str, Any]]) -> list[bytes]:
    import kaleido  # imported here: a briefing without figures never starts a browser

    async with kaleido.Kaleido(n=1, mathjax=False, timeout=TIMEOUT_SECONDS, path=chromium_path()) as k:
        return [bytes(await k.calc_fig(_offline(spec), opts=_options(spec))) for spec in specs]


def to_svg(specs: Sequence[dict[str, Any]]) -> list[bytes]:
    """Each figure (`go.Figure.to_dict()`) as an SVG document, in order. FigureError if they cannot be drawn."""
    if not specs:
        return []
    if not os.access(chromium_path(), os.X_OK):
        raise FigureError(f"Cannot draw the figures: no browser at {chromium_path()} (set BROWSER_PATH).")
    with ThreadPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(lambda: asyncio.run(_draw(specs))).result()
        except Exception as exc:  # kaleido's and choreographer's errors have no common base
            raise FigureError(f"Cannot draw the figures: {exc}") from exc
