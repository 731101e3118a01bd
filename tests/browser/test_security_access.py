"""Sign-in, attacked: every page's URL for a signed-out visitor and for the
wrong role, forged cookies, and cookies replayed in a new browser after a
password change or a deactivation.

A refused visitor gets the sign-in page and nothing else: no navigation, no
page of the app, no data. (Replay after sign-out, and the same browser after a
password change, are in tests/browser/test_sign_in.py.)

The cookie is judged on the server, from the Cookie header of the WebSocket's
handshake (`st.context.cookies`), before any page is chosen: so the sweeps of
every URL are made as an attacker would make them, by a raw client speaking
Streamlit's protocol (`tests.support.stream_client`), which sends that header
and reads every message the server answers with. A real browser is kept for a
sample of each, with a picture, and for the control that an issued cookie opens
the app in a browser it is handed to.

| Behaviour | Protocol client (every URL) | Real browser (a sample) |
|---|---|---|
| Signed out, sessions arriving together at a fresh server | all 16 URLs at once: headings only "Evidence review" and "Sign in"; widgets only the sign-in form's; no navigation entry but "Sign in"; no byte of `LEAKS` | /, /users, /my_reviews at once with the sweep: no menu, headings only the sign-in page's, no `LEAKS` text; picture |
| Forged and edited cookies (7 forgeries) | every forgery at every URL (112 visits), as signed out above | the strongest forgery at / and /users, the unsigned one at /my_reviews, as above; picture; control: issued cookies open /, /users, /my_reviews |
| The wrong role typing a page's URL | every refused page of a reviewer, the office and the admin: the refusal in words; no page heading; the menu is the role's own; only the Sign out widget; not Streamlit's "Page not found"; no byte of the page's data; one access.denied row per visit | one refused page per role, as in the protocol column; picture; its access.denied rows |
| Replay after a password change or deactivation | | /, /users, /rankings, /my_reviews |

`LEAKS`: what a signed-in page shows and the sign-in page never does (the
demo call's anonymous submission's organisation, title and reference, every
account's name, the reviewers' usernames, "Signed in as", "Sign out"); a
control run with the admin's issued cookie carries each of them, so the sweep
would see them if they leaked.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import threading
import time
import warnings
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import jwt
import pytest
from jwt.warnings import InsecureKeyLengthWarning
from sqlalchemy import func, select

from bench.stream_wire import COOKIE, issued_token
from data_access import users
from data_access.db import Database
from data_access.demo import DEMO_USERS
from data_access.models import Assignment, AuditEntry, Submission
from tests.browser.conftest import screenshot
from tests.factories import TEST_PASSWORD, make_user, password_hash
from tests.support.browser import nav_links, sign_in, wait_idle, wait_loaded
from tests.support.live import LiveServer
from tests.support.stream_client import Run, open_stream, run_page
from ui.guard import wrong_role_message
from ui.navigation import PAGES, pages_for

KEY = os.environ["EVIDENCE_COOKIE_KEY"]  # the key the test servers sign with (tests/conftest.py)
URLS = ["", *(spec.url_path for spec in PAGES)]
TITLES = {spec.title for spec in PAGES}
# "Page not found" is Streamlit's own notice for a page it does not know; a page this visitor may not
# open is known (registered, hidden from their menu), and its guard refuses it in words.
SIGN_IN_HEADINGS = {"Evidence review", "Sign in"}
# The sign-in form's widgets (by their keys) and "Forgot your password?": all a signed-out visitor is given.
SIGN_IN_WIDGETS = {"sign_in.username", "sign_in.password", "FormSubmitter:sign_in-Sign in", "one_time.forgot"}
NOT_FOUND = "Page not found"
SAMPLE = ["", "users", "rankings", "my_reviews"]
BROWSER_SAMPLE = ["", "users", "my_reviews"]  # the front page, an admin's page, a reviewer's page
WRONG_ROLE_USERS = {
    "reviewer": "reviewer2",
    "office": "office",
    "admin": "admin",
}  # the front page, and a page for admin, office and reviewers
PARALLEL = 8  # protocol visits at once: each mostly waits (for a rerun that may follow a run)
STRONGEST = "signed with the right key, never issued"


class Browsers:
    """Browsers of their own, loading their visits together: the server answers
    them in parallel (tabs of a single browser in the background would not
    render). Reused, they keep the app's scripts cached."""

    def __init__(self, chromium, base_url: str, n: int = len(SAMPLE)) -> None:
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


