"""An import killed half way through writing leaves the database exactly as
it was before the import, and the database stays sound and usable.

`manage.py import-submissions` runs as a separate process against a populated
database. The test waits until that process is demonstrably writing rows
(SQLite: the write-ahead log has grown past the size of the file's own bytes,
so submission rows are being written; PostgreSQL: its transaction holds the
row lock of an INSERT into `submissions`), then kills it with SIGKILL: no
handler, no rollback, no clean close. A kill that came too late (after the
commit) is not a pass: the process must have died from the signal before
printing its summary, and the content must equal the snapshot taken before.
"""

from __future__ import annotations

import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from data_access.db import Database
from tests.conftest import ROOT
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row
from tests.test_manage import manage

ROWS = 15_000
WAIT_SECONDS = 240  # the machine may be busy; the import itself takes seconds


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.csv"
    path.write_bytes(template_csv([valid_row(100_000 + i) for i in range(ROWS)]))
    return path


def _sqlite_path(db: Database) -> Path:
    return Path(make_url(db.url).database)


def _writing_sqlite(db: Database, file_size: int):
    """True once the import's uncommitted pages reach the write-ahead log:
    beyond the stored copy of the file itself, i.e. the rows are going in."""
    wal = Path(f"{_sqlite_path(db)}-wal")

    def check() -> bool:
        try:
            return wal.stat().st_size > 2 * file_size
        except FileNotFoundError:
            return False

    return check


def _writing_postgres(db: Database, app_name: str):
    """True once the import's transaction holds the lock of an INSERT into submissions."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity a JOIN pg_locks l ON l.pid = a.pid "
        "WHERE a.application_name = :app AND a.backend_xid IS NOT NULL "
        "AND l.relation = 'submissions'::regclass AND l.mode = 'RowExclusiveLock' AND l.granted"
    )

    def check() -> bool:
        with db.engine.connect() as conn:
            return bool(conn.execute(query, {"app": app_name}).scalar())

    return check


def _backend_gone(db: Database, app_name: str) -> None:
    """Wait until the server has noticed the dead client and rolled back."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app")
    deadline = time.monotonic() + 60
    while True:
        with db.engine.connect() as conn:
            if not conn.execute(query, {"app": app_name}).scalar():
                return
        assert time.monotonic() < deadline, "the killed import's server process is still there after 60 s"
        time.sleep(0.05)


def test_an_import_killed_while_writing_leaves_the_database_as_before(populated, tmp_path):
    db = populated
    db_url = db.url
    path = big_file(tmp_path)
    app_name = f"fault-import-{secrets.token_hex(4)}"
    if db.dialect == "sqlite":
        with db.engine.connect() as conn:  # start from an empty write-ahead log
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        writing = _writing_sqlite(db, path.stat().st_size)
    else:
        writing = _writing_postgres(db, app_name)
    before = table_contents(db)
    db.dispose()

    proc = subprocess.Popen(
        [sys.executable, "manage.py", "import-submissions", str(path)],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": db_url,
            "EVIDENCE_MAX_UPLOAD_MB": "50",
            "PGAPPNAME": app_name,  # to find its server process
            "PYTHONUNBUFFERED": "1",  # what it printed is all there when it is killed
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + WAIT_SECONDS
        while not writing():
            assert proc.poll() is None, "the import ended before it was seen writing: make the file bigger"
            assert time.monotonic() < deadline, "the import was not seen writing"
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, out[-500:], err[-500:])
    assert f"file {path.name} (csv" in out  # it had read the file and started
    assert "added" not in out and "import batch" not in out  # ... and never finished

    if db.dialect == "postgresql":
        _backend_gone(db, app_name)
    else:
        with sqlite3.connect(_sqlite_path(db)) as raw:  # opening recovers from the log
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    fresh = Database(db_url)  # new connections work
    try:
        assert table_contents(fresh) == before
        # and nothing is left locked: the next import goes through
        small = tmp_path / "small.csv"
        small.write_bytes(template_csv([valid_row(200_000), valid_row(200_001)]))
        done = manage("import-submissions", str(small), db_url=db_url)
        assert done.returncode == 0, done.stderr
        assert "added 2, updated 0" in done.stdout
        with fresh.read() as session:
            added = session.execute(text("SELECT count(*) FROM submissions")).scalar()
        assert added == len(before["submissions"]) + 2
    finally:
        fresh.dispose()
