"""Sign-in in a real browser, attacked: every page's URL for a signed-out
visitor and for the wrong role, forged cookies, and cookies replayed in a new
browser after a password change or a deactivation.

A refused visitor gets the sign-in page and nothing else: no navigation, no
page of the app, no data. (Replay after sign-out, and the same browser after a
password change, are in tests/browser/test_sign_in.py.)
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
from collections.abc import Iterator

import jwt
import pytest

from data_access import users
from data_access.db import Database
from data_access.demo import DEMO_USERS
from tests.browser.conftest import screenshot
from tests.factories import TEST_PASSWORD, make_user, password_hash
from tests.support.browser import nav_links, sign_in, wait_idle
from tests.support.live import LiveServer
from ui.navigation import PAGES, pages_for

COOKIE = "evidence_review_session"
KEY = os.environ["EVIDENCE_COOKIE_KEY"]  # the key the test servers sign with (tests/conftest.py)
URLS = ["", *(spec.url_path for spec in PAGES)]
TITLES = {spec.title for spec in PAGES}
# "Page not found" is Streamlit's own notice for a page this visitor cannot open.
SIGN_IN_HEADINGS = {"Evidence review", "Sign in"}
NOT_FOUND = "Page not found"
SAMPLE = ["", "users", "rankings", "my_reviews"]  # the front page, and a page for admin, office and reviewers


class Browsers:
    """Browsers of their own (one per URL), loading their URLs together for every
    visit: the server answers them in parallel, and tabs of a single browser in
    the background would not render. Reused, they keep the app's scripts cached."""

    def __init__(self, chromium, base_url: str, n: int = len(URLS)) -> None:
        self.base_url = base_url
        self.pages = []
        for _ in range(n):
            page = chromium.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(60_000)
            self.pages.append(page)

    def visit(self, cookies: list[dict], paths: list[str] = URLS) -> list:
        pages = self.pages[: len(paths)]
        for path, page in zip(paths, pages, strict=True):
            page.context.clear_cookies()
            page.context.add_cookies(cookies)
            page.goto(f"{self.base_url}/{path}", wait_until="commit")
        for page in pages:
            page.locator("h1").first.wait_for()
            wait_idle(page, timeout=60_000)
        return pages

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


def assert_only_the_sign_in_page(page, what: str) -> None:
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    assert nav_links(page) == [], what
    headings = {h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()}
    assert headings - {NOT_FOUND} == SIGN_IN_HEADINGS, what
    body = page.locator("body").inner_text()
    for leak in ("Signed in as", "Sign out", "not available", "CFE-", "reviewer1", "Demo Coordinator"):
        assert leak not in body, (what, leak)


def assert_refused(browsers: Browsers, cookie: str | None, what: str, paths: list[str] = URLS) -> None:
    cookies = [] if cookie is None else [{"name": COOKIE, "value": cookie, "url": browsers.base_url}]
    for path, page in zip(paths, browsers.visit(cookies, paths), strict=True):
        assert_only_the_sign_in_page(page, f"{what} at /{path}")


def signed_in_token(chromium, base_url: str, username: str, password: str) -> str:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, base_url, username, password)
    token = next(c["value"] for c in context.cookies() if c["name"] == COOKIE)
    context.close()
    return token


