"""Files holding the call's data or secrets are their owner's alone: the
SQLite database (and its -wal and -shm files), backups and the demo cookie
key are 0600, and the folders the project makes for them 0700, whatever the
umask (these tests run under the usual 022, which leaves files readable by all)."""

import os
import shutil
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from config import load_settings
from data_access.db import Database
from data_access.migrate import upgrade
from tests.conftest import unavailable
from tests.test_manage import manage_process


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_a_new_sqlite_database_its_wal_files_and_the_folders_made_for_it_are_private(tmp_path):
    path = tmp_path / "srv" / "data" / "evidence.db"
    db = Database(f"sqlite:///{path}")
    try:
        upgrade(db)  # a new database is made by `manage.py migrate`; a write unit needs its tables
        with db.write() as s:
            s.execute(text("CREATE TABLE t (x INTEGER)"))
            s.execute(text("INSERT INTO t VALUES (1)"))
        assert mode(path) == 0o600
        for side in ("-wal", "-shm"):
            assert mode(path.with_name(path.name + side)) == 0o600, side
    finally:
        db.dispose()
    assert mode(tmp_path / "srv") == 0o700
    assert mode(tmp_path / "srv" / "data") == 0o700


def test_an_existing_database_readable_by_others_is_narrowed_when_opened(tmp_path, sqlite_template):
    path = tmp_path / "evidence.db"
    shutil.copyfile(sqlite_template, path)
    path.chmod(0o644)
    db = Database(f"sqlite:///{path}")
    try:
        with db.read() as s:
            assert s.execute(text("SELECT 1")).scalar() == 1
    finally:
        db.dispose()
    assert mode(path) == 0o600


def test_backups_are_private_and_so_are_the_folders_made_for_them(db_url, tmp_path):
    if db_url.startswith("postgresql") and shutil.which("pg_dump") is None:
        unavailable("pg_dump is not installed (apt-get install -y postgresql-client)")
    target = tmp_path / "backups" / "nightly" / "evidence.backup"
    # A real `python manage.py` process: the modes are those a process starting under this umask makes.
    result = manage_process("backup", str(target), db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert target.stat().st_size > 0
    assert mode(target) == 0o600
    assert mode(tmp_path / "backups") == 0o700 and mode(tmp_path / "backups" / "nightly") == 0o700
    again = manage_process("backup", str(target), db_url=db_url)
    assert again.returncode == 1 and "exists" in again.stderr
    assert mode(target) == 0o600 and target.stat().st_size > 0


def test_the_demo_cookie_key_and_its_folder_are_private(tmp_path):
    data_dir = tmp_path / "demo-data"
    env = {"EVIDENCE_DEMO": "1", "EVIDENCE_DATA_DIR": str(data_dir)}
    key = load_settings(env, secrets={}, root=tmp_path).cookie_key
    key_file = data_dir / ".demo-cookie-key"
    assert mode(data_dir) == 0o700 and mode(key_file) == 0o600
    key_file.chmod(0o644)  # as an older version, or a copy, may have left it
    assert load_settings(env, secrets={}, root=tmp_path).cookie_key == key
    assert mode(key_file) == 0o600
