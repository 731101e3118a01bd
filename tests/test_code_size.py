"""Code that stays readable: no source file over 700 lines, and no function over cyclomatic
complexity 20 (radon) in the modules that were split to get there (the selection package, the
import plan, the call configuration loader)."""

from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
SOURCE = [ROOT / "app.py", ROOT / "manage.py"] + [
    path
    for folder in (
        "pages",
        "ui",
        "data_access",
        "scoring",
        "importing",
        "charts",
        "formats",
        "access",
        "config",
        "bench",
    )
    for path in (ROOT / folder).rglob("*.py")
]
MAX_LINES = 700
MAX_COMPLEXITY = 20
KEPT_SIMPLE = sorted(
    [
        *(ROOT / "scoring" / "selection").glob("*.py"),
        ROOT / "importing" / "plan.py",
        ROOT / "config" / "call_config.py",
    ]
)


def test_no_source_file_is_over_700_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in SOURCE
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


@pytest.mark.parametrize("path", KEPT_SIMPLE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_is_over_complexity_20(path):
    blocks = cc_visit(path.read_text(encoding="utf-8"))
    complex_ = {b.fullname: b.complexity for b in blocks if b.complexity > MAX_COMPLEXITY}
    assert complex_ == {}
