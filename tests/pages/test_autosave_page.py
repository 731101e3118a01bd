"""Autosave on My reviews in AppTest: input kept on the server as it changes,
brought back into the form in a new session (reload, closed tab, another
device), the comment as typed (the reporter's value), ended by a save, and
crafted widget or component state that reaches nothing."""

import pytest
from sqlalchemy import func, select

from config import limits
from data_access import audit
from data_access.call_state import set_reviewing_closed
from data_access.drafts import autosave_review, get_autosave
from data_access.models import ReviewAutosave
from data_access.reviews import ReviewDraft, get_own_review
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/my_reviews.py"


@pytest.fixture
def panel(db, call_config):
    with db.write() as s:
        subs = [make_submission(s, call_config, reference=f"CFE-000{i}", title=f"Evidence {i}") for i in (1, 2)]
        other = make_submission(s, call_config, reference="CFE-0099", title="Not Ann's")
        ann = make_user(s, name="Ann Reviewer")
        ben = make_user(s, name="Ben Reviewer")
        for sub in subs:
            assign(s, sub, ann)
        assign(s, other, ben)
    return {"subs": subs, "other": other, "ann": ann, "ben": ben}


def kept(db, sub, person):
    with db.read() as s:
        return get_autosave(s, submission_id=sub, reviewer_id=person.user_id)


def typed(at, sub, text, at_ms=1):
    """What the reporter component sends after the reviewer stops typing."""
    at.session_state[f"review.{sub}.typed"] = {"typed": {"text": text, "at": at_ms}}


def test_scores_and_the_comment_as_typed_are_kept_and_come_back_in_a_new_session(db, db_url, panel):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    at.radio(key=f"review.{first}.promise").set_value(4)
    at.radio(key=f"review.{first}.evidence_strength").set_value("cannot_judge")
    rerun(at, db_url)
    assert kept(db, first, ann).draft.scores == {"promise": 4, "evidence_strength": None}
    assert "Draft saved automatically at" in texts(at)
    typed(at, first, "Half a comment, not yet blurred")  # the text area itself still holds ""
    rerun(at, db_url)
    assert kept(db, first, ann).draft.comment == "Half a comment, not yet blurred"
    assert "version" not in texts(at).lower()

    again = run_app(db_url, ann, page=PAGE)  # reload, closed tab, signed out and in, another device
    assert not again.exception
    assert again.radio(key=f"review.{first}.promise").value == 4
    assert again.radio(key=f"review.{first}.evidence_strength").value == "cannot_judge"
    assert again.text_area(key=f"review.{first}.comment").value == "Half a comment, not yet blurred"
    assert "Your unsaved input from" in texts(again)
    assert get_own_review_of(db, first, ann) is None  # kept, never a review until saved

    again.button(key="my_reviews.draft").click()
    rerun(again, db_url)
    stored = get_own_review_of(db, first, ann)
    assert (stored.comment, stored.scores) == (
        "Half a comment, not yet blurred",
        {"promise": 4, "evidence_strength": None},
    )
    assert kept(db, first, ann) is None  # the save ended the draft session
    fresh = run_app(db_url, ann, page=PAGE)
    assert "Your unsaved input from" not in texts(fresh)


def get_own_review_of(db, sub, person):
    with db.read() as s:
        return get_own_review(s, submission_id=sub, reviewer_id=person.user_id)


def test_the_comment_as_typed_wins_over_the_text_areas_older_value_and_blur_wins_after(db, db_url, panel):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    at.text_area(key=f"review.{first}.comment").set_value("Committed on blur")
    rerun(at, db_url)
    typed(at, first, "Committed on blur, and more typed")
    rerun(at, db_url)
    assert kept(db, first, ann).draft.comment == "Committed on blur, and more typed"
    rerun(at, db_url)  # an unrelated rerun: the report is not applied twice, nor lost
    assert kept(db, first, ann).draft.comment == "Committed on blur, and more typed"
    at.text_area(key=f"review.{first}.comment").set_value("Shortened, then blurred")
    rerun(at, db_url)
    assert kept(db, first, ann).draft.comment == "Shortened, then blurred"


def test_one_audit_entry_for_a_draft_session_of_many_changes(db, db_url, panel):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    for n, score in enumerate((1, 2, 3, 4), start=1):
        at.radio(key=f"review.{first}.promise").set_value(score)
        rerun(at, db_url)
        typed(at, first, "word " * n, at_ms=n)
        rerun(at, db_url)
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="review.autosave"))
    assert len(entries) == 1
    assert kept(db, first, ann).draft.comment == "word " * 4


