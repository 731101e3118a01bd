"""The gate serves a download's `/media/` file only to the browser it was made for.

Streamlit serves `/media/<id>.<ext>` to anyone holding the URL. `ui.downloads`
restricts each file it makes to the Streamlit session that clicked
(`restrict_media`), and the gate answers 404 to a request without that
session's sign-in cookie. Driven here at the ASGI level, as any client could.
"""

import hashlib

import pytest
from streamlit.runtime.media_file_manager import MediaFileManager
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

from tests.support.aio import run_alone
from ui import streamlit_adapter as adapter

COOKIE = "evidence_review_auth"
TOKEN = "header.payload.signature"


async def _inner(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"the file"})


def _get(path: str, *, cookie: str | None = None, method: str = "GET") -> int:
    headers = [(b"host", b"localhost:8501")]
    if cookie is not None:
        headers.append((b"cookie", cookie.encode("latin-1")))
    scope = {"type": "http", "method": method, "path": path, "headers": headers}
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    run_alone(adapter.Gate(_inner)(scope, receive, send))
    return next(m["status"] for m in sent if m["type"] == "http.response.start")


@pytest.fixture
def signed_in():
    """Session "s-1" signed in with cookie TOKEN; its file "f00d" restricted to it."""
    state = adapter._state()
    sign_in = adapter.SignIn(
        cookie_name=COOKIE, token_sha256=hashlib.sha256(TOKEN.encode()).hexdigest(), may_upload=lambda: False
    )
    with state.lock:
        state.sign_ins["s-1"] = sign_in  # held by `sign_in` below, as a session's state holds it
    adapter.restrict_media("f00d", "s-1")
    yield sign_in
    adapter.release_media("f00d")
    with state.lock:
        state.sign_ins.pop("s-1", None)


def test_a_restricted_file_is_served_only_with_its_sessions_cookie(signed_in):
    assert _get("/media/f00d.csv", cookie=f"{COOKIE}={TOKEN}") == 200
    assert _get("/media/f00d.csv", cookie=f"other=1; {COOKIE}={TOKEN}", method="HEAD") == 200
    for cookie in (None, "", f"{COOKIE}=forged", f"{COOKIE}={TOKEN}x", f"other={TOKEN}", "garbage;;=="):
        assert _get("/media/f00d.csv", cookie=cookie) == 404, cookie
        assert _get("/media/f00d.csv", cookie=cookie, method="HEAD") == 404, cookie


@pytest.mark.parametrize(
    "path", ["/media/f00d.csv", "/media/f00d", "/media/f00d.csv.txt", "/media/f00d.", "/app/media/f00d.csv"]
)
def test_no_spelling_of_the_name_gets_past_without_the_cookie(signed_in, path):
    assert _get(path) == 404


def test_once_the_session_is_signed_out_even_its_cookie_gets_nothing(signed_in):
    with adapter._state().lock:
        adapter._state().sign_ins.pop("s-1")
    assert _get("/media/f00d.csv", cookie=f"{COOKIE}={TOKEN}") == 404


def test_a_file_made_for_two_sessions_is_served_to_each(signed_in):
    other = adapter.SignIn(cookie_name=COOKIE, token_sha256=hashlib.sha256(b"t2").hexdigest(), may_upload=lambda: False)
    with adapter._state().lock:
        adapter._state().sign_ins["s-2"] = other
    adapter.restrict_media("f00d", "s-2")
    try:
        assert _get("/media/f00d.csv", cookie=f"{COOKIE}=t2") == 200
        assert _get("/media/f00d.csv", cookie=f"{COOKIE}={TOKEN}") == 200
    finally:
        with adapter._state().lock:
            adapter._state().sign_ins.pop("s-2", None)


def test_other_paths_and_released_files_are_left_to_streamlit(signed_in):
    assert _get("/media/beef.png") == 200  # never restricted (Streamlit answers 404 if it has no such file)
    assert _get("/static/media/font.woff2") == 200
    assert _get("/_stcore/health") == 200
    adapter.release_media("f00d")
    assert _get("/media/f00d.csv") == 200  # dropped with its release: Streamlit itself has no file left


def test_a_file_being_dropped_is_never_open_to_anyone_while_it_is_still_stored(signed_in):
    """`drop_media_file` deletes the stored file and lifts its restriction: the
    restriction must last until the file is gone, or a request arriving in
    between (another thread of the server) gets it without any cookie."""
    manager = MediaFileManager(MemoryMediaFileStorage("/media"))
    content = b"reference,contact\nCFE-0001,A. Person\n"
    file_id = adapter.media_file_id(content, "text/csv", "export.csv")
    adapter.restrict_media(file_id, "s-1")
    url = manager.execute_deferred(manager.add_deferred(lambda: content, "text/csv", "coords", file_name="export.csv"))
    assert url == f"/media/{file_id}.csv"
    answers: list[int] = []
    delete_file = manager._storage.delete_file

    def delete_watched(name: str) -> None:
        answers.append(_get(url))  # a request arriving while the file is still stored
        delete_file(name)

    manager._storage.delete_file = delete_watched
    adapter.drop_media_file(manager, file_id)
    assert answers == [404]
    with pytest.raises(MediaFileStorageError):
        manager._storage.get_file(f"{file_id}.csv")  # dropped indeed


def test_a_file_with_a_check_is_served_only_while_the_check_says_so_now(signed_in):
    """A document's page picture: the session's rights are asked again at each request
    (in a worker thread); False, or a check that fails, is 404 even with the cookie."""
    answers = iter([True, False])
    adapter.restrict_media("f00d", "s-1", still_allowed=lambda: next(answers))
    assert _get("/media/f00d.png", cookie=f"{COOKIE}={TOKEN}") == 200
    assert _get("/media/f00d.png", cookie=f"{COOKIE}={TOKEN}") == 404

    def broken() -> bool:
        raise RuntimeError("the database is away")

    adapter.restrict_media("f00d", "s-1", still_allowed=broken)
    assert _get("/media/f00d.png", cookie=f"{COOKIE}={TOKEN}", method="HEAD") == 404
    adapter.release_media("f00d")
    assert ("f00d", "s-1") not in adapter._state().media_checks
