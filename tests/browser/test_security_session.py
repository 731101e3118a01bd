"""A signed-in session is driven only by the browser that holds its sign-in
cookie (issue 12, item 2).

Streamlit's session id is no secret: it is in every upload URL
(`/_stcore/upload_file/<session id>/...`), so it reaches proxy logs. A client
that offers it when it opens `/_stcore/stream` asks Streamlit to hand it that
session. These tests take the id of an admin's signed-in browser session and
try exactly that with a raw client speaking Streamlit's protocol, without the
sign-in cookie (and with another person's valid cookie), then check that the
browser keeps working.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from data_access.demo import DEMO_USERS
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, wait_idle
from tests.support.stream_client import open_stream, run_page

ACCOUNTS = {u.username: u for u in DEMO_USERS}
ADMIN = ACCOUNTS["admin"]
REVIEWER = ACCOUNTS["reviewer1"]
COOKIE = "evidence_review_session"
# What the Users page shows an admin, and nothing else does: every account's
# username and name is in its table.
USERS_PAGE_SECRETS = [u.name for u in DEMO_USERS if u.role == "reviewer"]


class SessionIds:
    """The Streamlit session ids a browser page was given (from the
    `new_session` messages on its WebSocket)."""

    def __init__(self, page) -> None:
        self.ids: list[str] = []
        page.on("websocket", self._watch)

    def _watch(self, ws) -> None:
        ws.on("framereceived", self._frame)

    def _frame(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        msg = ForwardMsg()
        try:
            msg.ParseFromString(payload)
        except Exception:  # noqa: BLE001 - not every frame need parse alone
            return
        if msg.WhichOneof("type") == "new_session" and msg.new_session.initialize.session_id:
            self.ids.append(msg.new_session.initialize.session_id)

    @property
    def current(self) -> str:
        assert self.ids, "the browser was never given a session"
        return self.ids[-1]


@pytest.fixture
def admin_browser(page, live_server) -> Iterator[tuple[object, SessionIds]]:
    ids = SessionIds(page)
    sign_in(page, live_server.url, ADMIN.username, password_of(ADMIN.username))
    go_to(page, "Users")
    yield page, ids


def cookie_of(page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == COOKIE)


def assert_browser_still_works(page) -> None:
    """The admin's own browser: still signed in, and it still runs pages."""
    go_to(page, "Audit log")
    go_to(page, "Users")
    assert page.get_by_role("button", name="Sign out").count() == 1


def test_a_client_offering_a_signed_in_session_id_without_the_cookie_gets_nothing_of_it(
    admin_browser, live_server, chromium
):
    page, ids = admin_browser
    victim = ids.current

    # Control first: this client, holding the admin's own cookie, does see the
    # Users page: what the test looks for would be seen if it leaked.
    with open_stream(live_server.url, origin=live_server.url, cookies={COOKIE: cookie_of(page)}) as ws:
        control = run_page(ws, "users")
    assert "Users" in control.headings()
    assert all(control.carries(name) for name in USERS_PAGE_SECRETS)

    # The attack: no cookie at all, the admin's session id.
    with open_stream(live_server.url, origin=live_server.url, session_id=victim) as ws:
        attack = run_page(ws, "users")
    assert attack.messages, "the server answered nothing"
    assert "Users" not in attack.headings()
    assert not any(attack.carries(name) for name in USERS_PAGE_SECRETS)
    assert "Users" not in attack.page_titles()
    assert "Sign in" in [m.delta.new_element.heading.body for m in attack.messages if m.delta.new_element.heading.body]

    # And again with another person's valid cookie (a reviewer's): still
    # nothing of the admin's session; it is that reviewer who is signed in.
    other = chromium.new_context()
    try:
        reviewer_page = other.new_page()
        sign_in(reviewer_page, live_server.url, REVIEWER.username, password_of(REVIEWER.username))
        reviewer_cookie = cookie_of(reviewer_page)
    finally:
        other.close()
    with open_stream(
        live_server.url, origin=live_server.url, cookies={COOKIE: reviewer_cookie}, session_id=victim
    ) as ws:
        mixed = run_page(ws, "users")
    assert "Users" not in mixed.headings()
    assert not any(mixed.carries(name) for name in USERS_PAGE_SECRETS if name != REVIEWER.name)
    assert "Users" not in mixed.page_titles()
    assert "My reviews" in mixed.page_titles()  # the reviewer's own navigation

    # The admin's browser is not disturbed: same session, still signed in.
    wait_idle(page)
    assert_browser_still_works(page)
    assert ids.current == victim
