"""Reviewing in a real browser, on a fresh copy of the demo call: a reviewer
scores three submissions (one "cannot judge", one declared conflict), a
second reviewer sees the first's review only after submitting their own, and
a stale save from a second tab is caught with both versions shown."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from data_access.db import Database
from data_access.models import Assignment, ConflictOfInterest, Review, Submission, User
from data_access.reviews import get_own_review
from tests.browser.conftest import own_demo_server, screenshot
from tests.support.browser import wait_idle
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in

COMMENT_LABEL = "Comment to the panel (required when a score is 1 or 5)"


@pytest.fixture(scope="module")
def reviewing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    """A server of its own on a fresh demo call, so these reviews change no
    other test's data."""
    with own_demo_server(tmp_path_factory.mktemp("reviewing")) as served:
        yield served


def _user(db: Database, username: str) -> int:
    with db.read() as s:
        return s.scalar(select(User.id).where(User.username == username))


def _untouched(db: Database, *usernames: str) -> list[tuple[int, str]]:
    """Submissions assigned to all these reviewers, none of whom has saved a
    review or declared a conflict: (id, reference), in reference order."""
    ids = [_user(db, u) for u in usernames]
    with db.read() as s:
        rows = s.execute(select(Submission.id, Submission.reference).order_by(Submission.reference)).all()
        assigned = {(a, r) for a, r in s.execute(select(Assignment.submission_id, Assignment.reviewer_id))}
        busy = {(a, r) for a, r in s.execute(select(Review.submission_id, Review.reviewer_id))}
        busy |= {(a, r) for a, r in s.execute(select(ConflictOfInterest.submission_id, ConflictOfInterest.reviewer_id))}
    return [(i, ref) for i, ref in rows if all((i, r) in assigned and (i, r) not in busy for r in ids)]


def open_review(page, base_url: str, reference: str) -> None:
    page.goto(f"{base_url}/my_reviews?submission={reference}")
    page.get_by_role("heading", name="My reviews").first.wait_for()
    page.get_by_text(f"Submission {reference}").wait_for()
    wait_idle(page)


def choose(page, group: str, option: str) -> None:
    page.locator('[data-testid="stRadio"]').filter(has_text=group).get_by_text(option, exact=True).click()
    wait_idle(page)


def score(page, promise: str, evidence: str, survivors: str, comment: str) -> None:
    choose(page, "Promise", promise)
    choose(page, "Evidence strength", evidence)
    choose(page, "Survivor involvement", survivors)
    page.get_by_label(COMMENT_LABEL).fill(comment)
    choose(page, "Recommendation", "Feature in the report")
    choose(page, "Your confidence", "High")


