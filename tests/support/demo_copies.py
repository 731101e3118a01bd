"""The demo call, for tests that start from it: seeded once per test process, database kind and
size, and copied for each test (SQLite: the file, by SQLite's backup; PostgreSQL: CREATE DATABASE
... TEMPLATE), where seeding it for each test took a second or more of CPU (the demo's documents are
checked and cleaned as an admin's upload would be). A copy is the seeded call itself, rows,
identifiers, sequences and timestamps alike."""

from __future__ import annotations

import atexit
import contextlib
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from config import load_call_config
from data_access.db import Database
from data_access.demo import seed_demo
from data_access.migrate import upgrade

BCRYPT_ROUNDS = 4
_sqlite: dict[int, Path] = {}  # submissions -> this process's seeded file
_postgres: dict[tuple[int, int], str] = {}  # (cluster's port, submissions) -> its seeded database
_counts: dict[tuple[str, int], dict[str, int]] = {}  # (database kind, submissions) -> what `seed_demo` returned


def sqlite_template(n: int) -> Path:
    """This process's SQLite file holding the demo call with `n` submissions (read it, never write it)."""
    if n not in _sqlite:
        folder = Path(tempfile.mkdtemp(prefix=f"evidence-demo{n}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        path = folder / "demo.db"
        db = Database(f"sqlite:///{path}")
        try:
            upgrade(db)
            _counts["sqlite", n] = seed_demo(db, config=load_call_config(), bcrypt_rounds=BCRYPT_ROUNDS, n=n)
        finally:
            db.dispose()
        _sqlite[n] = path
    return _sqlite[n]


def sqlite_copy(template: Path, path: Path) -> Database:
    """A consistent copy (SQLite's backup) of the file `template` at `path` (dispose of it after)."""
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return Database(f"sqlite:///{path}")


def postgres_template(cluster, n: int) -> str:
    """The name of the database in `cluster` (this process's) holding the demo call with `n`
    submissions, with no connection left to it, so that it can be copied."""
    key = (cluster.port, n)
    if key not in _postgres:
        name = cluster.create_database()
        db = Database(cluster.url(name))
        try:
            _counts["postgresql", n] = seed_demo(db, config=load_call_config(), bcrypt_rounds=BCRYPT_ROUNDS, n=n)
        finally:
            db.dispose()
        _postgres[key] = name
    return _postgres[key]


def seeded_counts(db: Database, n: int) -> dict[str, int]:
    """What `seed_demo` returned when it seeded the demo call (`n` submissions) that `db` is a copy of."""
    return dict(_counts["sqlite" if db.url.startswith("sqlite") else "postgresql", n])


@contextlib.contextmanager
def demo_call(request: pytest.FixtureRequest, tmp_path: Path, n: int) -> Iterator[Database]:
    """For a fixture parametrised "sqlite" / "postgresql" (as `db_url`): a database of the test's
    own holding the demo call with `n` submissions; a PostgreSQL one is given back to the cluster's
    pool after (emptied to the migrated template's rows, as `db_url`'s are)."""
    if request.param == "sqlite":
        db = sqlite_copy(sqlite_template(n), tmp_path / "demo.db")
        try:
            yield db
        finally:
            db.dispose()
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.create_database(template_name=postgres_template(cluster, n))
    db = Database(cluster.url(name))
    try:
        yield db
    finally:
        db.dispose()
        cluster.give_back(name)
