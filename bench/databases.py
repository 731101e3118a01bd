"""Fresh, migrated databases for the benchmarks: a SQLite file (WAL) or a
throwaway PostgreSQL cluster (tests/support/postgres.py)."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from data_access.db import Database
from data_access.migrate import upgrade
from tests.support.postgres import PostgresCluster, PostgresUnavailable


@contextlib.contextmanager
def migrated_database(backend: str, workdir: Path) -> Iterator[Database | None]:
    """Yield an empty, migrated database on `backend` ("sqlite" or
    "postgresql"), or None (with a printed reason) when PostgreSQL cannot start."""
    cluster = None
    if backend == "sqlite":
        url = f"sqlite:///{workdir / 'bench.db'}"
    else:
        # A folder of its own under the system's temporary folder, which the
        # server's user (postgres, when run as root) can reach.
        base = Path(tempfile.mkdtemp(prefix="bench-pg-"))
        try:
            cluster = PostgresCluster.start(base)
        except PostgresUnavailable as exc:
            print(f"backend=postgresql skipped: {exc}", flush=True)
            shutil.rmtree(base, ignore_errors=True)
            yield None
            return
        url = cluster.url(cluster.create_database(from_template=False))
    db = Database(url)
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        if cluster is not None:
            cluster.stop()
            shutil.rmtree(base, ignore_errors=True)
