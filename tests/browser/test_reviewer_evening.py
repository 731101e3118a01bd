"""A reviewer's evening in a real browser, keyboard only: follow a link to
one submission while signed out, sign in, and land on it; score submission
after submission with Tab, the arrow keys, typing and Enter on "Submit and
next". After each save the outcome message is inside the viewport and the
keyboard's focus is still in the form. In the middle of one review the page
is reloaded and the input is there again; at the end the browser is closed
with a review half written, and after signing in again it is there. Then the
same on a 390 x 844 phone, where the submission and the form stack and
nothing is wider than the screen. And a click on a row of the queue opens its
submission.

Each step is a small helper, so that the test reads as the evening does."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect
from sqlalchemy import select

from data_access.db import Database
from data_access.drafts import get_autosave
from data_access.models import Submission, User
from data_access.reviews import get_own_review, reviewer_queue
from tests.browser.conftest import own_demo_server
from tests.conftest import ROOT
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, wait_idle
from tests.support.live import LiveServer

REVIEWER = "reviewer6"  # 150 assignments in the demo call, most of them not started
# The queue-row test's reviewer: not the evenings' (the module's tests share one server, and the
# evenings' submitted reviews and drafts reorder reviewer6's queue under the row test's feet).
ROW_REVIEWER = "reviewer5"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
FORM = ".st-key-my_reviews-form"
OUTCOME = ".st-key-my_reviews-outcome"
DOCS_IMG = ROOT / "docs" / "img"
# Options are chosen by their place in the group (from 0): scores 1..5, then "Cannot judge".
# Few keys each (every key is a run of the app), and still the arrows in two groups: 2, 2 and 1.
SCORES = [("Promise", 1), ("Evidence strength", 1), ("Survivor involvement", 0)]
RECOMMENDATION = ("Recommendation", 1)  # "Feature in the report"
CONFIDENCE = ("Your confidence", 0)  # "Low"
AUTOSAVED = "Draft saved automatically at"
RESTORED = "Your unsaved input from"


@pytest.fixture(scope="module")
def evening(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """A server of its own on a fresh demo call, so these reviews change no other test's data."""
    with own_demo_server(tmp_path_factory.mktemp("evening")) as served:
        yield served


