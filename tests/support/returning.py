"""Signing a browser in the way a returning user arrives, for browser tests that are not about signing in.

A sign-in through the form costs a test a few seconds (the password check, the cookie component's
round trip, two script runs). A returning user instead arrives with the cookie an earlier sign-in
stored: `arrive_signed_in` takes that cookie as the app issues it (`bench.stream_wire.issued_token`:
the token `ui.auth` makes at a sign-in, signed with the servers' EVIDENCE_COOKIE_KEY, and its
server-side session record), sets it on the page's browser context before the first page load and
opens the app: the server's gate and `ui.auth.authenticate` check it as they check any cookie.
Tests about signing in, sessions, revocation and cookies keep signing in through the form
(tests.support.browser.sign_in)."""

from __future__ import annotations

from bench.stream_wire import COOKIE, issued_token
from tests.support.browser import wait_idle


def arrive_signed_in(page, base_url: str, database_url: str, username: str) -> None:
    """Open `base_url` as `username` arriving with the cookie of an earlier sign-in (issued now, on the
    database at `database_url` that the server at `base_url` uses), and wait for the Overview page's run
    to end, as `sign_in` leaves the page."""
    token = issued_token(database_url, username)
    # Off the app first: a page left on it (signed out a moment ago, say) may still have a cookie component
    # to run, whose deletion of the old cookie would land on this one.
    page.goto("about:blank")
    page.context.add_cookies([{"name": COOKIE, "value": token, "url": base_url, "sameSite": "Strict"}])
    page.goto(base_url)
    page.get_by_role("heading", name="Overview").first.wait_for()
    page.get_by_role("button", name="Sign out").wait_for()
    wait_idle(page)