def click(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()
    wait_idle(page)


def test_a_reviewer_scores_three_submissions_one_cannot_judge_one_conflict(page, reviewing):
    server, db = reviewing
    reviewer = _user(db, "reviewer6")
    (first, ref1), (second, ref2), (third, ref3) = _untouched(db, "reviewer6")[:3]
    arrive_signed_in(page, server.url, db.url, "reviewer6")

    open_review(page, server.url, ref1)
    # the rubric's descriptors are beside the choices
    page.get_by_text("Description or anecdote only; no systematic data.").wait_for()
    score(page, "4", "Cannot judge", "2", "Clear theory of change; no data yet.")
    click(page, "Submit")
    page.get_by_text("Review submitted").wait_for()
    screenshot(page, "reviewer-submitted")
    with db.read() as s:
        stored = get_own_review(s, submission_id=first, reviewer_id=reviewer)
    assert stored.status == "submitted"
    assert stored.scores == {"promise": 4, "evidence_strength": None, "survivor_involvement": 2}
    assert stored.comment == "Clear theory of change; no data yet."

    open_review(page, server.url, ref2)
    score(page, "5", "3", "3", "")
    click(page, "Submit")
    page.get_by_text("A comment is required when a score is 1 or 5").wait_for()
    page.get_by_label(COMMENT_LABEL).fill("Delivered in three areas with results kept.")
    click(page, "Submit")
    page.get_by_text("Review submitted").wait_for()
    with db.read() as s:
        assert get_own_review(s, submission_id=second, reviewer_id=reviewer).scores["promise"] == 5

    open_review(page, server.url, ref3)
    page.get_by_text("Declare a conflict of interest").click()
    page.get_by_label("Reason (optional; seen by the coordinator)").fill("I chaired its steering group.")
    page.get_by_label("Reason (optional; seen by the coordinator)").press("Enter")
    wait_idle(page)
    page.get_by_text("I have a conflict of interest with this submission").click()
    wait_idle(page)
    click(page, "Declare the conflict")
    page.get_by_text("Conflict of interest declared").wait_for()
    page.get_by_text("nothing of it beyond its reference").wait_for()
    wait_idle(page)  # the form of the run before stays on screen (stale) until this run ends
    assert page.get_by_label(COMMENT_LABEL).count() == 0
    screenshot(page, "reviewer-conflict")
    with db.read() as s:
        conflict = s.execute(
            select(ConflictOfInterest.reviewer_id, ConflictOfInterest.source, ConflictOfInterest.reason).where(
                ConflictOfInterest.submission_id == third
            )
        ).one()
    assert tuple(conflict) == (
        reviewer,
        "reviewer",
        "I chaired its steering group.",
    )


def test_a_second_reviewer_sees_the_first_review_only_after_submitting(page, reviewing, chromium):
    server, db = reviewing
    (_, shared), *_ = _untouched(db, "reviewer5", "reviewer6")
    first = chromium.new_context(viewport={"width": 1400, "height": 1800})
    try:
        esi = first.new_page()
        arrive_signed_in(esi, server.url, db.url, "reviewer5")
        open_review(esi, server.url, shared)
        score(esi, "3", "4", "2", "Esi's reading: a credible evaluation.")
        click(esi, "Submit")
        esi.get_by_text("Review submitted").wait_for()
    finally:
        first.close()

    arrive_signed_in(page, server.url, db.url, "reviewer6")
    open_review(page, server.url, shared)
    page.get_by_text("appear here once you have submitted yours").wait_for()
    assert page.get_by_text("Esi's reading: a credible evaluation.").count() == 0
    score(page, "3", "3", "3", "Fergus agrees it is promising.")
    click(page, "Submit")
    page.get_by_text("Esi's reading: a credible evaluation.").wait_for()
    page.get_by_text("Reviewer A", exact=True).wait_for()
    assert page.get_by_text("Esi Demo-Reviewer").count() == 0  # no names of other reviewers
    screenshot(page, "second-reviewer-sees-first")


def test_a_stale_save_from_a_second_tab_is_caught(page, reviewing):
    server, db = reviewing
    reviewer = _user(db, "reviewer4")
    (submission, reference), *_ = _untouched(db, "reviewer4")
    arrive_signed_in(page, server.url, db.url, "reviewer4")
    second = page.context.new_page()  # same browser, same sign-in cookie
    open_review(page, server.url, reference)
    open_review(second, server.url, reference)

    choose(page, "Promise", "2")
    page.get_by_label(COMMENT_LABEL).fill("Saved in the first tab.")
    click(page, "Save draft")
    page.get_by_text("Draft saved.").wait_for()

    choose(second, "Promise", "4")
    second.get_by_label(COMMENT_LABEL).fill("Typed in the second tab.")
    click(second, "Save draft")
    second.get_by_test_id("stAlertContentWarning").get_by_text("changed in another window or tab").wait_for()
    second.get_by_text("Saved in the first tab.").wait_for()  # the stored version is shown beside
    second.get_by_text("Your version").wait_for()
    screenshot(second, "stale-save-both-versions")
    with db.read() as s:
        assert get_own_review(s, submission_id=submission, reviewer_id=reviewer).comment == "Saved in the first tab."

    wait_idle(second)  # the run that drew both versions has ended before the press (a fresh-clone run lost it once)
    click(second, "Keep my version (save it)")
    second.get_by_text("Draft saved.").wait_for()
    with db.read() as s:
        stored = get_own_review(s, submission_id=submission, reviewer_id=reviewer)
    assert (stored.comment, stored.scores["promise"], stored.version) == ("Typed in the second tab.", 4, 2)
