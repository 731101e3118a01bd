"""Reading plotly figures in tests: every string a figure holds (titles, labels, hover text, legend names)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def figure_strings(node: Any) -> Iterator[str]:
    """Every string in a figure: a `go.Figure`, its `to_dict()`, or AppTest's `proto.spec` JSON.

    Check labels here, not in the JSON text: plotly's JSON writes `<` as `\\u003c`,
    so a raw `<script>` would never be found in it.
    """
    if hasattr(node, "to_dict"):
        node = node.to_dict()
    if isinstance(node, str) and node.startswith("{"):
        node = json.loads(node)
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from figure_strings(value)
    elif isinstance(node, list | tuple):
        for value in node:
            yield from figure_strings(value)
    elif hasattr(node, "tolist"):  # numpy arrays
        yield from figure_strings(node.tolist())
