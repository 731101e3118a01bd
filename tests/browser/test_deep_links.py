"""Links into the app in a real browser: a page's address with its
`?submission=REF`, opened signed out, shows the sign-in form (no "Page not
found") and after signing in opens exactly that page and submission, or says
in words why not; a reload right after signing in stays signed in; the open
submission follows the browser's back and forward; an attacker's address
reaches nothing."""

from __future__ import annotations

from sqlalchemy import select

from data_access.db import Database
from data_access.models import Assignment, Submission, User
from tests.browser.conftest import screenshot
from tests.support.accounts import password_of
from tests.support.browser import nav_links, sign_in, wait_idle
from ui.auth import SIGNING_IN_MESSAGE
from ui.deep_links import NO_PAGE
from ui.guard import wrong_role_message
from ui.navigation import pages_for
from ui.review_form import NOT_ASSIGNED

NOT_FOUND = "Page not found"
COOKIE = "evidence_review_session"


def queue_of(db_url: str, username: str) -> list[str]:
    """The references assigned to `username`, in reference order."""
    db = Database(db_url)
    try:
        with db.read() as s:
            return list(
                s.scalars(
                    select(Submission.reference)
                    .join(Assignment, Assignment.submission_id == Submission.id)
                    .join(User, User.id == Assignment.reviewer_id)
                    .where(User.username == username)
                    .order_by(Submission.reference)
                )
            )
    finally:
        db.dispose()


def not_assigned_to(db_url: str, username: str) -> str:
    db = Database(db_url)
    try:
        with db.read() as s:
            every = list(s.scalars(select(Submission.reference).order_by(Submission.reference)))
    finally:
        db.dispose()
    mine = set(queue_of(db_url, username))
    return next(ref for ref in every if ref not in mine)


def address(page) -> str:
    """The address bar's URL (Playwright's `page.url` misses Streamlit's `history.pushState`)."""
    return page.evaluate("location.href")


def wait_for_query(page, query: str) -> None:
    page.wait_for_function("q => location.search === q", arg=query)


def sign_in_form(page) -> None:
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)


