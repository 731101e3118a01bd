"""Figures built once per content and shared by every session of the server process (issue 21).

    fig = shared_figure(gap_map_figure, matrix, colour_by=colour_by, line_up=marked)
    fig = shared_figure(score_distribution_figure, Keyed(inputs.scores, content), labels)

Building a plotly figure is mostly plotly's validation of every property set
(`update_layout`, `add_*`): at 10,000 submissions the gap map took ~0.1 s of
CPU, the other charts 10-20 ms each, on every visit of every office session,
although their inputs change only when the scores or the submissions do.
`shared_figure(build, *args, **kwargs)` returns `build(*args, **kwargs)`, built
once per content: the cache's key is the builder's name and a digest of the
content of every argument (`fingerprint`: frames and series by their values and
index, dataclasses field by field, containers item by item, plain values by
type and value; anything else is refused rather than guessed). An argument
wrapped in `Keyed(value, key)` is keyed by `key` instead of its content, for a
large input that already has a content key (the submitted scores:
`ui.scores.content_key`); the builder gets `value`.

The same inputs give the same figure, whoever asks: the key is all a builder
depends on (the builders in `charts/` are pure), so no viewer's figure can be
served for other inputs, and a figure with viewer-specific content (the gap
map's line-up marking, the rank-shift chart's top or all points) has that
content among its arguments. Pages call it after their own role check; the
admin-only leniency chart is built only on the admin's run.

The figures are `st.cache_resource` objects, shared, not copied (a
`st.cache_data` copy is unpickled, and plotly validates the whole figure again
on unpickle: 10-30 ms, as much as building most of them): nothing may change a
shared figure. `ui.charts.chart` only hands it to `st.plotly_chart`, which
reads it (`Figure.to_dict`, a deep copy); reads from many threads at once are
safe. At most `KEEP` figures are kept (the least recently used go), and only
figures whose size does not grow with the call are shared (cells, bands,
criteria, days, reviewers, the top of the ranking: 0.1-0.4 MB each at 10,000
submissions); Rankings' rank-shift chart of every point, on request, is built
for its run alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

KEEP = 32  # figures: a page's few charts for the current content, options and a few older ones


_PLAIN = {str, int, float, bool, type(None)}


@dataclasses.dataclass(frozen=True)
class Keyed:
    """An argument keyed by `key` (a content key of `value`) instead of a digest of `value` itself."""

    value: Any
    key: Any


def _feed(h: Any, value: Any) -> None:
    """Feed `value`'s type and content to the hash `h`, unambiguously (each part tagged and length-prefixed)."""

    def put(tag: str, data: bytes) -> None:
        h.update(tag.encode() + len(data).to_bytes(8, "little") + data)

    if isinstance(value, Keyed):
        put("keyed", b"")
        _feed(h, value.key)
    elif isinstance(value, pd.DataFrame):
        put("frame", repr((list(value.columns), [str(t) for t in value.dtypes], value.shape)).encode())
        _feed(h, value.index)
        for _name, column in value.items():
            _values(h, column.to_numpy())
    elif isinstance(value, pd.Series):
        put("series", repr((value.name, str(value.dtype), value.shape)).encode())
        _feed(h, value.index)
        _values(h, value.to_numpy())
    elif isinstance(value, pd.Index):
        put("index", repr((type(value).__name__, value.names, str(value.dtype), len(value))).encode())
        _values(h, value.to_numpy())
    elif isinstance(value, np.ndarray):
        put("ndarray", repr((str(value.dtype), value.shape)).encode())
        _values(h, value.ravel())
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        put("dataclass", f"{type(value).__module__}.{type(value).__qualname__}".encode())
        for field in dataclasses.fields(value):
            put("field", field.name.encode())
            _feed(h, getattr(value, field.name))
    elif isinstance(value, Mapping):
        put("mapping", str(len(value)).encode())
        for k, v in value.items():  # in order: a builder may draw in the mapping's order
            _feed(h, k)
            _feed(h, v)
    elif isinstance(value, list | tuple):
        if all(type(item) in _PLAIN for item in value):  # exact and fast: repr of a float round-trips
            put(type(value).__name__, repr(value).encode())
        else:
            put(type(value).__name__, str(len(value)).encode())
            for item in value:
                _feed(h, item)
    elif value is None or value is pd.NA or isinstance(value, str | int | float | np.generic | dt.date | dt.time):
        put(type(value).__name__, repr(value).encode())
    else:
        raise TypeError(f"no content digest for {type(value).__name__}: wrap it in Keyed(value, key)")


def _values(h: Any, values: np.ndarray) -> None:
    """An array's values: hashed by pandas (numbers, strings), or item by item (lists of ids in a cell)."""
    if values.dtype != object:
        h.update(np.ascontiguousarray(values).tobytes())
        return
    items = values.tolist()
    if all(type(item) is str for item in items):
        h.update(pd.util.hash_array(values, categorize=False).tobytes())
    else:  # None, numbers, lists of ids in a cell: item by item, by type (pandas would hash a mix as text)
        for item in items:
            _feed(h, item)


def fingerprint(*args: Any, **kwargs: Any) -> str:
    """A digest of the content of the arguments: equal content, equal digests; any change, another digest."""
    h = hashlib.sha256()
    _feed(h, args)
    _feed(h, dict(sorted(kwargs.items())))
    return h.hexdigest()


def _unwrap(value: Any) -> Any:
    return value.value if isinstance(value, Keyed) else value


@st.cache_resource(show_spinner=False, max_entries=KEEP)
def _figure(key: str, _build: Callable[[], go.Figure]) -> go.Figure:
    """Shared by every session: keyed by the builder and its inputs' content (`shared_figure`); `_build`, not
    part of the key, builds the figure of that key."""
    return _build()


def shared_figure(build: Callable[..., go.Figure], *args: Any, **kwargs: Any) -> go.Figure:
    """`build(*args, **kwargs)`, built once per content of its arguments and shared: never change the result.
    `build` is a module's function (its name is part of the key; a lambda's or a local function's is not unique)."""
    if "<" in build.__qualname__:
        raise ValueError(f"{build.__qualname__}: shared figures are built by a module's function, not a local one")
    key = f"{build.__module__}.{build.__qualname__}:{fingerprint(*args, **kwargs)}"
    return _figure(key, lambda: build(*map(_unwrap, args), **{k: _unwrap(v) for k, v in kwargs.items()}))
