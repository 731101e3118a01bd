"""My reviews as a workspace, in AppTest: progress, the queue's filters and
search, the picker's labels, and every outcome of Save draft, Submit and
Submit and next, each said right under the buttons and never in terms of
versions."""

import pytest

from data_access.assignments import remove_assignment
from data_access.call_state import set_reviewing_closed
from data_access.reviews import get_own_review
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_my_reviews import fill
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/my_reviews.py"
PICKER = "my_reviews.picker"
THEMES = {
    "CFE-0001": ["sources_of_harm"],
    "CFE-0002": ["support_responses"],
    "CFE-0003": ["sources_of_harm", "support_responses"],
    "CFE-0004": ["support_responses"],
}


@pytest.fixture
def queue(db, db_url, call_config):
    """Ann's queue: CFE-0001 submitted, CFE-0002 a draft, CFE-0003 and CFE-0004 not started."""
    with db.write() as s:
        ann = make_user(s, name="Ann Reviewer")
        subs = {
            ref: make_submission(s, call_config, reference=ref, title=title, themes=THEMES[ref])
            for ref, title in (
                ("CFE-0001", "Guardians for trafficked children"),
                ("CFE-0002", "Survivor-led peer support"),
                ("CFE-0003", "Disruption (.*) panels"),
                ("CFE-0004", "Peer SUPPORT in prisons"),
            )
        }
        for sub in subs.values():
            assign(s, sub, ann)
        submit_review(s, call_config, subs["CFE-0001"], ann)
    at = run_app(db_url, ann, page=PAGE)
    fill(at, subs["CFE-0002"], {"promise": 3}, comment="A first thought.")
    click(at, "my_reviews.draft", db_url)
    return {"subs": subs, "ann": ann, "at": at, "url": db_url}


def fill_all(at, sub, comment="Reasoned comment."):
    fill(at, sub, {"promise": 3, "evidence_strength": 3, "survivor_involvement": 3}, comment=comment)


def click(at, key, url):
    at.button(key=key).click()
    return rerun(at, url)


def open_ref(at, reference, url):
    at.selectbox(key=PICKER).set_value(reference)
    return rerun(at, url)


def choose(at, widget, value, url):
    widget.set_value(value)
    return rerun(at, url)


def shown_refs(at) -> list[str]:
    return list(at.dataframe[0].value["Reference"])


def _block_with_key(node, key: str):
    if str(getattr(getattr(node, "proto", None), "id", "")).endswith(f"-{key}"):
        return node
    for child in getattr(node, "children", {}).values():
        found = _block_with_key(child, key)
        if found is not None:
            return found
    return None


def outcome(at) -> list[str]:
    """The messages shown right under the buttons."""
    block = _block_with_key(at.main, "my_reviews.outcome")
    if block is None:
        return []
    return [m.value for kind in ("success", "error", "info", "warning") for m in getattr(block, kind)]


def assert_no_versions(at) -> None:
    assert "version" not in " ".join(outcome(at)).lower()


def test_progress_and_the_queue_show_whats_left_by_default_with_theme_labels(db, queue):
    at = queue["at"]
    assert at.progress[0].proto.text == "1 of 4 submitted · 1 draft · 2 not started"
    assert at.radio(key="my_reviews.show").value == "unfinished"
    table = at.dataframe[0].value
    assert list(table["Reference"]) == ["CFE-0002", "CFE-0003", "CFE-0004"]
    assert list(table["Status"]) == ["Draft", "Not started", "Not started"]
    assert table.iloc[1]["Themes"] == (
        "Responses to the sources of harm; Responses supporting individuals, families and groups affected by harm"
    )
    assert "support_responses" not in " ".join(table["Themes"])  # labels, not codes
    assert table.iloc[0]["Last saved"] != "—" and table.iloc[1]["Last saved"] == "—"


