"""A throwaway PostgreSQL cluster for the tests and benchmarks.

`initdb` into a temporary folder, `pg_ctl start` on a free port with a private
socket folder, trust authentication on 127.0.0.1 only, durability switched off
(it is thrown away). As root, the server runs as the `postgres` user (initdb
refuses root), in a folder that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg import sql

TEMPLATE = "evidence_template"
# A database a test gave back is reused only if it still answers this as the template does: its
# schemas (a backend's own pg_temp_N/pg_toast_temp_N left aside: PostgreSQL keeps them once made,
# empty), extensions, relations (temporary ones included), columns and defaults, constraints,
# indexes, triggers, functions, types, rules, settings, large objects, prepared transactions and
# migration. Anything else (a test that migrated, dropped, altered or set something) and it is
# dropped instead.
_OWN = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"  # {own} below
_PARTS = [
    "SELECT nspname FROM pg_namespace WHERE nspname !~ '^pg_(toast_)?temp_[0-9]+$'",
    "SELECT extname || extversion FROM pg_extension",
    "SELECT n.nspname || '.' || c.relname || ':' || c.relkind::text || ':' || c.relpersistence::text"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {own}",
    "SELECT a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)"
    " || ':' || a.attnotnull || ':' || a.attisdropped || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')"
    " FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace"
    " LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE {own} AND a.attnum > 0",
    "SELECT conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid) FROM pg_constraint"
    " WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)",
    "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {own}",
    "SELECT tgrelid::regclass::text || '.' || tgname || tgenabled::text FROM pg_trigger WHERE NOT tgisinternal",
    "SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {own}",
    "SELECT n.nspname || '.' || t.typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {own}",
    "SELECT schemaname || '.' || tablename || '.' || rulename FROM pg_rules WHERE schemaname <> 'pg_catalog'",
    "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting"
    " WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())",
    "SELECT count(*)::text FROM pg_largeobject_metadata",
    "SELECT gid FROM pg_prepared_xacts WHERE database = current_database()",
    "SELECT version_num FROM alembic_version",
]
# Each part's values sorted by their text: an aggregate's `ORDER BY 1` would sort by the constant 1,
# i.e. in the catalogue's physical order, which a TRUNCATE changes (it rewrites the table's pg_class
# row): the databases the pool emptied once then never matched again (why branch `speed` cf90d8d
# dropped a database its test expected back).
_AGGREGATE = "(SELECT string_agg(v, ',' ORDER BY v) FROM ({}) AS s (v))"
SHAPE = "SELECT concat_ws(' | ', {})".format(", ".join(_AGGREGATE.format(part.format(own=_OWN)) for part in _PARTS))
# The app's tables that may hold a row: every one that has had a page written (an empty table never
# written has none), but the migration's own.
WRITTEN = """SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname = 'public' AND c.relname <> 'alembic_version'
    AND pg_relation_size(c.oid) > 0 ORDER BY 1"""
SEQUENCES = """SELECT format('%I.%I', schemaname, sequencename), coalesce(last_value, start_value), last_value IS NOT NULL
  FROM pg_sequences ORDER BY 1"""


class PostgresUnavailable(Exception):
    pass


def find_bindir() -> Path:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), reverse=True)
    if candidates:
        return Path(candidates[0]).parent
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise PostgresUnavailable("initdb not found (apt-get install -y postgresql)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PostgresCluster:
    bindir: Path
    datadir: Path
    port: int
    run_as: str | None
    _counter: itertools.count
    # Databases given back and emptied, under names no test has seen; and the template's
    # (shape, rows of each table that has any, sequences), read once by create_template.
    _spare: list[str] = field(default_factory=list)
    _template: tuple[str, list[tuple[str, str]], list[tuple[str, int, bool]]] | None = None
    # Why a database given back was dropped rather than reused (expected: a test changed its shape).
    dropped: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def start(cls, base: Path) -> PostgresCluster:
        """Start a cluster in `base`, a fresh folder whose parents the server's
        user can traverse (e.g. from tempfile.mkdtemp under /tmp)."""
        bindir = find_bindir()
        run_as = None
        base = Path(base)
        if os.geteuid() == 0:
            run_as = "postgres"
            try:
                shutil.chown(base, user=run_as)
            except (LookupError, OSError) as exc:
                raise PostgresUnavailable(f"cannot prepare a folder for the postgres user: {exc}") from exc
        datadir = base / "data"
        sockdir = base / "sock"
        cluster = cls(bindir, datadir, free_port(), run_as, itertools.count(1))
        cluster._run("mkdir", "-p", str(sockdir), binary=False)
        cluster._run(
            "initdb",
            "-D",
            str(datadir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--locale=C.UTF-8" if _has_c_utf8() else "--locale=C",
            "--no-sync",
        )
        options = (
            f"-p {cluster.port} -k {sockdir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            "-c shared_buffers=64MB"
        )
        cluster._run(
            "pg_ctl", "-D", str(datadir), "-o", options, "-l", str(base / "server.log"), "-w", "-t", "60", "start"
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with psycopg.connect(cluster.dsn("postgres"), connect_timeout=2):
                    break
            except psycopg.OperationalError as exc:
                if time.monotonic() > deadline:
                    raise PostgresUnavailable(f"the server did not accept connections: {exc}") from exc
                time.sleep(0.2)
        return cluster

    def _run(self, program: str, *args: str, binary: bool = True) -> None:
        exe = str(self.bindir / program) if binary else program
        cmd = [exe, *args]
        if self.run_as:
            cmd = ["runuser", "-u", self.run_as, "--", *cmd]
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise PostgresUnavailable(f"{program} failed: {(result.stderr or result.stdout).strip()[-500:]}")

    def dsn(self, dbname: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=postgres dbname={dbname}"

    def url(self, dbname: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{dbname}"

    def _admin(self, statement: str | sql.Composable) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(statement)

    def create_template(self) -> None:
        """A migrated database that each test database is copied from."""
        from data_access.db import Database
        from data_access.migrate import upgrade

        self._admin(f"CREATE DATABASE {TEMPLATE}")
        db = Database(self.url(TEMPLATE))
        upgrade(db)
        db.dispose()
        with psycopg.connect(self.dsn(TEMPLATE), autocommit=True) as conn:
            shape = conn.execute(SHAPE).fetchone()[0]
            rows = []
            for (table,) in conn.execute(WRITTEN).fetchall():
                query = sql.SQL("SELECT json_agg(t)::text FROM {} t").format(sql.SQL(table))
                rows.append((table, conn.execute(query).fetchone()[0]))
            self._template = (shape, rows, conn.execute(SEQUENCES).fetchall())

    def borrow_database(self) -> str:
        """A database equal to the migrated template, under a name no test has used: one a test gave
        back (`give_back`), or a new copy."""
        return self._spare.pop() if self._spare else self.create_database()

    def give_back(self, name: str) -> None:
        """A test is done with `name` (from `borrow_database`). As a drop would, its connections are
        refused and ended and its name is gone: it is renamed to a new one, so that anything still
        holding the old URL (a server, a thread, a cached engine) finds no database, never the next
        test's. Then, if its shape is still the template's (SHAPE), it is emptied back to the
        template's rows and sequences for the next test; otherwise, or if any step fails, dropped.
        This costs a fraction of a CREATE DATABASE ... TEMPLATE copy and a DROP (`_empty`: ~10 ms)."""
        assert self._template is not None, "create_template first"
        shape, rows, sequences = self._template
        current = name
        try:
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as admin:
                _close(admin, name)
                current = self._new_name()
                admin.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(*map(sql.Identifier, (name, current))))
                admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS true").format(sql.Identifier(current)))
            with psycopg.connect(self.dsn(current), autocommit=True) as conn:
                found = conn.execute(SHAPE).fetchone()[0]
                if found != shape:
                    raise _NotReused(_difference(shape, found))
                _empty(conn, {table for (table,) in conn.execute(WRITTEN).fetchall()} | {table for table, _ in rows})
            with psycopg.connect(self.dsn(current)) as conn:
                for table, content in rows:
                    insert = sql.SQL("INSERT INTO {0} SELECT * FROM json_populate_recordset(NULL::{0}, %s)")
                    conn.execute(insert.format(sql.SQL(table)), (content,))
                if sequences:
                    names, values, called = zip(*sequences, strict=True)
                    conn.execute(
                        "SELECT setval(s::regclass, v, c) FROM unnest(%s::text[], %s::bigint[], %s::boolean[]) AS t (s, v, c)",
                        (list(names), list(values), list(called)),
                    )
            self._spare.append(current)
        except (psycopg.Error, _NotReused) as exc:
            self.dropped.append((name, f"{type(exc).__name__}: {exc}"))
            self.drop_database(name)
            if current != name:
                self.drop_database(current)

    def _new_name(self) -> str:
        return f"t{os.getpid()}_{next(self._counter)}"

    def create_database(self, *, from_template: bool = True, template_name: str = TEMPLATE) -> str:
        """A new database: a copy of `template_name` (the migrated template unless named), or empty."""
        name = self._new_name()
        template = f" TEMPLATE {template_name}" if from_template else ""
        for attempt in range(20):
            try:
                self._admin(f"CREATE DATABASE {name}{template}")
                return name
            except psycopg.errors.ObjectInUse:
                # "source database is being accessed by other users": a
                # connection to the template is still closing; try again.
                time.sleep(0.1 * (attempt + 1))
        raise PostgresUnavailable(f"could not copy the template database into {name}")

    def drop_database(self, name: str) -> None:
        self._admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def stop(self) -> None:
        with contextlib.suppress(PostgresUnavailable):
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")


def _close(admin: psycopg.Connection, name: str) -> None:
    """Refuse new connections to `name` and end its open ones (waiting for each to end)."""
    admin.execute(sql.SQL("ALTER DATABASE {} ALLOW_CONNECTIONS false").format(sql.Identifier(name)))
    query = (
        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
    )
    for _ in range(50):
        if not admin.execute(query, (name,)).fetchall():
            return
        time.sleep(0.1)
    raise _NotReused("its connections did not end")


def _empty(conn: psycopg.Connection, tables: set[str]) -> None:
    """Empty `tables` (every one that may hold a row) back to a fresh copy's state, on an autocommit
    connection: each DELETEd in one transaction with no trigger or foreign-key check firing
    (`session_replication_role = replica`: every table holding a row is emptied, in any order), then
    VACUUMed, which removes the dead rows and gives the table's pages back (a table emptied to its end
    is truncated to none: the next test's rows are laid out, and read back unordered, as in a fresh
    copy). What VACUUM could not give back is TRUNCATEd as before. A TRUNCATE ... CASCADE of the same
    tables rewrites every table referring to them (all of them, through users): 60-120 ms a test, this
    ~10 ms."""
    if not tables:
        return
    with conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        for table in sorted(tables):
            conn.execute(sql.SQL("DELETE FROM {}").format(sql.SQL(table)))
    for table in sorted(tables):
        conn.execute(sql.SQL("VACUUM {}").format(sql.SQL(table)))
    left = [table for (table,) in conn.execute(WRITTEN).fetchall()]
    if left:
        conn.execute(sql.SQL("TRUNCATE {} CASCADE").format(sql.SQL(", ").join(sql.SQL(table) for table in left)))


class _NotReused(Exception):
    """A database given back is dropped, not reused: the reason."""


def _difference(expected: str, found: str) -> str:
    """The first part of SHAPE where `found` differs from `expected`, for the record."""
    for want, got in zip(expected.split(" | "), found.split(" | "), strict=False):
        if want != got:
            extra = sorted(set(got.split(",")) - set(want.split(",")))[:3]
            missing = sorted(set(want.split(",")) - set(got.split(",")))[:3]
            return f"shape differs: new {extra}, gone {missing}"
    return "shape differs"


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout.lower()
    except (OSError, subprocess.SubprocessError):
        return False
    return "c.utf8" in out or "c.utf-8" in out