def widget_keys(run: Run) -> set[str]:
    """The keys of the widgets a run drew (an id is `$$ID-<hash>-<key>`)."""
    return {widget_id.split("-", 2)[2] for widget_id in run.widget_ids()}


def navigation_names(run: Run) -> set[str]:
    """Every page the run's navigation registers, offered in the menu or hidden."""
    return {p.page_name for m in run.messages if m.WhichOneof("type") == "navigation" for p in m.navigation.app_pages}


def finished(run: Run) -> bool:
    return any(m.WhichOneof("type") == "script_finished" for m in run.messages)


def assert_only_the_sign_in_form(run: Run, leaks: list[str], what: str) -> None:
    """Over the protocol: the run finished, and drew the sign-in page and nothing else."""
    assert finished(run), (what, "the run did not finish")
    assert set(run.headings()) == SIGN_IN_HEADINGS, (what, run.headings())
    assert widget_keys(run) == SIGN_IN_WIDGETS, (what, widget_keys(run))
    assert navigation_names(run) == {"Sign in"}, (what, navigation_names(run))
    assert run.page_titles() == ["Sign in"], (what, run.page_titles())
    assert [leak for leak in leaks if run.carries(leak)] == [], what


def visit(base_url: str, path: str, cookie: str | None) -> Run:
    """One visit by the protocol: a new connection (a new browser), the cookie in its handshake."""
    with open_stream(base_url, origin=base_url, cookies={COOKIE: cookie} if cookie else None) as ws:
        return run_page(ws, path)


def visit_all(base_url: str, visits: list[tuple[str, str | None]]) -> list[Run]:
    with ThreadPoolExecutor(PARALLEL) as pool:
        return list(pool.map(lambda v: visit(base_url, *v), visits))


@pytest.fixture(scope="module")
def leaks(demo_db_url) -> list[str]:
    """What signed-in pages show and the sign-in page never does (the module's docstring)."""
    db = Database(demo_db_url)
    try:
        with db.read() as s:
            anonymous = s.execute(
                select(Submission.organisation, Submission.title, Submission.reference)
                .where(Submission.anonymous.is_(True))
                .limit(1)
            ).one()
    finally:
        db.dispose()
    reviewers = [u.username for u in DEMO_USERS if u.role == "reviewer"]
    return ["Signed in as", "Sign out", *anonymous, *(u.name for u in DEMO_USERS), *reviewers]