def test_the_queue_shows_all_or_one_status_on_request(db, queue):
    at = queue["at"]
    choose(at, at.radio(key="my_reviews.show"), "all", queue["url"])
    assert shown_refs(at) == ["CFE-0001", "CFE-0002", "CFE-0003", "CFE-0004"]
    choose(at, at.radio(key="my_reviews.show"), "submitted", queue["url"])
    assert shown_refs(at) == ["CFE-0001"]
    choose(at, at.radio(key="my_reviews.show"), "draft", queue["url"])
    assert shown_refs(at) == ["CFE-0002"]
    choose(at, at.radio(key="my_reviews.show"), "conflict", queue["url"])
    assert len(at.dataframe) == 0
    assert "No submission in your queue has the status “Conflict declared”." in [i.value for i in at.info]


def test_the_title_search_is_plain_text_ignoring_case(db, queue):
    at = queue["at"]
    choose(at, at.radio(key="my_reviews.show"), "all", queue["url"])
    choose(at, at.text_input(key="my_reviews.search"), "peer support", queue["url"])
    assert shown_refs(at) == ["CFE-0002", "CFE-0004"]  # "Peer SUPPORT" too
    choose(at, at.text_input(key="my_reviews.search"), "(.*)", queue["url"])
    assert shown_refs(at) == ["CFE-0003"]  # the characters themselves, never a pattern
    choose(at, at.text_input(key="my_reviews.search"), ".*", queue["url"])
    assert shown_refs(at) == ["CFE-0003"]


def test_a_search_that_matches_nothing_says_so(db, queue):
    at = queue["at"]
    choose(at, at.text_input(key="my_reviews.search"), "Guardians", queue["url"])  # submitted: not unfinished
    assert len(at.dataframe) == 0
    assert "No submission in your queue matches “Guardians” (unfinished)." in [i.value for i in at.info]
    choose(at, at.radio(key="my_reviews.show"), "all", queue["url"])
    assert shown_refs(at) == ["CFE-0001"]


def test_the_picker_shows_reference_title_and_status_and_keeps_its_choice_after_a_save(db, queue):
    at = queue["at"]
    # the rows the table shows (unfinished, by default), not the whole queue
    assert at.selectbox(key=PICKER).options == [
        "CFE-0002 · Survivor-led peer support · Draft",
        "CFE-0003 · Disruption (.*) panels · Not started",
        "CFE-0004 · Peer SUPPORT in prisons · Not started",
    ]
    choose(at, at.radio(key="my_reviews.show"), "all", queue["url"])
    assert at.selectbox(key=PICKER).options[:2] == [
        "CFE-0001 · Guardians for trafficked children · Submitted",
        "CFE-0002 · Survivor-led peer support · Draft",
    ]
    open_ref(at, "CFE-0003", queue["url"])
    third = queue["subs"]["CFE-0003"]
    fill(at, third, {"promise": 2}, comment="Draft of the third.")
    click(at, "my_reviews.draft", queue["url"])  # its label changes from "Not started" to "Draft"
    assert at.selectbox(key=PICKER).value == "CFE-0003"
    assert "CFE-0003 · Disruption (.*) panels · Draft" in at.selectbox(key=PICKER).options
    choose(at, at.radio(key=f"review.{third}.promise"), 4, queue["url"])  # any later run keeps it open
    assert at.selectbox(key=PICKER).value == "CFE-0003"
    assert at.query_params["submission"] == "CFE-0003"


def test_save_draft_says_so_under_the_buttons(db, queue):
    at = queue["at"]
    assert outcome(at) == ["Draft saved."]
    assert_no_versions(at)
    rerun(at, queue["url"])  # a run the person did not start (a component reporting, say)
    assert outcome(at) == ["Draft saved."]  # still there to be read
    promise = next(r for r in at.radio if str(r.key).endswith(".promise"))
    choose(at, promise, 5 if promise.value != 5 else 4, queue["url"])  # the person acts again
    assert outcome(at) == []


def test_submit_says_so_and_stays_on_the_submission(db, queue):
    at = queue["at"]
    second = queue["subs"]["CFE-0002"]
    fill_all(at, second)
    click(at, "my_reviews.submit", queue["url"])
    assert "Review submitted." in texts(at)
    assert at.selectbox(key=PICKER).value == "CFE-0002"
    with db.read() as s:
        assert get_own_review(s, submission_id=second, reviewer_id=queue["ann"].user_id).status == "submitted"
    assert "version" not in texts(at).lower()


