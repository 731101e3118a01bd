#!/usr/bin/env python
"""Command-line administration of the evidence-review app.

    python manage.py migrate                 bring the database schema up to date
    python manage.py check-config            validate settings and config/call.toml
    python manage.py create-user NAME ...    add a user: an admin's password is prompted or read from stdin; office
                                             and reviewers get a one-time link (--password-stdin: a password)
    python manage.py set-password NAME       set a user's password (prompted or read from stdin); signs them out
    python manage.py invite NAME             queue an invitation: a one-time link for a user to set their password
    python manage.py seed-demo [--if-empty]  write the synthetic demo call
    python manage.py demo-info               print the demo sign-ins
    python manage.py backup FILE             online backup (SQLite's backup API, or pg_dump on PostgreSQL)
    python manage.py erase-submission REF --reason R   erase one submission everywhere
    python manage.py purge-expired [--dry-run]          remove contact details after the retention period,
                                             expired sign-in sessions, old throttle rows, used or expired one-time links
    python manage.py export-presenters --line-up NAME --out FILE
                                             the presenter list CSV of a saved line-up
    python manage.py send-queued             send the outbox's due messages (SMTP settings: docs/settings.md)
    python manage.py send-reminders          queue a reminder (after the deadline: an overdue notice), once a day
    python manage.py attach REF FILE [FILE ...]
                                             attach evidence documents to one submission, all or nothing
    python manage.py import-submissions FILE [--sheet NAME] [--header-row N] [--mapping FILE|NAME]
                                             [--accept-suggestions] [--key COLUMN] [--fix ROW:COLUMN=VALUE ...]
                                             [--dry-run] [--attachments ZIP] [--acknowledge]
                                             import a CSV or XLSX file of submissions (and a ZIP of their
                                             documents), all or nothing; --acknowledge: receipts
    python manage.py mappings list | show NAME
                                             the mappings saved on the Import page; show: as a mapping file

Every command first checks the settings and the call's configuration and stops
with a message naming the file, key and problem if either is broken.
Exit status: 0 on success, 1 on bad input or a failed check, 2 on usage errors.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from access.roles import Role
from config import CallConfig, ConfigError, Settings, load_call_config, load_settings
from data_access.db import Database, describe_operational_error, is_database_unavailable
from importing import terminal
from importing.terminal import printable as _printable


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
    if s.smtp_host:
        login = f", login as {s.smtp_username} (password {'set' if s.smtp_password else 'MISSING'})"
        print(
            f"mail: SMTP {s.smtp_host}:{s.smtp_port_or_default} ({s.smtp_security})"
            + (login if s.smtp_username else ", no login")
            + f"; from {s.mail_from}; at most {s.mail_max_attempts} tries"
        )
    else:
        print("mail: no SMTP server set; messages wait in the outbox (downloadable as .eml files or a CSV)")
    return 0


def _create_user_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("username")
    p.add_argument("--name", required=True, help="the person's full name")
    p.add_argument("--role", required=True, choices=list(Role))
    p.add_argument("--email")
    p.add_argument("--organisation", help="reviewers: used to avoid same-organisation conflicts")
    p.add_argument("--capacity", type=int, help="reviewers: most submissions to review")
    p.add_argument("--password-stdin", action="store_true", help="office, reviewers: a password now (as for an admin)")


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Repeat the password: ") != first:
            raise CommandError("The two passwords differ; nothing was changed.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


@command("create-user", "add a user: an admin's password is prompted or read from stdin; others get a one-time link")
@arguments(_create_user_args)
def cmd_create_user(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import account_links, users

    password = _read_password() if args.role == Role.ADMIN or args.password_stdin else None
    fields = {k: getattr(args, k) for k in ("username", "name", "role", "email", "organisation", "capacity")}
    try:
        lines = account_links.create_user_command(
            ctx.db, settings=ctx.settings, config=ctx.config, password=password, **fields
        )
    except users.UserError as exc:
        raise CommandError(f"{exc} Nothing was changed.") from None
    print("\n".join(lines))
    return 0


@command("set-password", "set a user's password (prompted, or read from standard input); ends their sign-ins")
@arguments(lambda p: p.add_argument("username"))
def cmd_set_password(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import users

    with ctx.db.read() as session:
        user = users.get_user_by_username(session, args.username)
    if user is None:
        raise CommandError(f"There is no user {args.username!r}; nothing was changed.")
    password = _read_password()
    try:
        password_hash = users.hash_password(
            password, username=user.username, rounds=ctx.settings.bcrypt_rounds, demo_mode=ctx.settings.demo_mode
        )
        with ctx.db.write() as session:
            users.set_password(session, user_id=user.id, password_hash=password_hash, actor="manage.py")
    except users.UserError as exc:
        raise CommandError(f"{exc} Nothing was changed.") from None
    print(f"set the password of {user.username}; their existing sign-ins have ended")
    return 0


@command("invite", "queue an invitation: a one-time link for a user without a password to set their own")
@arguments(lambda p: p.add_argument("username"))
def cmd_invite(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import tokens

    ok, line = tokens.invite_username(ctx.db, username=args.username, settings=ctx.settings, config=ctx.config)
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


@command("seed-demo", "write the synthetic demo call into an empty database")
@arguments(lambda p: p.add_argument("--if-empty", action="store_true", help="do nothing if the database has data"))
def cmd_seed_demo(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import demo, submissions, users

    if not ctx.settings.demo_mode:
        raise CommandError(
            "The demo call's accounts have published passwords, so seed-demo runs only in demo mode "
            "(EVIDENCE_DEMO=1, as `make run` sets it); nothing was written."
        )
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


@command("backup", "online backup of the database to a file")
@arguments(lambda p: p.add_argument("target", type=Path, help="file to write (must not exist)"))
def cmd_backup(ctx: Context, args: argparse.Namespace) -> int:
    from data_access.backup import BackupError, backup

    try:
        print(backup(ctx.db, args.target))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    return 0


def _export_presenters_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--line-up", required=True, metavar="NAME", help="the saved line-up's name")
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="new file, or folder for the usual name")


@command("export-presenters", "write the presenter list CSV of a saved line-up (audit-logged)")
@arguments(_export_presenters_args)
def cmd_export_presenters(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import exports

    try:
        table, target = exports.write_presenter_list(
            ctx.db, config=ctx.config, line_up=args.line_up, out=args.out, actor="manage.py"
        )
    except exports.ExportRefused as exc:
        raise CommandError(str(exc)) from None
    for note in table.notes:
        print(f"warning: {note}", file=sys.stderr)
    detail = table.detail
    print(f"wrote {len(table.rows)} presenters of {detail['line_up']!r} (version {detail['version']}) to {target}")
    return 0


def _briefing_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, type=Path, metavar="FILE", help="new file, or folder for the usual name")
    p.add_argument("--format", choices=("pdf", "html"), default="pdf", help="PDF (default) or one HTML file")
    p.add_argument("--line-up", metavar="NAME", help="a saved line-up (default: the one signed off last)")
    p.add_argument("--sections", nargs="+", metavar="S", help="intake gap_map strongest line_up panel methods")
    p.add_argument("--reviewed-only", action="store_true", help="count reviewed submissions only")
    p.add_argument("--final", action="store_true", help="final: no DRAFT watermark")


@command("briefing", "write the Commissioner's briefing as PDF or HTML (audit-logged)")
@arguments(_briefing_args)
def cmd_briefing(ctx: Context, args: argparse.Namespace) -> int:
    from data_access.briefing_files import BriefingError, BriefingOptions, write_briefing

    try:
        file, target = write_briefing(ctx.db, ctx.config, BriefingOptions.of(args), fmt=args.format, out=args.out)
    except BriefingError as exc:
        raise CommandError(str(exc)) from None
    print(f"wrote the {'final' if args.final else 'draft'} briefing ({len(file.content)} bytes) to {target}")
    return 0


def _import_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("file", type=Path, help="a CSV or XLSX file")
    p.add_argument("--sheet", help="the workbook's sheet to read (default: the first)")
    p.add_argument("--header-row", type=int, metavar="N", help="the row of the column names (default: found, printed)")
    p.add_argument(
        "--mapping",
        help="a mapping file (JSON, docs/importing.md) or the name of a mapping saved on the Import page "
        "(default: proposed from the file)",
    )
    p.add_argument(
        "--accept-suggestions",
        action="store_true",
        help="map each value that names no code to its confident suggestion (each is listed), as the Import "
        'page\'s "Accept all suggestions" does',
    )
    fix = "read VALUE for a cell (the file unchanged; COLUMN: header, template column or letter); repeatable"
    p.add_argument("--fix", action="append", default=[], metavar="ROW:COLUMN=VALUE", help=fix)
    p.add_argument(
        "--key",
        help="the source key's column (the form's response ID): rows update the submissions "
        "their key made, new keys add (default: the mapping's, or guessed from the file)",
    )
    p.add_argument("--dry-run", action="store_true", help="check the file and say what it would do; write nothing")
    p.add_argument("--problems-csv", type=Path, help="also write the problem table to this CSV file")
    p.add_argument("--attachments", type=Path, help="a ZIP of documents for the rows (docs/importing.md)")
    p.add_argument("--acknowledge", action="store_true", help="queue an acknowledgement to each new contributor")


@command("import-submissions", "import submissions from a CSV or XLSX file: the whole file, or nothing")
@arguments(_import_args)
def cmd_import_submissions(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import notify
    from importing.corrections import CorrectionRefused, corrections_from_fixes, refused_lines
    from importing.reading import header_row_words

    path: Path = args.file
    acknowledged: list[str] = []  # what the acknowledgements did (--acknowledge)
    max_bytes = ctx.settings.max_upload_bytes
    content, table = _read_import_file(path, args.sheet, max_bytes, ctx.settings.import_limits, args.header_row)
    print(f"header row: {header_row_words(table, picked=args.header_row is not None, how='give --header-row N')}")
    mapping, mapping_name = _import_mapping(ctx, args.mapping, table)
    mapping.key = args.key or mapping.key
    print("\n".join(terminal.mapping_lines(path.name, table, mapping)))
    if args.accept_suggestions:
        _accept_suggestions(ctx, table, mapping)
    try:
        corrections = corrections_from_fixes(args.fix, table, mapping, by="manage.py")
    except CorrectionRefused as exc:
        raise CommandError(f"--fix: {_printable(str(exc))}") from None
    print("".join(f"  corrected {_printable(c.describe())}\n" for c in corrections), end="")
    common = {
        "content": content,
        "filename": path.name,
        "mapping": mapping,
        "config": ctx.config,
        "max_bytes": max_bytes,
        "sheet": table.sheet,
        "limits": ctx.settings.import_limits,
        "header_row": args.header_row,
        "corrections": corrections,
        "after": notify.acknowledger(ctx.config, "manage.py", acknowledged) if args.acknowledge else None,
    }
    plan, result, report = _run_import(ctx, args, common, mapping_name)
    if args.problems_csv and plan.problems:
        from importing import problems_csv

        args.problems_csv.write_bytes(problems_csv(plan.problems))
    if not plan.ok:
        print("".join(f"{_printable(line)}\n" for line in refused_lines(plan)), end="")
        _refuse_with_problems(plan, args.problems_csv)
    print("\n" + "\n".join(terminal.plan_lines(plan, dry_run=args.dry_run)))
    _print_attachments(report, done=result is not None)
    if result is None:
        print("dry run: nothing was written")
    elif result.batch_id is None:
        print("nothing was written: every row is already stored as it is in this file")
    else:
        print(f"import batch {result.batch_id}, sha256 {result.sha256}")
    print("".join(f"{_printable(line)}\n" for line in acknowledged), end="")
    return 0


def _read_import_file(path: Path, sheet: str | None, max_bytes: int, limits, header_row: int | None = None):
    """The file's bytes and its parsed table; a refused file stops the command."""
    from importing import ImportRefused, check_size, read_table

    if not path.is_file():
        raise CommandError(f"{path} does not exist or is not a file.")
    try:
        check_size(path.stat().st_size, max_bytes)
        content = path.read_bytes()
        table = read_table(content, path.name, max_bytes=max_bytes, sheet=sheet, limits=limits, header_row=header_row)
    except ImportRefused as exc:
        raise CommandError(f"{exc} Nothing was imported.") from None
    return content, table


