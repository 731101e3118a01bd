"""`python manage.py ...` for the tests: in this process (`manage`), or as a real process (`manage_process`).

Each real process is a fresh interpreter that imports SQLAlchemy, the models,
pypdf, pandas...: 1.5-2.5 s of CPU a call, several calls a test, every test on
both databases. `manage` runs `manage.main(argv)` in the test process instead,
as a person's shell would see it, and returns what `subprocess.run` would (a
`CompletedProcess`: `.returncode`, `.stdout`, `.stderr`), so a test's
assertions read the same either way:

* argv as given (`sys.argv[0]` is "manage.py"), in the project folder (the
  process ran with cwd=ROOT);
* the environment of this process plus `DATABASE_URL` and `env`, set for the
  call only: whatever the call leaves in `os.environ` is put back as it was;
* standard input as given, never a terminal (`isatty()` False: a password is
  read from it, never prompted for), empty if none is given; stdin, stdout and
  stderr are text over bytes (`.buffer` works) in UTF-8, stdout and stderr
  captured apart and read back as `text=True` reads them (universal newlines);
* the exit status as the process's: `main`'s return value, or a `SystemExit`'s
  code (argparse's usage errors: 2, with its message on stderr); an uncaught
  exception is status 1 with its traceback on stderr, as Python prints it;
* logged warnings and `warnings.warn` reach stderr as in a fresh process (no
  logging configured: Python's last-resort handler; the interpreter's default
  warning filters), not pytest's capture.

What in-process does not give, and so what `manage_process` (the real
`python manage.py`) is kept for: the entry point itself (`if __name__`,
`sys.exit`), a process to kill or to time out, and a run that starts with
nothing imported or cached. What `manage.py` keeps between calls in one
process is pure (the migrations' head, the common-password list, compiled
message templates, the demo documents: the same in every process); settings
are read afresh by each call, and each call's database engine is disposed by
`manage.main` itself.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import subprocess
import sys
import traceback
import warnings
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent.parent

# The warning filters of a fresh interpreter started without -W or PYTHONWARNINGS.
_FRESH_FILTERS: tuple[tuple[str, type[Warning], str], ...] = (
    ("default", DeprecationWarning, "__main__"),
    ("ignore", DeprecationWarning, ""),
    ("ignore", PendingDeprecationWarning, ""),
    ("ignore", ImportWarning, ""),
    ("ignore", ResourceWarning, ""),
)


def manage_process(
    *args: str, db_url: str, stdin: str | None = None, env: Mapping[str, str] | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`python manage.py ARGS` as a separate process, in the project folder."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=timeout,
        env={**os.environ, "DATABASE_URL": db_url, **(env or {})},
    )


def manage(
    *args: str, db_url: str, stdin: str | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python manage.py ARGS` in this process, as `manage_process` would run it (the module's notes)."""
    import manage as manage_py

    argv = ["manage.py", *args]
    stdin_bytes = (stdin or "").encode("utf-8")
    out, err = io.BytesIO(), io.BytesIO()
    with mock.patch.dict(os.environ, {"DATABASE_URL": db_url, **(env or {})}), contextlib.chdir(ROOT), _argv(argv):
        with _standard_streams(stdin_bytes, out, err) as streams, _fresh_logging_and_warnings():
            try:
                status = _exit_status(manage_py.main(list(args)))
            except SystemExit as exc:
                status = _exit_status(exc.code)
            except Exception as exc:  # noqa: BLE001 - what the interpreter does with an uncaught exception
                traceback.print_exception(exc)
                status = 1
            finally:
                for stream in streams:
                    stream.flush()
    return subprocess.CompletedProcess(argv, status, _as_text(out.getvalue()), _as_text(err.getvalue()))


def _exit_status(code: object) -> int:
    """The exit status `sys.exit(code)` gives: None is 0, a number is itself, anything else is printed and 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def _as_text(data: bytes) -> str:
    """Bytes read back as `subprocess.run(..., text=True)` reads them."""
    return data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")


@contextlib.contextmanager
def _argv(argv: Sequence[str]) -> Iterator[None]:
    before = sys.argv
    sys.argv = list(argv)
    try:
        yield
    finally:
        sys.argv = before


@contextlib.contextmanager
def _standard_streams(stdin: bytes, out: io.BytesIO, err: io.BytesIO) -> Iterator[tuple[io.TextIOWrapper, ...]]:
    """stdin, stdout and stderr as a process's (text over bytes, not a terminal), over the given bytes."""
    streams = (
        io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8", newline="\n"),
        io.TextIOWrapper(_Kept(out), encoding="utf-8", newline="\n", write_through=True),
        io.TextIOWrapper(_Kept(err), encoding="utf-8", errors="backslashreplace", newline="\n", write_through=True),
    )
    before = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = streams
    try:
        yield streams
    finally:
        sys.stdin, sys.stdout, sys.stderr = before


class _Kept(io.BufferedIOBase):
    """Writes into a BytesIO that outlives the TextIOWrapper over it (whose closing would close it)."""

    def __init__(self, into: io.BytesIO) -> None:
        self._into = into

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:  # type: ignore[override]
        return self._into.write(data)


@contextlib.contextmanager
def _fresh_logging_and_warnings() -> Iterator[None]:
    """Warnings logged, and warnings warned, printed on stderr as a fresh interpreter prints them.

    In a fresh `python manage.py` nothing configures logging, so a record of WARNING or above
    reaches Python's last-resort handler (the message alone, on stderr); here pytest's own
    handlers on the root logger would keep it from stderr."""
    last_resort = logging.StreamHandler()  # made once the call's stderr is in place: it writes there
    last_resort.setLevel(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(last_resort)
    try:
        with warnings.catch_warnings():
            warnings.resetwarnings()
            for action, category, module in reversed(_FRESH_FILTERS):
                warnings.filterwarnings(action, category=category, module=module)  # type: ignore[arg-type]
            warnings.showwarning = _show_warning
            yield
    finally:
        root.removeHandler(last_resort)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))
