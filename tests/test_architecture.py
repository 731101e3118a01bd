"""The import rules of docs/architecture.md hold, and `lint-imports` (run by
`make lint` and CI) catches each kind of break: a copy of the source holding
every case's bad import, each in a module of its own, is linted once, and each
case reads in that report that its contract is broken by its own module's
import. The reach-in cases likewise share one copy of the source."""

from __future__ import annotations

import ast
import functools
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
PACKAGES = (
    "pages",
    "ui",
    "data_access",
    "briefing",
    "importing",
    "documents",
    "messages",
    "charts",
    "scoring",
    "access",
    "formats",
    "config",
)


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120, check=False
    )


def test_the_source_keeps_every_import_contract():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


# Each case: a module of that package holding that import, and the contract it breaks.
BAD_IMPORTS = [
    ("scoring/_bad.py", "import streamlit", "The pure packages"),
    ("config/_bad.py", "from sqlalchemy import select", "The pure packages"),
    ("importing/_bad.py", "import streamlit", "The pure packages"),
    ("charts/_bad.py", "from sqlalchemy import select", "The pure packages"),
    ("documents/_bad.py", "import streamlit", "The pure packages"),
    ("documents/_bad.py", "from data_access import db", "Layers import one way"),
    ("documents/_bad.py", "from importing import plan", "Layers import one way"),
    ("documents/_bad.py", "from scoring import rubric", "documents reads files on its own"),
    ("formats/_bad.py", "from documents import sniff", "Layers import one way"),
    ("messages/_bad.py", "import streamlit", "The pure packages"),
    ("messages/_bad.py", "from sqlalchemy import select", "The pure packages"),
    ("messages/_bad.py", "from data_access import db", "Layers import one way"),
    ("messages/_bad.py", "from importing import plan", "Layers import one way"),
    ("charts/_bad.py", "from messages import templates", "Layers import one way"),
    ("scoring/_bad.py", "from charts import coverage", "Layers import one way"),
    ("charts/_bad.py", "from importing import plan", "Layers import one way"),
    ("briefing/_bad.py", "import streamlit", "The pure packages"),
    ("briefing/_bad.py", "from data_access import db", "Layers import one way"),
    ("charts/_bad.py", "from briefing import render", "Layers import one way"),
    ("access/_bad.py", "from formats import csv_export", "Layers import one way"),
    ("formats/_bad.py", "from importing import plan", "Layers import one way"),
    ("scoring/_bad.py", "from data_access import db", "Layers import one way"),
    ("data_access/_bad.py", "from ui import guard", "Layers import one way"),
    ("ui/_bad.py", "from pages import overview", "Layers import one way"),
    ("data_access/_bad.py", "import manage", "Nothing imports app.py or manage.py"),
    ("ui/_bad.py", "from app import main", "Nothing imports app.py or manage.py"),
    ("ui/_bad.py", "import streamlit_authenticator as stauth", "Only ui.authenticator_adapter"),
    ("pages/_bad.py", "from extra_streamlit_components import CookieManager", "Only ui.authenticator_adapter"),
    (
        "data_access/_bad.py",
        "from streamlit_authenticator.utilities import Hasher",
        "Only ui.authenticator_adapter",
    ),
]


@dataclass
class LintReport:
    """One `lint-imports` run over a copy of the source holding every case's
    bad module at once (each a module of its own), and the chain that each
    case's import should be reported as: (importer, imported), as
    lint-imports names them."""

    returncode: int
    stdout: str
    chains: dict[tuple[str, str], tuple[str, str]]

    def broken(self, contract: str) -> str:
        """What the report says under the broken contract whose name starts
        with `contract`, whitespace collapsed ("" if it is not broken)."""
        text = " ".join(self.stdout.split("Broken contracts", 1)[-1].split())
        starts = sorted(
            (text.find(" ".join(name.split())), name) for name in CONTRACT_NAMES if " ".join(name.split()) in text
        )
        for i, (start, name) in enumerate(starts):
            if name.startswith(contract):
                end = starts[i + 1][0] if i + 1 < len(starts) else len(text)
                return text[start:end]
        return ""


CONTRACT_NAMES = [
    c["name"] for c in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
]


def imported_module(line: str) -> str:
    """The module an import line imports, as lint-imports names it: a module
    of ours in full, an external package by its top-level name."""
    words = line.split()
    name = words[1]
    top = name.split(".")[0]
    if top not in (*PACKAGES, "app", "manage", "serve"):
        return top
    if words[0] == "from":
        sub = ROOT / name.replace(".", "/") / words[3]
        if sub.with_suffix(".py").exists() or sub.is_dir():
            return f"{name}.{words[3]}"
    return name


@pytest.fixture(scope="module")
def bad_imports_report(tmp_path_factory) -> LintReport:
    root = tmp_path_factory.mktemp("bad-imports")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", root)
    chains = {}
    for i, (module, line, _contract) in enumerate(BAD_IMPORTS):
        package = module.split("/")[0]
        (root / package / f"_bad_{i}.py").write_text(f"{line}\n")
        chains[(module, line)] = (f"{package}._bad_{i}", imported_module(line))
    result = lint_imports(root)
    return LintReport(result.returncode, result.stdout + result.stderr, chains)


