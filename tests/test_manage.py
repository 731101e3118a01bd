"""manage.py commands, run as a person would run them."""

import os
import sqlite3
import subprocess
import sys

import pytest

from data_access.db import Database
from data_access.users import get_user_by_username, password_hash_for
from tests.conftest import ROOT


def manage(*args: str, db_url: str, stdin: str | None = None, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
        env={**os.environ, "DATABASE_URL": db_url, **(env or {})},
    )


def test_migrate_on_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = manage("migrate", db_url=url)
    assert result.returncode == 0, result.stderr
    assert "-> 0001" in result.stdout or "-> 0" in result.stdout
    again = manage("migrate", db_url=url)
    assert again.returncode == 0


def test_create_user_reads_the_password_from_stdin_never_an_argument(db_url):
    result = manage(
        "create-user",
        "firstadmin",
        "--name",
        "First Admin",
        "--role",
        "admin",
        db_url=db_url,
        stdin="a-strong-password-1\n",
    )
    assert result.returncode == 0, result.stderr
    assert "created admin firstadmin" in result.stdout
    db = Database(db_url)
    with db.read() as s:
        assert get_user_by_username(s, "firstadmin").role == "admin"
        assert password_hash_for(s, "firstadmin").startswith("$2")
    db.dispose()
    refused = manage("create-user", "x2", "--name", "X", "--role", "admin", "--password", "pw", db_url=db_url)
    assert refused.returncode == 2  # there is no --password option


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (["create-user", "weak", "--name", "W", "--role", "office"], "short\n", "at least 10"),
        (["create-user", "Bad Name", "--name", "W", "--role", "office"], "a-strong-password-1\n", "username"),
    ],
)
def test_create_user_refuses_bad_input_and_changes_nothing(db_url, args, stdin, words):
    result = manage(*args, db_url=db_url, stdin=stdin)
    assert result.returncode == 1
    assert words in result.stderr and "Nothing was changed" in result.stderr
    db = Database(db_url)
    with db.read() as s:
        assert get_user_by_username(s, "weak") is None
    db.dispose()


def test_seed_demo_if_empty_is_idempotent(sqlite_url):
    first = manage("seed-demo", "--if-empty", db_url=sqlite_url)
    assert first.returncode == 0, first.stderr
    assert "300 submissions" in first.stdout
    second = manage("seed-demo", "--if-empty", db_url=sqlite_url)
    assert second.returncode == 0 and "not written" in second.stdout
    third = manage("seed-demo", db_url=sqlite_url)
    assert third.returncode == 1 and "not empty" in third.stderr


def test_backup_makes_a_consistent_copy(sqlite_url, tmp_path):
    manage("seed-demo", db_url=sqlite_url)
    target = tmp_path / "backup.db"
    result = manage("backup", str(target), db_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    source_path = sqlite_url.removeprefix("sqlite:///")
    with sqlite3.connect(source_path) as src, sqlite3.connect(target) as dst:
        for table in ("submissions", "reviews", "review_scores", "audit_log", "users"):
            assert (
                src.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608 - fixed table names
                == dst.execute(f"SELECT count(*) FROM {table}").fetchone()  # noqa: S608
            )
        assert dst.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    refused = manage("backup", str(target), db_url=sqlite_url)
    assert refused.returncode == 1 and "exists" in refused.stderr


def test_demo_info_prints_the_sign_ins(sqlite_url):
    result = manage("demo-info", db_url=sqlite_url)
    assert result.returncode == 0
    assert "admin-demo-pass" in result.stdout and "reviewer1" in result.stdout


def test_an_unreachable_database_gives_a_plain_message(tmp_path):
    result = manage("migrate", db_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr
