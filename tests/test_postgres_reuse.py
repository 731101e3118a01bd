"""The tests' PostgreSQL databases are reused (tests/support/postgres.py): a database a test gives back
is renamed (its old URL finds nothing), emptied to the migrated template's state and handed to a later
test, or dropped if the test changed its shape."""

from __future__ import annotations

import psycopg
import pytest

from data_access.db import Database
from tests.factories import make_submission, make_user
from tests.support.postgres import TEMPLATE, PostgresCluster

pytestmark = pytest.mark.postgres


def _rows(cluster: PostgresCluster, name: str) -> dict[str, list]:
    """Every public table's rows, sorted, every sequence's state and every table's size on disk."""
    with psycopg.connect(cluster.dsn(name)) as conn:
        tables = [t for (t,) in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")]
        found = {t: sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"').fetchall())) for t in tables}  # noqa: S608
        found["sequences"] = conn.execute("SELECT sequencename, last_value FROM pg_sequences ORDER BY 1").fetchall()
        # The pages each table holds: a table emptied holds none (its rows then laid out as in a fresh copy).
        found["pages"] = conn.execute(
            "SELECT tablename, pg_relation_size(format('%I', tablename)) FROM pg_tables WHERE schemaname = 'public'"
            " ORDER BY 1"
        ).fetchall()
    return found


def _databases(cluster: PostgresCluster) -> set[str]:
    with psycopg.connect(cluster.dsn("postgres")) as conn:
        return {name for (name,) in conn.execute("SELECT datname FROM pg_database")}


def _fill(cluster: PostgresCluster, name: str, call_config) -> None:
    db = Database(cluster.url(name))
    with db.write() as s:
        make_user(s, role="admin")
        make_submission(s, call_config)
    db.dispose()


def test_a_database_given_back_is_the_templates_again_under_a_new_name_for_the_next_tests(pg_cluster, call_config):
    template = _rows(pg_cluster, TEMPLATE)
    name = pg_cluster.create_database()  # a fresh copy, whatever the pool holds
    seen = {name}
    for _ in range(3):  # again and again: a database emptied once must match the template after the next test too
        _fill(pg_cluster, name, call_config)
        assert _rows(pg_cluster, name) != template
        with psycopg.connect(pg_cluster.dsn(name)) as held:  # still open, as a test's server or thread may leave one
            held.execute("SELECT 1")
            pg_cluster.give_back(name)
            with pytest.raises(psycopg.OperationalError):
                held.execute("SELECT 1")  # ended, as a drop would end it
        with pytest.raises(psycopg.OperationalError, match="does not exist"):
            psycopg.connect(pg_cluster.dsn(name))  # the old URL finds nothing: not the next test's data
        assert name not in _databases(pg_cluster)
        name = pg_cluster.borrow_database()  # the next test gets the one given back, renamed
        assert name not in seen
        assert name in _databases(pg_cluster)
        seen.add(name)
        assert _rows(pg_cluster, name) == template  # rows gone, the template's own back, sequences restarted
    pg_cluster.give_back(name)
    assert not [row for row in pg_cluster.dropped if row[0] in seen]


@pytest.mark.parametrize(
    "change",
    [
        "DROP TABLE submission_codes CASCADE",
        "ALTER TABLE users ADD COLUMN extra integer",
        "CREATE INDEX extra_index ON users (name)",
        "ALTER DATABASE {name} SET default_transaction_read_only = on",
        "UPDATE alembic_version SET version_num = '0001'",
        "CREATE FUNCTION extra() RETURNS integer LANGUAGE sql AS 'SELECT 1'",
    ],
)
def test_a_database_whose_shape_a_test_changed_is_dropped_not_reused(pg_cluster, change):
    name = pg_cluster.borrow_database()
    with psycopg.connect(pg_cluster.dsn(name), autocommit=True) as conn:
        conn.execute(change.format(name=name))
    before = _databases(pg_cluster)
    pg_cluster.give_back(name)
    assert pg_cluster.dropped[-1][0] == name
    assert _databases(pg_cluster) == before - {name}  # dropped, and nothing renamed left behind
    other = pg_cluster.borrow_database()
    assert other != name
    pg_cluster.give_back(other)


def test_a_temporary_table_left_by_a_test_is_gone_from_the_next_one(pg_cluster):
    """A temporary table ends with its connection (which give_back ends); the empty pg_temp schema
    PostgreSQL keeps does not stop the reuse."""
    name = pg_cluster.borrow_database()
    with psycopg.connect(pg_cluster.dsn(name), autocommit=True) as conn:
        conn.execute("CREATE TEMPORARY TABLE scratch (x integer)")
        pg_cluster.give_back(name)
    assert not [row for row in pg_cluster.dropped if row[0] == name]
    reused = pg_cluster.borrow_database()
    with psycopg.connect(pg_cluster.dsn(reused)) as conn:
        assert not conn.execute("SELECT relname FROM pg_class WHERE relname = 'scratch'").fetchall()
    pg_cluster.give_back(reused)
