"""Sign in as each role in a real browser: exactly that role's pages, a
reloaded sub-page stays put, and a signed-out browser stays out."""

import pytest

from data_access.demo import DEMO_USERS
from tests.browser.conftest import screenshot
from tests.support.browser import nav_links, sign_in, sign_out, wait_idle
from ui.navigation import pages_for

ACCOUNTS = {u.role: u for u in DEMO_USERS if u.username in ("admin", "office", "reviewer1")}


@pytest.mark.parametrize("role", ["admin", "office", "reviewer"])
def test_each_role_sees_its_pages_keeps_its_place_and_signs_out(page, live_server, role):
    user = ACCOUNTS[role]
    sign_in(page, live_server.url, user.username, user.password)
    expected = [p.title for p in pages_for(role)]
    assert nav_links(page) == expected
    screenshot(page, f"{role}-overview")

    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Submissions").click()
    page.get_by_role("heading", name="Submissions").wait_for()
    wait_idle(page)
    assert page.url.endswith("/submissions")
    page.reload()
    page.get_by_role("heading", name="Submissions").wait_for()
    wait_idle(page)
    assert page.url.endswith("/submissions")
    assert nav_links(page) == expected
    screenshot(page, f"{role}-submissions")

    sign_out(page)
    page.reload()
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_idle(page)
    assert nav_links(page) == []
    page.goto(live_server.url + "/submissions")
    page.get_by_role("heading", name="Sign in").wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Submissions").count() == 0


def test_wrong_password_is_refused_without_saying_whether_the_account_exists(page, live_server):
    messages = []
    for username in ("admin", "nobody-here"):
        page.goto(live_server.url)
        page.get_by_role("heading", name="Sign in").wait_for()
        page.get_by_label("Username").fill(username)
        page.get_by_role("textbox", name="Password").fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        alert = page.locator('[data-testid="stAlert"]')
        alert.wait_for()
        messages.append(alert.inner_text().strip())
    assert messages[0] == messages[1]
    assert "not right" in messages[0]
