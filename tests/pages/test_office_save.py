"""Issue 21: what a reviewer's save costs the office's pages. A draft saved moves the reviews' tables but not the
submitted reviews' key (`ui.scores.scores_key`), so no score is read again and nothing computed from the
submitted scores alone is built again: the calibration, Rankings' agreement, Coverage's frame. A review submitted, or
reopened, changes them, and every page shows it on its next run; a submission edited rebuilds Coverage's frame
(its codes), not the scores'."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from sqlalchemy import select, update

import ui.coverage
import ui.rankings
import ui.scores
from data_access.models import Review, Submission
from data_access.reviews import ReviewDraft, back_to_draft, save_review
from tests.pages.test_office_caches import call, count_calls  # noqa: F401 (call: a fixture)
from tests.support.apptest import rerun, run_app
from tests.support.figures import figure_strings

PAGES = ("pages/rankings.py", "pages/coverage.py", "pages/exports.py")


@pytest.fixture
def scene(request):
    """tests.pages.test_office_caches.call: twelve submissions reviewed, one more assigned only ("late")."""
    return request.getfixturevalue("call")


def save_draft(db, config, submission_id: int, reviewer, score: int, *, submit: bool = False) -> None:
    """The reviewer's own form saved (a draft) or submitted, from the version they opened."""
    with db.write() as s:
        mine = s.scalar(
            select(Review.version).where(Review.submission_id == submission_id, Review.reviewer_id == reviewer.user_id)
        )
        save_review(
            s,
            submission_id=submission_id,
            reviewer_id=reviewer.user_id,
            actor=reviewer.username,
            draft=ReviewDraft(
                scores=dict.fromkeys(config.criterion_ids, score),
                comment="A comment.",
                recommendation="feature",
                confidence="medium",
            ),
            submit=submit,
            expected_version=mine,
            config=config,
        )


def ranked_titles(at) -> set[str]:
    return set(next(df.value for df in at.dataframe if "Calibrated score" in df.value.columns)["Title"])


def numbers(values) -> list[float]:
    """A plotly trace's numbers, plain or as Plotly 6 sends arrays (`{"dtype", "bdata"}`)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def reviewed_by_nation(at) -> dict[str, float]:
    """Coverage's "Submissions by nation" chart: the reviewed submissions per nation, as drawn."""
    chart = next(c for c in at.get("plotly_chart") if "Submissions by nation" in "".join(figure_strings(c.proto.spec)))
    trace = next(t for t in json.loads(chart.proto.spec)["data"] if t.get("name") == "reviewed")
    return dict(zip(trace["y"], numbers(trace["x"]), strict=True))


def test_a_draft_saved_rebuilds_nothing_of_the_scores_and_a_submitted_review_rebuilds_and_shows(
    db, db_url, scene, call_config, monkeypatch
):
    st.cache_data.clear()
    pages = [run_app(db_url, scene["office"], page=p) for p in PAGES]
    assert not any(at.exception for at in pages)
    rankings, coverage, _exports = pages
    before = reviewed_by_nation(coverage)
    reads = count_calls(monkeypatch, ui.scores, "scores_since")
    fits = count_calls(monkeypatch, ui.scores, "calibrate")
    agreements = count_calls(monkeypatch, ui.rankings, "agreement_table")
    frames = count_calls(monkeypatch, ui.coverage.cov, "scored_frame")

    save_draft(db, call_config, scene["late"], scene["reviewers"][2], 5)  # another user's draft
    for at in pages:
        rerun(at, db_url)
        assert not at.exception, at.exception
    # The reviews' tables moved, the submitted reviews did not (ui.scores.scores_key): no score is read again, and
    # nothing computed from them is built again. (Keyed by the tables' versions, the scores were read once.)
    assert (reads, fits, agreements, frames) == ([], [], [], [])
    assert "Evidence late" not in ranked_titles(rankings)
    assert reviewed_by_nation(coverage) == before


def test_a_reviewer_submitting_and_reopening_rebuilds_what_the_scores_give_and_every_page_shows_it(
    db, db_url, scene, call_config, monkeypatch
):
    st.cache_data.clear()
    pages = [run_app(db_url, scene["office"], page=p) for p in PAGES]
    rankings, coverage, _exports = pages
    before = reviewed_by_nation(coverage)
    save_draft(db, call_config, scene["late"], scene["reviewers"][2], 5)
    for at in pages:
        rerun(at, db_url)
    fits = count_calls(monkeypatch, ui.scores, "calibrate")
    agreements = count_calls(monkeypatch, ui.rankings, "agreement_table")
    frames = count_calls(monkeypatch, ui.coverage.cov, "scored_frame")

    save_draft(db, call_config, scene["late"], scene["reviewers"][2], 5, submit=True)  # the draft submitted
    for at in pages:
        rerun(at, db_url)
        assert not at.exception, at.exception
    assert (len(fits), len(agreements), len(frames)) == (1, 1, 1)  # once, for every page
    assert "Evidence late" in ranked_titles(rankings)
    after = reviewed_by_nation(coverage)
    assert sum(after.values()) == sum(before.values()) + 1

    with db.write() as s:  # reopened: a draft again, counted nowhere
        review = s.scalars(
            select(Review).where(
                Review.submission_id == scene["late"], Review.reviewer_id == scene["reviewers"][2].user_id
            )
        ).one()
        assert back_to_draft(s, review, actor=scene["reviewers"][2].username, action="review.reopen")
    for at in pages:
        rerun(at, db_url)
        assert not at.exception, at.exception
    # The submitted scores are those before the submission again, whose results are still cached: shown, not built.
    assert (len(fits), len(agreements), len(frames)) == (1, 1, 1)
    assert "Evidence late" not in ranked_titles(rankings)
    assert reviewed_by_nation(coverage) == before


def test_a_submission_edited_rebuilds_coverages_frame_not_the_scores(db, db_url, scene, call_config, monkeypatch):
    st.cache_data.clear()
    coverage = run_app(db_url, scene["office"], page="pages/coverage.py")
    before = reviewed_by_nation(coverage)
    fits = count_calls(monkeypatch, ui.scores, "calibrate")
    frames = count_calls(monkeypatch, ui.coverage.cov, "scored_frame")
    moved = scene["ids"][0]
    with db.read() as s:
        old = s.scalar(select(Submission.nation).where(Submission.id == moved))
    new = next(n for n in call_config.vocabulary("nation").ids if n != old)
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == moved).values(nation=new))
    rerun(coverage, db_url)
    assert not coverage.exception, coverage.exception
    assert (fits, len(frames)) == ([], 1)
    after = reviewed_by_nation(coverage)
    label = call_config.vocabulary("nation").label
    assert after.get(label(new), 0) == before.get(label(new), 0) + 1
    assert after.get(label(old), 0) == before.get(label(old), 0) - 1


def test_the_digest_follows_the_content():
    frame = pd.DataFrame({"submission_id": [1, 1], "reviewer_id": [2, 3], "criterion": ["a", "b"], "score": [1.0, 2.0]})
    assert ui.scores.digest(frame) == ui.scores.digest(frame.copy())
    swapped = frame.assign(score=[2.0, 1.0])
    assert ui.scores.digest(swapped) != ui.scores.digest(frame)
    cannot_judge = frame.assign(score=[1.0, np.nan])
    assert ui.scores.digest(cannot_judge) != ui.scores.digest(frame)
    assert ui.scores.digest(frame.iloc[:1]) != ui.scores.digest(frame)
