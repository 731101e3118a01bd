"""The server's gate, at the protocol level (issue 12, items 8 and 9): raw
WebSocket handshakes and raw HTTP requests against a real server started as
it is deployed (`streamlit run serve.py`), no browser.

* WebSockets are accepted only from the app's own origin and the origins
  listed in `server.corsAllowedOrigins`; and the server, which here runs with
  every connection outside the loopback range (and every name lookup other
  than localhost) failing and written down (tests/support/no_outbound), never
  tries to reach out, whatever origin it is offered.
* Uploads (`PUT /_stcore/upload_file/<session id>/<file id>`) are refused
  unless the session is signed in as an admin and the request carries that
  session's own sign-in cookie.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.browser.test_security_access import issued_token
from tests.support.live import ROOT, LiveServer
from tests.support.stream_client import Refused, open_stream, run_page

NO_OUTBOUND = ROOT / "tests" / "support" / "no_outbound"
LISTED = "https://evidence.example.org"
COOKIE = "evidence_review_session"


@pytest.fixture(scope="module")
def guarded_server(demo_db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    logs = tmp_path_factory.mktemp("guarded")
    outbound = logs / "outbound.log"
    outbound.touch()
    env = {
        "PYTHONPATH": os.pathsep.join([str(NO_OUTBOUND), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "NO_OUTBOUND_LOG": str(outbound),
        "STREAMLIT_SERVER_CORS_ALLOWED_ORIGINS": LISTED,
    }
    server = LiveServer.start(demo_db_url, logs, extra_env=env)
    yield server, outbound
    server.stop()


def test_the_outbound_guard_catches_what_it_should(tmp_path):
    """The guard itself, in a child process like the server: a connection to
    an outside address and a name lookup are written down and fail."""
    import subprocess
    import sys

    log = tmp_path / "outbound.log"
    code = (
        "import socket\n"
        "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "try:\n    s.connect(('8.8.8.8', 1))\nexcept OSError:\n    print('refused')\n"
        "try:\n    socket.getaddrinfo('checkip.amazonaws.com', 80)\nexcept OSError:\n    print('refused')\n"
        "t = socket.socket(); t.bind(('127.0.0.1', 0)); t.listen()\n"
        "u = socket.socket(); u.connect(t.getsockname()); print('loopback ok')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(NO_OUTBOUND), "NO_OUTBOUND_LOG": str(log)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["refused", "refused", "loopback", "ok"]
    assert "8.8.8.8" in log.read_text() and "checkip.amazonaws.com" in log.read_text()


@pytest.mark.parametrize(
    "origin",
    [
        "http://localhost:9999",
        "http://127.0.0.1:1234",
        "http://localhost:8501",
        "https://evil.example",
        "https://evidence.example.org.evil.example",
        "null",
        None,
    ],
)
def test_a_websocket_from_any_other_origin_is_refused_and_nothing_is_looked_up(guarded_server, origin):
    server, outbound = guarded_server
    with pytest.raises(Refused):
        open_stream(server.url, origin=origin).close()
    assert outbound.read_text() == ""


def test_the_apps_own_origin_and_a_listed_one_are_accepted_without_any_lookup(guarded_server):
    server, outbound = guarded_server
    for origin in (server.url, LISTED):
        with open_stream(server.url, origin=origin) as ws:
            run = run_page(ws)
        assert "Sign in" in run.headings(), origin
    assert outbound.read_text() == ""


# --- uploads ------------------------------------------------------------------


class Uploader:
    """A raw HTTP client with Streamlit's XSRF cookie and token, as the
    frontend sends them: what is refused is refused by the gate, not by XSRF."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.http.get(f"{base_url}/_stcore/health", timeout=10).raise_for_status()
        self.xsrf = self.http.cookies["_streamlit_xsrf"]

    def put(self, session_id: str, *, cookie: str | None = None, file_id: str = "f1") -> int:
        return self._send(
            "PUT", session_id, cookie, file_id, files={"file": ("x.csv", b"reference\nCFE-1\n", "text/csv")}
        )

    def delete(self, session_id: str, *, cookie: str | None = None, file_id: str = "f1") -> int:
        return self._send("DELETE", session_id, cookie, file_id)

    def _send(self, method: str, session_id: str, cookie: str | None, file_id: str, **kwargs) -> int:
        cookies = {COOKIE: cookie} if cookie else {}
        response = self.http.request(
            method,
            f"{self.base_url}/_stcore/upload_file/{session_id}/{file_id}",
            headers={"X-Xsrftoken": self.xsrf},
            cookies=cookies,
            timeout=10,
            **kwargs,
        )
        return response.status_code


def test_uploads_are_refused_unless_from_a_signed_in_admins_own_browser(live_server, demo_db_url):
    admin_cookie = issued_token(demo_db_url, "admin")
    reviewer_cookie = issued_token(demo_db_url, "reviewer1")
    uploader = Uploader(live_server.url)
    with (
        open_stream(live_server.url, origin=live_server.url) as nobody_ws,
        open_stream(live_server.url, origin=live_server.url, cookies={COOKIE: reviewer_cookie}) as reviewer_ws,
        open_stream(live_server.url, origin=live_server.url, cookies={COOKIE: admin_cookie}) as admin_ws,
    ):
        nobody = run_page(nobody_ws)
        reviewer = run_page(reviewer_ws)
        admin = run_page(admin_ws)
        assert "Sign in" in nobody.headings()
        assert "My reviews" in reviewer.page_titles()
        assert "Import" in admin.page_titles()

        # Control: the admin's session, with the admin's cookie, uploads.
        assert uploader.put(admin.session_id, cookie=admin_cookie) == 204
        assert uploader.delete(admin.session_id, cookie=admin_cookie) == 204

        # A signed-out session: refused, with or without somebody's cookie.
        assert uploader.put(nobody.session_id) == 403
        assert uploader.put(nobody.session_id, cookie=admin_cookie) == 403
        assert uploader.delete(nobody.session_id) == 403
        # A reviewer's session, even with the reviewer's own cookie: not an admin.
        assert uploader.put(reviewer.session_id, cookie=reviewer_cookie) == 403
        # The admin's session id (from a proxy log, say) without the admin's cookie.
        assert uploader.put(admin.session_id) == 403
        assert uploader.put(admin.session_id, cookie=reviewer_cookie) == 403
        assert uploader.delete(admin.session_id) == 403
        # A made-up session id.
        assert uploader.put("0" * 36, cookie=admin_cookie) == 403
