"""The import rules of docs/architecture.md hold, and `lint-imports` (run by
`make lint` and CI) catches each kind of break: a copy of the source with one
bad import added fails its contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = ("pages", "ui", "data_access", "importing", "charts", "scoring", "access", "formats", "config")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_source_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("scoring/_bad.py", "import streamlit", "The pure packages"),
        ("config/_bad.py", "from sqlalchemy import select", "The pure packages"),
        ("importing/_bad.py", "import streamlit", "The pure packages"),
        ("charts/_bad.py", "from sqlalchemy import select", "The pure packages"),
        ("scoring/_bad.py", "from charts import coverage", "Layers import one way"),
        ("charts/_bad.py", "from importing import plan", "Layers import one way"),
        ("access/_bad.py", "from formats import csv_export", "Layers import one way"),
        ("formats/_bad.py", "from importing import plan", "Layers import one way"),
        ("scoring/_bad.py", "from data_access import db", "Layers import one way"),
        ("data_access/_bad.py", "from ui import guard", "Layers import one way"),
        ("ui/_bad.py", "from pages import overview", "Layers import one way"),
        ("data_access/_bad.py", "import manage", "Nothing imports app.py or manage.py"),
        ("ui/_bad.py", "from app import main", "Nothing imports app.py or manage.py"),
    ],
)
def test_a_bad_import_breaks_its_contract(tmp_path, module, line, contract):
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(f"{line}\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken, result.stdout


# The modules mypy may skip (pyproject.toml's ratchet). Take a module off both
# lists once mypy passes on it; never add one. Empty today: every module of the
# packages mypy checks passes.
MYPY_RATCHET: set[str] = set()
# Packages mypy checks that may never be on the ratchet.
MYPY_STRICT = ("scoring", "config", "data_access")
MYPY_PACKAGES = ("config", "access", "formats", "scoring", "charts", "importing", "data_access")


def _mypy_config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]


def _skipped(mypy: dict) -> set[str]:
    """The modules whose errors mypy ignores ("*" if it ignores every module's)."""
    if mypy.get("ignore_errors"):
        return {"*"}
    return {
        module
        for o in mypy.get("overrides", [])
        if o.get("ignore_errors")
        for module in ([o["module"]] if isinstance(o["module"], str) else o["module"])
    }


def test_mypy_checks_the_pure_packages_and_the_data_layer():
    assert set(_mypy_config()["files"]) == set(MYPY_PACKAGES)


def test_the_mypy_ratchet_only_shrinks():
    skipped = _skipped(_mypy_config())
    assert skipped <= MYPY_RATCHET, f"new modules skipped by mypy: {sorted(skipped - MYPY_RATCHET)}"


def test_no_module_of_scoring_config_or_data_access_is_skipped_by_mypy():
    strict = [m for m in _skipped(_mypy_config()) | MYPY_RATCHET if m.split(".")[0] in MYPY_STRICT]
    assert strict == []
