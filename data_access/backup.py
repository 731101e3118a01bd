"""Online backups of the database (`python manage.py backup FILE`; docs/deploy.md).

The file is made first, empty and readable by its owner alone (folders made
for it: 0700); SQLite's backup API or pg_dump then write into it. A backup
that fails leaves no file behind.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from config.private_files import create_private_file
from data_access.db import Database


class BackupError(Exception):
    """A backup that could not be made (no file is left); the message is for people."""


def backup(db: Database, target: Path) -> str:
    """Copy the database into the new file `target`; one line saying what was written."""
    try:
        create_private_file(target)
    except FileExistsError:
        raise BackupError(f"{target} exists; choose a new file name.") from None
    try:
        return _sqlite_backup(db, target) if db.dialect == "sqlite" else _pg_dump(db, target)
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _sqlite_backup(db: Database, target: Path) -> str:
    source_path = db.engine.url.database
    src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
    dst = sqlite3.connect(target)
    try:
        with dst:
            # All pages in one step, i.e. one read transaction: a consistent
            # moment that (WAL) never blocks the app's writers. In steps, every
            # commit between two steps restarts the copy, and a large database
            # under steady writes may never finish.
            src.backup(dst)
        check = dst.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        src.close()
        dst.close()
    if check != "ok":
        raise BackupError(f"The backup failed its integrity check ({check}).")
    return f"backed up {source_path} to {target} ({target.stat().st_size} bytes, integrity ok)"


def _pg_dump(db: Database, target: Path) -> str:
    if shutil.which("pg_dump") is None:
        raise BackupError("PostgreSQL backups use pg_dump, which is not installed here (see docs/deploy.md).")
    url = db.engine.url.set(drivername="postgresql")
    # The password goes to pg_dump in its environment, never on its command line, where
    # any local user could read it (ps, /proc/<pid>/cmdline).
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
        url = url._replace(password=None)  # (URL.set treats None as "leave it")
    result = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={target}", f"--dbname={url.render_as_string(hide_password=False)}"],
        capture_output=True,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise BackupError(
            "pg_dump failed: " + result.stderr.strip().splitlines()[-1] if result.stderr else "pg_dump failed"
        )
    return f"backed up {db.safe_url} to {target} ({target.stat().st_size} bytes, pg_dump custom format)"
