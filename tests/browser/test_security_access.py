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
from sqlalchemy import func, select

from bench.stream_wire import COOKIE, issued_token
from data_access import users
from data_access.db import Database
from data_access.models import Assignment, AuditEntry, Submission
from tests.browser.conftest import screenshot
from tests.factories import TEST_PASSWORD, make_user, password_hash
from tests.support.browser import nav_links, sign_in, wait_idle, wait_loaded
from tests.support.live import LiveServer
from ui.guard import wrong_role_message
from ui.navigation import PAGES, pages_for

KEY = os.environ["EVIDENCE_COOKIE_KEY"]  # the key the test servers sign with (tests/conftest.py)
URLS = ["", *(spec.url_path for spec in PAGES)]
TITLES = {spec.title for spec in PAGES}
# "Page not found" is Streamlit's own notice for a page it does not know; a page this visitor may not
# open is known (registered, hidden from their menu), and its guard refuses it in words.
SIGN_IN_HEADINGS = {"Evidence review", "Sign in"}
NOT_FOUND = "Page not found"
SAMPLE = ["", "users", "rankings", "my_reviews"]
WRONG_ROLE_USERS = {
    "reviewer": "reviewer2",
    "office": "office",
    "admin": "admin",
}  # the front page, and a page for admin, office and reviewers


class Browsers:
    """Browsers of their own, loading their visits together: the server answers
    them in parallel (tabs of a single browser in the background would not
    render). Reused, they keep the app's scripts cached."""

    def __init__(self, chromium, base_url: str, n: int = len(URLS)) -> None:
        self.base_url = base_url
        self.pages = []
        for _ in range(n):
            page = chromium.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(60_000)
            self.pages.append(page)

    def visit(self, visits: list[tuple[str, str | None]]) -> Iterator[tuple[str, str | None, object]]:
        """Open each (path, cookie or None) in a browser of its own; as many rounds as it takes."""
        for first in range(0, len(visits), len(self.pages)):
            batch = list(zip(visits[first : first + len(self.pages)], self.pages, strict=False))
            for (path, cookie), page in batch:
                page.context.clear_cookies()
                if cookie is not None:
                    page.context.add_cookies([{"name": COOKIE, "value": cookie, "url": self.base_url}])
                page.goto(f"{self.base_url}/{path}", wait_until="commit")
            for (path, cookie), page in batch:
                page.locator('h1, [data-testid="stAlert"]').first.wait_for()  # a page, or a refusal
                wait_idle(page, timeout=60_000)
                yield path, cookie, page

    def close(self) -> None:
        for page in self.pages:
            page.context.close()


def assert_only_the_sign_in_page(page, what: str) -> None:
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()  # the form, drawn last
    wait_idle(page)
    assert nav_links(page) == [], what
    headings = {h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()}
    assert headings - {NOT_FOUND} == SIGN_IN_HEADINGS, what
    body = page.locator("body").inner_text()
    for leak in ("Signed in as", "Sign out", "not available", "CFE-", "reviewer1", "Demo Coordinator"):
        assert leak not in body, (what, leak)


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