def _import_mapping(ctx: Context, given: str | None, table):
    """(mapping, the name recorded with the import): a mapping file, a saved
    mapping called `given`, or, without one, a mapping proposed from the file."""
    from data_access import imports
    from importing import propose_mapping
    from importing.mapping_file import MappingFileError, load_mapping

    if not given:
        mapping = propose_mapping(table, ctx.config)
        print("mapping proposed from the file's headers and contents:")
        return mapping, None
    path = Path(given)
    if path.is_file():
        try:
            mapping = load_mapping(path.read_bytes(), ctx.config, source=path.name, headers=table.headers)
        except MappingFileError as exc:
            raise CommandError(f"{terminal.printable_lines(str(exc))}\nNothing was imported.") from None
        print(f"mapping file {_printable(path.name)}:")
        return mapping, f"file {path.name}"[:200]
    with ctx.db.read() as session:
        saved = imports.list_mappings(session)
    if given not in saved:
        known = ", ".join(_printable(n) for n in saved) or "none yet"
        raise CommandError(
            f"--mapping {_printable(given)!r} is neither a mapping file (there is no file at that path) nor a "
            f"mapping saved on the Import page (saved mappings: {known})."
        )
    print(f"mapping {_printable(given)!r}:")
    return saved[given], given


def _accept_suggestions(ctx: Context, table, mapping) -> None:
    """Map each value with a confident suggestion to it, and list each (`--accept-suggestions`)."""
    from importing import FIELDS_BY_NAME, unmatched_values
    from importing.mapping import accept_suggestions

    unmatched = unmatched_values(table, mapping, ctx.config)
    accepted = accept_suggestions(mapping, unmatched)
    print(f"accepted {len(accepted)} suggestion{'s' if len(accepted) != 1 else ''}:")
    for item in accepted:
        field = FIELDS_BY_NAME[item.field].label
        code = item.confident if item.field == "anonymous" else ctx.config.vocabulary(item.field).label(item.confident)
        cells = f"{item.count} cell{'s' if item.count != 1 else ''}"
        print(f"  {field}: {_printable(item.value, 60)!r} -> {code} ({cells}; {item.why})")
    unsure = len(unmatched) - len(accepted)
    if unsure:
        print(f"  left as they are: {unsure} value{'s' if unsure != 1 else ''} with no sure suggestion")