@pytest.mark.parametrize(("module", "line", "contract"), BAD_IMPORTS)
def test_a_bad_import_breaks_its_contract(bad_imports_report, module, line, contract):
    importer, imported = bad_imports_report.chains[(module, line)]
    assert bad_imports_report.returncode != 0
    broken = bad_imports_report.broken(contract)
    # That contract is broken by that very import: a chain from this case's own module.
    assert f"- {importer} -> {imported} " in broken, (importer, imported, broken)


# Framework internals, and the one module allowed to reach each (docs/architecture.md).
REACH_INS = {
    "streamlit.runtime": "ui/streamlit_adapter.py",
    "streamlit.web": "ui/streamlit_adapter.py",
    "streamlit_authenticator": "ui/authenticator_adapter.py",
    "extra_streamlit_components": "ui/authenticator_adapter.py",
}
CALL_STACK = {"_getframe", "currentframe", "stack", "getouterframes", "getframeinfo"}


def source_files(root: Path) -> list[Path]:
    """app.py, serve.py, manage.py and every module of our packages."""
    files = [root / name for name in ("app.py", "serve.py", "manage.py") if (root / name).exists()]
    for package in PACKAGES:
        files += sorted(p for p in (root / package).rglob("*.py") if "__pycache__" not in p.parts)
    return files


def _imported(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.append(node.module)
            names += [f"{node.module}.{alias.name}" for alias in node.names]  # from streamlit import runtime
    return names


def reach_ins(root: Path) -> list[str]:
    """Each import of a framework internal outside its adapter, and each look
    at the call stack, as `path: what`."""
    found = []
    for path in source_files(root):
        where = path.relative_to(root).as_posix()
        found += [f"{where}: {what}" for what in _reach_ins_of(where, path.read_text())]
    return sorted(set(found))


@functools.cache
def _reach_ins_of(where: str, text: str) -> tuple[str, ...]:
    """What one module reaches into (by its path and text: the cases below change one file of a copy)."""
    tree = ast.parse(text, filename=where)
    found = []
    for name in _imported(tree):
        for internal, adapter in REACH_INS.items():
            if (name == internal or name.startswith(internal + ".")) and where != adapter:
                found.append(name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in CALL_STACK
            and isinstance(node.value, ast.Name)
            and node.value.id in ("sys", "inspect")
        ):
            found.append(f"{node.value.id}.{node.attr}")
    return tuple(found)


def test_framework_internals_are_reached_only_through_their_adapter():
    assert reach_ins(ROOT) == []


# Each case: a module (of its own, or app.py or serve.py) given that line.
REACH_IN_CASES = [
    ("ui/_bad.py", "from streamlit.runtime.scriptrunner import get_script_run_ctx"),
    ("ui/_bad.py", "from streamlit import runtime"),
    ("pages/_bad.py", "import streamlit.web.server"),
    ("serve.py", "from streamlit.web.server.starlette import starlette_websocket"),
    ("app.py", "import streamlit_authenticator"),
    ("ui/_bad.py", "from extra_streamlit_components import CookieManager"),
    ("ui/_bad.py", "import sys\nframe = sys._getframe(1)"),
    ("ui/_bad.py", "import inspect\nframes = inspect.stack()"),
]


@pytest.fixture(scope="module")
def reach_ins_found(tmp_path_factory) -> tuple[dict[tuple[str, str], str], list[str]]:
    """One copy of the source, found clean, then holding every case at once
    (each in a module of its own, or appended to app.py or serve.py): where
    each case is, and what `reach_ins` finds in that copy."""
    root = tmp_path_factory.mktemp("reach-ins")
    for name in (*PACKAGES, "app.py", "serve.py"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, root / name)
    assert reach_ins(root) == []
    where = {}
    for i, (module, line) in enumerate(REACH_IN_CASES):
        path = module if (ROOT / module).exists() else module.replace("_bad.py", f"_bad_{i}.py")
        target = root / path
        target.write_text((target.read_text() if target.exists() else "") + f"\n{line}\n")
        where[(module, line)] = path
    assert len(set(where.values())) == len(where)  # each case a module of its own
    return where, reach_ins(root)


@pytest.mark.parametrize(("module", "line"), REACH_IN_CASES)
def test_a_reach_in_outside_the_adapters_is_found(reach_ins_found, module, line):
    where, found = reach_ins_found
    assert [f for f in found if f.split(":")[0] == where[(module, line)]], found
    # And nothing is found anywhere but in the cases' modules.
    assert {f.split(":")[0] for f in found} <= set(where.values()), found


# The modules mypy may skip (pyproject.toml's ratchet). Take a module off both
# lists once mypy passes on it; never add one. Empty today: every module of the
# packages mypy checks passes.
MYPY_RATCHET: set[str] = set()
# Packages mypy checks that may never be on the ratchet.
MYPY_STRICT = ("scoring", "config", "data_access")
MYPY_PACKAGES = (
    "config",
    "access",
    "formats",
    "scoring",
    "charts",
    "briefing",
    "importing",
    "documents",
    "messages",
    "data_access",
)


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
