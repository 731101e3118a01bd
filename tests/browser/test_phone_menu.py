"""The phone layout: after a page is chosen from the menu, the menu closes and the page is in view.

Streamlit (1.67) closes its sidebar after a page is picked when the browser says it is a phone
(its user agent's device type is "mobile"), and starts it closed on a narrow screen; in any other
browser as narrow (a narrow window, a desktop at 400% zoom) `ui.phone_menu` closes it. Both are
tried at 390 px: a phone as Chromium emulates one (a phone's user agent, touch) and a narrow
desktop window: open the menu, pick a page, and the menu is closed and the page's heading in
view; a picture of each step goes to the screenshots. Also pictures of the Audit log at 320 px width and at 200% zoom
(docs/img/audit-log-*.png)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_messages import DOCS_IMG
from tests.support.accounts import password_of
from tests.support.browser import sign_in, wait_idle

pytestmark = pytest.mark.browser
PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.0.0 Mobile Safari/537.36"
)
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": PHONE_UA,
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}


def _sidebar_open(page) -> bool:
    return page.get_by_test_id("stSidebar").get_attribute("data-collapsed") == "false"


def _wait_sidebar(page, *, open_: bool) -> None:
    page.wait_for_function(
        "collapsed => document.querySelector('[data-testid=\"stSidebar\"]').dataset.collapsed === collapsed",
        arg="false" if open_ else "true",
    )


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("phone", PHONE),  # Streamlit closes its menu itself for a phone's browser
        ("narrow-window", {"viewport": {"width": 390, "height": 844}}),  # ui.phone_menu does it here
    ],
)
def test_on_a_narrow_screen_the_menu_closes_once_a_page_is_chosen(chromium, live_server, name, options):
    context = chromium.new_context(**options)
    page = context.new_page()
    page.set_default_timeout(30_000)
    press = (lambda target: target.tap()) if options.get("has_touch") else (lambda target: target.click())
    try:
        sign_in(page, live_server.url, "admin", password_of("admin"))
        wait_idle(page)
        assert not _sidebar_open(page)  # a narrow screen starts with the menu closed
        press(page.get_by_test_id("stExpandSidebarButton"))
        _wait_sidebar(page, open_=True)
        link = page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="Audit log", exact=True)
        link.wait_for()
        screenshot(page, f"{name}-menu-open")
        press(link)
        heading = page.get_by_role("heading", name="Audit log", exact=True).first
        heading.wait_for()
        wait_idle(page)
        _wait_sidebar(page, open_=False)
        box = heading.bounding_box()
        assert box is not None and 0 <= box["x"] < 390 and box["width"] > 0  # the page is in view, not under the menu
        screenshot(page, f"{name}-menu-closed-after-choosing")
    finally:
        context.close()


@pytest.mark.parametrize(
    ("name", "viewport", "zoom"),
    [("320px", {"width": 320, "height": 900}, 1), ("zoom-200", {"width": 1280, "height": 900}, 2)],
)
def test_the_audit_log_at_320_px_and_at_200_percent_zoom(chromium, live_server, name, viewport, zoom):
    # 200% zoom: a 1280 px window at twice the scale lays the page out at 640 CSS pixels, as browser zoom does.
    width = {"width": viewport["width"] // zoom, "height": viewport["height"] // zoom}
    context = chromium.new_context(viewport=width, device_scale_factor=zoom)
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, live_server.url, "admin", password_of("admin"))
        page.goto(f"{live_server.url}/audit_log")
        page.get_by_role("heading", name="Audit log", exact=True).first.wait_for()
        page.get_by_test_id("stDataFrame").first.wait_for()
        # The download is drawn after the table (and a run may follow the first): wait for it to be visible,
        # then for the page to be still (a fresh-clone run checked it once, at once, before it was drawn).
        page.get_by_role("button", name="Download as CSV").wait_for()
        wait_idle(page)
        # Nothing lost sideways: the page itself never scrolls wider than the window (the table scrolls inside).
        assert page.evaluate("() => document.documentElement.scrollWidth") <= width["width"]
        assert page.get_by_role("button", name="Download as CSV").is_visible()
        assert page.get_by_text("newest first", exact=False).first.is_visible()
        page.get_by_test_id("stDataFrame").first.scroll_into_view_if_needed()  # the picture shows the table
        path = screenshot(page, f"audit-log-{name}")
        DOCS_IMG.mkdir(parents=True, exist_ok=True)
        (DOCS_IMG / f"audit-log-{name}.png").write_bytes(path.read_bytes())
    finally:
        context.close()
