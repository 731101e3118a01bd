"""One `Database` object owns the engine and hands out units of work.

    db = Database(url)
    with db.write() as session:      # one user action, committed on success
        save_review(session, ...)
    with db.read() as session:        # reading only; never committed
        rows = list_submissions(session)

Functions in `data_access/` take the session and never commit; whoever opens the
unit of work owns it.

SQLite: WAL journal, a busy timeout, foreign keys on, and write units begun with
`BEGIN IMMEDIATE`, so that two writers queue for the lock instead of one of them
failing or losing work half way. Within one process (the Streamlit server runs
every session as a thread) write units also take a process-wide lock first, so
that they wait their turn in order instead of polling SQLite's busy handler,
whose growing sleeps made a burst of simultaneous saves slow. PostgreSQL: psycopg 3, pooled connections with
pre-ping; concurrent edits of one row are caught by version columns.

The data version: a write unit that changed data people share adds one to the
`data_version` row just before it commits, in the same transaction, so caches
keyed by it (`audit.data_version`) are fresh whatever the unit wrote, and a
unit that wrote only bookkeeping (sign-in records, detail-view marks, autosaved
review input, audit
entries of actions that change no data: a view, a download, a refusal) or was
rolled back leaves them be. What counts is watched on the
connection (`after_cursor_execute`), so ORM flushes, bulk `update()`/`delete()`
and Core statements on `session.connection()` are all seen; an UPDATE or
DELETE that matched no row changed nothing. `UPDATE ... SET version = version
+ 1` takes the row's lock, so two concurrent writers on PostgreSQL both count.
A statement may say which it is with `.execution_options(shared_data=...)`:
`audit.record_many` says True when one of its entries is of an action that
changes data (`audit_actions`), and the time of a sign-in, a bookkeeping column
of a shared table, says False.

Per table, too: the same unit adds one to the `table_versions` row of every
table whose rows it may have changed (the tables its statements wrote, and
those their foreign keys' ON DELETE/ON UPDATE actions change: deleting a
submission changes its reviews; `ROWS_CHANGED_WITH`), "*" for a statement whose
table cannot be told. A cache of data read from a few tables is keyed by their
numbers (`audit.tables_version`), so a reviewer's save leaves a cache of the
submissions' codes be.

Errors keep what was written out of their text: every engine is made with
`hide_parameters=True`, so an error's text (and SQLAlchemy's statement log)
never carries the bound values (a presenter's access needs, a reply note, a
password or token hash). PostgreSQL itself repeats values in an error's DETAIL
("Failing row contains (...)", "Key (token_hash)=(...)"), and in the message of
a data exception (SQLSTATE class 22: "invalid input syntax ...: \"...\""), so the
project's logger (`evidence_review`) carries `RedactDatabaseErrors`: a record
with a database error in its exception chain is logged with a traceback whose
messages are the error's first line (or only its SQLSTATE for class 22) and its
SQL, never a value.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import traceback
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Engine, Executable, create_engine, event, insert, text, update
from sqlalchemy.engine import CursorResult, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from config.private_files import create_private_file, make_private_dir, restrict_file
from data_access.models import Base, DataVersion, TableVersion

SQLITE_BUSY_TIMEOUT_MS = 15_000


# Tables of bookkeeping rather than shared data: writing them leaves the data version be.
# `review_autosaves` is one reviewer's unsaved input (ui.autosave): nobody else reads it, so
# keeping it as they type never empties the office's caches.
BOOKKEEPING_TABLES = frozenset(
    {
        "audit_log",
        "auth_sessions",
        "login_throttle",
        "submission_views",
        "review_autosaves",
        "data_version",
        "table_versions",
    }
)
UNKNOWN_TABLE = "*"  # `table_versions`' row for writes whose table cannot be told (a WITH ... statement)
_DML = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.IGNORECASE)
_VERB = re.compile(r"\s*(\w+)")
_CTE_DML = re.compile(r"\s*WITH\b.*\b(?:INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)
_CHANGED = "data_access.shared_data_changed"  # in the connection's info while its transaction changed data
_TABLES = "data_access.tables_written"  # the tables the transaction's statements wrote (a set)
_BUMP = update(DataVersion).where(DataVersion.id == 1).values(version=DataVersion.version + 1)


def _rows_changed_with(metadata, action: str) -> dict[str, frozenset[str]]:
    """Per table, the tables whose rows a DELETE (`action` "ondelete") or an UPDATE ("onupdate") of it may
    change too: itself, and (transitively) those whose foreign keys to it say CASCADE, SET NULL or SET
    DEFAULT for that action (the database changes those rows without a statement of theirs: deleting a
    submission deletes its reviews and their scores)."""
    follows: dict[str, set[str]] = {name: set() for name in metadata.tables}
    for table in metadata.tables.values():
        for fk in table.foreign_keys:
            if (getattr(fk, action) or "").upper() in {"CASCADE", "SET NULL", "SET DEFAULT"}:
                follows.setdefault(fk.column.table.name, set()).add(table.name)
    closure = {}
    for name in follows:
        seen, todo = {name}, [name]
        while todo:
            for child in follows.get(todo.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    todo.append(child)
        closure[name] = frozenset(seen)
    return closure


# What a statement on a table may change besides it, by the statement's verb (an INSERT changes only its table).
ROWS_CHANGED_WITH = {
    "DELETE": _rows_changed_with(Base.metadata, "ondelete"),
    "UPDATE": _rows_changed_with(Base.metadata, "onupdate"),
}


_RETURNING = re.compile(r"\bRETURNING\b", re.IGNORECASE)


def _may_have_touched_rows(statement: str, rowcount: int) -> bool:
    """SQLite reports 0 rows for a statement with RETURNING until its rows are
    read (after this hook), so such a statement may have touched rows."""
    return rowcount != 0 or bool(_RETURNING.search(statement))


def changes_shared_data(statement: str, rowcount: int) -> bool:
    """Whether a statement that ran (its SQL, the rows it touched) changed data people share."""
    if not _may_have_touched_rows(statement, rowcount):
        return False
    if match := _DML.match(statement):
        return match.group(1).lower() not in BOOKKEEPING_TABLES
    return bool(_CTE_DML.match(statement))


def tables_changed(statement: str) -> frozenset[str]:
    """The tables whose rows an INSERT, UPDATE or DELETE may change (lower case): its own, and those its
    foreign keys' actions change (`ROWS_CHANGED_WITH`); `UNKNOWN_TABLE` for a WITH ... statement."""
    match = _DML.match(statement)
    if not match:
        return frozenset({UNKNOWN_TABLE})
    table = match.group(1).lower()
    verb = _VERB.match(statement)
    follows = ROWS_CHANGED_WITH.get(verb.group(1).upper() if verb else "", {})
    return follows.get(table, frozenset({table}))


