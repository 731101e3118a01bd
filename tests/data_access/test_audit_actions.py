"""The audit-action registry: declared once, refused if unknown, documented, shown in words."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from data_access import audit, audit_actions
from data_access.audit_actions import ACTIONS, Kind, UnknownAuditAction
from tests.factories import make_user
from tests.support.apptest import run_app

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z_]+\.[a-z_-]+$")


def _sources() -> list[Path]:
    files = [ROOT / "app.py", ROOT / "manage.py", ROOT / "serve.py"]
    for package in ("access", "data_access", "scoring", "importing", "formats", "ui", "pages", "bench"):
        files += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    return [p for p in files if p.exists()]


def _strings(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        return _strings(node.body) + _strings(node.orelse)
    return []


def _written(kind: str) -> list[tuple[str, str]]:
    """Every constant string given as an `action` (keyword or dict key) or an export's `what`, with where."""
    found = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.keyword) and node.arg == kind:
                values = _strings(node.value)
            elif isinstance(node, ast.Dict):
                values = [
                    s
                    for k, v in zip(node.keys, node.values, strict=True)
                    if isinstance(k, ast.Constant) and k.value == kind
                    for s in _strings(v)
                ]
            found += [(value, f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}") for value in values]
    return found


def test_every_action_written_in_the_source_is_declared():
    codes = [(code, where) for code, where in _written("action") if CODE.match(code)]
    assert len({c for c, _ in codes}) >= 25  # the search finds the call sites (it is not looking at nothing)
    unknown = []
    for code, where in codes:
        try:
            audit_actions.lookup(code)
        except UnknownAuditAction:
            unknown.append(f"{where} {code}")
    assert unknown == []


def test_every_export_name_in_the_source_makes_a_declared_action():
    names = [name for name, _ in _written("what")]
    assert {"scores", "presenters", "audit-log"} <= set(names)
    for name in names:
        assert audit_actions.lookup(audit_actions.export_action(name)).kind is Kind.EXPORT


def test_every_declared_action_is_documented_with_its_words_and_kind():
    doc = (ROOT / "docs/audit-actions.md").read_text()
    rows = set(re.findall(r"^\| `([^`]+)` \| (.+?) \| (\w+) \|$", doc, re.MULTILINE))
    assert rows == {(a.code, a.words, str(a.kind)) for a in ACTIONS}


def test_each_action_is_declared_once_with_words():
    codes = [a.code for a in ACTIONS]
    assert len(codes) == len(set(codes))
    assert all(a.words and a.words != a.code for a in ACTIONS)
    assert audit_actions.lookup("line_up.replace").words == "Line-up replaced"
    assert audit_actions.lookup("export.scores").words == "File exported: scores"
    assert [a.code for a in ACTIONS if not a.changes_data] == [
        "access.denied",
        "password_link.show",
        "import.download_original",
        "submission.view",
        "document.view",
        "document.download",
        "review.autosave",
        "export.<what>",
    ]


@pytest.mark.parametrize("code", ["note", "review.sumbit", "export.", "export.<what>", "export.Scores!"])
def test_an_unknown_action_raises_at_once_and_writes_nothing(db, code):
    with db.write() as s:
        before = len(audit.list_entries(s))
        with pytest.raises(UnknownAuditAction):
            audit.record(s, actor="admin", action=code, entity="test")
        with pytest.raises(UnknownAuditAction):
            audit.record_many(
                s,
                actor="admin",
                entries=[{"action": "call.setting", "entity": "test"}, {"action": code, "entity": "test"}],
            )
        assert len(audit.list_entries(s)) == before


def test_the_audit_log_page_shows_the_registry_words(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        audit.record(s, actor="boss", action="line_up.replace", entity="line_up", entity_id=1)
        audit.record(s, actor="boss", action=audit_actions.export_action("scores"), entity="export")
    at = run_app(db_url, admin, page="pages/audit_log.py")
    table = at.dataframe[0].value
    assert {"Line-up replaced", "File exported: scores", "Person added"} <= set(table["What happened"])
    assert not {"line_up.replace", "export.scores", "user.create"} & set(table.to_numpy().ravel())  # no codes
    assert "Line-up replaced" in at.selectbox(key="audit.action").options
