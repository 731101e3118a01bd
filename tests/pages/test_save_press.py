"""Issue 21: Save draft / Submit is a press inside the review form (a fragment).
Its run of the form acts on the press before drawing anything; a save that
succeeds reruns the whole page at once, so the form is drawn once per save (by
the page's run), not twice. A refused save still says why under the buttons, in
that same run of the form, and saves nothing."""

from __future__ import annotations

import pytest

from data_access.drafts import get_autosave
from data_access.reviews import get_own_review
from tests.faults import test_database_down
from tests.pages.test_office_caches import fragment_rerun
from tests.support.apptest import run_app, texts
from ui import review_form, streamlit_adapter

PAGE = "pages/my_reviews.py"
reviewer = test_database_down.reviewer  # the fixture: one submission assigned to one reviewer


@pytest.fixture
def form_runs(monkeypatch) -> list[bool]:
    """Each time the form's inputs are drawn: whether in a run of the form alone."""
    drawn: list[bool] = []
    real = review_form.inputs

    def counted(*args, **kwargs):
        drawn.append(streamlit_adapter.fragment_run())
        return real(*args, **kwargs)

    monkeypatch.setattr(review_form, "inputs", counted)
    return drawn


def _own(db, sub, person):
    with db.read() as s:
        return get_own_review(s, submission_id=sub, reviewer_id=person.user_id)


def _autosaved(db, sub, person) -> dict | None:
    with db.read() as s:
        kept = get_autosave(s, submission_id=sub, reviewer_id=person.user_id)
    return None if kept is None else dict(kept.draft.scores)


def _score(at, db_url, sub, value: str) -> None:
    at.radio(key=f"review.{sub}.promise").set_value(value)
    fragment_rerun(at, db_url)  # a click in the form reruns the form alone


def test_a_save_is_acted_on_before_the_form_is_drawn_and_the_form_is_drawn_once(db, db_url, reviewer, form_runs):
    sub, ann = reviewer
    at = run_app(db_url, ann, page=PAGE)
    _score(at, db_url, sub, "3")
    form_runs.clear()
    at.button(key="my_reviews.draft").click()
    fragment_rerun(at, db_url)
    assert not at.exception
    saved = _own(db, sub, ann)
    assert (saved.status, saved.scores) == ("draft", {"promise": 3})
    assert form_runs == [False]  # drawn by the page's run only (before: the form's run, then the page's)
    assert "Draft saved." in texts(at)
    assert "You have unsaved changes." not in texts(at)


def test_a_first_change_to_a_saved_form_runs_the_whole_page_without_drawing_the_form_first(
    db, db_url, reviewer, form_runs
):
    sub, ann = reviewer
    at = run_app(db_url, ann, page=PAGE)
    assert "unsaved changes" not in texts(at)
    form_runs.clear()
    _score(at, db_url, sub, "4")  # the form turns unsaved: the queue must say so
    assert not at.exception
    assert form_runs == [False]  # the page's run only (before: the form's run, then the page's)
    assert "unsaved changes" in texts(at)  # the queue's mark
    assert at.radio(key=f"review.{sub}.promise").value == 4
    assert _autosaved(db, sub, ann) == {"promise": 4}  # autosaved by the page's run
    form_runs.clear()
    _score(at, db_url, sub, "2")  # still unsaved: the form's own run alone
    assert form_runs == [True]
    assert at.radio(key=f"review.{sub}.promise").value == 2
    assert _autosaved(db, sub, ann) == {"promise": 2}
    assert _own(db, sub, ann) is None  # autosaved, not saved


def test_a_refused_submit_says_why_under_the_buttons_in_the_forms_own_run_and_saves_nothing(
    db, db_url, reviewer, form_runs
):
    sub, ann = reviewer
    at = run_app(db_url, ann, page=PAGE)
    _score(at, db_url, sub, "3")  # one criterion of several: not a review that can be submitted
    form_runs.clear()
    at.button(key="my_reviews.submit").click()
    fragment_rerun(at, db_url)
    assert not at.exception
    assert _own(db, sub, ann) is None  # nothing saved
    assert form_runs == [True]  # the form drawn again, in its own run, with the reason
    errors = [e.value for e in at.error]
    assert any(e.startswith("Not saved: ") for e in errors), errors
    assert "You have unsaved changes." in texts(at)  # the input is still there
    assert at.radio(key=f"review.{sub}.promise").value == 3