def _after_execute(conn, cursor, statement, _parameters, context, _executemany) -> None:
    # A statement may say what it is (`.execution_options(shared_data=...)`); otherwise its table says.
    said = context.execution_options.get("shared_data") if context is not None else None
    if said is False:
        return
    if (
        changes_shared_data(statement, cursor.rowcount)
        if said is None
        else _may_have_touched_rows(statement, cursor.rowcount)
    ):
        conn.info[_CHANGED] = True
        conn.info.setdefault(_TABLES, set()).update(tables_changed(statement))


def _forget(conn) -> None:
    conn.info.pop(_CHANGED, None)
    conn.info.pop(_TABLES, None)


def _watch_changes(engine: Engine) -> None:
    """Mark a connection's transaction when one of its statements changes shared data (once per engine)."""
    if not event.contains(engine, "after_cursor_execute", _after_execute):
        event.listen(engine, "after_cursor_execute", _after_execute)
        for name in ("begin", "commit", "rollback"):
            event.listen(engine, name, _forget)


class DatabaseUnavailable(Exception):
    """The database cannot be reached or written; a plain message for people."""


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's events issue BEGIN themselves (pysqlite's own
        # transaction handling would defer it and break BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        mode = cursor.execute("PRAGMA journal_mode").fetchone()[0]
        if mode != "wal" and mode != "memory":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")


