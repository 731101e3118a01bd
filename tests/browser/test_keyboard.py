"""Titles and keyboard (issue 14, item 8), in a real browser: each tab names
its page; Tab never stops on a heading's link anchor; a score group shows a
strong outline while one of its radios has the keyboard's focus; labels are
plain words for a screen reader."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, wait_idle
from ui.navigation import pages_for

APP = "Evidence review"
HEADING_ANCHORS = 'a[aria-label="Link to heading"]'
# What Markdown would leave in a label read aloud: "**Promise**", "`code`", "__x__".
MARKDOWN_IN_LABEL = re.compile(r"\*\*|__|`")

# What has the keyboard's focus: its tag, whether it is a heading's anchor,
# and, for a radio, the outline and shadow of its group.
FOCUSED = """() => {
    const e = document.activeElement;
    const group = e.closest('[role="radiogroup"]');
    const style = group ? getComputedStyle(group) : null;
    return {
        tag: e.tagName,
        type: e.getAttribute('type'),
        text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 60),
        anchor: e.matches('a[href^="#"]') && !!e.closest('[data-testid="stHeaderActionElements"]'),
        group: group ? group.getAttribute('aria-label') : null,
        outline: style ? [style.outlineStyle, parseFloat(style.outlineWidth)] : null,
        shadow: style ? style.boxShadow : null,
    };
}"""


def labels(page) -> list[str]:
    """Every aria-label on the page, the names screen readers read for widgets."""
    return page.eval_on_selector_all("[aria-label]", "els => els.map(e => e.getAttribute('aria-label'))")


def assert_plain_page(page) -> None:
    """No heading link anchor drawn, no Markdown read aloud in a label."""
    assert page.locator(HEADING_ANCHORS).count() == 0
    assert [label for label in labels(page) if MARKDOWN_IN_LABEL.search(label)] == []


def test_each_tab_names_its_page_and_headings_carry_no_link_anchor(page, live_server):
    page.goto(live_server.url)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    expect(page).to_have_title(f"Sign in · {APP}")
    assert_plain_page(page)

    sign_in(page, live_server.url, "reviewer1", password_of("reviewer1"))
    expect(page).to_have_title(f"Overview · {APP}")
    assert_plain_page(page)
    go_to(page, "Submissions")
    expect(page).to_have_title(f"Submissions · {APP}")
    assert_plain_page(page)
    go_to(page, "My reviews")
    expect(page).to_have_title(f"My reviews · {APP}")
    page.reload()  # a tab opened on the page's address is titled too
    page.get_by_role("heading", name="My reviews", exact=True).first.wait_for()
    expect(page).to_have_title(f"My reviews · {APP}")


def test_each_admin_page_names_its_tab_and_reads_as_plain_words(page, live_server):
    sign_in(page, live_server.url, "admin", password_of("admin"))
    titles = [spec.title for spec in pages_for("admin")]
    assert len(titles) >= 3
    for title in titles:
        go_to(page, title)
        expect(page).to_have_title(f"{title} · {APP}")
        assert_plain_page(page)


def test_tabbing_through_my_reviews_skips_heading_anchors_and_shows_where_a_score_is(page, live_server):
    sign_in(page, live_server.url, "reviewer1", password_of("reviewer1"))
    go_to(page, "My reviews")
    groups = page.locator('[data-testid="stRadioGroup"]')
    expect(groups.first).to_be_visible()
    # Count once the form is drawn to its last group (a run may still be adding groups below the first).
    page.locator(".st-key-my_reviews-form").get_by_text("Your confidence", exact=True).wait_for()
    wait_idle(page)
    n_groups = groups.count()
    # Unfocused, a group has no outline: the outline below is the focus's.
    assert groups.first.evaluate("g => getComputedStyle(g).outlineStyle") == "none"

    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    stops, groups_reached, pictured = [], set(), False
    for _ in range(120):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        stops.append(focused)
        assert not focused["anchor"], f"a heading's link anchor took the focus after {len(stops)} Tabs"
        if focused["type"] == "radio":
            groups_reached.add(focused["group"])
            style, width = focused["outline"]
            assert (style != "none" and width >= 2) or focused["shadow"] != "none", (
                f"the score group {focused['group']!r} shows no focus: outline {style} {width}px"
            )
            if not pictured:
                screenshot(page, "reviewer-score-focus")
                pictured = True
        if len(stops) > 5 and focused == stops[0]:
            break  # round the whole page once
    assert len(groups_reached) == n_groups, f"Tab reached {len(groups_reached)} of {n_groups} score groups"
    assert any(s["text"].endswith("Sign out") for s in stops), "Tab did not go round the page"