def test_input_already_in_the_session_is_newer_than_the_server_copy(db, db_url, panel, call_config):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    at.text_area(key=f"review.{first}.comment").set_value("Typed in this tab")
    rerun(at, db_url)
    assert kept(db, first, ann).draft.comment == "Typed in this tab"
    with db.write() as s:  # another device autosaves meanwhile
        autosave_review(
            s,
            submission_id=first,
            reviewer_id=ann.user_id,
            actor=ann.username,
            draft=ReviewDraft(comment="From the phone"),
            base_version=0,
            config=call_config,
        )
    rerun(at, db_url)
    assert at.text_area(key=f"review.{first}.comment").value == "Typed in this tab"


def test_restored_input_from_before_a_save_elsewhere_gets_the_side_by_side_panel(db, db_url, panel, call_config):
    first = panel["subs"][0]
    ann = panel["ann"]
    laptop = run_app(db_url, ann, page=PAGE)
    typed(laptop, first, "Laptop words")
    rerun(laptop, db_url)
    phone = run_app(db_url, ann, page=PAGE)  # restores "Laptop words"; edits and saves
    phone.text_area(key=f"review.{first}.comment").set_value("Phone words")
    rerun(phone, db_url)
    phone.button(key="my_reviews.draft").click()
    rerun(phone, db_url)
    assert get_own_review_of(db, first, ann).comment == "Phone words"
    typed(laptop, first, "Laptop words, more", at_ms=2)  # the laptop tab keeps typing from the old start
    rerun(laptop, db_url)
    assert kept(db, first, ann).base_version == 0
    reloaded = run_app(db_url, ann, page=PAGE)
    assert reloaded.text_area(key=f"review.{first}.comment").value == "Laptop words, more"
    reloaded.button(key="my_reviews.draft").click()
    rerun(reloaded, db_url)
    shown = texts(reloaded)
    assert "changed in another window or tab" in shown
    assert "Phone words" in shown and "Laptop words, more" in shown
    assert get_own_review_of(db, first, ann).comment == "Phone words"  # never a silent overwrite
    reloaded.button(key=f"review.{first}.take_saved").click()
    rerun(reloaded, db_url)
    assert kept(db, first, ann) is None  # given up: a reload does not bring it back
    assert run_app(db_url, ann, page=PAGE).text_area(key=f"review.{first}.comment").value == "Phone words"


def test_a_submitted_review_is_left_alone(db, db_url, panel, call_config):
    first = panel["subs"][0]
    ann = panel["ann"]
    with db.write() as s:
        submit_review(s, call_config, first, ann, comment="Final words.")
    before = get_own_review_of(db, first, ann)
    at = run_app(db_url, ann, page=PAGE)
    typed(at, first, "Crafted after submitting")
    rerun(at, db_url)
    assert not at.exception
    assert get_own_review_of(db, first, ann) == before
    assert kept(db, first, ann) is None
    second = panel["subs"][1]  # the same report on a draft is kept: the refusal above is the submitted state's
    at.query_params["submission"] = "CFE-0002"
    rerun(at, db_url)
    typed(at, second, "Crafted after submitting")
    rerun(at, db_url)
    assert kept(db, second, ann).draft.comment == "Crafted after submitting"


def test_once_reviewing_is_closed_nothing_is_autosaved(db, db_url, panel):
    first = panel["subs"][0]
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="admin")
    at = run_app(db_url, panel["ann"], page=PAGE)
    typed(at, first, "Too late")
    rerun(at, db_url)
    assert kept(db, first, panel["ann"]) is None