def _private_sqlite_file(path: Path) -> None:
    """Create the database file with mode 0600 (SQLite gives its -wal and -shm
    files the same mode), or narrow an existing one of ours to 0600. A file
    that cannot be made here is left to SQLite, which reports the problem."""
    try:
        create_private_file(path)
        return
    except (FileExistsError, PermissionError):
        pass
    for existing in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
        restrict_file(existing)


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A plain path gets its folder made; a URI (`file:...?mode=ro&uri=true`) names an existing file.
        # The file and the folders made for it are its owner's alone (config.private_files).
        private_file = None
        if parsed.database and parsed.database != ":memory:" and not parsed.query.get("uri"):
            private_file = Path(parsed.database)
            make_private_dir(private_file.parent)
        engine = create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_pre_ping=False,
        )
        _configure_sqlite(engine)
        if private_file is not None:
            # Before each connection: SQLite would create a missing file with the umask's mode.
            event.listen(engine, "do_connect", lambda *_args: _private_sqlite_file(private_file))
        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(
            url,
            echo=echo,
            hide_parameters=True,
            pool_pre_ping=True,
            pool_size=10,
            max_overflow=20,
            connect_args={"connect_timeout": 5},
        )
    raise ValueError(
        f"unsupported database URL {parsed.render_as_string(hide_password=True)}: "
        "use sqlite:///path or postgresql+psycopg://..."
    )


class Database:
    """The engine and the two kinds of unit of work (read, write)."""

    def __init__(self, url: str, *, engine: Engine | None = None) -> None:
        self.url = url
        self.engine = engine or create_db_engine(url)
        self.dialect = self.engine.dialect.name
        _watch_changes(self.engine)
        write_engine = self.engine
        if self.dialect == "sqlite":
            write_engine = self.engine.execution_options(sqlite_begin="IMMEDIATE")
        self._read_factory = sessionmaker(bind=self.engine, expire_on_commit=False, autoflush=True)
        self._write_factory = sessionmaker(bind=write_engine, expire_on_commit=False, autoflush=True)
        # SQLite has one writer at a time anyway; queue this process's writers here.
        self._write_lock = threading.RLock() if self.dialect == "sqlite" else contextlib.nullcontext()

    @property
    def safe_url(self) -> str:
        return make_url(self.url).render_as_string(hide_password=True)

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A write unit: committed when the block ends, rolled back on error."""
        with self._write_lock:
            session = self._write_factory()
            try:
                yield session
                _bump_if_changed(session)
                session.commit()
            except BaseException:
                session.rollback()
                raise
            finally:
                session.close()

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        """A read unit: never committed, so nothing can be written by accident."""
        session = self._read_factory()
        try:
            yield session
        finally:
            session.rollback()
            session.close()

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read unit whose statements all see one committed state (two reads that must agree: a frame and the
        key it is cached under, `ui.scores`). SQLite's read transaction is one already (WAL: the state of its
        first read); PostgreSQL's default, READ COMMITTED, gives each statement its own, so this unit runs at
        REPEATABLE READ (set before its first statement; the pool puts the connection's default back)."""
        with self.read() as session:
            if self.dialect == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def ping(self) -> None:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except OperationalError as exc:
            raise DatabaseUnavailable(describe_operational_error(exc)) from exc

    def dispose(self) -> None:
        self.engine.dispose()


def _bump_if_changed(session: Session) -> None:
    """Add one to the data version if this unit of work changed shared data (see the module's notes)."""
    session.flush()
    if session.get_transaction() is None:
        return
    connection = session.connection()
    tables = connection.info.pop(_TABLES, set())
    if connection.info.pop(_CHANGED, False):
        connection.execute(_BUMP)  # first: it takes the one row's lock, so the rows below are written in turn
        _bump_tables(session, tables)


def _bump_tables(session: Session, tables: set[str]) -> None:
    """Add one to the `table_versions` row of every table whose rows the unit may have changed (`tables`),
    inserting a row at a table's first write. Units that change data take the `data_version` row's lock first
    (above), so two of them never insert the same row at once; the rows are taken in order."""
    for name in sorted(tables):
        bump = update(TableVersion).where(TableVersion.table_name == name).values(version=TableVersion.version + 1)
        if not rows_matched(session, bump.execution_options(synchronize_session=False)):
            session.execute(insert(TableVersion).values(table_name=name, version=1))


# PostgreSQL's SQLSTATE for a write in a read-only transaction (a standby, or a
# database switched to read-only); psycopg raises it as an InternalError.
READ_ONLY_SQLSTATE = "25006"


