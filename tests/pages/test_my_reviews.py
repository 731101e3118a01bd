"""My reviews in AppTest: scoring, "cannot judge", a declared conflict, who
sees which review when, a stale save from a second tab, refused links, and
input that survives moving around until it is saved."""

import pytest
from sqlalchemy import select

from data_access import audit
from data_access.assignments import remove_assignment
from data_access.call_state import set_reviewing_closed
from data_access.models import ConflictOfInterest
from data_access.reviews import get_own_review
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/my_reviews.py"


@pytest.fixture
def panel(db, call_config):
    with db.write() as s:
        subs = [
            make_submission(s, call_config, reference=f"CFE-000{i}", title=f"Evidence number {i}") for i in (1, 2, 3)
        ]
        other = make_submission(s, call_config, reference="CFE-0099", title="Not yours")
        ann = make_user(s, name="Ann Reviewer")
        ben = make_user(s, name="Ben Reviewer")
        for sub in subs:
            assign(s, sub, ann)
            assign(s, sub, ben)
    return {"subs": subs, "other": other, "ann": ann, "ben": ben}


def fill(at, sub, scores, *, comment="", recommendation="feature", confidence="high"):
    for criterion, value in scores.items():
        at.radio(key=f"review.{sub}.{criterion}").set_value(value)
    at.text_area(key=f"review.{sub}.comment").set_value(comment)
    at.radio(key=f"review.{sub}.recommendation").set_value(recommendation)
    at.radio(key=f"review.{sub}.confidence").set_value(confidence)


def click(at, key, db_url):
    at.button(key=key).click()
    return rerun(at, db_url)


def own(db, sub, person):
    with db.read() as s:
        return get_own_review(s, submission_id=sub, reviewer_id=person.user_id)


def test_a_reviewer_scores_three_submissions_one_cannot_judge_one_conflict(db, db_url, panel):
    first, second, third = panel["subs"]
    ann = panel["ann"]
    at = run_app(db_url, ann, page=PAGE)
    assert not at.exception
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0001"
    # the rubric's descriptors are beside the choices
    promise = at.radio(key=f"review.{first}.promise")
    assert list(promise.options) == ["1", "2", "3", "4", "5", "Cannot judge"]

    fill(at, first, {"promise": 4, "evidence_strength": "cannot_judge", "survivor_involvement": 2})
    click(at, "my_reviews.submit", db_url)
    stored = own(db, first, ann)
    assert stored.status == "submitted"
    assert stored.scores == {"promise": 4, "evidence_strength": None, "survivor_involvement": 2}
    assert "Review submitted" in texts(at)

    click(at, "my_reviews.next", db_url)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0002"
    fill(at, second, {"promise": 5, "evidence_strength": 3, "survivor_involvement": 3})
    click(at, "my_reviews.submit", db_url)
    assert "A comment is required when a score is 1 or 5 (Promise)" in texts(at)
    assert own(db, second, ann) is None
    at.text_area(key=f"review.{second}.comment").set_value("Replicated in three areas.")
    click(at, "my_reviews.submit", db_url)
    assert own(db, second, ann).comment == "Replicated in three areas."

    click(at, "my_reviews.next", db_url)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0003"
    at.text_input(key=f"review.{third}.coi").set_value("I chair its steering group.")
    at.checkbox(key=f"review.{third}.coi_sure").check()
    rerun(at, db_url)
    click(at, f"review.{third}.coi_go", db_url)
    with db.read() as s:
        conflict = s.scalar(select(ConflictOfInterest).where(ConflictOfInterest.submission_id == third))
        assert (conflict.reviewer_id, conflict.source, conflict.reason) == (
            ann.user_id,
            "reviewer",
            "I chair its steering group.",
        )
    shown = texts(at)
    assert "nothing of it beyond its reference" in shown
    assert "Evidence number 3" not in shown  # not even its title
    assert at.button(key="my_reviews.next").disabled  # nothing left to do
    with db.read() as s:
        actions = set(audit.list_entries(s, filters=audit.AuditFilter(actor=ann.username))["action"])
    assert {"review.submit", "conflict.declare"} <= actions