def _run_import(ctx: Context, args: argparse.Namespace, common: dict, mapping_name: str | None):
    """(plan, result, documents report): a dry run's plan and no result, or
    the import's; a file with problems gives its plan and no result."""
    from data_access import import_attachments as attachments
    from data_access.notify import NotifyError
    from documents.errors import DocumentRefused
    from importing import ImportRefused

    if args.attachments is not None and not args.attachments.is_file():
        raise CommandError(f"{args.attachments} does not exist or is not a file; nothing was imported.")
    try:
        return attachments.run_import(
            ctx.db, **common, bundle_path=args.attachments, dry_run=args.dry_run, mapping_name=mapping_name,
            document_limits=ctx.settings.document_limits, actor="manage.py",
        )  # fmt: skip
    except (ImportRefused, NotifyError) as exc:
        raise CommandError(f"{exc} Nothing was imported.") from None
    except DocumentRefused as exc:
        raise CommandError(f"{args.attachments.name}: {exc.message} Nothing was imported.") from None
    except attachments.AttachmentsRefused as exc:
        _print_attachments(exc.report, done=False)
        raise CommandError(str(exc)) from None


def _print_attachments(report, *, done: bool) -> None:
    from documents.bundle_reader import report_lines

    for line in report_lines(report, done=done) if report is not None else ():
        print(_printable(line))