def _new_page(chromium, viewport: dict):
    context = chromium.new_context(viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def open_my_reviews(page, server: LiveServer, username: str = REVIEWER) -> None:
    """Sign in, then open My reviews: from the menu on a wide screen, by its
    address on a phone (where the menu is folded away)."""
    sign_in(page, server.url, username, password_of(username))
    if page.viewport_size["width"] > PHONE["width"]:
        go_to(page, "My reviews")
    else:
        page.goto(f"{server.url}/my_reviews")
        page.get_by_role("heading", name="My reviews").first.wait_for()
    page.locator(FORM).get_by_text("Your review", exact=True).wait_for()


def unfinished(db: Database) -> list[str]:
    """The reviewer's unfinished submissions, in the queue's order."""
    with db.read() as s:
        reviewer = s.scalar(select(User.id).where(User.username == REVIEWER))
        queue = reviewer_queue(s, reviewer_id=reviewer)
    return list(queue.loc[queue["status"].isin(["not_started", "draft"]), "reference"])


def arrive_by_link(page, server: LiveServer, reference: str) -> None:
    """Signed out, follow a link to one submission: the sign-in form, with no
    error; sign in with the keyboard; exactly that submission opens."""
    page.goto(f"{server.url}/my_reviews?submission={reference}")
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    assert "Page not found" not in page.content()
    page.get_by_label("Username").focus()
    page.keyboard.type(REVIEWER)
    page.keyboard.press("Tab")
    page.keyboard.type(password_of(REVIEWER))
    page.keyboard.press("Enter")
    page.locator(FORM).get_by_text("Your review", exact=True).wait_for()
    wait_idle(page)
    assert open_reference(page) == reference
    assert page.url.endswith(f"/my_reviews?submission={reference}")


def open_reference(page) -> str:
    """The reference of the submission open beside the form."""
    caption = page.get_by_text("Submission CFE-").first
    caption.wait_for()
    return caption.inner_text().removeprefix("Submission ").strip()


def focus_in(page, selector: str) -> bool:
    return page.evaluate(
        "(sel) => { const a = document.activeElement; return !!a && a !== document.body && !!a.closest(sel); }",
        selector,
    )


def tab_until(page, condition: str, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (or Shift+Tab) until `condition` (a JS expression about
    `document.activeElement`, as `a`) holds."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const a = document.activeElement; return !!a && ({condition}); }})()"):
            return
        page.keyboard.press(key)
    raise AssertionError(f"{condition} never reached with {key}")


def in_group(label: str) -> str:
    """JS: the focused element is an option of the radio group labelled `label`."""
    return (
        "a.type === 'radio' && [...(a.closest('[data-testid=\"stRadio\"]')?.querySelectorAll("
        "'[data-testid=\"stWidgetLabel\"]') ?? [])].some(l => l.innerText.trim().startsWith("
        f"{label!r}))"
    )


# In the group of the focused radio: [the focused option's place, the checked one's (-1: none)].
GROUP_STATE = """() => {
    const a = document.activeElement;
    const group = a && a.type === 'radio' ? a.closest('[role="radiogroup"]') : null;
    if (!group) return null;
    const inputs = [...group.querySelectorAll('input')];
    return [inputs.indexOf(a), inputs.findIndex(i => i.checked)];
}"""


def choose_with_keys(page, label: str, index: int, *, backwards: bool = False) -> None:
    """Reach the group with Tab, take the option under focus with Space, then
    move to the wanted one with the arrow keys (each move chooses it). Like a
    person, look at what is chosen after the keys (each key starts a run of
    the app, and a busy machine may take a key while the page redraws) and
    correct it with the keys, a few times at most."""
    tab_until(page, in_group(label), backwards=backwards)
    for _ in range(4):
        state = page.evaluate(GROUP_STATE)
        if state is None:  # the focus left the group while the page redrew: go back to it
            tab_until(page, in_group(label), backwards=True)
            continue
        focused, checked = state
        if checked == index:
            return
        if checked != focused:  # nothing chosen yet, or not the one under focus: take that one
            page.keyboard.press("Space")
            wait_idle(page)
            continue
        key = "ArrowDown" if index > checked else "ArrowUp"
        for _ in range(abs(index - checked)):
            page.keyboard.press(key)
            wait_idle(page)
    wait_idle(page)
    state = page.evaluate(GROUP_STATE)
    if state is None or state[1] != index:  # the last keys' run may have drawn it only now
        raise AssertionError(f"could not choose option {index} of {label!r} with the keys: {state}")


def score_with_keys(page, comment: str) -> None:
    """Every score, the comment, the recommendation and the confidence, keyboard only."""
    for n, (label, index) in enumerate(SCORES):
        # From "Submit and next" the first group is behind; from there on, ahead.
        choose_with_keys(page, label, index, backwards=n == 0 and focus_in(page, f"{FORM} button"))
    tab_until(page, "a.tagName === 'TEXTAREA'")
    page.keyboard.press("Control+A")  # a draft may hold a comment already: replace it
    page.keyboard.type(comment)
    choose_with_keys(page, *RECOMMENDATION)
    choose_with_keys(page, *CONFIDENCE)


def press_button(page, label: str) -> None:
    """Tab to the form's button labelled `label` and press Enter."""
    tab_until(page, f"a.tagName === 'BUTTON' && !!a.closest({FORM!r}) && a.innerText.trim().endsWith({label!r})")
    page.keyboard.press("Enter")
    wait_idle(page)


def next_unfinished_with_keys(page) -> None:
    """Back up to the picker's "Next unfinished" and press Enter: another submission opens."""
    reference = open_reference(page)
    tab_until(page, "a.tagName === 'BUTTON' && a.innerText.trim().endsWith('Next unfinished')", backwards=True)
    page.keyboard.press("Enter")
    wait_for_another_submission(page, reference)


def submit_and_next_with_enter(page) -> None:
    press_button(page, "Submit and next")


def wait_for_another_submission(page, reference: str) -> str:
    """Wait until a submission other than `reference` is open beside the form; its reference."""
    page.wait_for_function(
        """(ref) => [...document.querySelectorAll('[data-testid="stCaptionContainer"]')]
                    .some(c => /^Submission CFE-/.test(c.innerText.trim()) && c.innerText.trim() !== 'Submission ' + ref)""",
        arg=reference,
    )
    wait_idle(page)
    return open_reference(page)


def what_the_page_says(page) -> str:
    """For a failure's message: the open submission, every message box, the
    form's caption lines and values, and a picture of the page in the test's
    temporary folder."""
    state = page.evaluate(
        """(form) => ({
            url: location.href,
            alerts: [...document.querySelectorAll('[data-testid="stAlert"]')].map(a => a.innerText.trim()),
            captions: [...document.querySelectorAll(form + ' [data-testid="stCaptionContainer"]')].map(c => c.innerText.trim()),
            comment: document.querySelector(form + ' textarea')?.value ?? null,
            checked: [...document.querySelectorAll(form + ' [role="radiogroup"]')].map(g =>
                [...g.querySelectorAll('input')].findIndex(i => i.checked)),
            running: !!document.querySelector('[data-testid="stStatusWidget"]'),
        })""",
        FORM,
    )
    shot = DOCS_IMG.parent.parent / ".pytest-failure.png"
    with contextlib.suppress(Exception):
        page.screenshot(path=str(shot), full_page=True)
    return f"the page says: {state}; the open submission: {open_reference(page)}; picture: {shot}"


def assert_outcome_in_view(page, words: str) -> None:
    """The message is shown under the buttons and, within a moment, inside the viewport."""
    message = page.locator(OUTCOME).get_by_text(words)
    message.wait_for()
    inside = """e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= window.innerHeight; }"""
    with contextlib.suppress(PlaywrightTimeout):
        message.element_handle().wait_for_element_state("stable")
        page.wait_for_function(f"e => ({inside})(e)", arg=message.element_handle(), timeout=3_000)
    box = message.evaluate("e => { const r = e.getBoundingClientRect(); return [r.top, r.bottom]; }")
    assert message.evaluate(inside), (words, box, page.evaluate("() => window.innerHeight"))


def assert_focus_in_form(page) -> None:
    assert focus_in(page, FORM), page.evaluate("() => document.activeElement.outerHTML.slice(0, 200)")


def assert_nothing_wider_than_the_screen(page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], widths


def picture(page, name: str) -> None:
    """A picture of what the viewport shows, once drawn, for docs/reviewing.md."""
    wait_idle(page)
    page.wait_for_function(  # widgets still loading show grey placeholders
        """() => !document.querySelector('[data-testid="stSkeleton"], [data-testid="stSkeletonElement"]')"""
    )
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(DOCS_IMG / f"{name}.png"))