def is_database_unavailable(exc: BaseException) -> bool:
    """Whether `exc` means the database cannot be reached or written at the
    moment (a condition to tell people about), rather than a bug."""
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) == READ_ONLY_SQLSTATE


def describe_operational_error(exc: BaseException) -> str:
    """A sentence for people, without SQL, paths or passwords (pages add what
    happened to the person's input: `ui.errors`)."""
    message = str(getattr(exc, "orig", exc)).lower()
    if "readonly" in message or "read-only" in message or "read only" in message:
        return "The database is read-only at the moment, so nothing can be saved."
    if "locked" in message or "busy" in message:
        return "The database is busy, so nothing was saved; try again in a moment."
    if "disk" in message and "full" in message:
        return "The database's disk is full, so nothing can be saved. Tell the call's administrator."
    return "The database cannot be reached at the moment, so nothing was saved."


def rows_matched(
    session: Session, statement: Executable, params: Sequence[Mapping[str, Any]] | Mapping[str, Any] | None = None
) -> int:
    """Run an UPDATE or DELETE in the session (once, or once per set of
    `params`) and return how many rows its WHERE matched.

    `Session.execute` is typed as returning a `Result`; for an UPDATE or DELETE
    it is a `CursorResult`, the only kind that carries `rowcount`."""
    return cast(CursorResult[Any], session.execute(statement, params)).rowcount


def _is_driver_error(exc: BaseException) -> bool:
    """Whether `exc` is a database driver's own exception (PEP 249 names them `Error`)."""
    return type(exc).__module__.split(".")[0] in {"psycopg", "sqlite3"}


def _driver_message(orig: BaseException) -> str:
    """A driver error's first line without values: PostgreSQL's DETAIL lines dropped, and a data
    exception (SQLSTATE class 22, whose message quotes the value refused) said by its SQLSTATE only."""
    sqlstate = getattr(orig, "sqlstate", None)
    if sqlstate and sqlstate.startswith("22"):
        return f"data exception (SQLSTATE {sqlstate}; the value is not logged)"
    lines = str(orig).splitlines()
    first = lines[0] if lines else ""
    return f"{first} (SQLSTATE {sqlstate})" if sqlstate else first


def redacted_error_text(exc: BaseException) -> str:
    """What a database error says, without any value it carried (see the module's notes)."""
    if isinstance(exc, StatementError):
        orig = exc.orig
        said = _driver_message(orig) if orig is not None else exc.args[0].splitlines()[0]
        kind = f"{type(orig).__module__}.{type(orig).__name__}" if orig is not None else "no driver error"
        return f"({kind}) {said} [SQL: {exc.statement}]"
    if _is_driver_error(exc):
        return _driver_message(exc)
    return str(exc)


def _chain(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__ else current.__context__)
    return chain[::-1]


def _carries_database_error(exc: BaseException) -> bool:
    return any(isinstance(e, StatementError) or _is_driver_error(e) for e in _chain(exc))


def redacted_traceback(exc: BaseException) -> str:
    """A traceback like Python's, each exception's message redacted by `redacted_error_text`."""
    parts = []
    for e in _chain(exc):
        frames = "".join(traceback.format_tb(e.__traceback__))
        module = type(e).__module__
        name = type(e).__qualname__ if module == "builtins" else f"{module}.{type(e).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{name}: {redacted_error_text(e)}")
    return "\n\nWhich led to:\n\n".join(parts)


class RedactDatabaseErrors(logging.Filter):
    """Log a record whose exception chain holds a database error with `redacted_traceback`
    (as its `exc_text`) instead of the exception itself, so no handler formats the values."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is not None and _carries_database_error(exc):
            record.exc_text = redacted_traceback(exc)
            record.exc_info = None
        return True


def redact_database_errors(logger: logging.Logger) -> None:
    """Put `RedactDatabaseErrors` on `logger` (once)."""
    if not any(isinstance(f, RedactDatabaseErrors) for f in logger.filters):
        logger.addFilter(RedactDatabaseErrors())


# The project's logger (ui, data_access.tokens) logs database errors with their tracebacks.
redact_database_errors(logging.getLogger("evidence_review"))
