"""Every download button of the app: no file at a URL before the click, none left after its need.

`button` draws `st.download_button` with a callable (`data=`), so drawing the
page stores no file and sends no URL: when the person clicks, the browser asks
the server over the app's WebSocket, Streamlit runs the callable in a worker
thread (outside the script run: no session state, no Streamlit commands), stores
what it returns at `/media/<hash>.<ext>` and hands the browser that URL, which
the browser then fetches (twice: a check, then the download). An exception
in the callable stores nothing, and the browser says the download failed.

Streamlit serves `/media/` to anyone who has the URL, without a cookie: the
gate (`ui.streamlit_adapter.restrict_media`) serves a file made here only to a
request carrying the sign-in cookie of the session it was made for. Streamlit
keeps a file made this way, referenced by no session, until two script runs
of any session have ended. So each file made here is also dropped by this
module after its lifetime (the setting `download_lifetime_seconds`, 30 seconds), and at once when its session signs out or is
ended (`forget_session`, from `ui.auth`). What this needs of Streamlit's media
file manager goes through `ui.streamlit_adapter` (`media_file_manager`,
`media_file_id`, `drop_media_file`); `tests/ui/test_downloads.py` pins that
behaviour against Streamlit's own manager.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from ui import context
from ui import streamlit_adapter as adapter

IMAGE_MAX_WIDTH = 1460  # Streamlit re-encodes a wider picture (image_utils.MAXIMUM_CONTENT_WIDTH)


@dataclass
class _Served:
    manager: Any  # the server's media file manager
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
    icon: str | None = None,
    primary: bool = False,
    disabled: bool = False,
    help: str | None = None,
) -> None:
    """A download button whose file `build()` makes when the person clicks (see the module's note).

    The click does not rerun the page: everything the download needs to do,
    `build` does (checks, audit entry), in the worker thread. The button's look is named here, one
    keyword each (not passed through to Streamlit), so that a wrong keyword fails at this call.
    """
    session_id = adapter.session_id() or ""
    manager = adapter.media_file_manager()
    lifetime = context.settings().download_lifetime_seconds  # the browser fetches the file within moments

    def deliver() -> bytes:
        content = build()
        if manager is not None:
            remember(manager, session_id, adapter.media_file_id(content, mime, file_name), lifetime)
        return content

    st.download_button(
        label,
        deliver,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click="ignore",
        icon=icon,
        type="primary" if primary else "secondary",
        disabled=disabled,
        help=help,
    )


def image(png: bytes, *, caption: str | None = None, still_allowed: Callable[[], bool] | None = None) -> None:
    """`st.image` of a PNG that `/media/` serves only to this session's sign-in (a document's page).

    Streamlit stores the picture when it is drawn and serves it to anyone with
    its URL: so the gate is told first (`restrict_media`), before the browser
    can learn the URL. The id is the one Streamlit stores these bytes under (a
    PNG no wider than `IMAGE_MAX_WIDTH` is stored unchanged). Streamlit drops
    the file itself once a later run of the session no longer shows it; the
    gate refuses it after sign-out, and whenever `still_allowed` (asked at each
    request, off the page's run) says the person may no longer see it."""
    width = int.from_bytes(png[16:20], "big") if png.startswith(b"\x89PNG\r\n\x1a\n") else 0
    if not 0 < width <= IMAGE_MAX_WIDTH:
        raise ValueError("a PNG of at most IMAGE_MAX_WIDTH pixels across is expected")
    session_id = adapter.session_id()
    if session_id is not None:
        adapter.restrict_media(adapter.media_file_id(png, "image/png"), session_id, still_allowed=still_allowed)
    st.image(png, caption=caption, width="stretch", output_format="PNG")


def remember(manager: Any, session_id: str, file_id: str, lifetime: float) -> None:
    """A file made for `session_id`: drop it after `lifetime` seconds or when the session ends."""
    adapter.restrict_media(file_id, session_id)
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
    adapter.drop_media_file(served.manager, file_id)


def forget_session(session_id: str | None = None) -> None:
    """Drop at once every file made for this Streamlit session (default: the current run's)."""
    if session_id is None:
        session_id = adapter.session_id()
        if session_id is None:
            return
    with _lock:
        mine = [(file_id, s) for file_id, s in _served.items() if session_id in s.sessions]
        for file_id, _ in mine:
            del _served[file_id]
    for file_id, served in mine:
        adapter.drop_media_file(served.manager, file_id)
