"""A pytest plugin for tests/test_markers.py: after collection, write what `-m`
selected and deselected, with each item's marker names and the facts its
markers should follow (its file, its fixtures, its parameters), as JSON to the
file named by EVIDENCE_COLLECTION_REPORT. Loaded with `-p tests.support.collection`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

_deselected: list[pytest.Item] = []


def _facts(item: pytest.Item, root: Path) -> dict:
    callspec = getattr(item, "callspec", None)
    return {
        "path": item.path.relative_to(root).as_posix(),
        "markers": sorted({marker.name for marker in item.iter_markers()}),
        "fixtures": sorted(getattr(item, "fixturenames", ())),
        "params": {k: v for k, v in callspec.params.items() if isinstance(v, str)} if callspec else {},
    }


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected.extend(items)


def pytest_collection_finish(session: pytest.Session) -> None:
    target = os.environ.get("EVIDENCE_COLLECTION_REPORT")
    if not target:
        return
    root = Path(session.config.rootpath)
    report = {
        "selected": {item.nodeid: _facts(item, root) for item in session.items},
        "deselected": {item.nodeid: _facts(item, root) for item in _deselected},
    }
    Path(target).write_text(json.dumps(report))
