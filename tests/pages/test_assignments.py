"""The Assignments page in AppTest: preview and run the automatic assignment,
edit by hand, record conflicts, close and reopen reviewing."""

import pytest
from sqlalchemy import func, select

from data_access.call_state import reviewing_closed
from data_access.models import Assignment, ConflictOfInterest, Review
from data_access.users import set_active
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/assignments.py"


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        subs = [make_submission(s, call_config, reference=f"CFE-{i:04d}") for i in range(1, 7)]
        castle = make_submission(s, call_config, reference="CFE-0007", organisation="Castle Trust")
        reviewers = [make_user(s, name=f"Reviewer {n}") for n in "ABC"]
        castle_reviewer = make_user(s, name="Dee Castle", organisation="castle trust")
    return {"admin": admin, "subs": subs, "castle": castle, "reviewers": reviewers, "dee": castle_reviewer}


def _count(db, model, **where):
    with db.read() as s:
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return s.scalar(stmt)


def open_edit_by_hand(db_url, admin):
    """The page, then its Edit by hand tab: every submission's reference is sent only while that tab is open."""
    at = run_app(db_url, admin, page=PAGE)
    assert "assignments.edit.ref" not in [s.key for s in at.selectbox]
    at.session_state["assignments.tab"] = "Edit by hand"
    rerun(at, db_url)
    assert not at.exception, at.exception
    return at


def test_preview_writes_nothing_and_the_run_assigns_every_submission(db, db_url, call):
    at = run_app(db_url, call["admin"], page=PAGE)
    assert not at.exception
    at.button(key="assignments.preview").click()
    rerun(at, db_url)
    assert "(nothing written yet)" in texts(at)
    assert _count(db, Assignment) == 0

    at.button(key="assignments.run").click()
    rerun(at, db_url)
    assert "Added 21 assignments." in texts(at)
    assert _count(db, Assignment) == 21
    assert _count(db, Assignment, submission_id=call["castle"], reviewer_id=call["dee"].user_id) == 0
    assert (at.metric[0].label, at.metric[0].value) == ("Submissions short of 3 reviewers", "0")


def test_an_impossible_submission_is_listed_with_the_reason(db, db_url, call):
    with db.write() as s:
        for person in call["reviewers"][1:]:
            set_active(s, user_id=person.user_id, active=False, actor="test")
    at = run_app(db_url, call["admin"], page=PAGE)
    at.button(key="assignments.run").click()
    rerun(at, db_url)
    shortfalls = [df.value for df in at.dataframe if "Why" in df.value.columns]
    assert shortfalls, "no table of shortfalls"
    why = dict(zip(shortfalls[0]["Reference"], shortfalls[0]["Why"], strict=True))
    assert "Dee Castle shares the contributor's organisation" in why["CFE-0007"]
    assert "Reviewer B and Reviewer C are deactivated" in why["CFE-0007"]


def test_edit_by_hand_and_record_a_conflict(db, db_url, call):
    reviewer_a = call["reviewers"][0]
    at = open_edit_by_hand(db_url, call["admin"])
    at.selectbox(key="assignments.edit.ref").set_value("CFE-0007")
    rerun(at, db_url)
    assert "Dee Castle" not in at.selectbox(key="asg.add").options  # shares the organisation
    assert "Reviewer A" in at.selectbox(key="asg.add").options
    at.selectbox(key="asg.add").set_value(reviewer_a.user_id)
    rerun(at, db_url)
    at.button(key="asg.add.go").click()
    rerun(at, db_url)
    assert _count(db, Assignment, submission_id=call["castle"], reviewer_id=reviewer_a.user_id) == 1

    at.selectbox(key="asg.coi").set_value(call["reviewers"][1].user_id)
    at.text_input(key="asg.coi.reason").set_value("Sits on its board")
    rerun(at, db_url)
    at.button(key="asg.coi.go").click()
    rerun(at, db_url)
    assert _count(db, ConflictOfInterest, submission_id=call["castle"], source="admin") == 1
    assert "Sits on its board" in texts(at)  # the conflicts tab lists it


def test_close_and_reopen_reviewing(db, db_url, call):
    at = run_app(db_url, call["admin"], page=PAGE)
    at.button(key="assignments.toggle_closed").click()
    rerun(at, db_url)
    at.button(key="assignments.close.confirm").click()
    rerun(at, db_url)
    with db.read() as s:
        assert reviewing_closed(s)
    assert "Reviewing is closed" in texts(at)
    at.button(key="assignments.toggle_closed").click()
    rerun(at, db_url)
    with db.read() as s:
        assert not reviewing_closed(s)


