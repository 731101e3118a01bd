"""The panel's discussion in a real browser, on a fresh copy of the demo call:
two reviewers who both submitted their review of the same submission talk in
its thread (A posts, B sees it and replies, A sees the reply after a reload),
and the admin reads both posts with the reviewers' names, then records the panel's
decision beside the thread (shortlisted, with a reason): the admin sees it as text,
the reviewers see no decision.

Each actor has a browser of their own (a context: their own cookie) and a
helper per step, so that a further step (the admin records a decision) can be
appended as one more function of the admin's."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from access.visibility import Viewer
from data_access import decisions
from data_access import discussion as disc
from data_access.db import Database
from data_access.demo import DEMO_USERS
from data_access.models import Assignment, ConflictOfInterest, DiscussionPost, Review, Submission, User
from data_access.standing import standing_reviews
from tests.browser.conftest import own_demo_server, screenshot
from tests.browser.test_security_access import COOKIE, issued_token
from tests.support.browser import wait_idle
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in
from tests.support.stream_client import open_stream, run_page

BOX = "Your post to the panel"
FIRST = "A: the evidence on <b>recruitment</b> is **thin**; is the sample named?"
REASON = "Strong **survivor** input <i>and</i> a named sample: shortlist it."
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


def sign_in_as(actor: Actor, server: LiveServer, db: Database) -> None:
    arrive_signed_in(actor.page, server.url, db.url, actor.username)


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


def _admin(s) -> Viewer:
    user = s.scalar(select(User).where(User.username == "admin"))
    return Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)


def record_decision(actor: Actor, reference: str, label: str, reason: str) -> None:
    """The admin's decision in the panel beside the thread (`ui.decisions.decision_panel`)."""
    page = actor.page
    group = page.locator('[data-testid="stRadio"]').filter(has_text="The panel's decision")
    group.locator("label").filter(has_text=re.compile(f"^{re.escape(label)}$")).click()
    page.get_by_role("textbox", name="Reason (required)").fill(reason)
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text(f"Recorded: {reference} {label.lower()}.").wait_for()
    wait_idle(page)


def picture(actor: Actor, name: str) -> None:
    """A screenshot with the thread in view (the app scrolls inside its main area)."""
    actor.page.get_by_role("heading", name="Discussion", exact=True).scroll_into_view_if_needed()
    screenshot(actor.page, name)


def test_two_reviewers_discuss_and_the_admin_reads_both_with_names(served, browser_of):
    server, db = served
    reference, a_user, a_name, b_user, b_name = two_reviewers_who_submitted(db)
    a, b, admin = browser_of(a_user), browser_of(b_user), browser_of("admin")

    sign_in_as(a, server, db)
    open_thread(a, server, reference)
    post(a, FIRST)
    assert post_cards(a) == [f"You | {FIRST}"]
    picture(a, "discussion-1-reviewer-a-posts")

    sign_in_as(b, server, db)
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

    sign_in_as(admin, server, db)
    open_thread(admin, server, reference)
    assert post_cards(admin) == [f"{a_name} | {FIRST}", f"{b_name} | {REPLY}"]
    picture(admin, "discussion-4-admin-reads-both")
    admin.page.get_by_label(BOX).wait_for()  # the admin may post too

    record_decision(admin, reference, "Shortlisted", REASON)
    shown = admin.page.get_by_text(f"Reason: {REASON}", exact=False)
    shown.wait_for()
    assert "Panel's decision: Shortlisted (by admin" in shown.inner_text()
    assert admin.page.locator("i").filter(has_text="and").count() == 0  # the reason stayed text
    with db.read() as s:
        sub_id = s.scalar(select(Submission.id).where(Submission.reference == reference))
        now = decisions.current_decision(s, viewer=_admin(s), submission_id=sub_id)
    assert now is not None and (now.decision, now.reason, now.decided_by) == ("shortlisted", REASON, "admin")
    picture(admin, "discussion-5-admin-records-the-decision")

    reload(a)  # a reviewer sees the thread, never the panel's decision
    assert a.page.get_by_text("Panel's decision").count() == 0
    assert a.page.get_by_text(REASON, exact=False).count() == 0


