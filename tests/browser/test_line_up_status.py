"""The Line-up status page in a real browser at phone width: the office opens it by its
address on the demo call (a signed-off line-up with replies) and reads the six counts, the
presenters and the balance, with nothing wider than the screen and no serious or critical
axe-core violation; a picture goes to docs/img/ for docs/selection.md. A reviewer opening
the same address is refused in words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.test_messages import DOCS_IMG, accessible
from tests.support.browser import go_to, nav_links, wait_idle
from tests.support.returning import arrive_signed_in
from ui.guard import wrong_role_message
from ui.line_up_status import METRICS
from ui.navigation import pages_for

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
PAGE = "line_up_status"


def _phone(chromium):
    context = chromium.new_context(viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return context, page


def test_the_office_reads_the_line_up_status_on_a_phone(chromium, live_server, demo_db_url):
    context, page = _phone(chromium)
    try:
        arrive_signed_in(page, live_server.url, demo_db_url, "office")
        page.goto(f"{live_server.url}/{PAGE}")
        page.get_by_role("heading", name="Line-up status").first.wait_for()
        page.get_by_role("heading", name="Balance of the confirmed line-up").first.wait_for()
        wait_idle(page)
        metrics = page.get_by_test_id("stMetric")
        # Waited for, not counted at once: CI once counted none here while the heading below them was drawn.
        expect(metrics).to_have_count(len(METRICS))
        values = {}
        for i in range(metrics.count()):
            label = metrics.nth(i).get_by_test_id("stMetricLabel").inner_text().strip()
            values[label] = int(metrics.nth(i).get_by_test_id("stMetricValue").inner_text())
        assert list(values) == [label for label, _ in METRICS]
        # The demo: two accepted (one each way), one declined, one past its date, the rest awaiting.
        assert values["Accepted in person"] == values["Accepted virtually"] == values["Declined"] == 1
        assert values["No reply by the deadline"] == 1
        assert values["Invited"] == sum(v for k, v in values.items() if k != "Invited") >= 4
        # Nothing wider than the phone: no sideways scrolling of the page itself.
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        accessible(page, "line-up status at phone width")
        path = screenshot(page, "office-line-up-status-phone")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        (DOCS_IMG / "line-up-status-phone.png").write_bytes(path.read_bytes())
    finally:
        context.close()


def test_a_reviewer_is_refused_the_page(chromium, live_server, demo_db_url):
    context, page = _phone(chromium)
    try:
        arrive_signed_in(page, live_server.url, demo_db_url, "reviewer1")
        page.goto(f"{live_server.url}/{PAGE}")
        page.get_by_text(wrong_role_message("reviewer", PAGE)).first.wait_for()
        wait_idle(page)
        assert page.get_by_test_id("stMetric").count() == 0
    finally:
        context.close()


def test_the_admin_menu_lists_every_page_with_line_up_status_among_them(page, live_server, demo_db_url):
    """Thirteen pages: Streamlit would fold a menu of more than twelve to ten ("View 3 more"),
    hiding the admin's Users, Messages and Audit log; the menu is kept expanded."""
    arrive_signed_in(page, live_server.url, demo_db_url, "admin")
    expected = [p.title for p in pages_for("admin")]
    assert len(expected) > 12 and "Line-up status" in expected
    assert nav_links(page) == expected
    go_to(page, "Line-up status")
    page.get_by_role("heading", name="Balance of the confirmed line-up").first.wait_for()
    assert nav_links(page) == expected
