#!/usr/bin/env python
"""Command-line administration of the evidence-review app.

    python manage.py migrate                 bring the database schema up to date
    python manage.py check-config            validate settings and config/call.toml
    python manage.py create-user NAME ...    add a user (password prompted or read from stdin)
    python manage.py seed-demo [--if-empty]  write the synthetic demo call
    python manage.py demo-info               print the demo sign-ins
    python manage.py backup FILE             online backup of the SQLite database
    python manage.py export-presenters --line-up NAME --out FILE
                                             the presenter list CSV of a saved line-up

Every command first checks the settings and the call's configuration and stops
with a message naming the file, key and problem if either is broken.
Exit status: 0 on success, 1 on bad input or a failed check, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import getpass
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import OperationalError

from config import CallConfig, ConfigError, Settings, load_call_config, load_settings
from data_access.db import Database, describe_operational_error


class CommandError(Exception):
    """A failure to report in one line, with exit status 1."""


class Context:
    def __init__(self, settings: Settings, config: CallConfig) -> None:
        self.settings = settings
        self.config = config
        self._db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db


COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[Context, argparse.Namespace], int]]] = {}


def command(name: str, help_text: str):
    def register(fn):
        COMMANDS[name] = (fn.arguments if hasattr(fn, "arguments") else (lambda p: None), fn)
        fn.help_text = help_text
        return fn

    return register


def arguments(setup: Callable[[argparse.ArgumentParser], None]):
    def wrap(fn):
        fn.arguments = setup
        return fn

    return wrap


# --- commands ---------------------------------------------------------------


@command("migrate", "bring the database schema up to date")
def cmd_migrate(ctx: Context, args: argparse.Namespace) -> int:
    from data_access.migrate import current_revision, head_revision, upgrade

    before = current_revision(ctx.db)
    upgrade(ctx.db)
    after = current_revision(ctx.db)
    print(f"database {ctx.db.safe_url}: schema {before or 'empty'} -> {after} (head {head_revision(ctx.db)})")
    return 0


@command("check-config", "validate the settings and the call's configuration")
def cmd_check_config(ctx: Context, args: argparse.Namespace) -> int:
    c = ctx.config
    print(f"configuration {c.path}: OK")
    print(f"  call {c.call_id}: {c.title}")
    print(
        f"  {sum(len(v.codes) for v in c.vocabularies.values())} codes in {len(c.vocabularies)} vocabularies; "
        f"criteria {', '.join(c.criterion_ids)} weighted {c.weights}"
    )
    print(
        f"  {c.reviewers_per_submission} reviewers per submission; blind review {'on' if c.blind_review else 'off'}; "
        f"{c.selection.slots} presenter slots"
    )
    s = ctx.settings
    print(
        f"settings: database {Database(s.database_url).safe_url if s.database_url else '?'}; "
        f"demo mode {'on' if s.demo_mode else 'off'}; cookie key from {s.cookie_key_source}"
    )
    return 0


def _create_user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("username")
    p.add_argument("--name", required=True, help="the person's full name")
    p.add_argument("--role", required=True, choices=["admin", "office", "reviewer"])
    p.add_argument("--email")
    p.add_argument("--organisation", help="reviewers: used to avoid same-organisation conflicts")
    p.add_argument("--capacity", type=int, help="reviewers: most submissions to review")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise CommandError("The two passwords differ; nothing was changed.")
        return first
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@command("create-user", "add a user; the password is prompted, or read from standard input")
@arguments(_create_user_args)
def cmd_create_user(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import users

    password = _read_password()
    try:
        password_hash = users.hash_password(password, rounds=ctx.settings.bcrypt_rounds)
        with ctx.db.write() as session:
            record = users.create_user(
                session,
                username=args.username,
                name=args.name,
                role=args.role,
                password_hash=password_hash,
                email=args.email,
                organisation=args.organisation,
                capacity=args.capacity,
                actor="manage.py",
            )
    except users.UserError as exc:
        raise CommandError(f"{exc} Nothing was changed.") from None
    print(f"created {record.role} {record.username} ({record.name})")
    return 0


def _seed_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--if-empty", action="store_true", help="do nothing (successfully) if the database has data")


@command("seed-demo", "write the synthetic demo call into an empty database")
@arguments(_seed_args)
def cmd_seed_demo(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import demo, submissions, users

    with ctx.db.read() as session:
        empty = not users.count_users(session) and not submissions.count_submissions(session)
    if not empty:
        if args.if_empty:
            print("the database already has data; the demo call was not written")
            return 0
        raise CommandError("The database is not empty; the demo call is only written into an empty one.")
    counts = demo.seed_demo(ctx.db, config=ctx.config, bcrypt_rounds=ctx.settings.bcrypt_rounds)
    print("demo call written: " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    return 0


@command("demo-info", "print the demo call's sign-ins")
def cmd_demo_info(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import demo

    print("Demo sign-ins (synthetic demo call only):")
    for role, username, password in demo.demo_sign_ins():
        print(f"  {role:<9} {username:<10} {password}")
    return 0


def _backup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", type=Path, help="file to write (must not exist)")


@command("backup", "online backup of the database to a file")
@arguments(_backup_args)
def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    target: Path = args.target
    if target.exists():
        raise CommandError(f"{target} exists; choose a new file name.")
    db = ctx.db
    if db.dialect == "sqlite":
        source_path = db.engine.url.database
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=15)
        dst = sqlite3.connect(target)
        try:
            with dst:
                src.backup(dst, pages=1024)
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            src.close()
            dst.close()
        if check != "ok":
            raise CommandError(f"The backup failed its integrity check ({check}).")
        print(f"backed up {source_path} to {target} ({target.stat().st_size} bytes, integrity ok)")
        return 0
    if shutil.which("pg_dump") is None:
        raise CommandError("PostgreSQL backups use pg_dump, which is not installed here (see docs/deploy.md).")
    url = db.engine.url.set(drivername="postgresql")
    result = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={target}", f"--dbname={url.render_as_string(hide_password=False)}"],
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise CommandError(
            "pg_dump failed: " + result.stderr.strip().splitlines()[-1] if result.stderr else "pg_dump failed"
        )
    print(f"backed up {db.safe_url} to {target} ({target.stat().st_size} bytes, pg_dump custom format)")
    return 0


def _export_presenters_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--line-up", required=True, metavar="NAME", help="the saved line-up's name")
    p.add_argument(
        "--out",
        required=True,
        type=Path,
        metavar="FILE",
        help="file to write (must not exist); a folder gets the usual name with the call and the date",
    )


@command("export-presenters", "write the presenter list CSV of a saved line-up (audit-logged)")
@arguments(_export_presenters_args)
def cmd_export_presenters(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import exports, lineups

    with ctx.db.read() as session:
        line_up_id = lineups.line_up_id_for_name(session, args.line_up)
        if line_up_id is None:
            names = [s.name for s in lineups.list_line_ups(session)]
            known = f" Saved line-ups: {', '.join(names)}." if names else " No line-up has been saved yet."
            raise CommandError(f"There is no saved line-up called {args.line_up!r}.{known}")
    target: Path = args.out
    written: Path | None = None
    try:
        # One unit of work: the file is written and its audit entry committed together; if the
        # commit fails, the file is removed again, so no export leaves without its entry.
        with ctx.db.write() as session:
            scores = lineups.current_scores(session, config=ctx.config)
            table = exports.presenter_list(session, config=ctx.config, line_up_id=line_up_id, scores=scores)
            if target.is_dir():
                target = target / table.filename
            content = table.to_csv()
            try:
                with target.open("xb") as handle:
                    written = target
                    handle.write(content)
            except FileExistsError:
                raise CommandError(f"{target} exists; choose a new file name.") from None
            except OSError as exc:
                raise CommandError(f"Cannot write {target}: {exc.strerror}.") from None
            exports.record_export(
                session, actor="manage.py", table=table, content=content, via=f"manage.py export-presenters {target}"
            )
    except BaseException:
        if written is not None:
            written.unlink(missing_ok=True)
        raise
    for note in table.notes:
        print(f"warning: {note}", file=sys.stderr)
    detail = table.detail
    print(f"wrote {len(table.rows)} presenters of {detail['line_up']!r} (version {detail['version']}) to {target}")
    return 0


# --- entry point ------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="manage.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (setup, fn) in COMMANDS.items():
        p = sub.add_parser(name, help=fn.help_text, description=fn.help_text)
        setup(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        config = load_call_config(settings.call_config)
    except ConfigError as exc:
        print(f"error: cannot start: {exc}", file=sys.stderr)
        return 1
    ctx = Context(settings, config)
    try:
        return COMMANDS[args.command][1](ctx, args)
    except CommandError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OperationalError as exc:
        print(f"error: {describe_operational_error(exc)}", file=sys.stderr)
        return 1
    finally:
        if ctx._db is not None:
            ctx._db.dispose()


if __name__ == "__main__":
    sys.exit(main())
