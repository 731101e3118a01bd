"""manage.py commands, run as a person would run them.

`manage` (tests.support.cli) runs `manage.main` in this process, as a shell would
see it (argv, stdin, stdout and stderr apart, the environment, the exit status);
the tests of every tests/test_manage_*.py module and others use it, since a real
`python manage.py` costs a fresh interpreter's imports (about 2 s of CPU) a call.
`manage_process` is the real process, kept where the process itself is the
point: here, the entry point and its exit statuses (0; 2 for a usage error; 1 for
bad input, with no traceback) and a password read from a real standard input;
elsewhere, the modes of the files a process makes (tests/test_private_files.py)
and a backup taken beside the savers' process (tests/faults/test_online_backup.py;
tests/faults/test_killed_import.py starts and kills its own). The last tests here
check that both runs of the same commands print and exit the same, and that a run
in this process leaves the process as it was.
"""

import os
import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import text

from data_access.db import Database
from data_access.demo import seed_demo
from data_access.migrate import is_up_to_date
from data_access.users import get_user_by_username, password_hash_for
from tests.conftest import ROOT, unavailable
from tests.support.cli import manage, manage_process

DEMO_MODE = {"EVIDENCE_DEMO": "1"}
__all__ = ["DEMO_MODE", "manage", "manage_process"]  # for the other modules' `from tests.test_manage import manage`


def test_migrate_on_an_empty_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    result = manage_process("migrate", db_url=url)
    assert result.returncode == 0, result.stderr
    assert "-> 0001" in result.stdout or "-> 0" in result.stdout
    again = manage("migrate", db_url=url)
    assert again.returncode == 0


