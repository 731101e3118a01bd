"""Shared fixtures: real databases (a SQLite file, a throwaway PostgreSQL
cluster), the call's configuration, and factories.

Data tests take the `db` fixture, which runs each test on SQLite and on
PostgreSQL. The PostgreSQL cluster is started by the tests themselves with
`initdb` and `pg_ctl` on a free port in a temporary folder. Under `CI=true` a
missing PostgreSQL or Chromium fails the tests that need it instead of
skipping them.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CI = os.environ.get("CI", "").lower() == "true"

# Settings for every test process (and the app servers the tests start).
os.environ["EVIDENCE_COOKIE_KEY"] = "test-" + secrets.token_urlsafe(40)
os.environ["EVIDENCE_BCRYPT_ROUNDS"] = "4"
os.environ["EVIDENCE_DEMO"] = "0"
os.environ.pop("DATABASE_URL", None)

from config import load_call_config  # noqa: E402
from data_access.db import Database  # noqa: E402
from data_access.migrate import upgrade  # noqa: E402
from tests.support.postgres import PostgresCluster, PostgresUnavailable  # noqa: E402

BROWSER_TESTS = ROOT / "tests" / "browser"
# Fixtures shared from tests/support: `smtp_server` (a real local SMTP server).
pytest_plugins = ["tests.support.smtp"]


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist turns -n into `--dist load`
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`-n N` without a `--dist` of its own distributes by `loadgroup` (see
    `pytest_collection_modifyitems`), wherever it is typed: `make test`, CI, by hand.
    (Not in addopts: `-p no:xdist` would then refuse `--dist`.)"""
    if getattr(config.option, "numprocesses", None) and getattr(config.option, "dist", None) == "no":
        config.option.dist = "loadgroup"


@pytest.hookimpl(optionalhook=True, tryfirst=True)  # pytest-xdist's hook, before its own answer
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """`loadgroup` (what `-n` gets: `pytest_cmdline_main`) by
    tests.support.distribution: each browser module whole on one worker."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from tests.support.distribution import BrowserModuleScheduling

    return BrowserModuleScheduling(config, log)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Make the markers true of what they name, so that `-m` selects by them:
    every test under tests/browser/ is `browser`, and every test that uses
    the PostgreSQL cluster (directly, or as the `postgresql` case of the
    `db_url` fixture, which is marked where it is declared) is `postgres`.
    A `pytestmark` in a conftest.py has no effect; this hook is what marks.

    Each browser module is also marked one `xdist_group`, for the record:
    what keeps a module whole on one worker under `-n` is the scheduler
    (`pytest_xdist_make_scheduler`, tests.support.distribution), since
    pytest-xdist's own grouping by this marker no longer works under pytest 9.2."""
    for item in items:
        if item.path.is_relative_to(BROWSER_TESTS):
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.xdist_group(f"browser-{item.path.stem}"))
        if "pg_cluster" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


def unavailable(reason: str) -> None:
    """Skip locally; fail under CI=true, where nothing may be skipped."""
    if CI:
        pytest.fail(f"{reason} (CI=true: tests that need it must run)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def call_config():
    return load_call_config()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that each test copies."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PostgresCluster]:
    # Not under pytest's temporary folder: pytest resets that folder's
    # permissions (0700, root) when another pytest session starts, which
    # would lock the server's own user out of its data.
    base = Path(tempfile.mkdtemp(prefix="evidence-pg-"))
    try:
        try:
            cluster = PostgresCluster.start(base)
        except PostgresUnavailable as exc:
            unavailable(f"PostgreSQL cannot start: {exc}")
        try:
            cluster.create_template()
            yield cluster
        finally:
            cluster.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _sqlite_url(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "test.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


# The two databases every data test runs on (a fixture's params; a test's ids say which).
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DATABASES)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A fresh, migrated, empty database: once on SQLite, once on PostgreSQL."""
    if request.param == "sqlite":
        yield _sqlite_url(sqlite_template, tmp_path)
        return
    cluster: PostgresCluster = request.getfixturevalue("pg_cluster")
    name = cluster.borrow_database()  # the template's copy, or one a test gave back emptied and renamed
    try:
        yield cluster.url(name)
    finally:
        cluster.give_back(name)


@pytest.fixture(params=DATABASES)
def demo_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of the test's own holding the whole demo call, on SQLite and on PostgreSQL (as
    `db`): a copy of one seeded once per test process (tests.support.demo_copies)."""
    from data_access.demo import N_SUBMISSIONS
    from tests.support.demo_copies import demo_call

    with demo_call(request, tmp_path, N_SUBMISSIONS) as db:
        yield db


@pytest.fixture
def sqlite_url(tmp_path: Path, sqlite_template: Path) -> str:
    """A fresh SQLite database, for tests about SQLite itself."""
    return _sqlite_url(sqlite_template, tmp_path)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()
