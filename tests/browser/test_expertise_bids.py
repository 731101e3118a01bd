"""Expertise and bids in a real browser, on a fresh copy of the demo call (300
submissions, issue 21): a reviewer sees the bids list a page at a time with
the count of matches, finds a submission of a later page by typing its
reference, and saves a bid on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from access.roles import Role
from access.visibility import Viewer
from data_access import expertise as ex
from data_access.bid_models import SubmissionBid
from data_access.db import Database
from data_access.models import User
from tests.browser.conftest import own_demo_server
from tests.support.browser import wait_idle
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in
from ui.paging import PAGE_SIZE

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """A server of its own on a fresh demo call: these bids reach no other test's data."""
    with own_demo_server(tmp_path_factory.mktemp("bids")) as pair:
        yield pair


def _reviewer(db: Database) -> Viewer:
    with db.read() as s:
        user = s.scalars(
            select(User).where(User.role == Role.REVIEWER, User.active.is_(True)).order_by(User.username)
        ).first()
        assert user is not None
        return Viewer(user.id, user.username, user.name, user.role)


def test_a_reviewer_finds_a_submission_of_a_later_page_by_reference_and_bids(page, served, call_config):
    server, db = served
    viewer = _reviewer(db)
    with db.read() as s:
        listed = ex.bid_list(s, viewer, call_config)
    assert len(listed) > 2 * PAGE_SIZE  # several pages
    target = listed[2 * PAGE_SIZE + 3]  # on page 3

    arrive_signed_in(page, server.url, db.url, viewer.username)
    page.goto(f"{server.url}/my_expertise")
    page.get_by_role("heading", name="Your bids").wait_for()
    wait_idle(page)
    expect(page.get_by_text(f"Showing 1–{PAGE_SIZE} of {len(listed):,}.")).to_be_visible()
    expect(page.get_by_text(f"{len(listed):,} submissions match.")).to_be_visible()

    page.get_by_label("Find by reference, title or organisation").fill(target.reference)
    page.keyboard.press("Enter")
    expect(page.get_by_text("1 submission match.")).to_be_visible()
    wait_idle(page)
    page.get_by_text("Eager", exact=True).click()
    wait_idle(page)
    page.get_by_role("button", name="Save bid").click()
    expect(page.get_by_text(f"Saved your bid on {target.reference}: Eager.")).to_be_visible()
    with db.read() as s:
        stored = s.execute(select(SubmissionBid.submission_id, SubmissionBid.level)).all()
    assert [tuple(row) for row in stored] == [(target.submission_id, "eager")]