def stored_review(db: Database, reference: str):
    with db.read() as s:
        reviewer = s.scalar(select(User.id).where(User.username == REVIEWER))
        submission = s.scalar(select(Submission.id).where(Submission.reference == reference))
        return get_own_review(s, submission_id=submission, reviewer_id=reviewer)


def score_evening(page, db: Database, count: int, *, shots: str, reload_at: int | None = None) -> None:
    """Score `count` submissions in a row with Submit and next (reloading the
    page half way through the review number `reload_at`, from 0)."""
    reference = open_reference(page)
    for n in range(count):
        if n == reload_at:
            reload_in_the_middle(page, db)
        comment = f"Evening review {n + 1} of {reference}."
        score_with_keys(page, comment)
        submit_and_next_with_enter(page)
        try:
            following = wait_for_another_submission(page, reference)
        except PlaywrightTimeout as exc:  # say what the page and the server show, to tell a lost press from a refusal
            raise AssertionError(f"{what_the_page_says(page)}\nstored: {stored_review(db, reference)}") from exc
        assert_outcome_in_view(page, f"Review submitted. Now showing {following}, the next unfinished.")
        assert_focus_in_form(page)
        stored = stored_review(db, reference)
        assert (stored.status, stored.comment) == ("submitted", comment)
        assert stored.scores == {"promise": 2, "evidence_strength": 2, "survivor_involvement": 1}
        assert (stored.recommendation, stored.confidence) == ("feature", "low")
        if n == 0:
            picture(page, f"reviewing-{shots}")
        reference = following