def _widget_id(run, kind: str, label: str) -> str:
    """The id of the widget of `kind` labelled `label` that the run drew."""
    for m in run.messages:
        if m.WhichOneof("type") == "delta" and m.delta.WhichOneof("type") == "new_element":
            element = m.delta.new_element
            if element.WhichOneof("type") == kind and getattr(element, kind).label == label:
                return getattr(element, kind).id
    raise AssertionError(f"no {kind} labelled {label!r} in the run")


def _cast(db: Database) -> tuple[int, str, Viewer, Viewer, Viewer]:
    """A demo submission with a reviewer who submitted (may post), one assigned who has not
    submitted, and one not assigned it: (id, reference, poster, not yet, not assigned)."""

    def viewer(user: User) -> Viewer:
        return Viewer(user_id=user.id, username=user.username, name=user.name, role=user.role)

    with db.read() as s:
        demo = [u.username for u in DEMO_USERS]  # accounts whose test password is known (other modules add their own)
        reviewers = list(
            s.scalars(
                select(User)
                .where(User.role == "reviewer", User.active.is_(True), User.username.in_(demo))
                .order_by(User.id)
            )
        )
        for sub_id, reference in s.execute(select(Submission.id, Submission.reference).order_by(Submission.reference)):
            rows = s.execute(
                standing_reviews(select(Review.reviewer_id, Review.status)).where(Review.submission_id == sub_id)
            ).all()
            status = {row.reviewer_id: row.status for row in rows}
            assigned = set(s.scalars(select(Assignment.reviewer_id).where(Assignment.submission_id == sub_id)))
            conflicted = set(
                s.scalars(select(ConflictOfInterest.reviewer_id).where(ConflictOfInterest.submission_id == sub_id))
            )
            poster = next((u for u in reviewers if status.get(u.id) == "submitted"), None)
            not_yet = next(
                (u for u in reviewers if u.id in assigned - conflicted and status.get(u.id) != "submitted"), None
            )
            outsider = next((u for u in reviewers if u.id not in assigned), None)
            if poster and not_yet and outsider:
                return sub_id, reference, viewer(poster), viewer(not_yet), viewer(outsider)
    raise AssertionError("the demo call has no such submission")


def _bodies(db: Database, submission_id: int) -> list[str]:
    with db.read() as s:
        return list(s.scalars(select(DiscussionPost.body).where(DiscussionPost.submission_id == submission_id)))


def test_a_forged_post_over_the_raw_protocol_is_stored_only_for_who_may_post(served):
    """An attacker's read: the thread's post box and Post button, sent by hand over Streamlit's
    WebSocket (ids taken from the admin's run), by a reviewer who has not submitted their review,
    a reviewer not assigned the submission and the office: nothing is stored and the thread's text
    reaches none of the reviewers. The same message from a reviewer who may post is stored (so the
    forgery itself works)."""
    server, db = served
    sub_id, reference, poster, not_yet, outsider = _cast(db)
    secret = "Panel-only remark 7c1e: the sample is too small."
    with db.write() as s:
        disc.add_post(s, viewer=poster, submission_id=sub_id, body=secret)
    query = f"submission={reference}"

    with open_stream(server.url, origin=server.url, cookies={COOKIE: issued_token(db.url, "admin")}) as ws:
        control = run_page(ws, "submissions", query_string=query)
    assert control.carries(secret)
    box, button = _widget_id(control, "text_area", BOX), _widget_id(control, "button", "Post")

    for who, may_read in ((not_yet.username, False), (outsider.username, False), ("office", True)):
        forged = f"Forged by {who}"
        with open_stream(server.url, origin=server.url, cookies={COOKIE: issued_token(db.url, who)}) as ws:
            run = run_page(ws, "submissions", query_string=query, texts={box: forged}, clicks=[button])
        assert run.messages, "the server answered nothing"
        assert run.carries(secret) is may_read, who
        assert _bodies(db, sub_id) == [secret], who

    forged = "Posted over the raw protocol by a reviewer who may post"
    with open_stream(server.url, origin=server.url, cookies={COOKIE: issued_token(db.url, poster.username)}) as ws:
        run_page(ws, "submissions", query_string=query, texts={box: forged}, clicks=[button])
    assert _bodies(db, sub_id) == [secret, forged]
