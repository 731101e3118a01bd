"""The panel's discussion in a real browser, on a fresh copy of the demo call:
two reviewers who both submitted their review of the same submission talk in
its thread (A posts, B sees it and replies, A sees the reply after a reload),
and the admin reads both posts with the reviewers' names.

Each actor has a browser of their own (a context: their own cookie) and a
helper per step, so that a further step (the admin records a decision) can be
appended as one more function of the admin's."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from data_access.db import Database
from data_access.models import Review, Submission, User
from data_access.standing import standing_reviews
from tests.browser.conftest import own_demo_server, screenshot
from tests.support.accounts import password_of
from tests.support.browser import sign_in, wait_idle
from tests.support.live import LiveServer

BOX = "Your post to the panel"
FIRST = "A: the evidence on <b>recruitment</b> is **thin**; is the sample named?"
REPLY = "B: agreed on the sample [see](javascript:alert(1)); the survivor input is strong."


@dataclass
class Actor:
    username: str
    page: object  # a Playwright page in the actor's own browser context


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """A server of its own on a fresh demo call: these posts reach no other test's data."""
    with own_demo_server(tmp_path_factory.mktemp("discussion")) as pair:
        yield pair


@pytest.fixture
def browser_of(chromium) -> Iterator:
    contexts = []

    def open_browser(username: str) -> Actor:
        context = chromium.new_context(viewport={"width": 1400, "height": 1800})
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(30_000)
        return Actor(username, page)

    yield open_browser
    for context in contexts:
        context.close()


def two_reviewers_who_submitted(db: Database) -> tuple[str, str, str, str, str]:
    """A demo submission that two reviewers have both submitted their review of (assigned, no
    conflict) and that nobody has discussed: reference, usernames and names of the two."""
    with db.read() as s:
        rows = s.execute(
            standing_reviews(
                select(Submission.reference, User.username, User.name)
                .select_from(Review)
                .join(Submission, Submission.id == Review.submission_id)
                .join(User, User.id == Review.reviewer_id)
            )
            .where(Review.status == "submitted", User.active.is_(True))
            .order_by(Submission.reference, Review.id)
        ).all()
    by_ref: dict[str, list[tuple[str, str]]] = {}
    for reference, username, name in rows:
        by_ref.setdefault(reference, []).append((username, name))
    reference, pair = next((r, p) for r, p in by_ref.items() if len(p) >= 2)
    (a, a_name), (b, b_name) = pair[:2]
    return reference, a, a_name, b, b_name


def sign_in_as(actor: Actor, server: LiveServer) -> None:
    sign_in(actor.page, server.url, actor.username, password_of(actor.username))


def open_thread(actor: Actor, server: LiveServer, reference: str) -> None:
    """Open the submission (its deep link) and wait for its discussion."""
    page = actor.page
    page.goto(f"{server.url}/submissions?submission={reference}")
    page.get_by_text(f"Submission {reference}").first.wait_for()
    page.get_by_role("heading", name="Discussion", exact=True).wait_for()
    wait_idle(page)


def post(actor: Actor, text: str) -> None:
    """Write a post and send it; wait until the thread shows it."""
    page = actor.page
    page.get_by_label(BOX).fill(text)
    page.get_by_role("button", name="Post", exact=True).click()
    page.get_by_text("Your post was added to the discussion.").wait_for()
    page.get_by_text(text, exact=True).wait_for()
    wait_idle(page)


def reload(actor: Actor) -> None:
    actor.page.reload()
    actor.page.get_by_role("heading", name="Discussion", exact=True).wait_for()
    wait_idle(actor.page)


def post_cards(actor: Actor) -> list[str]:
    """Each post as shown, oldest first: its author line and its text (`ui.discussion.posts`'s boxes)."""
    return actor.page.evaluate(
        """() => [...document.querySelectorAll('[class*="st-key-discussion-post-"]')]
            .map(box => [...box.querySelectorAll('[data-testid="stText"]')].map(t => t.innerText).join(' | '))"""
    )


def picture(actor: Actor, name: str) -> None:
    """A screenshot with the thread in view (the app scrolls inside its main area)."""
    actor.page.get_by_role("heading", name="Discussion", exact=True).scroll_into_view_if_needed()
    screenshot(actor.page, name)


def test_two_reviewers_discuss_and_the_admin_reads_both_with_names(served, browser_of):
    server, db = served
    reference, a_user, a_name, b_user, b_name = two_reviewers_who_submitted(db)
    a, b, admin = browser_of(a_user), browser_of(b_user), browser_of("admin")

    sign_in_as(a, server)
    open_thread(a, server, reference)
    post(a, FIRST)
    assert post_cards(a) == [f"You | {FIRST}"]
    picture(a, "discussion-1-reviewer-a-posts")

    sign_in_as(b, server)
    open_thread(b, server, reference)
    cards = post_cards(b)
    assert len(cards) == 1 and cards[0].endswith(f" | {FIRST}")
    a_label = cards[0].split(" | ")[0]
    assert a_label.startswith("Reviewer ") and a_name not in a_label  # a letter, never a name
    # The same letter as A's review card on the same page.
    assert b.page.get_by_text(a_label, exact=True).count() >= 2
    post(b, REPLY)
    assert post_cards(b) == [f"{a_label} | {FIRST}", f"You | {REPLY}"]
    assert b.page.locator("b").filter(has_text="recruitment").count() == 0  # the markup stayed text
    picture(b, "discussion-2-reviewer-b-replies")

    reload(a)
    cards = post_cards(a)
    assert cards[0] == f"You | {FIRST}"
    assert cards[1].endswith(f" | {REPLY}") and cards[1].startswith("Reviewer ")
    assert b_name not in " ".join(cards)
    picture(a, "discussion-3-reviewer-a-sees-the-reply")

    sign_in_as(admin, server)
    open_thread(admin, server, reference)
    assert post_cards(admin) == [f"{a_name} | {FIRST}", f"{b_name} | {REPLY}"]
    picture(admin, "discussion-4-admin-reads-both")
    admin.page.get_by_label(BOX).wait_for()  # the admin may post too