def test_create_user_reads_the_password_from_stdin_never_an_argument(db_url):
    result = manage_process(
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
    # In this process: a usage error's status (2) is the real process's (the parity test below).
    refused = manage("create-user", "x2", "--name", "X", "--role", "admin", "--password", "pw", db_url=db_url)
    assert refused.returncode == 2  # there is no --password option


@pytest.mark.parametrize(
    ("args", "stdin", "words"),
    [
        (["create-user", "weak", "--name", "W", "--role", "office", "--password-stdin"], "short\n", "at least 12"),
        (
            ["create-user", "Bad Name", "--name", "W", "--role", "office", "--password-stdin"],
            "a-strong-password-1\n",
            "username",
        ),
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
    first = manage("seed-demo", "--if-empty", db_url=sqlite_url, env=DEMO_MODE)
    assert first.returncode == 0, first.stderr
    assert "300 submissions" in first.stdout
    second = manage("seed-demo", "--if-empty", db_url=sqlite_url, env=DEMO_MODE)
    assert second.returncode == 0 and "not written" in second.stdout
    third = manage("seed-demo", db_url=sqlite_url, env=DEMO_MODE)
    assert third.returncode == 1 and "not empty" in third.stderr


def _seed_small_demo(url: str, call_config) -> None:
    """A small demo call written in this process: the backup tests are about the copy, not the seeding."""
    db = Database(url)
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=40)
    db.dispose()


def test_backup_makes_a_consistent_copy(sqlite_url, call_config, tmp_path):
    _seed_small_demo(sqlite_url, call_config)
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
    result = manage_process("migrate", db_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert result.returncode == 1
    assert "cannot be reached" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
def test_a_postgresql_backup_restores_into_a_new_database(pg_cluster, call_config, tmp_path):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        unavailable("pg_dump and pg_restore are not installed (apt-get install -y postgresql-client)")
    name = pg_cluster.create_database()
    url = pg_cluster.url(name)
    _seed_small_demo(url, call_config)
    target = tmp_path / "evidence.dump"
    result = manage("backup", str(target), db_url=url)
    assert result.returncode == 0, result.stderr
    assert "pg_dump custom format" in result.stdout

    # Restore as docs/deploy.md says: into a new, empty database, then point the app at it.
    restored = pg_cluster.create_database(from_template=False)
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={pg_cluster.dsn(restored)}", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    tables = ("submissions", "submission_codes", "reviews", "review_scores", "audit_log", "users", "alembic_version")
    counts = {}
    for database in (name, restored):
        db = Database(pg_cluster.url(database))
        with db.read() as s:
            counts[database] = [s.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in tables]  # noqa: S608
        db.dispose()
    assert counts[restored] == counts[name] and counts[name][0] > 0
    restored_db = Database(pg_cluster.url(restored))
    assert is_up_to_date(restored_db)  # the app starts on it without a migration
    restored_db.dispose()
    pg_cluster.drop_database(restored)
    pg_cluster.drop_database(name)


def test_a_postgresql_backup_keeps_the_password_off_the_command_line(tmp_path):
    # A stand-in pg_dump on PATH that notes what it was given (the real one would need a server).
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "pg_dump"
    fake.write_text(
        '#!/bin/sh\nprintf "%s\\n" "$@" > "$NOTES/args"\nprintf "%s" "$PGPASSWORD" > "$NOTES/password"\n'
        'for a in "$@"; do case "$a" in --file=*) : > "${a#--file=}";; esac; done\n'
    )
    fake.chmod(0o755)
    target = tmp_path / "evidence.dump"
    result = manage(
        "backup",
        str(target),
        db_url="postgresql+psycopg://evidence:s3cret-Pa55@db.internal:5432/evidence",
        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "NOTES": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    args = (tmp_path / "args").read_text()
    assert "s3cret-Pa55" not in args
    assert "--dbname=postgresql://evidence@db.internal:5432/evidence" in args.splitlines()
    assert (tmp_path / "password").read_text() == "s3cret-Pa55"
    assert "s3cret-Pa55" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("check-config",),  # 0, the settings as read from the environment given
        ("mappings", "show", "nothing-saved"),  # bad input: 1, a message on stderr
        ("create-user", "someone", "--role", "admin"),  # a usage error: 2, argparse's message
    ],
    ids=["check-config", "bad-input", "usage-error"],
)
def test_in_this_process_a_command_prints_and_exits_as_the_real_process_does(sqlite_url, args):
    env = {"EVIDENCE_PUBLIC_URL": "https://evidence.example.org"}
    real = manage_process(*args, db_url=sqlite_url, env=env)
    here = manage(*args, db_url=sqlite_url, env=env)
    assert (here.returncode, here.stdout, here.stderr) == (real.returncode, real.stdout, real.stderr)
    assert real.stdout or real.stderr  # something was compared


def test_a_command_in_this_process_leaves_the_process_as_it_was(sqlite_url, tmp_path, monkeypatch):
    import logging
    import sys
    import warnings

    monkeypatch.chdir(tmp_path)  # the call runs in the project folder, as the real process does, and comes back
    before = (dict(os.environ), os.getcwd(), sys.argv, sys.stdin, sys.stdout, sys.stderr, warnings.filters[:])
    handlers = logging.getLogger().handlers[:]
    demo = manage("check-config", db_url=sqlite_url, env={"EVIDENCE_DEMO": "1"})
    assert demo.returncode == 0, demo.stderr
    assert "demo mode on" in demo.stdout
    plain = manage("check-config", db_url=sqlite_url)
    assert "demo mode off" in plain.stdout  # the first call's environment did not stay
    assert (dict(os.environ), os.getcwd(), sys.argv, sys.stdin, sys.stdout, sys.stderr, warnings.filters) == before
    assert logging.getLogger().handlers == handlers
    assert "DATABASE_URL" not in os.environ


def test_in_this_process_what_a_command_logs_warns_or_raises_is_on_stderr(sqlite_url, monkeypatch):
    import logging
    import sys
    import warnings

    import manage as manage_py

    def noisy(ctx, args) -> int:
        assert not sys.stdin.isatty() and sys.stdin.read() == "typed\n"
        assert (os.getcwd(), sys.argv[0]) == (str(ROOT), "manage.py")  # as `cd ROOT; python manage.py ...`
        sys.stdout.buffer.write(b"bytes out\n")
        logging.getLogger("evidence_review").warning("a logged warning")
        logging.getLogger("evidence_review").info("an INFO line (not shown: nothing configures logging)")
        warnings.warn("a warned warning", UserWarning, stacklevel=1)
        warnings.warn("a deprecation (not shown outside __main__)", DeprecationWarning, stacklevel=1)
        if args.command == "demo-info":
            raise RuntimeError("not caught by manage.main")
        return 3

    noisy.help_text = "a command that logs, warns and may raise"  # type: ignore[attr-defined]
    monkeypatch.setitem(manage_py.COMMANDS, "demo-info", (lambda p: None, noisy))
    monkeypatch.setitem(manage_py.COMMANDS, "check-config", (lambda p: None, noisy))
    quiet = manage("check-config", db_url=sqlite_url, stdin="typed\n")
    assert (quiet.returncode, quiet.stdout) == (3, "bytes out\n"), quiet.stderr
    assert "a logged warning\n" in quiet.stderr and "UserWarning: a warned warning" in quiet.stderr
    assert "INFO" not in quiet.stderr and "deprecation" not in quiet.stderr and "Traceback" not in quiet.stderr
    raised = manage("demo-info", db_url=sqlite_url, stdin="typed\n")
    assert raised.returncode == 1
    assert raised.stderr.startswith("a logged warning\n") and "Traceback (most recent call last):" in raised.stderr
    assert raised.stderr.endswith("RuntimeError: not caught by manage.main\n")
