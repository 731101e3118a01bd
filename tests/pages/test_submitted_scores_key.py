"""Issue 21: the office's pages are keyed by the submitted reviews (`ui.scores.scores_key`), not by the reviews'
tables. A draft saved reads no score on Rankings, Coverage, Exports or Selection, nor Coverage's progress nor
Selection's candidates; each way a submitted score changes shows on every page's next run; and a frame read
while a review was being submitted is never kept under the key from before (a review submitted and then
reopened gives that key back: the pages must not show the reopened review's scores)."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select

import ui.coverage
import ui.scores
from data_access import lineups as lineups_da
from data_access.assignments import declare_conflict
from data_access.models import Review
from data_access.privacy import erase_submission
from data_access.reviews import back_to_draft, scores_frame, submitted_key
from tests.factories import make_user
from tests.pages.test_office_caches import call, count_calls, main_table  # noqa: F401 (call: a fixture)
from tests.pages.test_office_save import ranked_titles, reviewed_by_nation, save_draft
from tests.support.apptest import database_env, rerun, run_app

PAGES = ("pages/rankings.py", "pages/coverage.py", "pages/exports.py")


@pytest.fixture
def scene(request, db):
    """tests.pages.test_office_caches.call (twelve submissions reviewed, "Evidence late" assigned only), and an
    admin."""
    people = request.getfixturevalue("call")
    with db.write() as s:
        people["admin"] = make_user(s, role="admin")
    return people


def office_pages(db_url, scene):
    pages = [run_app(db_url, scene["office"], page=p) for p in PAGES]
    pages.append(run_app(db_url, scene["admin"], page="pages/selection.py"))
    assert not any(at.exception for at in pages), [at.exception for at in pages]
    return pages


def rerun_all(pages, db_url) -> None:
    for at in pages:
        rerun(at, db_url)
        assert not at.exception, at.exception


def late_score(rankings) -> float | None:
    table = main_table(rankings).set_index("Title")
    return float(table.loc["Evidence late", "Calibrated score"]) if "Evidence late" in table.index else None


def review_of(s, submission_id, reviewer) -> Review:
    return s.scalars(
        select(Review).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer.user_id)
    ).one()


def test_a_draft_saved_reads_no_score_progress_or_candidate_on_any_office_page(
    db, db_url, scene, call_config, monkeypatch
):
    st.cache_data.clear()
    pages = office_pages(db_url, scene)
    reads = count_calls(monkeypatch, ui.scores, "scores_since")
    fingerprints = count_calls(monkeypatch, ui.scores.reviews_da, "submitted_key")
    per_day = count_calls(monkeypatch, ui.coverage.coverage_da, "reviews_per_day")
    candidates = count_calls(monkeypatch, lineups_da, "candidate_frame")

    save_draft(db, call_config, scene["late"], scene["reviewers"][2], 5)  # another user's draft
    rerun_all(pages, db_url)
    assert (reads, per_day, candidates) == ([], [], [])
    assert len(fingerprints) == 1  # the reviews' tables moved: the submitted reviews' key read once, for every page

    rerun_all(pages, db_url)  # nothing moved: not even the key is read again
    assert (reads, per_day, candidates, len(fingerprints)) == ([], [], [], 1)


def test_each_change_of_the_submitted_scores_shows_on_every_office_page(db, db_url, scene, call_config):
    st.cache_data.clear()
    pages = office_pages(db_url, scene)
    rankings, coverage = pages[0], pages[1]
    before = sum(reviewed_by_nation(coverage).values())
    late, middle = scene["late"], scene["reviewers"][2]

    save_draft(db, call_config, late, middle, 2, submit=True)  # submitted
    rerun_all(pages, db_url)
    first = late_score(rankings)
    assert first is not None
    assert sum(reviewed_by_nation(coverage).values()) == before + 1

    save_draft(db, call_config, late, middle, 5, submit=True)  # submitted again with other scores
    rerun_all(pages, db_url)
    again = late_score(rankings)
    assert again is not None and again > first

    with db.write() as s:  # set aside: the admin records a conflict of interest on the submitted review
        declare_conflict(s, submission_id=late, reviewer_id=middle.user_id, actor="admin", source="admin")
    rerun_all(pages, db_url)
    assert late_score(rankings) is None
    assert sum(reviewed_by_nation(coverage).values()) == before

    erased = scene["ids"][0]
    title = "Evidence 00"
    assert title in ranked_titles(rankings)
    with db.write() as s:  # a reviewed submission erased: its reviews go with it
        erase_submission(s, submission_id=erased, actor="admin", reason="request")
    rerun_all(pages, db_url)
    assert title not in ranked_titles(rankings)
    assert sum(reviewed_by_nation(coverage).values()) == before - 1


def test_a_review_submitted_while_the_scores_are_read_is_never_kept_under_the_earlier_key(
    db, db_url, scene, call_config, monkeypatch
):
    """The race: Rankings reads the key, then the scores; a review is submitted in between. The frame read is the
    newer one; kept under the earlier key, it would come back when the review is reopened (the earlier key
    again), and Rankings would rank a draft."""
    st.cache_data.clear()
    rankings = run_app(db_url, scene["office"], page="pages/rankings.py")
    late, middle = scene["late"], scene["reviewers"][2]
    save_draft(db, call_config, late, middle, 4)
    real = ui.scores.scores_since
    submitted = []

    def submit_first(session, kept):
        if not submitted:  # once: the review goes in after the run read the key, before it reads the scores
            submitted.append(1)
            save_draft(db, call_config, late, middle, 4, submit=True)
        return real(session, kept)

    monkeypatch.setattr(ui.scores, "scores_since", submit_first)
    lee = scene["reviewers"][0]  # another review submitted again, other scores: the next run reads the scores
    save_draft(db, call_config, scene["ids"][0], lee, 1, submit=True)
    rerun(rankings, db_url)
    assert not rankings.exception, rankings.exception
    assert submitted and "Evidence late" in ranked_titles(rankings)  # the newer scores, under their own key

    monkeypatch.setattr(ui.scores, "scores_since", real)
    with db.write() as s:  # reopened: the submitted reviews are those of the earlier key again
        assert back_to_draft(s, review_of(s, late, middle), actor=middle.username, action="review.reopen")
    rerun(rankings, db_url)
    assert not rankings.exception, rankings.exception
    assert "Evidence late" not in ranked_titles(rankings)


def test_what_is_kept_at_a_key_is_kept_under_the_key_of_the_state_it_was_read_in(db, db_url, scene, call_config):
    """Coverage's progress (`ui.scores.kept_at_key`): read while a review went in, it is kept under the newer key,
    so the earlier key (back when the review is reopened) never finds the reopened review counted."""
    late, middle = scene["late"], scene["reviewers"][2]
    save_draft(db, call_config, late, middle, 4)
    with db.read() as s:
        earlier = submitted_key(s)
    store: dict = {}
    reads = []

    def read(session):
        if not reads:  # once: the review goes in after the key was read, before this read
            save_draft(db, call_config, late, middle, 4, submit=True)
        reads.append(1)
        return set(scores_frame(session)["submission_id"])

    with database_env(db_url):
        assert late in ui.scores.kept_at_key(store, ("here",), earlier, read)
        with db.read() as s:
            newer = submitted_key(s)
        assert newer != earlier and list(store) == [("here", newer)]  # under the key it was read at
        assert late in ui.scores.kept_at_key(store, ("here",), newer, read) and len(reads) == 1  # kept
        with db.write() as s:  # reopened: the earlier key again
            assert back_to_draft(s, review_of(s, late, middle), actor=middle.username, action="review.reopen")
        with db.read() as s:
            assert submitted_key(s) == earlier
        assert late not in ui.scores.kept_at_key(store, ("here",), earlier, read)
    assert len(reads) == 2