def by_hand(header: dict, claims: dict, signature: str) -> str:
    """A token assembled by hand: JSON header and claims, and whatever signature."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{signature}"


@pytest.fixture(scope="module")
def browsers(chromium, live_server) -> Iterator[Browsers]:
    opened = Browsers(chromium, live_server.url)
    yield opened
    opened.close()


def test_visitors_arriving_together_at_a_fresh_server_get_only_the_sign_in_page(chromium, demo_db_url, tmp_path):
    # Until the first st.navigation call, Streamlit runs a requested page file
    # directly; runs that start together must all go through the front door.
    server = LiveServer.start(demo_db_url, tmp_path)
    fresh = Browsers(chromium, server.url)
    try:
        assert_refused(fresh, None, "fresh server, no cookie")
        screenshot(fresh.pages[1], "fresh-server-overview-signed-out")
    finally:
        fresh.close()
        server.stop()


def test_signed_out_visitors_get_only_the_sign_in_page_at_every_url(browsers):
    assert_refused(browsers, None, "no cookie")


def test_forged_and_edited_cookies_open_nothing(chromium, live_server, browsers):
    admin = signed_in_token(chromium, live_server.url, "admin", "admin-demo-pass")
    reviewer = signed_in_token(chromium, live_server.url, "reviewer1", "reviewer-demo-pass")

    # Control: the real cookie does open every page in a new browser, so the
    # refusals below are about the cookies, not about how they are handed over.
    control = ["", "users", "rankings"]
    pages = browsers.visit([{"name": COOKIE, "value": admin, "url": live_server.url}], control)
    for title, page in zip(["Overview", "Users", "Rankings"], pages, strict=True):
        page.get_by_role("heading", name=title, exact=True).wait_for()
        assert nav_links(page) == [p.title for p in pages_for("admin")]

    future = time.time() + 30 * 86400
    admin_claims = jwt.decode(admin, KEY, algorithms=["HS256"])
    reviewer_claims = jwt.decode(reviewer, KEY, algorithms=["HS256"])
    hs256 = {"alg": "HS256", "typ": "JWT"}
    forged = {
        "signed with the library's default key": jwt.encode(
            {"username": "admin", "exp_date": future}, "some_key", algorithm="HS256"
        ),
        "signed with the right key, never issued": jwt.encode(
            {"username": "admin", "exp_date": future, "jti": secrets.token_hex(16)}, KEY, algorithm="HS256"
        ),
        "a reviewer's cookie renamed to admin, re-signed": jwt.encode(
            {**reviewer_claims, "username": "admin"}, KEY, algorithm="HS256"
        ),
        "the admin's cookie with a later expiry, re-signed": jwt.encode(
            {**admin_claims, "exp_date": admin_claims["exp_date"] + 30 * 86400}, KEY, algorithm="HS256"
        ),
        "the admin's cookie with a later expiry, signature kept": by_hand(
            hs256, {**admin_claims, "exp_date": future + 86400}, admin.split(".")[2]
        ),
        "a reviewer's cookie renamed to admin, signature kept": by_hand(
            hs256, {**reviewer_claims, "username": "admin"}, reviewer.split(".")[2]
        ),
        "unsigned (alg none)": by_hand({"alg": "none", "typ": "JWT"}, {"username": "admin", "exp_date": future}, ""),
    }
    for what, token in forged.items():
        assert token not in (admin, reviewer)
        # The cookie is judged in app.py before any page is chosen; every URL is
        # tried with the strongest forgery, and a page of each kind with the others.
        assert_refused(browsers, token, what, URLS if "never issued" in what else SAMPLE)


ROLES = {u.username: (u.role, u.password) for u in DEMO_USERS}


@pytest.mark.parametrize("username", ["reviewer2", "office", "admin"])
def test_the_wrong_role_typing_a_pages_url_gets_nothing_of_it(chromium, live_server, browsers, username):
    role, password = ROLES[username]
    token = signed_in_token(chromium, live_server.url, username, password)
    forbidden = [spec.url_path for spec in PAGES if role not in spec.roles]
    pages = browsers.visit([{"name": COOKIE, "value": token, "url": live_server.url}], forbidden)
    for refused, (path, page) in enumerate(zip(forbidden, pages, strict=True)):
        # Streamlit does not know the page for this role: it says so and runs the overview.
        page.get_by_role("heading", name="Overview", exact=True).wait_for()
        wait_idle(page)
        assert NOT_FOUND in page.locator('[role="dialog"]').inner_text(), path
        headings = {h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()}
        assert not headings & (TITLES - {"Overview"}), (path, headings)
        assert nav_links(page) == [p.title for p in pages_for(role)], path
        if refused == 0:
            screenshot(page, f"wrong-role-{role}-{path}")


@pytest.mark.parametrize("change", ["password changed", "deactivated"])
def test_a_cookie_is_refused_in_a_new_browser_after_a_password_change_or_deactivation(
    chromium, live_server, demo_db_url, browsers, change
):
    db = Database(demo_db_url)
    username = f"replay-{change.split()[0]}-{secrets.token_hex(3)}"
    with db.write() as s:
        person = make_user(s, role="reviewer", username=username)
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    sign_in(page, live_server.url, username, TEST_PASSWORD)
    cookie = next(c for c in context.cookies() if c["name"] == COOKIE)

    # Before the change the cookie opens the app in another browser too.
    other = browsers.visit([cookie], ["my_reviews"])[0]
    screenshot(other, f"replay-{change.split()[0]}-before")
    other.get_by_role("heading", name="My reviews", exact=True).wait_for()

    with db.write() as s:
        if change == "deactivated":
            users.set_active(s, user_id=person.user_id, active=False, actor="admin")
        else:
            users.set_password(s, user_id=person.user_id, password_hash=password_hash("another-pass-42"), actor="admin")
    db.dispose()

    assert_refused(browsers, cookie["value"], f"cookie replayed after: {change}", SAMPLE)
    # The browser that was signed in is signed out at its next action, and told why.
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Submissions").click()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    assert change.split()[0] in page.locator('[data-testid="stAlert"]').first.inner_text()
    screenshot(page, f"replay-{change.split()[0]}")
    context.close()
