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
# What makes a database the template's but for its rows: its schemas, extensions, relations, columns
# and defaults, constraints, indexes, triggers, functions, types, rules, settings, large objects,
# prepared transactions and migration. A test's database that answers otherwise is dropped, not reused.
SHAPE = """SELECT concat_ws(' | ',
  (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace),
  (SELECT string_agg(extname || extversion, ',' ORDER BY extname) FROM pg_extension),
  (SELECT string_agg(c.relname || ':' || c.relkind::text || ':' || c.relpersistence::text, ',' ORDER BY 1)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(a.attrelid::regclass::text || '.' || a.attname || ':' || format_type(a.atttypid, a.atttypmod)
                     || ':' || a.attnotnull || ':' || a.attisdropped || ':' || coalesce(pg_get_expr(d.adbin, d.adrelid), ''),
                     ',' ORDER BY 1)
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND a.attnum > 0),
  (SELECT string_agg(conrelid::regclass::text || '.' || conname || ':' || pg_get_constraintdef(oid), ',' ORDER BY 1)
     FROM pg_constraint WHERE connamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace)),
  (SELECT string_agg(pg_get_indexdef(i.indexrelid), ',' ORDER BY 1) FROM pg_index i
     JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(tgrelid::regclass::text || '.' || tgname || tgenabled::text, ',' ORDER BY 1)
     FROM pg_trigger WHERE NOT tgisinternal),
  (SELECT string_agg(p.oid::regprocedure::text, ',' ORDER BY 1) FROM pg_proc p
     JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(t.typname, ',' ORDER BY 1) FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(schemaname || '.' || tablename || '.' || rulename, ',' ORDER BY 1) FROM pg_rules
     WHERE schemaname <> 'pg_catalog'),
  (SELECT string_agg(array_to_string(setconfig, ','), ';' ORDER BY 1) FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())),
  (SELECT count(*)::text FROM pg_largeobject_metadata),
  (SELECT string_agg(gid, ',' ORDER BY 1) FROM pg_prepared_xacts WHERE database = current_database()),
  (SELECT string_agg(version_num, ',' ORDER BY 1) FROM alembic_version)
)"""
# The tables that have held a row (a table never written has no pages), but the migration's own.
WRITTEN = """SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
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
    _spare: list[str] = field(default_factory=list)  # databases given back, emptied: the template's again
    _template: tuple[str, list[tuple[str, str]], list[tuple[str, int, bool]]] | None = None  # shape, rows, sequences

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

    def _admin(self, sql: str) -> None:
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(sql)

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
            rows = [
                (table, conn.execute(sql.SQL("SELECT json_agg(t)::text FROM {} t").format(_table(table))).fetchone()[0])
                for (table,) in conn.execute(WRITTEN).fetchall()
            ]
            self._template = (shape, rows, conn.execute(SEQUENCES).fetchall())

    def borrow_database(self) -> str:
        """A database equal to the template: one a test gave back (emptied), or a new copy."""
        return self._spare.pop() if self._spare else self.create_database()

    def give_back(self, name: str) -> None:
        """A test is done with `name` (from `borrow_database`): every connection to it is ended (as a
        drop ends them) and, if its shape is still the template's (SHAPE), it is emptied for the next
        test: each table that has held a row truncated, the template's own rows put back, every sequence
        where the template's is. Otherwise, or if anything fails, it is dropped. Emptying takes a
        fraction of a copy's time (a copy writes the whole template, system catalogues included)."""
        assert self._template is not None, "create_template first"
        shape, rows, sequences = self._template
        try:
            with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
                conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                    (name,),
                )
            with psycopg.connect(self.dsn(name)) as conn:
                if conn.execute(SHAPE).fetchone()[0] != shape:
                    raise _Reshaped(name)
                written = [table for (table,) in conn.execute(WRITTEN).fetchall()]
                if written:
                    tables = sql.SQL(", ").join(_table(table) for table in written)
                    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY CASCADE").format(tables))
                for table, content in rows:
                    conn.execute(
                        sql.SQL("INSERT INTO {0} SELECT * FROM json_populate_recordset(NULL::{0}, %s)").format(
                            _table(table)
                        ),
                        (content,),
                    )
                for sequence, value, called in sequences:
                    conn.execute("SELECT setval(%s::regclass, %s, %s)", (sequence, value, called))
            self._spare.append(name)
        except (psycopg.Error, _Reshaped):
            self.drop_database(name)

    def create_database(self, *, from_template: bool = True) -> str:
        name = f"t{os.getpid()}_{next(self._counter)}"
        template = f" TEMPLATE {TEMPLATE}" if from_template else ""
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


class _Reshaped(Exception):
    """A test changed its database's shape (a table dropped, a setting made): it is not reused."""


def _table(qualified: str) -> sql.Composable:
    """A table's name as `regclass::text` gives it (`public.` omitted, quoted where needed), for SQL."""
    return sql.SQL(qualified)


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout.lower()
    except (OSError, subprocess.SubprocessError):
        return False
    return "c.utf8" in out or "c.utf-8" in out
