"""Files that hold the call's data or secrets, readable by their owner only.

The SQLite database (and its -wal and -shm files, which SQLite creates with
the database file's permissions), backups and the demo cookie key are created
with mode 0600, and the folders the project makes for them with 0700, whatever
the process's umask. An existing database or key file that others may read is
narrowed to 0600 when the app or `manage.py` opens it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dir(path: Path) -> None:
    """Create `path` and any missing parents with mode 0700; leave existing folders alone."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=DIR_MODE)
        except FileExistsError:  # made meanwhile by another process
            continue
        os.chmod(folder, DIR_MODE)  # the umask may have taken bits away; it never adds any


def create_private_file(path: Path) -> None:
    """Create an empty file with mode 0600; FileExistsError if it exists."""
    make_private_dir(path.parent)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(fd)


def restrict_file(path: Path) -> None:
    """Narrow an existing file of ours that others may read or write to 0600."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) & 0o077:
        os.chmod(path, stat.S_IMODE(info.st_mode) & FILE_MODE)
