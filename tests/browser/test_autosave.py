"""Autosave in a real browser, on a fresh copy of the demo call: scores and
half a comment typed without leaving the text box are kept on the server and
come back after a reload, and after the browser is closed and the reviewer
signs in again; two tabs on the same review still meet the side-by-side
panel on the second save, never a silent overwrite."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import expect

from data_access.db import Database
from data_access.drafts import get_autosave
from data_access.reviews import get_own_review
from tests.browser.conftest import own_demo_server, screenshot
from tests.browser.test_reviewing import COMMENT_LABEL, _untouched, _user, choose, open_review
from tests.support.accounts import password_of
from tests.support.browser import sign_in, wait_idle
from tests.support.live import LiveServer

REVIEWER = "reviewer4"
SAVED = "Draft saved automatically at"


@pytest.fixture(scope="module")
def autosaving(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    with own_demo_server(tmp_path_factory.mktemp("autosave")) as served:
        yield served


def _eventually(check: Callable[[], bool], what: str, timeout_s: float = 20) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.2)


def _kept(db: Database, submission_id: int, reviewer_id: int):
    with db.read() as s:
        return get_autosave(s, submission_id=submission_id, reviewer_id=reviewer_id)


def _checked(page, group: str) -> str:
    radio = page.locator('[data-testid="stRadio"]').filter(has_text=group).first
    return radio.locator("label").filter(has=page.locator("input:checked")).inner_text().split("\n")[0].strip()


def _type_without_leaving(page, text: str) -> None:
    box = page.get_by_label(COMMENT_LABEL)
    box.click()
    box.press("End")
    box.press_sequentially(text, delay=15)


def test_typed_input_survives_a_reload_and_a_closed_browser(chromium, autosaving):
    server, db = autosaving
    reviewer = _user(db, REVIEWER)
    submission_id, reference = _untouched(db, REVIEWER)[0]
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, server.url, REVIEWER, password_of(REVIEWER))
    open_review(page, server.url, reference)
    choose(page, "Promise", "3")
    choose(page, "Evidence strength", "Cannot judge")
    _type_without_leaving(page, "Half a thought about the")
    page.get_by_text(SAVED).wait_for()  # the box still has the focus: nothing blurred it
    _eventually(lambda: (k := _kept(db, submission_id, reviewer)) and k.draft.comment == "Half a thought about the",
                "the comment as typed reached the server")  # fmt: skip
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"
    screenshot(page, "reviewer-autosaved")

    page.reload()
    page.get_by_role("heading", name="My reviews").first.wait_for()
    page.get_by_text(f"Submission {reference}").wait_for()
    wait_idle(page)
    expect(page.get_by_label(COMMENT_LABEL)).to_have_value("Half a thought about the", timeout=10_000)
    assert _checked(page, "Promise") == "3"
    assert _checked(page, "Evidence strength") == "Cannot judge"
    page.get_by_text("Your unsaved input from").wait_for()

    _type_without_leaving(page, " guardians' training")
    _eventually(
        lambda: _kept(db, submission_id, reviewer).draft.comment == "Half a thought about the guardians' training",
        "the added words reached the server",
    )
    context.close()  # the browser is closed with the review half written

    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, server.url, REVIEWER, password_of(REVIEWER))
        open_review(page, server.url, reference)
        expect(page.get_by_label(COMMENT_LABEL)).to_have_value(
            "Half a thought about the guardians' training", timeout=10_000
        )
        assert _checked(page, "Promise") == "3"
        page.get_by_role("button", name="Save draft").click()
        wait_idle(page)
        _eventually(lambda: _kept(db, submission_id, reviewer) is None, "the save ended the draft session")
    finally:
        context.close()


def test_two_tabs_on_one_review_still_meet_the_side_by_side_panel(chromium, autosaving):
    server, db = autosaving
    reviewer = _user(db, REVIEWER)
    submission_id, reference = _untouched(db, REVIEWER)[1]
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    try:
        first = context.new_page()
        first.set_default_timeout(30_000)
        sign_in(first, server.url, REVIEWER, password_of(REVIEWER))
        second = context.new_page()
        second.set_default_timeout(30_000)
        for tab in (first, second):
            open_review(tab, server.url, reference)
        choose(first, "Promise", "2")
        _type_without_leaving(first, "From the first tab.")
        first.get_by_text(SAVED).wait_for()
        choose(second, "Promise", "4")
        _type_without_leaving(second, "From the second tab.")
        second.get_by_text(SAVED).wait_for()
        # The second tab's words reach the server a moment after its last key:
        # wait for them, or they could arrive after the first tab's save and
        # start a new draft session (kept input, rightly) under this test's feet.
        _eventually(
            lambda: (
                (k := _kept(db, submission_id, reviewer)) is not None
                and k.draft.comment.endswith("From the second tab.")
            ),
            "the second tab's words reached the server",
        )
        first.get_by_role("button", name="Save draft").click()
        wait_idle(first)
        _eventually(lambda: _kept(db, submission_id, reviewer) is None, "the first tab's save")
        second.get_by_role("button", name="Save draft").click()
        wait_idle(second)
        # The refusal under the buttons, and the side-by-side panel above them.
        second.get_by_text("Not saved: this review was changed in another window or tab").wait_for()
        second.get_by_text("This review was changed in another window or tab since you opened it").wait_for()
        second.get_by_text("From the first tab.").first.wait_for()
        screenshot(second, "reviewer-autosave-two-tabs")
        with db.read() as s:
            stored = get_own_review(s, submission_id=submission_id, reviewer_id=reviewer)
        assert (stored.comment, stored.scores) == ("From the first tab.", {"promise": 2})  # nothing overwritten
    finally:
        context.close()


HOSTILE = (
    '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> **bold** [a](javascript:alert(1)) =SUM(A1)'
)


def test_hostile_text_typed_into_the_comment_is_kept_as_text_and_runs_nothing(chromium, autosaving):
    server, db = autosaving
    reviewer = _user(db, REVIEWER)
    submission_id, reference = _untouched(db, REVIEWER)[2]
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        sign_in(page, server.url, REVIEWER, password_of(REVIEWER))
        open_review(page, server.url, reference)
        _type_without_leaving(page, HOSTILE)
        _eventually(
            lambda: (k := _kept(db, submission_id, reviewer)) is not None and k.draft.comment == HOSTILE,
            "the hostile comment reached the server as typed",
        )
        page.reload()
        page.get_by_text(f"Submission {reference}").wait_for()
        page.get_by_text("Your unsaved input from").wait_for()
        wait_idle(page)
        expect(page.get_by_label(COMMENT_LABEL)).to_have_value(HOSTILE, timeout=10_000)
        assert page.evaluate("window.__xss") is None
        assert page.locator('img[src="x"], a[href^="javascript:"]').count() == 0
        assert page.locator("strong", has_text="bold").count() == 0
    finally:
        context.close()
