"""Sign in as each role in a real browser: exactly that role's pages, a
reloaded sub-page stays put, and a signed-out browser stays out."""

import time

import pytest

from data_access import users
from data_access.db import Database
from data_access.demo import DEMO_USERS
from tests.browser.conftest import screenshot
from tests.factories import password_hash
from tests.support.accounts import password_of
from tests.support.browser import component_answers, go_to, nav_links, sign_in, sign_out, wait_for_cookie, wait_idle
from tests.support.live import LiveServer
from ui.auth import COOKIE_WAIT_SECONDS, SIGNING_IN_MESSAGE
from ui.navigation import pages_for

ACCOUNTS = {u.role: u for u in DEMO_USERS if u.username in ("admin", "office", "reviewer1")}


@pytest.mark.parametrize("role", ["admin", "office", "reviewer"])
def test_each_role_sees_its_pages_keeps_its_place_and_signs_out(page, live_server, role):
    user = ACCOUNTS[role]
    sign_in(page, live_server.url, user.username, password_of(user.username))
    expected = [p.title for p in pages_for(role)]
    assert nav_links(page) == expected
    screenshot(page, f"{role}-overview")

    go_to(page, "Submissions")
    assert page.url.endswith("/submissions")
    page.reload()
    page.get_by_role("heading", name="Submissions", exact=True).first.wait_for()
    wait_idle(page)
    assert page.url.endswith("/submissions")
    assert nav_links(page) == expected
    screenshot(page, f"{role}-submissions")

    sign_out(page)
    page.reload()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    assert nav_links(page) == []
    page.goto(live_server.url + "/submissions")
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Submissions").count() == 0


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(page, live_server):
    messages = []
    for username in ("admin", "nobody-here"):
        page.goto(live_server.url)
        page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
        page.get_by_label("Username").fill(username)
        page.get_by_role("textbox", name="Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        alert = page.locator('[data-testid="stAlert"]')
        alert.wait_for()
        messages.append(alert.inner_text().strip())
    assert messages[0] == messages[1]
    assert "not right" in messages[0]


def test_a_fresh_server_never_runs_a_page_file_past_the_front_door(chromium, demo_db_url, tmp_path):
    # Until the first st.navigation call, Streamlit would run pages/users.py
    # directly and list every page file; the app sends it through app.py.
    server = LiveServer.start(demo_db_url, tmp_path)
    try:
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        page = context.new_page()
        page.goto(server.url + "/users")
        page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
        wait_idle(page)
        assert page.get_by_role("heading", name="Users").count() == 0
        assert nav_links(page) == []
        assert "Audit log" not in page.content()
        context.close()
    finally:
        server.stop()


def test_revoked_sessions_end_at_the_next_action_and_cookies_are_not_replayed(chromium, live_server, demo_db_url):
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, "reviewer5", password_of("reviewer5"))
    cookie = next(c for c in context.cookies() if c["name"] == "evidence_review_session")

    # A cookie replayed in another browser after sign-out is refused.
    sign_out(page)
    replay = chromium.new_context(viewport={"width": 1200, "height": 900})
    replay.add_cookies([cookie])
    other = replay.new_page()
    other.goto(live_server.url + "/submissions")
    other.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(other)
    assert other.get_by_role("heading", name="Submissions").count() == 0
    replay.close()

    # Signed in again, then the admin changes the password: the next click
    # signs the browser out, and its cookie no longer opens the app.
    sign_in(page, live_server.url, "reviewer5", password_of("reviewer5"))
    db = Database(demo_db_url)
    with db.write() as s:
        user = users.get_user_by_username(s, "reviewer5")
        users.set_password(s, user_id=user.id, password_hash=password_hash("a-new-password-5"), actor="admin")
    db.dispose()
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Submissions").click()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)  # the run's end: the page before it may still hold an alert a moment
    assert "password was changed" in page.locator('[data-testid="stAlert"]').inner_text()
    page.goto(live_server.url + "/submissions")
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Submissions").count() == 0
    context.close()


def test_signing_in_takes_two_script_runs_and_shows_the_page_once_the_cookie_is_stored(page, live_server):
    # Issue 21: the click on "Sign in" runs the script once (the sign-in, the cookie's component,
    # "Signing you in..."), and the component's answer once more (the page). Creating the library's
    # cookie manager also drew its "read every cookie" component, whose answer was a third run.
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    ended: list[
        tuple[float, int]
    ] = []  # (when, status) of every run's end, in order (a fragment's runs have their own)

    def watch(ws) -> None:
        def frame(payload) -> None:
            if isinstance(payload, bytes):
                msg = ForwardMsg()
                msg.ParseFromString(payload)
                if msg.WhichOneof("type") == "script_finished":
                    ended.append((time.monotonic(), msg.script_finished))

        ws.on("framereceived", frame)

    page.on("websocket", watch)
    page.goto(live_server.url)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    page.get_by_label("Username").fill("reviewer1")
    page.get_by_role("textbox", name="Password").fill(password_of("reviewer1"))
    before, answers = len(ended), component_answers(page)
    clicked = time.monotonic()
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").first.wait_for()
    wait_for_cookie(page, answered_after=answers)
    wait_idle(page)
    full_runs = [t for t, s in ended[before:] if s == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY]
    if len(full_runs) == 3:
        # A loaded machine: the browser took longer than COOKIE_WAIT_SECONDS to confirm the cookie, so the
        # app showed the page on a rerun of its own (`ui.auth.signing_in`), and the late answer ran once
        # more. That rerun is only allowed once the wait has passed.
        assert full_runs[1] - clicked >= COOKIE_WAIT_SECONDS, (full_runs, clicked, ended[before:])
    else:
        assert len(full_runs) == 2, ended[before:]
    assert page.get_by_text(SIGNING_IN_MESSAGE).count() == 0
    page.reload()  # the cookie was stored before the page was shown: a reload stays signed in
    page.get_by_role("heading", name="Overview").first.wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Sign in", exact=True).count() == 0
