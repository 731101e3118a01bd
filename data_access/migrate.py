"""Schema migrations (Alembic), run through the app's own engine.

`upgrade(db)` brings a database to the newest schema; it is what
`python manage.py migrate`, `make run` and the test fixtures call, so the tests
exercise the real migrations rather than `create_all`. The app itself never
migrates: it checks the schema (`is_up_to_date`), quietly.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from data_access.db import Database

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(db: Database) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(db: Database, revision: str) -> None:
    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


# Looking up the schema's revision changes nothing, yet alembic logs two INFO lines each time
# ("Context impl SQLiteImpl.", "Will assume non-transactional DDL."): the app checks the schema on
# its first run and again every minute, which filled the server's log with migration lines. The
# check quiets them; a real upgrade (manage.py migrate) still logs what it runs.
_CHECK_LOGGER = logging.getLogger("alembic.runtime.migration")
_QUIET = threading.Lock()  # the server's sessions check in threads: the level is restored once


@contextmanager
def _quiet_check() -> Iterator[None]:
    with _QUIET:
        level = _CHECK_LOGGER.level
        _CHECK_LOGGER.setLevel(logging.WARNING)
        try:
            yield
        finally:
            _CHECK_LOGGER.setLevel(level)


def current_revision(db: Database) -> str | None:
    with _quiet_check(), db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    """The newest revision of the schema, which `db` should be at: the code's, whatever the database."""
    del db
    return _code_head()


@functools.cache
def _code_head() -> str | None:
    """The newest migration this code ships, read once per process: the app checks the schema
    against it on each database's first run and every minute after, and reading the migration
    scripts compiles every one of them (about 0.1 s of CPU). The scripts change only with the code,
    and a new version of the code is a new process."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(config).get_current_head()


def is_up_to_date(db: Database) -> bool:
    return current_revision(db) == head_revision(db)