def _refuse_with_problems(plan, problems_csv: Path | None) -> None:
    """Print the problem table and stop: nothing was imported."""
    print("\n" + "\n".join(terminal.problem_lines(plan)))
    raise CommandError(
        f"{len(plan.problems)} problem{'s' if len(plan.problems) != 1 else ''} in "
        f"{plan.counts['rows_with_problems']} row{'s' if plan.counts['rows_with_problems'] != 1 else ''}; "
        "nothing was imported." + (f" The problem table is in {problems_csv}." if problems_csv else "")
    )


def _mappings_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("action", choices=("list", "show"), help="list the saved mappings, or show one as a mapping file")
    p.add_argument("name", nargs="?", help="the saved mapping to show")


@command("mappings", "the column mappings saved on the Import page: list them, or show one as a mapping file")
@arguments(_mappings_args)
def cmd_mappings(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import imports
    from importing.mapping_file import dump_mapping

    with ctx.db.read() as session:
        saved = imports.list_mappings(session)
    if args.action == "list":
        if not saved:
            print("no mappings saved yet (save one on the Import page)")
        for name, mapping in saved.items():
            values = sum(len(v) for v in mapping.values.values())
            print(f"{_printable(name)}: {len(mapping.columns)} columns, {values} value mappings")
        return 0
    if not args.name:
        raise CommandError("Name the mapping to show: manage.py mappings show NAME (manage.py mappings list).")
    if args.name not in saved:
        known = ", ".join(_printable(n) for n in saved) or "none yet"
        raise CommandError(f"There is no saved mapping called {_printable(args.name)!r} (saved mappings: {known}).")
    print(dump_mapping(saved[args.name], name=args.name), end="")
    return 0


def _erase_args(p: argparse.ArgumentParser) -> None:
    from data_access.privacy import ERASURE_REASONS

    p.add_argument("reference", help="the submission's reference, e.g. CFE-0042")
    p.add_argument("--reason", required=True, choices=list(ERASURE_REASONS), help="why it is erased")
    p.add_argument("--yes", action="store_true", help="do not ask for confirmation")


@command("erase-submission", "erase one submission everywhere (reviews, files, audit details); cannot be undone")
@arguments(_erase_args)
def cmd_erase_submission(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import privacy
    from data_access.submissions import submission_id_for_reference

    with ctx.db.read() as session:
        submission_id = submission_id_for_reference(session, args.reference)
    if submission_id is None:
        raise CommandError(f"There is no submission {args.reference!r}; nothing was erased.")
    if not args.yes:
        if not sys.stdin.isatty():
            raise CommandError("Add --yes to erase without a question; nothing was erased.")
        if input(f"Type {args.reference} to erase it for good: ").strip() != args.reference:
            raise CommandError("Not confirmed; nothing was erased.")
    try:
        with ctx.db.write() as session:
            report = privacy.erase_submission(
                session, submission_id=submission_id, actor="manage.py", reason=args.reason
            )
    except privacy.ErasureError as exc:
        raise CommandError(f"{exc} Nothing was erased.") from None
    print(
        f"erased {report.reference}: {report.reviews} reviews, {report.assignments} assignments, "
        f"{report.conflicts} conflicts, {report.line_up_places} line-up places, "
        f"{report.import_files_emptied} stored import files emptied, {report.messages} messages deleted, "
        f"{report.documents} documents deleted, "
        f"{report.audit_entries_redacted} audit entries stripped of its details"
    )
    return 0


@command("purge-expired", "remove contact details past the retention period, expired sign-ins and one-time links")
@arguments(lambda p: p.add_argument("--dry-run", action="store_true", help="say what would be removed; change nothing"))
def cmd_purge_expired(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import housekeeping

    lines = housekeeping.purge_expired(
        ctx.db, config=ctx.config, settings=ctx.settings, actor="manage.py", dry_run=args.dry_run
    )
    print("\n".join(lines))
    return 0


@command("send-queued", "send the outbox's due messages through the SMTP server (for a scheduler)")
@arguments(lambda p: p.add_argument("--batch-size", type=int, default=100, help="messages per SMTP connection"))
def cmd_send_queued(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import delivery

    if args.batch_size < 1:
        raise CommandError("--batch-size must be at least 1; nothing was sent.")
    try:
        report = delivery.send_due(ctx.db, ctx.settings, batch_size=args.batch_size, actor="manage.py")
    except delivery.DeliveryError as exc:
        raise CommandError(f"{exc} Nothing was sent.") from None
    print(
        f"sent {report.sent} messages; {report.failed} failed"
        + (f" ({report.gave_up} had their last try and stay failed)" if report.gave_up else "")
    )
    for message_id, reason in report.failures:
        print(f"  message {message_id}: {_printable(reason, 200)}")
    return 0


@command("send-reminders", "queue a reminder (an overdue notice after the deadline) to reviewers with unfinished work")
def cmd_send_reminders(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import notify

    try:
        with ctx.db.write() as session:
            report = notify.queue_reminders(
                session, config=ctx.config, base_url=ctx.settings.public_url, actor="manage.py"
            )
    except notify.NotifyError as exc:
        raise CommandError(str(exc)) from None
    print("\n".join(_printable(line) for line in report.lines()))
    return 0


def _attach_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("reference", help="the submission's reference, e.g. CFE-0042")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="the documents (PDF, DOCX, PPTX, ...)")


@command("attach", "attach evidence documents to one submission: every file given, or none")
@arguments(_attach_args)
def cmd_attach(ctx: Context, args: argparse.Namespace) -> int:
    from data_access import documents, privacy
    from data_access.errors import AccessDenied
    from data_access.submissions import submission_id_for_reference
    from documents.errors import DocumentRefused

    ref = _printable(args.reference, 64)
    with ctx.db.read() as session:
        if (submission_id := submission_id_for_reference(session, args.reference)) is None:
            erased = privacy.was_erased(session, reference=args.reference)
            why = f"Submission {ref} was erased" if erased else f"There is no submission {ref!r}"
            raise CommandError(f"{why}; nothing was attached.")
    try:
        with ctx.db.write() as session:
            stored = documents.attach_files(
                session, submission_id=submission_id, paths=args.files, limits=ctx.settings.document_limits
            )
    except DocumentRefused as exc:
        raise CommandError(f"{_printable(exc.message)} Nothing was attached.") from None
    except AccessDenied as exc:  # erased between the look-up and the attach
        raise CommandError(str(exc)) from None
    for info in stored:
        removed = "; ".join(info.removed or ()) or "no identifying metadata found"
        print(
            f"attached {_printable(info.original_name, 200)} to {ref} as {info.label}, {info.size:,} bytes; "
            f"removed from the reviewers' copy: {removed}" + (f"\n  note: {info.text_note}" if info.text_note else "")
        )
    print(documents.BODY_WARNING)
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
    except DBAPIError as exc:
        if not is_database_unavailable(exc):
            raise
        print(f"error: {describe_operational_error(exc)}", file=sys.stderr)
        return 1
    finally:
        if ctx._db is not None:
            ctx._db.dispose()


if __name__ == "__main__":
    sys.exit(main())