def by_hand(header: dict, claims: dict, signature: str) -> str:
    """A token assembled by hand: JSON header and claims, and whatever signature."""

    def part(data: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.{signature}"


def default_key_token(claims: dict) -> str:
    """Claims signed with streamlit-authenticator's default key (short: jwt warns, and is told to be quiet)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)
        return jwt.encode(claims, "some_key", algorithm="HS256")


@pytest.fixture(scope="module")
def forged(demo_db_url) -> dict[str, str]:
    """Cookies forged or edited, by what was done to them; none of them issued."""
    admin = issued_token(demo_db_url, "admin")
    reviewer = issued_token(demo_db_url, "reviewer1")
    future = time.time() + 30 * 86400
    admin_claims = jwt.decode(admin, KEY, algorithms=["HS256"])
    reviewer_claims = jwt.decode(reviewer, KEY, algorithms=["HS256"])
    hs256 = {"alg": "HS256", "typ": "JWT"}
    tokens = {
        STRONGEST: jwt.encode(
            {"username": "admin", "exp_date": future, "jti": secrets.token_hex(16)}, KEY, algorithm="HS256"
        ),
        "signed with the library's default key": default_key_token({"username": "admin", "exp_date": future}),
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
    assert len(set(tokens.values())) == len(tokens) and not {admin, reviewer} & set(tokens.values())
    return tokens


@pytest.fixture(scope="module")
def browsers(chromium, live_server) -> Iterator[Browsers]:
    opened = Browsers(chromium, live_server.url)
    yield opened
    opened.close()


def test_signed_out_visitors_arriving_together_at_a_fresh_server_get_only_the_sign_in_page_at_every_url(
    chromium, demo_db_url, tmp_path, leaks
):
    # Until the first st.navigation call, Streamlit runs a requested page file
    # directly; runs that start together must all go through the front door.
    # Every URL by the protocol, and a sample in real browsers, at the same moment.
    server = LiveServer.start(demo_db_url, tmp_path)
    fresh = Browsers(chromium, server.url, n=len(BROWSER_SAMPLE))
    start = threading.Barrier(len(URLS) + 1)
    runs: dict[str, Run] = {}

    def arrive(path: str) -> None:
        with open_stream(server.url, origin=server.url) as ws:
            start.wait(timeout=60)
            runs[path] = run_page(ws, path)

    threads = [threading.Thread(target=arrive, args=(path,)) for path in URLS]
    try:
        for thread in threads:
            thread.start()
        start.wait(timeout=60)
        for path, _cookie, page in fresh.visit([(path, None) for path in BROWSER_SAMPLE]):
            assert_only_the_sign_in_page(page, f"signed out, fresh server, in a browser, /{path}")
        screenshot(fresh.pages[1], "fresh-server-users-signed-out")
        for thread in threads:
            thread.join(timeout=120)
    finally:
        fresh.close()
        server.stop()
    assert sorted(runs) == sorted(URLS)
    for path, run in runs.items():
        assert_only_the_sign_in_form(run, leaks, f"signed out, fresh server, /{path}")


def test_an_issued_cookie_carries_what_the_sweeps_look_for(live_server, demo_db_url, leaks):
    """The control of the protocol sweeps: the admin's issued cookie, over the
    same protocol, gets the pages and every string of `leaks`."""
    admin = issued_token(demo_db_url, "admin")
    runs = visit_all(live_server.url, [("users", admin), ("submissions", admin)])
    assert "Users" in runs[0].headings() and "Submissions" in runs[1].headings()
    assert [leak for leak in leaks if not any(run.carries(leak) for run in runs)] == []


def test_every_forged_or_edited_cookie_at_every_url_opens_nothing_over_the_protocol(live_server, forged, leaks):
    visits = [(path, token) for token in forged.values() for path in URLS]
    what = {token: name for name, token in forged.items()}
    for (path, token), run in zip(visits, visit_all(live_server.url, visits), strict=True):
        assert_only_the_sign_in_form(run, leaks, f"{what[token]} at /{path}")


def test_forged_and_edited_cookies_open_nothing(live_server, demo_db_url, browsers, forged):
    admin = issued_token(demo_db_url, "admin")
    reviewer = issued_token(demo_db_url, "reviewer1")

    # Control: a cookie the server issued opens the app in a browser it was
    # handed to, so the refusals below are about the cookies, not the handing over.
    for path, _cookie, page in browsers.visit([("", admin), ("users", admin), ("my_reviews", reviewer)]):
        page.get_by_role(
            "heading", name={"": "Overview", "users": "Users"}.get(path, "My reviews"), exact=True
        ).wait_for()

    # Every forgery at every URL is the protocol sweep's; a real browser gets a sample.
    unsigned = forged["unsigned (alg none)"]
    visits = [("", forged[STRONGEST]), ("users", forged[STRONGEST]), ("my_reviews", unsigned)]
    what = {token: name for name, token in forged.items()}
    for path, token, page in browsers.visit(visits):
        assert_only_the_sign_in_page(page, f"{what[token]} at /{path}")
        if path == "users":
            screenshot(page, "forged-cookie-users")


def denied_since(db_url: str, last_entry: int) -> Counter:
    """The access.denied rows for pages after audit entry `last_entry`: (who, which page), counted."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return Counter(
                s.execute(
                    select(AuditEntry.actor, AuditEntry.entity_id).where(
                        AuditEntry.id > last_entry, AuditEntry.action == "access.denied", AuditEntry.entity == "page"
                    )
                ).all()
            )
    finally:
        db.dispose()