def test_closing_reviewing_asks_first_names_who_is_unfinished_and_cancel_changes_nothing(db, db_url, call, call_config):
    a, b, _c = call["reviewers"]
    with db.write() as s:
        for sub in call["subs"][:2]:
            assign(s, sub, a)
        assign(s, call["subs"][2], b)
        submit_review(s, call_config, call["subs"][0], a)
    at = run_app(db_url, call["admin"], page=PAGE)
    at.button(key="assignments.toggle_closed").click()
    rerun(at, db_url)
    with db.read() as s:
        assert not reviewing_closed(s)  # the first click only asks
    assert "Close reviewing? Nothing has changed yet." in [w.value for w in at.warning]
    assert "2 assigned reviews not yet submitted, by 2 reviewers: Reviewer A (1), Reviewer B (1)." in texts(at)
    at.button(key="assignments.close.cancel").click()
    rerun(at, db_url)
    with db.read() as s:
        assert not reviewing_closed(s)
    assert "Close reviewing?" not in texts(at) and not [b for b in at.button if b.key == "assignments.close.confirm"]
    at.button(key="assignments.toggle_closed").click()
    rerun(at, db_url)
    at.button(key="assignments.close.confirm").click()
    rerun(at, db_url)
    with db.read() as s:
        assert reviewing_closed(s)
    assert "Reviewing is closed: no review can be saved, submitted or reopened." in [w.value for w in at.warning]


def test_edit_by_hand_shows_review_statuses_in_words(db, db_url, call, call_config):
    first, reviewer = call["subs"][0], call["reviewers"][0]
    with db.write() as s:
        assign(s, first, reviewer)
        submit_review(s, call_config, first, reviewer, scores=dict.fromkeys(call_config.criterion_ids, 3))
    at = open_edit_by_hand(db_url, call["admin"])
    at.selectbox(key="assignments.edit.ref").set_value("CFE-0001")
    rerun(at, db_url)
    panel = next(df.value for df in at.dataframe if "Cannot be added because" in df.value.columns)
    assert panel.set_index("Reviewer").loc["Reviewer A", "Review"] == "Submitted"


def test_recording_a_conflict_over_a_submitted_review_warns_then_sets_it_aside(db, db_url, call, call_config):
    first, reviewer = call["subs"][0], call["reviewers"][0]
    with db.write() as s:
        assign(s, first, reviewer)
        submit_review(s, call_config, first, reviewer)
    at = open_edit_by_hand(db_url, call["admin"])
    at.selectbox(key="assignments.edit.ref").set_value("CFE-0001")
    rerun(at, db_url)
    at.selectbox(key="asg.coi").set_value(reviewer.user_id)
    rerun(at, db_url)
    assert any("sets that review aside" in w.value for w in at.warning)
    at.button(key="asg.coi.go").click()
    rerun(at, db_url)
    assert "their submitted review is set aside" in texts(at)
    with db.read() as s:
        status = s.scalar(
            select(Review.status).where(Review.submission_id == first, Review.reviewer_id == reviewer.user_id)
        )
    assert status == "draft"


def test_edit_by_hand_removes_a_reviewer_and_withdraws_a_conflict(db, db_url, call):
    first = call["subs"][0]
    reviewer_a, reviewer_b = call["reviewers"][:2]
    with db.write() as s:
        assign(s, first, reviewer_a)
    at = open_edit_by_hand(db_url, call["admin"])
    at.selectbox(key="assignments.edit.ref").set_value("CFE-0001")
    rerun(at, db_url)
    assert at.selectbox(key="asg.rm").options == ["Reviewer A"]  # only the assigned, without a submitted review
    at.selectbox(key="asg.rm").set_value(reviewer_a.user_id)
    rerun(at, db_url)
    at.button(key="asg.rm.go").click()
    rerun(at, db_url)
    assert "Removed Reviewer A from CFE-0001." in texts(at)
    assert _count(db, Assignment, submission_id=first) == 0

    at.selectbox(key="asg.coi").set_value(reviewer_b.user_id)
    at.text_input(key="asg.coi.reason").set_value("Former employee")
    rerun(at, db_url)
    at.button(key="asg.coi.go").click()
    rerun(at, db_url)
    assert _count(db, ConflictOfInterest, submission_id=first, reviewer_id=reviewer_b.user_id) == 1
    assert at.selectbox(key="asg.wd").value == reviewer_b.user_id
    at.button(key="asg.wd.go").click()
    rerun(at, db_url)
    assert "Withdrew the conflict of Reviewer B on CFE-0001." in texts(at)
    assert _count(db, ConflictOfInterest, submission_id=first, reviewer_id=reviewer_b.user_id) == 0
