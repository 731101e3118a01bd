"""The server's log has no repeated migration lines: checking the schema logs nothing, migrating still does."""

from __future__ import annotations

import logging

from data_access.db import Database
from data_access.migrate import downgrade, is_up_to_date, upgrade
from tests.factories import make_user
from tests.support.apptest import run_app
from ui import context


def _alembic(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("alembic")]


def test_checking_the_schema_again_and_again_logs_no_alembic_line(db, caplog):
    caplog.set_level(logging.INFO)
    is_up_to_date(db)  # alembic's one-off lines when it is first loaded
    caplog.clear()
    for _ in range(3):
        assert is_up_to_date(db)
    assert _alembic(caplog) == []
    assert logging.getLogger("alembic.runtime.migration").level == logging.NOTSET  # put back as it was


def test_running_the_app_twice_logs_no_migration_line(db, db_url, caplog):
    with db.write() as s:
        admin = make_user(s, role="admin")
    run_app(db_url, admin, page="pages/overview.py")  # the first run in this process: alembic loads
    caplog.set_level(logging.INFO)
    caplog.clear()
    for _ in range(2):
        context._schema_ok.clear()  # as when its minute is up: the next run checks the schema again
        at = run_app(db_url, admin, page="pages/overview.py")
        assert not at.exception and at.title[0].value == "Overview"
    assert _alembic(caplog) == []


def test_a_real_migration_still_says_what_it_ran(db_url, caplog):
    db = Database(db_url)
    try:
        downgrade(db, "-1")
        caplog.set_level(logging.INFO)
        upgrade(db)
        assert any(m.startswith("Running upgrade") for m in _alembic(caplog))
    finally:
        db.dispose()
