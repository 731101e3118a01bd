"""Every download button of the app: no file at a URL before the click, none left after its need.

`button` draws `st.download_button` with a callable (`data=`), so drawing the
page stores no file and sends no URL: when the person clicks, the browser asks
the server over the app's WebSocket, Streamlit runs the callable in a worker
thread (outside the script run: no session state, no Streamlit commands), stores
what it returns at `/media/<hash>.<ext>` and hands the browser that URL, which
the browser then fetches (twice: a check, then the download). An exception
in the callable stores nothing, and the browser says the download failed.

Streamlit serves `/media/` to anyone who has the URL, without a cookie, and
keeps a file made this way, referenced by no session, until two script runs
of any session have ended. So each file made here is also dropped by this
module after `LIFETIME_SECONDS`, and at once when its session signs out or is
ended (`forget_session`, from `ui.auth`). This reaches into Streamlit's media
file manager (1.67: `_lock`, `_storage`, `_file_metadata`, and the storage's
file-id function); `tests/ui/test_downloads.py` pins that behaviour.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st
from streamlit import runtime
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.runtime.scriptrunner import get_script_run_ctx

LIFETIME_SECONDS = 30.0  # the browser fetches a file within moments of the click


@dataclass
class _Served:
    manager: MediaFileManager
    sessions: set[str] = field(default_factory=set)
    expires: float = 0.0


_lock = threading.Lock()
_served: dict[str, _Served] = {}  # by file id


def button(
    label: str,
    build: Callable[[], bytes],
    *,
    file_name: str,
    mime: str,
    key: str,
    **options: Any,
) -> None:
    """A download button whose file `build()` makes when the person clicks (see the module's note).

    The click does not rerun the page: everything the download needs to do,
    `build` does (checks, audit entry), in the worker thread.
    """
    ctx = get_script_run_ctx()
    session_id = ctx.session_id if ctx is not None else ""
    manager = runtime.get_instance().media_file_mgr if runtime.exists() else None

    def deliver() -> bytes:
        content = build()
        if manager is not None:
            remember(manager, session_id, _calculate_file_id(content, mime, file_name))
        return content

    st.download_button(label, deliver, file_name=file_name, mime=mime, key=key, on_click="ignore", **options)


def remember(manager: MediaFileManager, session_id: str, file_id: str) -> None:
    """A file made for `session_id`: drop it after `LIFETIME_SECONDS` or when the session ends."""
    lifetime = LIFETIME_SECONDS
    with _lock:
        served = _served.setdefault(file_id, _Served(manager))
        served.sessions.add(session_id)
        served.expires = time.monotonic() + lifetime
    timer = threading.Timer(lifetime, _expire, args=(file_id,))
    timer.daemon = True
    timer.start()


def _expire(file_id: str) -> None:
    with _lock:
        served = _served.get(file_id)
        if served is None or served.expires > time.monotonic():
            return  # already dropped, or made again since (its own timer drops it)
        del _served[file_id]
    _drop(served.manager, file_id)


def forget_session(session_id: str | None = None) -> None:
    """Drop at once every file made for this Streamlit session (default: the current run's)."""
    if session_id is None:
        ctx = get_script_run_ctx()
        if ctx is None:
            return
        session_id = ctx.session_id
    with _lock:
        mine = [(file_id, s) for file_id, s in _served.items() if session_id in s.sessions]
        for file_id, _ in mine:
            del _served[file_id]
    for file_id, served in mine:
        _drop(served.manager, file_id)


def _drop(manager: MediaFileManager, file_id: str) -> None:
    """Delete a stored file now; its URL answers 404 from here on."""
    with manager._lock:
        manager._storage.delete_file(file_id)
        manager._file_metadata.pop(file_id, None)
