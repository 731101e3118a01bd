"""My reviews when a run is cut short by another rerun.

Streamlit stops a run part way when the browser asks for a new one (a
component reporting, the sign-in cookie arriving, a key pressed while the
page redraws). The browser then holds only what the cut run had sent. Two
things must survive that:

* input brought back from the server (or from the form state) must show in
  the browser. A browser shows a widget's value only when the element says to
  set it, or its default when it draws the widget afresh; Streamlit says to set
  a value given through session state only around the run that gave it, and
  a browser can draw the form afresh later (seen after a sign-in by a link:
  every widget empty while the server held the words). So the form's values
  are the widgets' defaults too, in every run but the one that sets them;
* a button press must be acted on even when the run it started is cut before
  the save, and never later on its own when the person went to another page.

The cut is made as the browser makes it: a rerun request carrying the
browser's widget states (none of the form's, which it never received)."""

from __future__ import annotations

import pytest
import streamlit as st

from data_access import audit
from data_access.drafts import autosave_review
from data_access.reviews import ReviewDraft, get_own_review
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import rerun, run_app, texts
from tests.support.interrupted import cut_once, shown_afresh
from ui import render, review_form

PAGE = "pages/my_reviews.py"
WORDS = "Unfinished at bedtime"
SCORE_2 = "2"  # the label of the score 2


@pytest.fixture
def panel(db, call_config):
    with db.write() as s:
        subs = [make_submission(s, call_config, reference=f"CFE-000{i}", title=f"Evidence {i}") for i in (1, 2, 3)]
        ann = make_user(s, name="Ann Reviewer")
        for sub in subs:
            assign(s, sub, ann)
    return {"subs": subs, "ann": ann}


class _Streamlit:
    """`st` as ui.review_form sees it, with `radio` replaceable."""

    def __getattr__(self, name):
        return getattr(st, name)


def test_input_brought_back_reaches_the_browser_when_the_run_that_set_it_is_cut(
    db, db_url, panel, call_config, monkeypatch
):
    first, ann = panel["subs"][0], panel["ann"]
    with db.write() as s:
        autosave_review(
            s,
            submission_id=first,
            reviewer_id=ann.user_id,
            actor=ann.username,
            draft=ReviewDraft(scores={"promise": 2}, comment=WORDS, recommendation=None, confidence=None),
            base_version=0,
            config=call_config,
        )
    # Cut the first run of the form after the widgets were set from the server's
    # copy and before the first of them is drawn.
    proxy = _Streamlit()
    monkeypatch.setattr(review_form, "st", proxy)
    cuts = cut_once(monkeypatch, proxy, "radio")
    at = run_app(db_url, ann, page=PAGE)
    assert cuts and not at.exception
    assert shown_afresh(at.text_area(key=f"review.{first}.comment")) == WORDS
    assert shown_afresh(at.radio(key=f"review.{first}.promise")) == SCORE_2
    assert "Your unsaved input from" in texts(at)


def test_every_later_run_draws_the_form_with_its_values_and_streamlit_never_warns(db, db_url, panel, call_config):
    first, ann = panel["subs"][0], panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    at.radio(key=f"review.{first}.promise").set_value(2)
    at.radio(key=f"review.{first}.recommendation").set_value("feature")
    at.text_area(key=f"review.{first}.comment").set_value(WORDS)
    rerun(at, db_url)
    for _ in range(2):  # an unrelated run, then another: a browser drawing the form afresh shows the input
        rerun(at, db_url)
        assert shown_afresh(at.text_area(key=f"review.{first}.comment")) == WORDS
        assert shown_afresh(at.radio(key=f"review.{first}.promise")) == SCORE_2
        assert shown_afresh(at.radio(key=f"review.{first}.recommendation")) == call_config.recommendations.label(
            "feature"
        )
        assert shown_afresh(at.radio(key=f"review.{first}.confidence")) is None
    again = run_app(db_url, ann, page=PAGE)  # a new session: the run that sets the widgets from the server
    assert shown_afresh(again.text_area(key=f"review.{first}.comment")) == WORDS
    for view in (at, again):
        assert not [w.value for w in view.warning if "Session State" in str(w.value)]


def _fill(at, sub) -> None:
    for criterion, score in (("promise", 3), ("evidence_strength", 3), ("survivor_involvement", 3)):
        at.radio(key=f"review.{sub}.{criterion}").set_value(score)
    at.radio(key=f"review.{sub}.recommendation").set_value("feature")
    at.radio(key=f"review.{sub}.confidence").set_value("low")


def _open_reference(at) -> str:
    return next(c.value for c in at.caption if str(c.value).startswith("Submission CFE-")).removeprefix("Submission ")


def _status(db, sub, ann):
    with db.read() as s:
        review = get_own_review(s, submission_id=sub, reviewer_id=ann.user_id)
    return review.status if review else None


def test_submit_and_next_is_acted_on_when_its_run_is_cut_before_the_save(db, db_url, panel, monkeypatch):
    first, ann = panel["subs"][0], panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    opened = _open_reference(at)
    _fill(at, first)
    rerun(at, db_url)
    cuts = cut_once(monkeypatch, render, "submission_detail")  # after the page read the press, before the form
    at.button(key="my_reviews.submit_next").click()
    rerun(at, db_url)
    assert cuts and not at.exception
    assert _status(db, first, ann) == "submitted"
    following = _open_reference(at)
    assert following != opened
    assert f"Review submitted. Now showing {following}, the next unfinished." in texts(at)


def test_a_press_whose_run_went_to_another_page_never_acts_later(db, db_url, panel):
    first, ann = panel["subs"][0], panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    _fill(at, first)
    rerun(at, db_url)
    at.button(key="my_reviews.submit").click()  # and, in the same moment, another page
    at.switch_page("pages/overview.py")
    rerun(at, db_url)
    at.switch_page(PAGE)
    rerun(at, db_url)
    rerun(at, db_url)
    assert not at.exception
    assert _status(db, first, ann) is None  # nothing submitted without a press on this page


def test_the_picker_label_drawn_before_an_autosave_keeps_the_open_submission(db, db_url, panel, monkeypatch):
    """The picker shows each submission's status ("· unsaved changes" once the
    input is kept). A browser that sends the label it drew before the status
    changed (its rerun left before the redraw arrived) must not move the
    reviewer: seen in the evening test, the submission opened by a link was
    refused as "not in the reviewer's queue" and the first unfinished opened
    under the reviewer's typing."""
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from streamlit.testing.v1 import element_tree

    second, ann = panel["subs"][1], panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    at.selectbox(key="my_reviews.picker").set_value("CFE-0002")
    rerun(at, db_url)
    picker = at.selectbox(key="my_reviews.picker")
    drawn = picker.options[picker.index]  # the label the browser holds now
    assert drawn.startswith("CFE-0002 · ") and "unsaved" not in drawn
    at.radio(key=f"review.{second}.promise").set_value(3)
    rerun(at, db_url)  # the input is kept: the label says so now
    picker = at.selectbox(key="my_reviews.picker")
    assert "unsaved changes" in picker.options[picker.index]

    stale = WidgetState(id=picker.id, string_value=drawn)
    sent = element_tree.Selectbox._widget_state
    monkeypatch.setattr(
        element_tree.Selectbox,
        "_widget_state",
        property(lambda box: stale if box.key == "my_reviews.picker" else sent.fget(box)),
    )
    rerun(at, db_url)
    monkeypatch.undo()
    assert not at.exception
    assert _open_reference(at) == "CFE-0002"
    assert "not assigned to you" not in texts(at)
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(action="access.denied")).empty