def test_submit_and_next_opens_the_next_unfinished_and_says_so(db, queue):
    at = queue["at"]
    second = queue["subs"]["CFE-0002"]
    fill_all(at, second)
    click(at, "my_reviews.submit_next", queue["url"])
    assert outcome(at) == ["Review submitted. Now showing CFE-0003, the next unfinished."]
    assert at.selectbox(key=PICKER).value == "CFE-0003"
    assert at.query_params["submission"] == "CFE-0003"
    with db.read() as s:
        assert get_own_review(s, submission_id=second, reviewer_id=queue["ann"].user_id).status == "submitted"
    assert_no_versions(at)


def test_submit_and_next_on_the_last_unfinished_says_it_was_the_last(db, queue, call_config):
    with db.write() as s:
        for ref in ("CFE-0003", "CFE-0004"):
            submit_review(s, call_config, queue["subs"][ref], queue["ann"])
    at = queue["at"]  # on CFE-0002, the draft: the last unfinished one
    fill_all(at, queue["subs"]["CFE-0002"])
    click(at, "my_reviews.submit_next", queue["url"])
    assert outcome(at) == ["Review submitted. That was the last unfinished submission in your queue."]
    assert at.selectbox(key=PICKER).value == "CFE-0002"
    assert at.progress[0].proto.text == "4 of 4 submitted · 0 drafts · 0 not started"
    assert "Nothing unfinished is left in your queue. Choose “All” to see every submission." in [
        i.value for i in at.info
    ]


def test_a_review_that_cannot_be_submitted_says_why_under_the_buttons(db, queue):
    at = queue["at"]
    second = queue["subs"]["CFE-0002"]
    fill(at, second, {"promise": 5, "evidence_strength": 3, "survivor_involvement": 3}, comment="")
    click(at, "my_reviews.submit_next", queue["url"])
    [message] = outcome(at)
    assert message.startswith("Not saved: ") and "A comment is required when a score is 1 or 5" in message
    assert at.selectbox(key=PICKER).value == "CFE-0002"  # stays, input and all
    assert at.radio(key=f"review.{second}.promise").value == 5


def test_reviewing_closed_meanwhile_is_said_under_the_buttons(db, queue):
    at = queue["at"]
    fill_all(at, queue["subs"]["CFE-0002"])
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="admin")
    click(at, "my_reviews.submit", queue["url"])
    assert outcome(at) == ["Reviewing is closed: reviews can no longer change. Nothing was saved."]


def test_a_stale_save_is_said_under_the_buttons(db, queue):
    at = queue["at"]
    second = queue["subs"]["CFE-0002"]
    other_tab = run_app(queue["url"], queue["ann"], page=PAGE)
    open_ref(other_tab, "CFE-0002", queue["url"])
    fill(other_tab, second, {"promise": 2}, comment="From the other tab.")
    click(other_tab, "my_reviews.draft", queue["url"])
    fill(at, second, {"promise": 4}, comment="From this tab.")
    click(at, "my_reviews.draft", queue["url"])
    [message] = outcome(at)
    assert message.startswith("Not saved: this review was changed in another window or tab.")
    assert "changed in another window or tab" in " ".join(w.value for w in at.warning)  # the panel above
    assert_no_versions(at)


def test_a_submission_no_longer_assigned_is_said_under_the_buttons(db, queue):
    at = queue["at"]
    second = queue["subs"]["CFE-0002"]
    fill_all(at, second)
    with db.write() as s:
        remove_assignment(s, submission_id=second, reviewer_id=queue["ann"].user_id, actor="admin")
    click(at, "my_reviews.submit_next", queue["url"])
    assert outcome(at) == ["Not saved: That submission is not assigned to you, so it cannot be opened or saved."]
    with db.read() as s:
        assert get_own_review(s, submission_id=second, reviewer_id=queue["ann"].user_id).status == "draft"
        assert get_own_review(s, submission_id=queue["subs"]["CFE-0003"], reviewer_id=queue["ann"].user_id) is None


def test_score_labels_are_plain_words(db, queue):
    at = queue["at"]
    label = at.radio(key=f"review.{queue['subs']['CFE-0002']}.promise").label
    assert label.startswith("Promise: ")
    assert "*" not in label  # a screen reader would read Markdown's asterisks