def submit_sign_in(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_role("textbox", name="Password").fill(password_of(username))
    page.get_by_role("button", name="Sign in").click()


def test_a_signed_out_link_to_a_submission_opens_it_after_sign_in_and_survives_a_reload(page, live_server, demo_db_url):
    reference = queue_of(demo_db_url, "reviewer1")[-1]  # not the first, which opens by default
    page.goto(f"{live_server.url}/my_reviews?submission={reference}")
    sign_in_form(page)
    assert NOT_FOUND not in page.content()
    assert address(page).endswith(f"/my_reviews?submission={reference}")
    assert nav_links(page) == []
    screenshot(page, "deep-link-signed-out")

    submit_sign_in(page, "reviewer1")
    page.get_by_role("heading", name="My reviews", exact=True).first.wait_for()
    # The page appears only once the browser holds the sign-in's cookie.
    assert any(c["name"] == COOKIE for c in page.context.cookies())
    page.get_by_text(f"Submission {reference}").wait_for()
    assert address(page).endswith(f"/my_reviews?submission={reference}")

    page.reload()  # at once: no waiting for anything
    page.get_by_role("heading", name="My reviews", exact=True).first.wait_for()
    page.get_by_text(f"Submission {reference}").wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Sign in", exact=True).count() == 0
    assert address(page).endswith(f"/my_reviews?submission={reference}")
    screenshot(page, "deep-link-signed-in")


def test_a_signed_out_link_to_the_submissions_page_keeps_its_submission_through_sign_in(page, live_server, demo_db_url):
    reference = queue_of(demo_db_url, "reviewer1")[0]
    page.goto(f"{live_server.url}/submissions?submission={reference}")
    sign_in_form(page)
    assert NOT_FOUND not in page.content()
    submit_sign_in(page, "office")
    page.get_by_role("heading", name="Submissions", exact=True).first.wait_for()
    wait_idle(page)
    assert address(page) == f"{live_server.url}/submissions?submission={reference}"


def test_a_reload_right_after_signing_in_stays_signed_in(page, live_server):
    page.goto(live_server.url)
    sign_in_form(page)
    submit_sign_in(page, "office")
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    assert any(c["name"] == COOKIE for c in page.context.cookies())  # written before the page is shown
    page.reload()  # at once
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    wait_idle(page)
    assert page.get_by_role("heading", name="Sign in", exact=True).count() == 0
    assert "Signed in as" in page.locator("body").inner_text()


def test_a_browser_whose_cookie_component_never_answers_is_not_left_waiting(page, live_server):
    # The cookie component's files never arrive: the page still appears, a few seconds later.
    page.route("**/component/**", lambda route: route.abort())
    page.goto(live_server.url)
    sign_in_form(page)
    submit_sign_in(page, "office")
    page.get_by_text(SIGNING_IN_MESSAGE).wait_for()
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for(timeout=20_000)
    wait_idle(page)
    assert page.get_by_text(SIGNING_IN_MESSAGE).count() == 0
    assert not any(c["name"] == COOKIE for c in page.context.cookies())
    assert "Signed in as" in page.locator("body").inner_text()


def test_a_link_to_a_submission_not_assigned_is_refused_in_words_after_sign_in(page, live_server, demo_db_url):
    reference = not_assigned_to(demo_db_url, "reviewer2")
    page.goto(f"{live_server.url}/my_reviews?submission={reference}")
    sign_in_form(page)
    submit_sign_in(page, "reviewer2")
    page.get_by_role("heading", name="My reviews", exact=True).first.wait_for()
    page.get_by_text(NOT_ASSIGNED).wait_for()
    wait_idle(page)
    assert page.get_by_text(f"Submission {reference}").count() == 0
    assert NOT_FOUND not in page.content()


def test_a_reviewer_following_a_link_to_the_users_page_is_told_in_words(page, live_server):
    page.goto(f"{live_server.url}/users")
    sign_in_form(page)
    assert NOT_FOUND not in page.content()
    submit_sign_in(page, "reviewer3")
    page.get_by_text(wrong_role_message("reviewer", "users")).wait_for()
    wait_idle(page)
    assert "Your role (reviewer) cannot open the Users page." in page.content()
    assert page.get_by_role("heading", name="Users").count() == 0
    assert nav_links(page) == [p.title for p in pages_for("reviewer")]


def test_an_address_that_names_no_page_says_so_signed_out_and_signed_in(page, live_server):
    page.goto(f"{live_server.url}/my_reviewz?submission=CFE-0001")
    sign_in_form(page)
    page.get_by_text(NO_PAGE).wait_for()
    assert NOT_FOUND not in page.content()
    submit_sign_in(page, "reviewer1")
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    wait_idle(page)
    page.goto(f"{live_server.url}/no-such-page")
    page.get_by_role("heading", name="Overview", exact=True).first.wait_for()
    page.get_by_text(NO_PAGE).wait_for()
    wait_idle(page)
    assert NOT_FOUND not in page.content()


def test_back_and_forward_follow_the_open_submission(page, live_server, demo_db_url):
    # Streamlit pushes a history entry when a run changes the query, and reruns the page on back/forward.
    first = queue_of(demo_db_url, "reviewer4")[0]
    sign_in(page, live_server.url, "reviewer4", password_of("reviewer4"))
    page.goto(f"{live_server.url}/my_reviews?submission={first}")
    page.get_by_text(f"Submission {first}").wait_for()
    wait_idle(page)
    entries = page.evaluate("history.length")
    page.get_by_role("button", name="Next unfinished").click()
    page.wait_for_function(
        "q => location.search.startsWith('?submission=') && location.search !== q", arg=f"?submission={first}"
    )
    second = page.evaluate("new URLSearchParams(location.search).get('submission')")
    assert page.evaluate("history.length") == entries + 1  # an entry of its own
    page.get_by_text(f"Submission {second}").wait_for()
    wait_idle(page)

    page.go_back()
    wait_for_query(page, f"?submission={first}")
    page.get_by_text(f"Submission {first}").wait_for()
    wait_idle(page)
    assert page.get_by_text(f"Submission {second}").count() == 0

    page.go_forward()
    wait_for_query(page, f"?submission={second}")
    page.get_by_text(f"Submission {second}").wait_for()
    wait_idle(page)
    assert page.get_by_text(f"Submission {first}").count() == 0


ATTACKS = [
    "/users?x=<script>alert(1)</script>",
    "/my_reviews?submission=../../etc/passwd",
    "/my_reviews?submission=CFE-0001&next=https://evil.example&x=1",
    "/sign-in?next=//evil.example",
]


def test_an_attackers_links_reach_nothing_signed_out_or_signed_in(page, live_server):
    # Nothing redirects, and only a plain submission reference survives in the address.
    for link in ATTACKS:
        page.goto(live_server.url + link)
        sign_in_form(page)
        page.wait_for_function("() => !/[?&](x|next)=/.test(location.search) && !location.search.includes('..')")
        assert address(page).startswith(live_server.url + "/"), link
        assert page.locator("script", has_text="alert(1)").count() == 0
        assert nav_links(page) == []
    page.goto(live_server.url + ATTACKS[2])
    sign_in_form(page)
    page.wait_for_function("() => location.search === '?submission=CFE-0001'")
    # A protocol-relative path is not a page: the server answers it, the browser stays here.
    page.goto(live_server.url + "//evil.example")
    assert address(page).startswith(live_server.url + "//evil.example")
    assert "Sign in" not in page.content()

    page.goto(live_server.url + "/users?x=<script>alert(1)</script>")
    sign_in_form(page)
    submit_sign_in(page, "reviewer1")
    page.get_by_text(wrong_role_message("reviewer", "users")).wait_for()
    wait_idle(page)
    assert address(page) == f"{live_server.url}/users"
    assert page.get_by_role("heading", name="Users").count() == 0
    page.goto(live_server.url + "/my_reviews?submission=../../etc/passwd")
    page.get_by_role("heading", name="My reviews", exact=True).first.wait_for()
    page.get_by_text(NOT_ASSIGNED).wait_for()
    wait_idle(page)
    assert page.locator("script", has_text="alert(1)").count() == 0
