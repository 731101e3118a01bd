"""`ui.downloads`' hold on Streamlit's media file manager (1.67): a file made at a click is the one
this module drops, at its session's sign-out or after its short lifetime, and its URL then answers
nothing. Run against Streamlit's own manager, so an upgrade that changes what this relies on fails here."""

from __future__ import annotations

import time

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from ui import downloads, streamlit_adapter

MIME = "text/csv"


@pytest.fixture
def manager():
    return MediaFileManager(MemoryMediaFileStorage("/media"))


def made_at_a_click(
    manager: MediaFileManager, session_id: str, content: bytes, name: str = "f.csv", lifetime: float = 30.0
) -> str:
    """What a click does: Streamlit runs the callable and stores its bytes; ours remembers the file."""
    seen: list[str] = []

    def deliver() -> bytes:
        seen.append(streamlit_adapter.media_file_id(content, MIME, name))
        downloads.remember(manager, session_id, seen[-1], lifetime)
        return content

    url = manager.execute_deferred(manager.add_deferred(deliver, MIME, "coords", file_name=name))
    assert url == f"/media/{seen[0]}.csv"  # the id we compute is the one Streamlit stored the file under
    return url


def serves(manager: MediaFileManager, url: str) -> bool:
    return manager.read_file(url.rsplit("/", 1)[-1]) is not None


def test_signing_out_drops_that_sessions_files_and_no_other(manager):
    mine = made_at_a_click(manager, "session-1", b"mine")
    theirs = made_at_a_click(manager, "session-2", b"theirs")
    downloads.forget_session("session-1")
    assert not serves(manager, mine)
    assert serves(manager, theirs)
    manager.remove_orphaned_files()  # Streamlit's own clean-up still works after ours
    manager.remove_orphaned_files()
    assert not serves(manager, theirs)
    downloads.forget_session("session-2")  # nothing left to drop: no error


def test_a_file_is_dropped_after_its_lifetime_even_if_nothing_else_runs(manager):
    url = made_at_a_click(manager, "session-1", b"short-lived", lifetime=1.0)
    assert serves(manager, url)
    time.sleep(0.5)
    made_at_a_click(manager, "session-1", b"short-lived", lifetime=1.0)  # clicked again: the same file, a new lifetime
    time.sleep(0.7)
    assert serves(manager, url)  # the first click's timer (at 1.0 s) left the second's file alone
    deadline = time.monotonic() + 5
    while serves(manager, url) and time.monotonic() < deadline:  # the second's timer fires at 1.5 s
        time.sleep(0.05)
    assert not serves(manager, url)