def test_the_other_reviews_appear_only_after_submitting_ones_own(db, db_url, panel, call_config):
    first = panel["subs"][0]
    with db.write() as s:
        submit_review(s, call_config, first, panel["ann"], comment="Ann thinks it is promising.")
    at = run_app(db_url, panel["ben"], page=PAGE)
    shown = texts(at)
    assert "Ann thinks it is promising." not in shown
    assert "appear here once you have submitted yours" in shown

    fill(at, first, {"promise": 3, "evidence_strength": 3, "survivor_involvement": 3}, comment="Ben's view.")
    click(at, "my_reviews.submit", db_url)
    shown = texts(at)
    assert "Ann thinks it is promising." in shown
    assert "Reviewer A" in shown
    assert "Ann Reviewer" not in shown  # reviewers do not see each other's names

    # the Submissions page's detail shows the same reviews
    at.switch_page("pages/submissions.py")
    at.query_params["ref"] = "CFE-0001"
    rerun(at, db_url)
    assert "Ann thinks it is promising." in texts(at)


def test_a_stale_save_from_a_second_tab_is_caught_and_both_versions_shown(db, db_url, panel):
    second = panel["subs"][1]
    ann = panel["ann"]
    tab_one = run_app(db_url, ann, page=PAGE)
    tab_two = run_app(db_url, ann, page=PAGE)
    for tab in (tab_one, tab_two):  # not the first in the queue, which opens by default
        tab.selectbox(key="my_reviews.picker").set_value("CFE-0002")
        rerun(tab, db_url)
    fill(tab_one, second, {"promise": 2}, comment="From tab one.")
    click(tab_one, "my_reviews.draft", db_url)
    assert own(db, second, ann).comment == "From tab one."

    fill(tab_two, second, {"promise": 4}, comment="From tab two.")
    click(tab_two, "my_reviews.draft", db_url)
    # the status changed under this tab, and it still shows the same submission
    assert tab_two.selectbox(key="my_reviews.picker").value == "CFE-0002"
    shown = texts(tab_two)
    assert "changed in another window or tab" in shown
    assert "From tab one." in shown and "From tab two." in shown  # both versions visible
    assert own(db, second, ann).comment == "From tab one."  # nothing overwritten

    click(tab_two, f"review.{second}.keep_mine", db_url)
    stored = own(db, second, ann)
    assert (stored.comment, stored.scores, stored.version) == ("From tab two.", {"promise": 4}, 2)


def test_taking_the_saved_version_replaces_the_input(db, db_url, panel):
    first = panel["subs"][0]
    ann = panel["ann"]
    tab_one, tab_two = run_app(db_url, ann, page=PAGE), run_app(db_url, ann, page=PAGE)
    fill(tab_one, first, {"promise": 2}, comment="Saved first.")
    click(tab_one, "my_reviews.draft", db_url)
    fill(tab_two, first, {"promise": 4}, comment="Lost race.")
    click(tab_two, "my_reviews.draft", db_url)
    click(tab_two, f"review.{first}.take_saved", db_url)
    assert tab_two.text_area(key=f"review.{first}.comment").value == "Saved first."
    assert tab_two.radio(key=f"review.{first}.promise").value == 2
    assert "changed in another window" not in texts(tab_two)


def test_input_survives_other_submissions_and_pages_until_saved(db, db_url, panel):
    first = panel["subs"][0]
    at = run_app(db_url, panel["ann"], page=PAGE)
    fill(at, first, {"promise": 3}, comment="Half-written thought")
    # The same click that commits the input also moves on (as in a browser,
    # where leaving the text box and pressing Next arrive in one run).
    click(at, "my_reviews.next", db_url)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0002"
    at.text_area(key=f"review.{panel['subs'][1]}.comment").set_value("Another thought")
    at.switch_page("pages/overview.py")
    rerun(at, db_url)
    at.switch_page(PAGE)
    rerun(at, db_url)
    at.selectbox(key="my_reviews.picker").set_value("CFE-0001")
    rerun(at, db_url)
    assert at.text_area(key=f"review.{first}.comment").value == "Half-written thought"
    assert at.radio(key=f"review.{first}.promise").value == 3
    assert own(db, first, panel["ann"]) is None  # kept in the browser only, until saved
    at.selectbox(key="my_reviews.picker").set_value("CFE-0002")
    rerun(at, db_url)
    assert at.text_area(key=f"review.{panel['subs'][1]}.comment").value == "Another thought"