def checked_option(page, label: str) -> int:
    """The place (from 0) of the chosen option in the group labelled `label`; -1 for none."""
    return page.evaluate(
        """(label) => {
            const group = [...document.querySelectorAll('[data-testid="stRadio"]')].find(g =>
                [...g.querySelectorAll('[data-testid="stWidgetLabel"]')].some(l => l.innerText.trim().startsWith(label)));
            return group ? [...group.querySelectorAll('input')].findIndex(i => i.checked) : null;
        }""",
        label,
    )


def kept_comment(db: Database, reference: str) -> str | None:
    """The comment kept on the server for this reviewer and submission (None: nothing kept)."""
    with db.read() as s:
        reviewer = s.scalar(select(User.id).where(User.username == REVIEWER))
        submission = s.scalar(select(Submission.id).where(Submission.reference == reference))
        kept = get_autosave(s, submission_id=submission, reviewer_id=reviewer)
    return kept.draft.comment if kept else None


def half_write(page, db: Database, words: str) -> None:
    """Two scores and the start of a comment, the cursor left in the box; the
    page says the input is kept, and a moment after the typing stops the
    words are on the server (the box reports them about a second after the
    last key; words typed in that last second rely on the browser reporting
    them as the page goes, which it may not: docs/security.md, Autosaved drafts)."""
    reference = open_reference(page)
    for label, index in SCORES[:2]:
        choose_with_keys(page, label, index)
    tab_until(page, "a.tagName === 'TEXTAREA'")
    page.keyboard.press("Control+A")
    page.keyboard.type(words)
    page.locator(FORM).get_by_text(AUTOSAVED).wait_for()
    deadline = 200
    while kept_comment(db, reference) != words:
        deadline -= 1
        assert deadline, f"the words typed never reached the server: {kept_comment(db, reference)!r}"
        page.wait_for_timeout(100)
    assert page.evaluate("document.activeElement.tagName") == "TEXTAREA"  # nothing blurred the box


def assert_input_back(page, reference: str, words: str) -> None:
    """The half-written input is in the form again, and the page says where it came from."""
    page.locator(FORM).get_by_text("Your review", exact=True).wait_for()
    assert open_reference(page) == reference
    expect(page.locator(f"{FORM} textarea")).to_have_value(words, timeout=15_000)
    # The restored form may be drawn again by a second run: CI once read a score group mid-redraw (None).
    wait_idle(page)
    wanted = [index for _, index in SCORES[:2]]
    for _ in range(100):
        if [checked_option(page, label) for label, _ in SCORES[:2]] == wanted:
            break
        page.wait_for_timeout(100)
    assert [checked_option(page, label) for label, _ in SCORES[:2]] == wanted
    page.locator(FORM).get_by_text(RESTORED).wait_for()


def reload_in_the_middle(page, db: Database) -> None:
    """Half a review, then a reload: everything typed is there again."""
    reference = open_reference(page)
    words = f"Half a thought about {reference}"
    half_write(page, db, words)
    page.reload()
    assert_input_back(page, reference, words)


