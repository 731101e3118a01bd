"""Small helpers for driving the Streamlit app in Chromium."""

from __future__ import annotations


def wait_idle(page, timeout: int = 30_000) -> None:
    """Wait until Streamlit has finished the current run and cleared what the
    run before it drew (elements kept a moment, marked stale, would otherwise
    be found twice or clicked to no effect)."""
    page.wait_for_timeout(150)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout)
    page.wait_for_function("() => !document.querySelector('[data-stale=\"true\"]')", timeout=timeout)


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(base_url)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").first.wait_for()  # a redraw may hold two a moment
    wait_for_cookie(page)


def wait_for_cookie(page, name: str = "evidence_review_session", timeout_ms: int = 15_000) -> None:
    """After a sign-in the cookie component mounts and reruns the page once
    or twice; wait until the browser holds the cookie and the app is idle."""
    waited = 0
    while not any(c["name"] == name for c in page.context.cookies()):
        if waited > timeout_ms:
            raise AssertionError("the sign-in cookie was never written")
        page.wait_for_timeout(100)
        waited += 100
    page.wait_for_timeout(300)
    wait_idle(page)


def nav_links(page) -> list[str]:
    """The page titles listed in the sidebar navigation."""
    # Each link's text is the icon's name, then the title.
    return [t.strip().split("\n")[-1] for t in page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()]


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)


def go_to(page, title: str) -> None:
    """Open a page through the sidebar navigation and wait for its heading."""
    page.get_by_test_id("stSidebarNavItems").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title, exact=True).first.wait_for()
    wait_idle(page)


def choose(page, box: str, option: str, attempts: int = 3):
    """Choose `option` in the select box labelled `box`; returns the option's
    locator once it is in the opened list (click it to choose). A click that
    lands while a run redraws the box can leave its list closed: it is opened
    again (at most `attempts` times), never waited for blindly."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    choice = page.get_by_role("option", name=option, exact=True)
    for attempt in range(attempts):
        wait_idle(page)
        page.get_by_role("combobox", name=box).click()
        try:
            choice.wait_for(timeout=5_000)
            return choice
        except PlaywrightTimeout:
            if attempt == attempts - 1:
                raise
    return choice
