"""Issue 21: a click in the review form (a score, a choice) reruns only the
form (`st.fragment`), not the queue, the submission and the menu; and that
run still asks the page's gate: a session revoked, an assignment removed or
reviewing closed between two clicks saves nothing and draws the refusal. The
queue's "unsaved changes" follows, nothing typed is lost, and Save draft /
Submit say so as before. On a fresh copy of the demo call."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select, update

from data_access.assignments import remove_assignment
from data_access.call_state import set_reviewing_closed
from data_access.db import Database
from data_access.drafts import get_autosave
from data_access.models import AuthSession
from data_access.reviews import get_own_review
from tests.browser.conftest import own_demo_server
from tests.browser.test_autosave import _checked, _eventually, _type_without_leaving
from tests.browser.test_reviewing import COMMENT_LABEL, _untouched, _user, choose, click, open_review
from tests.support.accounts import password_of
from tests.support.browser import sign_in, wait_idle, watch_run_ends
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database]]:
    with own_demo_server(tmp_path_factory.mktemp("review-fragment")) as served:
        yield served


def _whole_runs(ended: list[int]) -> int:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return sum(1 for s in ended if s == ForwardMsg.ScriptFinishedStatus.FINISHED_SUCCESSFULLY)


def _form_runs(ended: list[int]) -> int:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    return sum(1 for s in ended if s == ForwardMsg.ScriptFinishedStatus.FINISHED_FRAGMENT_RUN_SUCCESSFULLY)


def _queue_row(page, reference: str):
    return page.get_by_text(f"{reference} · ", exact=False).first


def _kept_scores(db: Database, submission_id: int, reviewer_id: int) -> dict | None:
    with db.read() as s:
        kept = get_autosave(s, submission_id=submission_id, reviewer_id=reviewer_id)
    return None if kept is None else dict(kept.draft.scores)


def test_score_clicks_rerun_only_the_form_and_nothing_typed_is_lost(page, served):
    server, db = served
    reviewer = _user(db, "reviewer2")
    submission_id, reference = _untouched(db, "reviewer2")[0]
    ended = watch_run_ends(page)
    arrive_signed_in(page, server.url, db.url, "reviewer2")
    open_review(page, server.url, reference)

    # The first change flips "unsaved": the whole page runs again, so the queue says so. (The queue is a data
    # grid: its "unsaved changes" is in a cell kept in the DOM for assistive technology, not visible as text,
    # and `.first` found that cell when it came before the form's caption: count the page's runs instead.)
    before_first = _whole_runs(ended)
    choose(page, "Promise", "3")
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible(timeout=20_000)
    deadline = time.monotonic() + 20
    while _whole_runs(ended) <= before_first:  # Playwright hands over the socket's frames while it waits
        assert time.monotonic() < deadline, f"the whole page never ran again for the queue's mark: {ended}"
        page.wait_for_timeout(100)
    wait_idle(page)

    # The next score: only the form runs.
    before_whole, before_form = _whole_runs(ended), _form_runs(ended)
    choose(page, "Evidence strength", "4")
    _eventually(lambda: _kept_scores(db, submission_id, reviewer) == {"promise": 3, "evidence_strength": 4},
                "the second score autosaved")  # fmt: skip
    wait_idle(page)
    assert _form_runs(ended) > before_form, ended
    assert _whole_runs(ended) == before_whole, ended
    assert _checked(page, "Evidence strength") == "4"

    # A comment typed without leaving the box, then a score: the comment stays, and is autosaved.
    _type_without_leaving(page, "Strong local partners")
    choose(page, "Survivor involvement", "2")
    expect(page.get_by_label(COMMENT_LABEL)).to_have_value("Strong local partners", timeout=10_000)
    _eventually(
        lambda: (
            (k := _autosaved(db, submission_id, reviewer)) is not None
            and k.draft.comment == "Strong local partners"
            and k.draft.scores == {"promise": 3, "evidence_strength": 4, "survivor_involvement": 2}
        ),
        "the comment and the third score autosaved",
    )
    _type_without_leaving(page, " in two towns")
    _eventually(
        lambda: _autosaved(db, submission_id, reviewer).draft.comment == "Strong local partners in two towns",
        "the draft autosave still takes the comment as typed",
    )
    choose(page, "Recommendation", "Feature in the report")
    choose(page, "Your confidence", "High")

    click(page, "Save draft")
    page.get_by_text("Draft saved.").wait_for()
    with db.read() as s:
        stored = get_own_review(s, submission_id=submission_id, reviewer_id=reviewer)
    assert stored.status == "draft"
    assert stored.comment == "Strong local partners in two towns"
    assert stored.scores == {"promise": 3, "evidence_strength": 4, "survivor_involvement": 2}
    # the whole page ran again after the save: the queue followed it
    expect(page.get_by_text("unsaved changes")).to_have_count(0, timeout=20_000)

    click(page, "Submit")
    page.get_by_text("Review submitted.").wait_for()
    with db.read() as s:
        assert get_own_review(s, submission_id=submission_id, reviewer_id=reviewer).status == "submitted"


def _autosaved(db: Database, submission_id: int, reviewer_id: int):
    with db.read() as s:
        return get_autosave(s, submission_id=submission_id, reviewer_id=reviewer_id)


def _two_clicks_apart(page, server, db, username: str, between) -> tuple[int, int, str]:
    """Sign in, open an untouched submission, click two scores (the second a
    form-only run), call `between`, and click a third score."""
    reviewer = _user(db, username)
    submission_id, reference = _untouched(db, username)[0]
    sign_in(page, server.url, username, password_of(username))
    open_review(page, server.url, reference)
    choose(page, "Promise", "3")
    # The form's caption, drawn by the whole run the first change asks for (the queue's mark is in a data grid
    # cell that is never visible: see the test above); then that run's end.
    expect(page.get_by_text("You have unsaved changes.")).to_be_visible(timeout=20_000)
    wait_idle(page)
    choose(page, "Evidence strength", "4")
    _eventually(lambda: _kept_scores(db, submission_id, reviewer) == {"promise": 3, "evidence_strength": 4},
                "the second score autosaved")  # fmt: skip
    between(reviewer, submission_id)
    page.locator('[data-testid="stRadio"]').filter(has_text="Survivor involvement").get_by_text("2", exact=True).click()
    wait_idle(page)
    return reviewer, submission_id, reference


def test_a_session_revoked_between_two_score_clicks_saves_nothing(page, served):
    server, db = served

    def revoke(reviewer: int, _submission: int) -> None:
        with db.write() as s:
            s.execute(
                update(AuthSession)
                .where(AuthSession.user_id == reviewer, AuthSession.revoked_at.is_(None))
                .values(revoked_at=dt.datetime.now(dt.UTC), revoked_reason="revoked by admin")
            )

    reviewer, submission_id, _ = _two_clicks_apart(page, server, db, "reviewer3", revoke)
    page.get_by_role("heading", name="Sign in", exact=True).first.wait_for()
    wait_idle(page)
    assert page.get_by_label(COMMENT_LABEL).count() == 0
    assert _kept_scores(db, submission_id, reviewer) == {"promise": 3, "evidence_strength": 4}
    with db.read() as s:
        assert get_own_review(s, submission_id=submission_id, reviewer_id=reviewer) is None


def test_an_assignment_removed_between_two_score_clicks_saves_nothing(page, served):
    server, db = served

    def unassign(reviewer: int, submission: int) -> None:
        with db.write() as s:
            remove_assignment(s, submission_id=submission, reviewer_id=reviewer, actor="admin")

    reviewer, submission_id, reference = _two_clicks_apart(page, server, db, "reviewer5", unassign)
    page.get_by_text("not assigned to you").first.wait_for()
    # the whole page ran again and its gate refused: the submission is no longer shown
    expect(page.get_by_text(f"Submission {reference}")).to_have_count(0, timeout=20_000)
    assert _kept_scores(db, submission_id, reviewer) is None  # the removal cleared it; the click kept nothing
    with db.read() as s:
        assert get_own_review(s, submission_id=submission_id, reviewer_id=reviewer) is None
        assert s.scalar(select(AuthSession.id).where(AuthSession.user_id == reviewer)) is not None


def test_reviewing_closed_between_two_score_clicks_saves_nothing(page, served):
    # Last in this file: it closes reviewing for the whole call of this server.
    server, db = served

    def close(_reviewer: int, _submission: int) -> None:
        with db.write() as s:
            set_reviewing_closed(s, closed=True, actor="admin")

    reviewer, submission_id, _ = _two_clicks_apart(page, server, db, "reviewer6", close)
    page.get_by_text("Reviewing is closed: you can read your reviews").wait_for()
    wait_idle(page)
    assert _kept_scores(db, submission_id, reviewer) == {"promise": 3, "evidence_strength": 4}
    with db.read() as s:
        assert get_own_review(s, submission_id=submission_id, reviewer_id=reviewer) is None