def close_and_come_back(page, db: Database, chromium, server: LiveServer, viewport: dict):
    """Close the browser with a review half written; sign in again through a
    link to it: the input is there. Returns the new page."""
    reference = open_reference(page)
    words = f"Unfinished at bedtime: {reference}"
    half_write(page, db, words)
    page.context.close()
    page = _new_page(chromium, viewport)
    arrive_by_link(page, server, reference)
    try:
        assert_input_back(page, reference, words)
    except AssertionError as exc:  # say what the server held, to tell a lost word from a lost restore
        raise AssertionError(
            f"{exc}\nkept on the server now: {kept_comment(db, reference)!r}\n{what_the_page_says(page)}"
        ) from exc
    return page


def save_then_submit(page, db: Database) -> None:
    """The other two buttons: Save draft keeps the form open; Submit shows the
    submitted review in its place, and the focus moves to the message."""
    reference = open_reference(page)
    score_with_keys(page, "Saved for later.")
    press_button(page, "Save draft")
    assert_outcome_in_view(page, "Draft saved.")
    assert_focus_in_form(page)
    assert stored_review(db, reference).status == "draft"
    press_button(page, "Submit")
    assert_outcome_in_view(page, "Review submitted.")
    assert_focus_in_form(page)
    assert stored_review(db, reference).status == "submitted"
    assert open_reference(page) == reference


def test_a_reviewers_evening_on_a_laptop_keyboard_only(evening, chromium):
    server, db = evening
    page = _new_page(chromium, LAPTOP)
    try:
        linked = unfinished(db)[2]  # not the one that opens by default
        arrive_by_link(page, server, linked)
        picture(page, "reviewing-queue")
        score_evening(page, db, 15, shots="laptop", reload_at=7)
        save_then_submit(page, db)
        next_unfinished_with_keys(page)
        page = close_and_come_back(page, db, chromium, server, LAPTOP)
    finally:
        page.context.close()


def test_a_reviewers_evening_on_a_phone(evening, chromium):
    server, db = evening
    page = _new_page(chromium, PHONE)
    try:
        arrive_by_link(page, server, unfinished(db)[1])
        assert_nothing_wider_than_the_screen(page)
        score_evening(page, db, 3, shots="phone", reload_at=1)
        assert_nothing_wider_than_the_screen(page)
        page = close_and_come_back(page, db, chromium, server, PHONE)
        assert_nothing_wider_than_the_screen(page)
    finally:
        page.context.close()


def click_queue_row(page, row: int) -> None:
    """Click the row marker of the queue table's `row` (from 0): the table is drawn on a canvas."""
    table = page.locator('[data-testid="stDataFrame"]').first
    table.locator("canvas").first.wait_for()
    box = table.bounding_box()
    header = row_height = 35
    page.mouse.click(box["x"] + 18, box["y"] + header + row_height * row + row_height / 2)
    wait_idle(page)


def test_a_row_of_the_queue_opens_its_submission(evening, chromium):
    server, _db = evening
    page = _new_page(chromium, LAPTOP)
    try:
        open_my_reviews(page, server, ROW_REVIEWER)
        rows = page.wait_for_function(  # the table's references, once its grid has drawn three rows
            """() => {
                const refs = [...document.querySelectorAll('[data-testid="stDataFrame"] [role="gridcell"]')]
                    .map(c => c.textContent.trim()).filter(t => /^CFE-\\d+$/.test(t));
                return refs.length >= 3 ? refs : null;
            }"""
        ).json_value()
        assert open_reference(page) == rows[0]  # the first unfinished opens by default
        click_queue_row(page, 2)
        assert wait_for_another_submission(page, rows[0]) == rows[2]
        assert f"submission={rows[2]}" in page.url
    finally:
        page.context.close()