def test_a_link_to_a_submission_not_assigned_is_refused_and_logged(db, db_url, panel):
    at = run_app(db_url, panel["ann"], page=PAGE)
    at.query_params["submission"] = "CFE-0099"
    rerun(at, db_url)
    assert "not assigned to you" in texts(at)
    assert "Not yours" not in texts(at)
    assert at.selectbox(key="my_reviews.picker").value != "CFE-0099"
    with db.read() as s:
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied")).iloc[0]
    assert (entry["actor"], entry["entity_id"]) == (panel["ann"].username, "CFE-0099")


def test_a_submission_no_longer_in_the_queue_is_refused_and_logged(db, db_url, panel):
    first = panel["subs"][0]
    at = run_app(db_url, panel["ann"], page=PAGE)
    fill(at, first, {"promise": 3}, comment="Written before the assignment was removed.")
    rerun(at, db_url)
    with db.write() as s:
        remove_assignment(s, submission_id=first, reviewer_id=panel["ann"].user_id, actor="admin")
    # The page's widgets still name CFE-0001, and the click on its Save button
    # arrives with them: it saves nothing, least of all another submission.
    at.button(key="my_reviews.draft").click()
    rerun(at, db_url)
    assert "not assigned to you" in texts(at)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0002"
    assert own(db, first, panel["ann"]) is None
    assert own(db, panel["subs"][1], panel["ann"]) is None
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied")).iloc[0]
    assert (denied["actor"], denied["entity_id"]) == (panel["ann"].username, "CFE-0001")


def test_widget_state_naming_another_submission_is_refused_and_logged(db, db_url, panel):
    at = run_app(db_url, panel["ann"], page="pages/overview.py")
    at.session_state["my_reviews.current"] = "CFE-0099"  # as a crafted message would set it
    at.switch_page(PAGE)
    rerun(at, db_url)
    assert "not assigned to you" in texts(at)
    assert "Not yours" not in texts(at)
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied")).iloc[0]
    assert denied["entity_id"] == "CFE-0099"


def test_a_link_to_an_own_submission_opens_it(db, db_url, panel):
    at = run_app(db_url, panel["ann"], page=PAGE)
    at.query_params["submission"] = "CFE-0002"
    rerun(at, db_url)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0002"


def test_once_reviewing_is_closed_nothing_can_be_changed(db, db_url, panel):
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="admin")
    at = run_app(db_url, panel["ann"], page=PAGE)
    assert "Reviewing is closed" in texts(at)
    assert at.button(key="my_reviews.draft").disabled
    assert at.button(key="my_reviews.submit").disabled
    assert at.button(key="my_reviews.submit_next").disabled
    assert at.radio(key=f"review.{panel['subs'][0]}.promise").disabled


def test_a_refused_link_stays_said_across_reruns_until_another_submission_is_opened(db, db_url, panel):
    at = run_app(db_url, panel["ann"], page=PAGE)
    at.query_params["submission"] = "CFE-0099"
    rerun(at, db_url)
    assert "not assigned to you" in texts(at)
    # A fresh page load reruns the page at once (the sign-in cookie's component):
    # the refusal must still be there, and is not logged twice.
    rerun(at, db_url)
    assert "not assigned to you" in texts(at)
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))
    assert denied["entity_id"].tolist() == ["CFE-0099"]
    click(at, "my_reviews.next", db_url)
    assert "not assigned to you" not in texts(at)


@pytest.mark.parametrize(
    "crafted", ["CFE-0001\x00", "CFE-0001\x00' OR '1'='1", "x" * 5000 + "\x00", "CFE-0001\n\u202e"]
)
def test_a_crafted_link_is_refused_in_words_and_logged_printable(db, db_url, panel, crafted):
    """?submission= with a NUL, a line break, a bidi override, or of any length:
    refused in words, and logged printable (no forged line in the audit log)."""
    at = run_app(db_url, panel["ann"], page=PAGE)
    at.query_params["submission"] = crafted
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "not assigned to you" in texts(at)
    assert at.selectbox(key="my_reviews.picker").value == "CFE-0001"
    with db.read() as s:
        ids = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied"))["entity_id"].tolist()
    assert len(ids) == 1
    assert len(ids[0]) <= 64 and ids[0].isprintable() and ids[0].startswith(crafted[:4])
