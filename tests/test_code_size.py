"""Code that stays readable: no source file over 700 lines, and no function over cyclomatic
complexity 20 (radon) in any source file (app.py, manage.py and every package of the app and
the bench scripts)."""

from __future__ import annotations

from pathlib import Path

import pytest
from radon.complexity import cc_visit

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = (
    "pages",
    "ui",
    "data_access",
    "briefing",
    "scoring",
    "importing",
    "documents",
    "charts",
    "formats",
    "access",
    "config",
    "bench",
)
SOURCE = sorted(
    [ROOT / "app.py", ROOT / "manage.py"] + [path for folder in FOLDERS for path in (ROOT / folder).rglob("*.py")]
)
MAX_LINES = 700
MAX_COMPLEXITY = 20


def _over_limit(source: str) -> dict[str, int]:
    return {b.fullname: b.complexity for b in cc_visit(source) if b.complexity > MAX_COMPLEXITY}


def test_no_source_file_is_over_700_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in SOURCE
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}


def test_every_package_is_covered():
    """The list above reaches every package and the bench scripts, so that a new file is checked."""
    covered = {p.relative_to(ROOT).parts[0] for p in SOURCE}
    assert covered >= {"app.py", "manage.py", *FOLDERS}


def test_the_complexity_check_finds_a_complex_function():
    branches = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(MAX_COMPLEXITY - 1))
    assert _over_limit(f"def f(x):\n{branches}\n    if x:\n        return -1\n") == {"f": MAX_COMPLEXITY + 1}
    assert _over_limit(f"def f(x):\n{branches}\n") == {}  # exactly 20 is allowed


@pytest.mark.parametrize("path", SOURCE, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_function_is_over_complexity_20(path):
    assert _over_limit(path.read_text(encoding="utf-8")) == {}
