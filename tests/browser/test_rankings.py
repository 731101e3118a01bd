"""The rankings page in a real browser on the demo call: admin sees the
leniency chart and the reviews behind a row; the office sees neither."""

import pytest
from playwright.sync_api import expect

from data_access.demo import DEMO_USERS
from tests.browser.conftest import screenshot
from tests.support.browser import wait_idle
from tests.support.returning import arrive_signed_in

ACCOUNTS = {u.role: u for u in DEMO_USERS if u.username in ("admin", "office")}


@pytest.mark.parametrize("role", ["admin", "office"])
def test_rankings_page(page, live_server, demo_db_url, role):
    user = ACCOUNTS[role]
    arrive_signed_in(page, live_server.url, demo_db_url, user.username)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Rankings").click()
    page.get_by_role("heading", name="Rankings").first.wait_for()
    wait_idle(page)
    expect(page.get_by_text("Sorted by the calibrated score, highest first.")).to_be_visible()
    page.get_by_role("heading", name="Scores and agreement").first.wait_for()
    # The page's last element: the office's last caption, or the admin's leniency chart.
    page.get_by_text(
        "Dots off the dotted line moved" if role == "office" else "the calibrated score removes this"
    ).wait_for()
    wait_idle(page)
    expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(3 if role == "admin" else 2)
    charts = page.locator('[data-testid="stPlotlyChart"]')
    leniency = page.get_by_role("heading", name="Reviewers' leniency (admin only)")
    assert leniency.count() == (1 if role == "admin" else 0)
    screenshot(page, f"{role}-rankings")
    charts.last.scroll_into_view_if_needed()
    wait_idle(page)
    screenshot(page, f"{role}-rankings-charts")
