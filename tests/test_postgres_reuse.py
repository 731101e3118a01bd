"""The tests' PostgreSQL databases are reused (tests/support/postgres.py): a database a test gives back
is emptied to the migrated template's state for the next test, or dropped if the test changed its shape."""

from __future__ import annotations

import psycopg
import pytest

from data_access.db import Database
from tests.factories import make_submission, make_user
from tests.support.postgres import TEMPLATE, PostgresCluster

pytestmark = pytest.mark.postgres


def _rows(cluster: PostgresCluster, name: str) -> dict[str, list]:
    """Every public table's rows, sorted, and every sequence's state."""
    with psycopg.connect(cluster.dsn(name)) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        found = {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}  # noqa: S608
        found["sequences"] = conn.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1").fetchall()
    return found


def _databases(cluster: PostgresCluster) -> set[str]:
    with psycopg.connect(cluster.dsn("postgres")) as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


def test_a_database_given_back_is_the_templates_again_for_the_next_test(pg_cluster, call_config):
    template = _rows(pg_cluster, TEMPLATE)
    name = pg_cluster.create_database()  # a fresh copy, as borrow_database makes when no test gave one back
    db = Database(pg_cluster.url(name))
    with db.write() as s:
        make_user(s, role="admin")
        make_submission(s, call_config)
    db.dispose()
    assert _rows(pg_cluster, name) != template
    with psycopg.connect(pg_cluster.dsn(name)) as held:  # still open, as a test's server or subprocess may leave one
        held.execute("SELECT 1")
        pg_cluster.give_back(name)
        with pytest.raises(psycopg.OperationalError):
            held.execute("SELECT 1")  # ended, as a drop would end it
    assert _rows(pg_cluster, name) == template  # rows gone, the template's own back, sequences restarted
    assert pg_cluster.borrow_database() == name  # the next test gets it
    pg_cluster.give_back(name)


@pytest.mark.parametrize(
    "change",
    [
        "DROP TABLE submission_codes CASCADE",
        "ALTER TABLE users ADD COLUMN extra integer",
        "CREATE INDEX extra_index ON users (name)",
        "ALTER DATABASE {name} SET default_transaction_read_only = on",
        "UPDATE alembic_version SET version_num = '0001'",
    ],
)
def test_a_database_whose_shape_a_test_changed_is_dropped_not_reused(pg_cluster, change):
    name = pg_cluster.borrow_database()
    with psycopg.connect(pg_cluster.dsn(name), autocommit=True) as conn:
        conn.execute(change.format(name=name))
    pg_cluster.give_back(name)
    assert name not in _databases(pg_cluster)
    other = pg_cluster.borrow_database()
    assert other != name
    pg_cluster.give_back(other)
