"""One name for each role (`access.roles.Role`), stored as the same strings as before."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from access.roles import ROLES, STAFF, Role
from data_access.models import User
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]


def test_roles_are_the_strings_the_database_stores():
    assert [str(r) for r in ROLES] == ["admin", "office", "reviewer"]
    assert Role.ADMIN == "admin" and f"{Role.REVIEWER}" == "reviewer"
    assert {"admin", "office"} == STAFF


def test_the_check_constraint_lists_the_same_values_as_migration_0001():
    migration = (ROOT / "data_access/migrations/versions/0001_whole_data_model.py").read_text()
    constraint = next(c for c in User.__table__.constraints if getattr(c, "name", "") and "role_known" in c.name)
    assert str(constraint.sqltext) == "role IN ('admin', 'office', 'reviewer')"
    assert "role IN ('admin', 'office', 'reviewer')" in migration


def test_a_role_given_as_the_enum_is_stored_and_read_as_its_string(db):
    with db.write() as s:
        make_user(s, role=Role.OFFICE, username="office.enum")
    with db.read() as s:
        stored = s.scalar(select(User.role).where(User.username == "office.enum"))
    assert stored == "office" and type(stored) is str


def test_no_role_is_written_as_a_string_literal_in_the_source():
    """Roles are named (`Role.ADMIN`), not spelled, outside access/roles.py."""
    pattern = re.compile(r"""\brole\s*(==|!=|in|not in)\s*\(?["'](admin|office|reviewer)["']""")
    sources = [ROOT / "app.py", ROOT / "manage.py"]
    for package in ("access", "data_access", "scoring", "ui", "pages"):
        sources += [p for p in (ROOT / package).rglob("*.py") if "migrations" not in p.parts]
    offenders = [
        f"{p.relative_to(ROOT)}:{n}"
        for p in sources
        for n, line in enumerate(p.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
