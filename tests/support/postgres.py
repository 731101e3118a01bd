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
from dataclasses import dataclass
from pathlib import Path

import psycopg

TEMPLATE = "evidence_template"


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


def _has_c_utf8() -> bool:
    try:
        out = subprocess.run(["locale", "-a"], capture_output=True, text=True, timeout=10).stdout.lower()
    except (OSError, subprocess.SubprocessError):
        return False
    return "c.utf8" in out or "c.utf-8" in out
