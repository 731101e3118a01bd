"""Downloads in a real browser: no file at a URL before the click, the click's
file is the one in the audit log, and its URL stops serving at sign-out.

Before issue 12 every download button carried its file: Streamlit stored it
at `/media/<hash>.csv` while drawing the page, the URL was in the page data,
a plain GET without a cookie returned it, and the audit log recorded a click
rather than the fetch.
"""

from __future__ import annotations

import hashlib
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from data_access import audit
from data_access.db import Database
from data_access.demo import DEMO_USERS
from tests.browser.conftest import screenshot
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, sign_out, wait_idle

pytestmark = pytest.mark.browser
USERS = {u.username: u for u in DEMO_USERS}
MEDIA = "/media/"
# A stored file's URL (not the app's own /static/media/ fonts).
FILE_URL = re.compile(r"(?<!static)/media/[0-9a-f]{16,}")


def audit_entries(db_url: str):
    """The server's audit log, newest first."""
    db = Database(db_url)
    try:
        with db.read() as session:
            return audit.list_entries(session, filters=audit.AuditFilter(limit=1000))
    finally:
        db.dispose()


def plain_get(url: str) -> tuple[int, bytes]:
    """A GET with no cookie, as anyone who learnt the URL could send it."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test server
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


@pytest.mark.parametrize(
    ("username", "page_title", "label", "action"),
    [
        ("office", "Exports", "Download the scores", "export.scores"),
        ("admin", "Audit log", "Download as CSV", "export.audit-log"),
    ],
)
def test_a_download_exists_only_after_the_click_is_logged_once_and_dies_at_sign_out(
    page, live_server, demo_db_url, username, page_title, label, action
):
    frames: list[bytes] = []
    requests: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(_as_bytes(payload))))
    page.on("request", lambda request: requests.append(request.url))
    user = USERS[username]
    sign_in(page, live_server.url, user.username, password_of(user.username))
    go_to(page, page_title)
    button = page.get_by_role("button", name=label)
    button.wait_for()
    wait_idle(page)

    # Before the click: no file URL anywhere the browser was given, and nothing fetched.
    assert not FILE_URL.search(page.content())
    assert not [f for f in frames if FILE_URL.search(f.decode("latin-1"))], "a file URL was sent before the click"
    assert not [r for r in requests if FILE_URL.search(r)]
    before = int(audit_entries(demo_db_url)["id"].max())

    with page.expect_download() as download:
        button.click()
    content = Path(download.value.path()).read_bytes()
    wait_idle(page)

    # The file arrived, and it is the one the audit log describes: one entry, this file's digest.
    assert content.startswith(b"\xef\xbb\xbf") and len(content.decode("utf-8-sig").splitlines()) >= 2
    logged = audit_entries(demo_db_url)
    logged = logged[logged["id"] > before]
    exports = logged[logged["action"].str.startswith("export.")]
    assert exports["action"].tolist() == [action]
    entry = exports.iloc[0]
    assert entry["actor"] == user.username
    assert entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["new"]["file"] == download.value.suggested_filename
    [url] = {r for r in requests if FILE_URL.search(r)}
    assert url.startswith(live_server.url + MEDIA)
    # The URL the click made serves the file, for now, to this browser (its
    # sign-in cookie) and to no one else who learns it.
    own = page.context.request.get(url)
    assert (own.status, own.body()) == (200, content)
    assert plain_get(url) == (404, b"")
    screenshot(page, f"download-{username}-{action}")

    sign_out(page)
    assert plain_get(url) == (404, b"")
    after = page.context.request.get(url)
    assert after.status == 404  # not even with the cookie the browser still has


def _as_bytes(payload) -> bytes:
    return payload if isinstance(payload, bytes) else payload.encode("utf-8")