def test_crafted_widget_and_reporter_state_for_another_submission_reaches_nothing(db, db_url, panel):
    other = panel["other"]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    typed(at, panel["subs"][0], "Into Ann's own")  # the control: her own open submission's report is kept
    typed(at, other, "Into Ben's submission")
    at.session_state[f"review.{other}.comment"] = "Into Ben's submission"
    at.session_state[f"review.{other}.promise"] = 5
    at.session_state["my_reviews.drafts"] = {
        other: {
            "base_version": 0,
            "base": {"scores": {}, "comment": "", "recommendation": None, "confidence": None},
            "values": {"scores": {"promise": 5}, "comment": "Into Ben's", "recommendation": None, "confidence": None},
            "stale": None,
            "intent": None,
        }
    }
    rerun(at, db_url)
    at.query_params["submission"] = "CFE-0099"
    rerun(at, db_url)
    with db.read() as s:
        assert s.scalar(select(func.count()).select_from(ReviewAutosave)) == 1
        assert get_autosave(s, submission_id=other, reviewer_id=ann.user_id) is None
        assert get_own_review(s, submission_id=other, reviewer_id=ann.user_id) is None
        refusals = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    assert kept(db, panel["subs"][0], ann).draft.comment == "Into Ann's own"
    assert len(refusals) == 1  # the link to Ben's submission, refused and logged


@pytest.mark.parametrize(
    "report",
    [
        {"text": "x" * (limits.REVIEW_COMMENT + 1), "at": 5},
        {"text": ["not", "text"], "at": 5},
        {"text": {"html": "<img src=x onerror=alert(1)>"}, "at": 5},
        "just a string",
    ],
    ids=["too-long", "a-list", "an-object", "not-a-report"],
)
def test_a_crafted_report_that_is_not_the_comment_changes_nothing(db, db_url, panel, report):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    typed(at, first, "Real words")
    rerun(at, db_url)
    at.session_state[f"review.{first}.typed"] = {"typed": report}
    rerun(at, db_url)
    assert not at.exception
    assert kept(db, first, ann).draft.comment == "Real words"


def test_comment_html_comes_back_as_text(db, db_url, panel):
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    typed(at, first, "<script>alert(1)</script> **bold** =SUM(A1)")
    rerun(at, db_url)
    again = run_app(db_url, ann, page=PAGE)
    assert again.text_area(key=f"review.{first}.comment").value == "<script>alert(1)</script> **bold** =SUM(A1)"
    assert all("<script>" not in m.value for m in again.markdown)


def test_a_comment_with_a_nul_character_is_refused_in_words_and_nothing_is_kept(db, db_url, panel):
    """A NUL (which PostgreSQL can store neither in text nor in JSONB) sent as the
    comment as typed (the reporter's state, as a crafted client sends it) or in
    the text area: refused in words on both databases, never an error."""
    first = panel["subs"][0]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    typed(at, first, "before\x00after")
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "Not saved automatically" in texts(at)
    assert kept(db, first, ann) is None
    at.button(key="my_reviews.draft").click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert any("Not saved" in e.value and "null character" in e.value for e in at.error), [e.value for e in at.error]
    assert get_own_review_of(db, first, ann) is None
    assert kept(db, first, ann) is None


def test_after_a_sign_out_the_next_person_in_that_browser_finds_nothing_of_the_last_ones_input(db, db_url, call_config):
    """A shared computer: Ann types into a review and signs out without saving;
    Ben signs in in the same browser tab (the same Streamlit session) and opens
    the same submission. He must find his own (empty) form, not Ann's words,
    and nothing of hers may be kept or saved as his."""
    from tests.factories import TEST_PASSWORD
    from tests.support.apptest import confirm_cookie

    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001", title="Shared")
        ann = make_user(s, name="Ann Reviewer", username="ann")
        ben = make_user(s, name="Ben Reviewer", username="ben")
        assign(s, sub, ann)
        assign(s, sub, ben)
    at = run_app(db_url, ann, page=PAGE)
    at.radio(key=f"review.{sub}.promise").set_value(2)
    at.text_area(key=f"review.{sub}.comment").set_value("Ann's private doubts about this contributor")
    rerun(at, db_url)
    assert kept(db, sub, ann).draft.comment == "Ann's private doubts about this contributor"
    at.sidebar.button(key="sign_out").click()
    rerun(at, db_url)
    at.text_input(key="sign_in.username").input("ben")
    at.text_input(key="sign_in.password").input(TEST_PASSWORD)
    at.button[0].click()
    rerun(at, db_url)
    confirm_cookie(at, db_url)
    at.switch_page(PAGE)
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "Ben Reviewer" in texts(at)
    assert at.text_area(key=f"review.{sub}.comment").value == ""
    assert "private doubts" not in texts(at)
    assert kept(db, sub, ben) is None
    at.button(key="my_reviews.draft").click()
    rerun(at, db_url)
    saved = get_own_review_of(db, sub, ben)
    assert "private doubts" not in saved.comment and saved.scores.get("promise") != 2
