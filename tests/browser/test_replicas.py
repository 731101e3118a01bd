"""Two app servers ("replicas") against one PostgreSQL database, as docs/deploy.md sets them up: the same
DATABASE_URL and the same EVIDENCE_COOKIE_KEY (and Streamlit cookie secret), a browser on each.

Nothing lives only in one replica: a review saved through one is seen, with its status and values,
through the other, by its reviewer and by the admin; and the sign-in cookie one replica issues signs
the same browser in on the other (same key, one shared table of sign-ins), while a server with
another key refuses it, and a sign-out through one ends the sign-in on both."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from config import load_call_config
from data_access.db import Database
from data_access.demo import seed_demo
from data_access.models import User
from data_access.reviews import get_own_review
from tests.browser.conftest import screenshot
from tests.browser.test_reviewing import COMMENT_LABEL, _untouched, choose, click, open_review, score
from tests.support.accounts import give_test_passwords, password_of
from tests.support.browser import nav_links, sign_in, sign_out, wait_for_cookie, wait_idle
from tests.support.live import LiveServer
from ui.navigation import pages_for

pytestmark = [pytest.mark.browser, pytest.mark.postgres]

COOKIE = "evidence_review_session"


@pytest.fixture(scope="module")
def replicas(pg_cluster, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[list[LiveServer], Database]]:
    """Two servers on one fresh PostgreSQL database holding the demo call."""
    name = pg_cluster.create_database()  # a copy of the migrated template
    db = Database(pg_cluster.url(name))
    seed_demo(db, config=load_call_config(), bcrypt_rounds=4)
    give_test_passwords(db)
    folder = tmp_path_factory.mktemp("replicas")
    # EVIDENCE_COOKIE_KEY comes from the environment (tests/conftest.py), as from a shared secrets file.
    shared = {"STREAMLIT_SERVER_COOKIE_SECRET": secrets.token_hex(32)}
    servers: list[LiveServer] = []
    try:
        for _ in range(2):
            servers.append(LiveServer.start(db.url, folder, extra_env=shared))
        yield servers, db
    finally:
        for server in servers:
            server.stop()
        db.dispose()
        pg_cluster.drop_database(name)


def _context(chromium):
    return chromium.new_context(viewport={"width": 1400, "height": 1800})


def _signed_in_as(page, base_url: str, role: str) -> None:
    """The page at `base_url` opens signed in (no sign-in form), with that role's pages."""
    page.goto(base_url)
    page.get_by_role("heading", name="Overview").first.wait_for()  # a redraw may hold two a moment
    wait_idle(page)
    assert page.get_by_role("button", name="Sign in").count() == 0
    assert nav_links(page) == [p.title for p in pages_for(role)]


def test_a_review_saved_through_one_replica_is_seen_through_the_other(chromium, replicas):
    (one, two), db = replicas
    (submission, reference), *_ = _untouched(db, "reviewer3")
    with db.read() as s:
        reviewer = s.scalar(select(User.id).where(User.username == "reviewer3"))

    first = _context(chromium)
    second = _context(chromium)
    admin = _context(chromium)
    try:
        # A draft saved through replica 1 ...
        through_one = first.new_page()
        sign_in(through_one, one.url, "reviewer3", password_of("reviewer3"))
        open_review(through_one, one.url, reference)
        score(through_one, "2", "4", "3", "Saved through the first replica.")
        click(through_one, "Save draft")
        through_one.get_by_text("Draft saved.").wait_for()

        # ... is the reviewer's draft, with its values, through replica 2 (another browser, signed in there).
        through_two = second.new_page()
        sign_in(through_two, two.url, "reviewer3", password_of("reviewer3"))
        open_review(through_two, two.url, reference)
        through_two.get_by_text("Draft saved").wait_for()
        expect(through_two.get_by_label(COMMENT_LABEL)).to_have_value("Saved through the first replica.")
        promise = through_two.locator('[data-testid="stRadio"]').filter(has_text="Promise")
        expect(promise.get_by_role("radio", name="2", exact=True)).to_be_checked()
        screenshot(through_two, "replica-two-sees-the-draft")

        # Submitted through replica 2 (its version is the one saved through replica 1) ...
        choose(through_two, "Survivor involvement", "4")
        click(through_two, "Submit")
        through_two.get_by_text("Review submitted").wait_for()

        # ... replica 1 shows it submitted, with replica 2's values, when the reviewer opens it again there.
        open_review(through_one, one.url, reference)
        through_one.get_by_text("You can now read the other reviews below.").wait_for()
        through_one.get_by_text("Saved through the first replica.").wait_for()
        assert through_one.get_by_role("button", name="Reopen to change it").count() == 1

        # The admin, signed in through replica 2, reads it with its author's name.
        as_admin = admin.new_page()
        sign_in(as_admin, two.url, "admin", password_of("admin"))
        as_admin.goto(f"{two.url}/submissions?ref={reference}")
        as_admin.get_by_text("Saved through the first replica.").wait_for()
        wait_idle(as_admin)
        with db.read() as s:
            reviewer_name = s.scalar(select(User.name).where(User.id == reviewer))
        as_admin.get_by_text(reviewer_name).first.wait_for()
        screenshot(as_admin, "replica-two-admin-reads-the-review")
    finally:
        for context in (first, second, admin):
            context.close()

    with db.read() as s:
        stored = get_own_review(s, submission_id=submission, reviewer_id=reviewer)
    assert (stored.status, stored.version, stored.comment) == ("submitted", 2, "Saved through the first replica.")
    assert stored.scores == {"promise": 2, "evidence_strength": 4, "survivor_involvement": 4}


def test_one_replicas_sign_in_cookie_signs_the_browser_in_on_the_other(chromium, replicas, tmp_path):
    (one, two), db = replicas
    context = _context(chromium)
    try:
        page = context.new_page()
        sign_in(page, one.url, "office", password_of("office"))
        wait_for_cookie(page, COOKIE)
        # Both servers are on 127.0.0.1, so the browser sends replica 1's cookie to replica 2 as well:
        # a fresh page there (a new Streamlit session, no state) is signed in by the cookie alone.
        fresh = context.new_page()
        _signed_in_as(fresh, two.url, "office")
        screenshot(fresh, "replica-two-signed-in-by-the-cookie")

        # A server with another cookie key refuses the same cookie.
        other = LiveServer.start(db.url, tmp_path, extra_env={"EVIDENCE_COOKIE_KEY": "other-" + secrets.token_hex(24)})
        try:
            stranger = context.new_page()
            stranger.goto(other.url)
            stranger.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
            wait_idle(stranger)
            assert nav_links(stranger) == []
            stranger.close()
        finally:
            other.stop()

        # Signing out through replica 2 ends the sign-in that replica 1 issued, in the shared table:
        # the same cookie, put back in the browser, no longer opens replica 1.
        issued = next(c for c in context.cookies() if c["name"] == COOKIE)
        sign_out(fresh)
        context.add_cookies([{"name": COOKIE, "value": issued["value"], "url": one.url}])
        again = context.new_page()
        again.goto(one.url)
        again.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
        wait_idle(again)
        assert nav_links(again) == []
    finally:
        context.close()
