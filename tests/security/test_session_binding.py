"""The run-level check: a signed-in session is used only on the connection
that holds its sign-in (issue 12, item 2).

AppTest has no WebSocket, so these tests give the app connections of their
own: `ui.streamlit_adapter.connection` (which connection drives the run) and
`ui.auth._handshake_cookies` (the cookies of that connection's handshake) are
the two points where the app learns about its transport, and they are
replaced, with `gate_installed` (as under serve.py). Everything else (the form, the database, the audit log)
is real. The same attack against a real server, through the server's gate,
is in tests/browser/test_security_session.py.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access.models import AuditEntry
from tests.factories import TEST_PASSWORD, make_user
from tests.support.apptest import confirm_cookie, rerun, run_app, texts
from ui import auth, streamlit_adapter


class Connection:
    """A WebSocket connection as the app sees it: an identity, and the
    cookies its handshake carried."""

    def __init__(self, cookies: dict[str, str] | None = None) -> None:
        self.cookies = cookies or {}


@pytest.fixture
def transport(monkeypatch):
    class Transport:
        current: Connection | None = Connection()

    monkeypatch.setattr(streamlit_adapter, "connection", lambda: Transport.current)
    monkeypatch.setattr(streamlit_adapter, "gate_installed", lambda: True)  # served through serve.py
    monkeypatch.setattr(auth, "_handshake_cookies", lambda: Transport.current.cookies if Transport.current else {})
    return Transport


def sign_in_with_the_form(db_url, username):
    """Sign in, and the browser stores the cookie (on the same connection,
    whose handshake predates it); the sign-in's cookie token too."""
    at = run_app(db_url)
    at.text_input(key="sign_in.username").input(username)
    at.text_input(key="sign_in.password").input(TEST_PASSWORD)
    at.button[0].click()
    at = rerun(at, db_url)
    token = at.session_state[auth.PENDING_COOKIE_KEY]  # the cookie the browser has not written yet
    return confirm_cookie(at, db_url), token


def titles(at) -> list[str]:
    return [t.value for t in at.title]


def test_a_fresh_sign_in_holds_on_its_own_connection_and_on_no_other(db, db_url, transport):
    with db.write() as s:
        make_user(s, role="admin", username="ada", name="Ada Admin")
    at, token = sign_in_with_the_form(db_url, "ada")
    assert titles(at) == ["Overview"]

    # The same connection, still without a cookie in its handshake: signed in, run after run.
    at.session_state["review.draft"] = "unsaved words"
    for _ in range(2):
        at = rerun(at, db_url)
        assert titles(at) == ["Overview"]

    # Another connection offers this session (as a resumed session does), no cookie: signed out,
    # and nothing of the session's state is left for it.
    transport.current = Connection()
    at = rerun(at, db_url)
    assert titles(at) == ["Evidence review"]
    assert "Ada Admin" not in texts(at)
    assert at.session_state[auth.NOTICE_KEY] == auth.ENDED_DEFAULT
    assert "review.draft" not in at.session_state
    assert auth.SESSION_KEY not in at.session_state
    with db.read() as s:
        denied = s.execute(
            select(AuditEntry.actor, AuditEntry.entity).where(AuditEntry.action == "access.denied")
        ).all()
    assert [tuple(row) for row in denied] == [("ada", "session")]

    # The sign-in itself is not revoked: the browser that holds its cookie is signed in again.
    transport.current = Connection({"evidence_review_session": token})
    at = rerun(at, db_url)
    assert titles(at) == ["Overview"]


def test_another_persons_valid_cookie_does_not_carry_a_session_it_did_not_sign_in(db, db_url, transport):
    with db.write() as s:
        make_user(s, role="admin", username="ada", name="Ada Admin")
        make_user(s, role="reviewer", username="rex", name="Rex Reviewer")
    _, rex_token = sign_in_with_the_form(db_url, "rex")

    transport.current = Connection()
    ada, _ = sign_in_with_the_form(db_url, "ada")
    assert titles(ada) == ["Overview"]
    ada.session_state["users.link"] = "https://evidence.example.org/set_password?token=kept-for-ada"

    # A connection carrying Rex's valid cookie takes over Ada's session: it is Rex, and only Rex.
    transport.current = Connection({"evidence_review_session": rex_token})
    ada = rerun(ada, db_url)
    assert ada.session_state["username"] == "rex"
    assert ada.session_state["roles"] == ["reviewer"]
    assert "users.link" not in ada.session_state
    assert "Ada Admin" not in texts(ada)


def test_a_browser_reconnecting_with_its_cookie_keeps_its_session_and_its_input(db, db_url, transport):
    with db.write() as s:
        make_user(s, role="office", username="olive")
    at, token = sign_in_with_the_form(db_url, "olive")
    at.session_state["review.draft"] = "unsaved words"

    transport.current = Connection({"evidence_review_session": token})  # the browser's next connection
    at = rerun(at, db_url)
    assert titles(at) == ["Overview"]
    assert at.session_state["review.draft"] == "unsaved words"