def test_signed_out_visitors_arriving_together_at_a_fresh_server_get_only_the_sign_in_page_at_every_url(
    chromium, demo_db_url, tmp_path
):
    # Until the first st.navigation call, Streamlit runs a requested page file
    # directly; runs that start together must all go through the front door.
    server = LiveServer.start(demo_db_url, tmp_path)
    fresh = Browsers(chromium, server.url)
    try:
        for path, _cookie, page in fresh.visit([(path, None) for path in URLS]):
            assert_only_the_sign_in_page(page, f"signed out, fresh server, /{path}")
        screenshot(fresh.pages[1], "fresh-server-overview-signed-out")
    finally:
        fresh.close()
        server.stop()


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")  # the default key is short, on purpose
def test_forged_and_edited_cookies_open_nothing(live_server, demo_db_url, browsers):
    admin = issued_token(demo_db_url, "admin")
    reviewer = issued_token(demo_db_url, "reviewer1")

    # Control: a cookie the server issued opens the app in a browser it was
    # handed to, so the refusals below are about the cookies, not the handing over.
    for path, _cookie, page in browsers.visit([("", admin), ("users", admin), ("my_reviews", reviewer)]):
        page.get_by_role(
            "heading", name={"": "Overview", "users": "Users"}.get(path, "My reviews"), exact=True
        ).wait_for()

    future = time.time() + 30 * 86400
    admin_claims = jwt.decode(admin, KEY, algorithms=["HS256"])
    reviewer_claims = jwt.decode(reviewer, KEY, algorithms=["HS256"])
    hs256 = {"alg": "HS256", "typ": "JWT"}
    strongest = "signed with the right key, never issued"
    forged = {
        strongest: jwt.encode(
            {"username": "admin", "exp_date": future, "jti": secrets.token_hex(16)}, KEY, algorithm="HS256"
        ),
        "signed with the library's default key": jwt.encode(
            {"username": "admin", "exp_date": future}, "some_key", algorithm="HS256"
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
    what = {token: name for name, token in forged.items()}
    assert len(what) == len(forged) and not {admin, reviewer} & set(what)
    # The cookie is judged in app.py before any page is chosen: the strongest
    # forgery is tried at every URL, the others at a page of each kind.
    visits = [(path, forged[strongest]) for path in URLS]
    visits += [(path, token) for name, token in forged.items() if name != strongest for path in SAMPLE]
    for path, token, page in browsers.visit(visits):
        assert_only_the_sign_in_page(page, f"{what[token]} at /{path}")


def test_the_wrong_role_typing_a_pages_url_gets_nothing_of_it(live_server, demo_db_url, browsers):
    db = Database(demo_db_url)
    with db.read() as s:
        last_entry = s.scalar(select(func.max(AuditEntry.id))) or 0
    tokens = {role: issued_token(demo_db_url, username) for role, username in WRONG_ROLE_USERS.items()}
    role_of = {token: role for role, token in tokens.items()}
    key_of = {spec.url_path: spec.key for spec in PAGES}
    visits = [(spec.url_path, tokens[role]) for role in tokens for spec in PAGES if role not in spec.roles]
    shot = set()
    for path, token, page in browsers.visit(visits):
        role = role_of[token]
        # The page's own guard answers, in words; nothing of the page, and the menu is the role's own.
        page.get_by_text(wrong_role_message(role, key_of[path])).wait_for()
        wait_idle(page)
        assert NOT_FOUND not in page.content(), (role, path)
        headings = {h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()}
        assert not headings & TITLES, (role, path, headings)
        assert nav_links(page) == [p.title for p in pages_for(role)], (role, path)
        if role not in shot:
            shot.add(role)
            screenshot(page, f"wrong-role-{role}-{path}")
    assert shot == set(tokens)
    # Each refusal is in the audit log: who, which page.
    with db.read() as s:
        logged = set(
            s.execute(
                select(AuditEntry.actor, AuditEntry.entity_id).where(
                    AuditEntry.id > last_entry, AuditEntry.action == "access.denied", AuditEntry.entity == "page"
                )
            ).all()
        )
    db.dispose()
    assert logged == {(WRONG_ROLE_USERS[role_of[token]], key_of[path]) for path, token in visits}


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
    cookie = next(c["value"] for c in context.cookies() if c["name"] == COOKIE)

    # Before the change the cookie opens the app in another browser too.
    [(_path, _cookie, other)] = browsers.visit([("my_reviews", cookie)])
    other.get_by_role("heading", name="My reviews", exact=True).first.wait_for()

    with db.write() as s:
        if change == "deactivated":
            users.set_active(s, user_id=person.user_id, active=False, actor="admin")
        else:
            users.set_password(s, user_id=person.user_id, password_hash=password_hash("another-pass-42"), actor="admin")
    db.dispose()

    for path, _cookie, tab in browsers.visit([(path, cookie) for path in SAMPLE]):
        assert_only_the_sign_in_page(tab, f"cookie replayed after: {change}, at /{path}")
    # The browser that was signed in is signed out at its next action, and told why.
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Submissions").click()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    assert change.split()[0] in page.locator('[data-testid="stAlert"]').first.inner_text()
    screenshot(page, f"replay-{change.split()[0]}")
    context.close()


def test_a_reviewer_opening_a_link_to_a_submission_not_theirs_is_refused_once(chromium, live_server, demo_db_url):
    """A fresh page load runs the page once: the refusal is shown and logged
    exactly once (the cookie component, which asks for a rerun as it mounts,
    is drawn only when the cookie changes)."""
    db = Database(demo_db_url)
    try:
        with db.read() as s:
            reviewer = users.get_user_by_username(s, "reviewer2")
            theirs = select(Assignment.submission_id).where(Assignment.reviewer_id == reviewer.id)
            reference = s.scalars(select(Submission.reference).where(Submission.id.not_in(theirs)).limit(1)).one()
            # Other tests of this server may have been refused the same reference: count only from here.
            before = s.scalar(select(func.coalesce(func.max(AuditEntry.id), 0)))
        token = issued_token(demo_db_url, "reviewer2")
        context = chromium.new_context(viewport={"width": 1200, "height": 900})
        context.add_cookies([{"name": COOKIE, "value": token, "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/submissions?ref={reference}")
        page.get_by_text("That submission is not available to you.").wait_for()
        wait_idle(page)
        wait_loaded(page)
        # No second run is coming: the page drew no component frame (the cookie component, which asks
        # for a run as it mounts, is drawn only when the cookie changes), so nothing in it can ask for one.
        assert page.locator("iframe").count() == 0
        wait_idle(page)
        body = page.locator("body").inner_text()
        context.close()
        with db.read() as s:
            denied = s.execute(
                select(AuditEntry.at, AuditEntry.detail).where(
                    AuditEntry.action == "access.denied",
                    AuditEntry.actor == "reviewer2",
                    AuditEntry.entity_id == reference,
                    AuditEntry.id > before,
                )
            ).all()
    finally:
        db.dispose()
    assert reference not in body
    assert len(denied) == 1, denied