def last_audit_entry(db_url: str) -> int:
    db = Database(db_url)
    try:
        with db.read() as s:
            return s.scalar(select(func.max(AuditEntry.id))) or 0
    finally:
        db.dispose()


def test_the_wrong_role_typing_any_pages_url_gets_nothing_of_it_over_the_protocol(live_server, demo_db_url, leaks):
    last_entry = last_audit_entry(demo_db_url)
    tokens = {role: issued_token(demo_db_url, username) for role, username in WRONG_ROLE_USERS.items()}
    role_of = {token: role for role, token in tokens.items()}
    visits = [(spec.url_path, tokens[role]) for role in tokens for spec in PAGES if role not in spec.roles]
    assert {role_of[token] for _path, token in visits} == set(tokens)
    key_of = {spec.url_path: spec.key for spec in PAGES}
    own = {role: next(u for u in DEMO_USERS if u.username == name) for role, name in WRONG_ROLE_USERS.items()}
    for (path, token), run in zip(visits, visit_all(live_server.url, visits), strict=True):
        role = role_of[token]
        what = (role, path)
        assert finished(run), what
        # The page's own guard answers, in words; nothing of the page, and the menu is the role's own.
        assert run.carries(wrong_role_message(role, key_of[path])), what
        assert not [m for m in run.messages if m.WhichOneof("type") == "page_not_found"], what
        assert not set(run.headings()) & TITLES, (what, run.headings())
        assert run.page_titles() == [p.title for p in pages_for(role)], what
        assert widget_keys(run) == {"sign_out"}, (what, widget_keys(run))
        mine = {own[role].name, own[role].username, "Signed in as", "Sign out"}
        assert [leak for leak in leaks if leak not in mine and run.carries(leak)] == [], what
    # Each refusal is in the audit log, once: who, which page.
    assert denied_since(demo_db_url, last_entry) == Counter(
        (WRONG_ROLE_USERS[role_of[token]], key_of[path]) for path, token in visits
    )


def pages_refused_first(role: str) -> str:
    """The URL of the first page `role` may not open."""
    return next(spec.url_path for spec in PAGES if role not in spec.roles)


def test_the_wrong_role_typing_a_pages_url_gets_nothing_of_it(live_server, demo_db_url, browsers):
    last_entry = last_audit_entry(demo_db_url)
    tokens = {role: issued_token(demo_db_url, username) for role, username in WRONG_ROLE_USERS.items()}
    role_of = {token: role for role, token in tokens.items()}
    key_of = {spec.url_path: spec.key for spec in PAGES}
    # In a real browser, one refused page of each role (every one is the protocol sweep's).
    visits = [(pages_refused_first(role), tokens[role]) for role in tokens]
    for path, token, page in browsers.visit(visits):
        role = role_of[token]
        page.get_by_text(wrong_role_message(role, key_of[path])).wait_for()
        wait_idle(page)
        assert NOT_FOUND not in page.content(), (role, path)
        headings = {h.strip() for h in page.locator("h1, h2, h3").all_inner_texts()}
        assert not headings & TITLES, (role, path, headings)
        assert nav_links(page) == [p.title for p in pages_for(role)], (role, path)
        screenshot(page, f"wrong-role-{role}-{path}")
    # Each refusal is in the audit log: who, which page.
    assert set(denied_since(demo_db_url, last_entry)) == {
        (WRONG_ROLE_USERS[role_of[token]], key_of[path]) for path, token in visits
    }


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
