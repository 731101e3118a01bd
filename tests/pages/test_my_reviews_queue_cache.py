"""My reviews keeps the reviewer's queue between runs (`ui.review_queue.load`, issue 21): a run that
changed nothing of it does not read it again; any change of it (their own save, elsewhere too, an
assignment, a conflict) shows at the next run; and a session never shows another reviewer's queue,
nor a conflicted submission's title."""

from __future__ import annotations

import pytest

from data_access.assignments import declare_conflict
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from ui import review_queue

PAGE = "pages/my_reviews.py"


@pytest.fixture
def reads(monkeypatch):
    """How many times a run read a queue from the database."""
    count = {"n": 0}
    real = review_queue.reviewer_queue

    def counted(session, *, reviewer_id):
        count["n"] += 1
        return real(session, reviewer_id=reviewer_id)

    monkeypatch.setattr(review_queue, "reviewer_queue", counted)
    return count


@pytest.fixture
def panel(db, call_config):
    """Ann and Ben both have CFE-0001..3; Ann declared a conflict with CFE-0003, "Secret plan"."""
    with db.write() as s:
        ann, ben = make_user(s, name="Ann Reviewer"), make_user(s, name="Ben Reviewer")
        subs = [
            make_submission(s, call_config, reference=f"CFE-000{n}", title=title)
            for n, title in ((1, "First evidence"), (2, "Second evidence"), (3, "Secret plan"))
        ]
        for sid in subs:
            assign(s, sid, ann)
            assign(s, sid, ben)
        declare_conflict(s, submission_id=subs[2], reviewer_id=ann.user_id, actor="ann", source="reviewer")
    return {"ann": ann, "ben": ben, "subs": subs}


def picker_labels(at) -> list[str]:
    return list(at.selectbox(key=review_queue.PICKER).options)


def show_all(at, db_url):
    """The whole queue in the table and the picker (a declared conflict is not unfinished)."""
    at.radio(key=review_queue.SHOW).set_value("all")
    return rerun(at, db_url)


def test_a_run_that_changed_nothing_reads_no_queue_and_another_reviewers_save_none(
    db, db_url, call_config, panel, reads
):
    at = run_app(db_url, panel["ann"], page=PAGE)
    assert not at.exception
    first = reads["n"]
    assert first >= 1
    rerun(at, db_url)
    assert reads["n"] == first  # nothing changed: the session's queue
    with db.write() as s:
        submit_review(s, call_config, panel["subs"][0], panel["ben"])
    rerun(at, db_url)
    assert reads["n"] == first  # Ben's review is no part of Ann's queue
    assert picker_labels(at)[0] == "CFE-0001 · First evidence · Not started"


def test_the_reviewers_own_save_elsewhere_shows_at_the_next_run(db, db_url, call_config, panel, reads):
    at = run_app(db_url, panel["ann"], page=PAGE)
    assert picker_labels(at)[0] == "CFE-0001 · First evidence · Not started"
    with db.write() as s:  # in another tab or device
        submit_review(s, call_config, panel["subs"][0], panel["ann"])
    before = reads["n"]
    rerun(at, db_url)
    assert reads["n"] == before + 1
    assert picker_labels(at)[0] == "CFE-0001 · First evidence · Submitted"
    assert at.progress[0].proto.text.startswith("1 of 2 submitted")


def test_a_conflict_declared_elsewhere_hides_the_title_at_the_next_run(db, db_url, panel, reads):
    at = show_all(run_app(db_url, panel["ben"], page=PAGE), db_url)
    assert "CFE-0003 · Secret plan · Not started" in picker_labels(at)
    with db.write() as s:
        declare_conflict(s, submission_id=panel["subs"][2], reviewer_id=panel["ben"].user_id, actor="b", source="admin")
    rerun(at, db_url)
    assert "CFE-0003 · Conflict declared" in picker_labels(at)
    assert "Secret plan" not in " ".join(picker_labels(at))


def test_another_reviewers_queue_in_the_session_is_never_shown(db, db_url, panel, reads):
    """A queue kept for Ben (say, the session's state planted, or an earlier sign-in in the same
    browser) is not Ann's: her run reads her own, with her conflict's title hidden."""
    bens = show_all(run_app(db_url, panel["ben"], page=PAGE), db_url)
    assert "CFE-0003 · Secret plan · Not started" in picker_labels(bens)
    kept = bens.session_state[review_queue.CACHED]
    at = show_all(run_app(db_url, panel["ann"], page=PAGE), db_url)
    at.session_state[review_queue.CACHED] = kept
    before = reads["n"]
    rerun(at, db_url)
    assert reads["n"] == before + 1
    assert "CFE-0003 · Conflict declared" in picker_labels(at)
    assert "Secret plan" not in texts(at) + " ".join(picker_labels(at))
    assert at.session_state[review_queue.CACHED][0][0] == panel["ann"].user_id


@pytest.fixture
def long_queue(db, call_config):
    """Cleo has 60 submissions, CFE-0101..CFE-0160, none started."""
    with db.write() as s:
        cleo = make_user(s, name="Cleo Reviewer")
        for n in range(101, 161):
            assign(s, make_submission(s, call_config, reference=f"CFE-{n:04d}", title=f"Evidence {n}"), cleo)
    return cleo


def shown_refs(at) -> list[str]:
    return list(at.dataframe[0].value["Reference"])


def test_a_long_queue_shows_a_page_and_the_picker_offers_that_page_and_the_open_one(db_url, long_queue):
    at = run_app(db_url, long_queue, page=PAGE)
    assert not at.exception
    assert shown_refs(at) == [f"CFE-{n:04d}" for n in range(101, 151)]
    assert "Showing 1–50 of 60." in texts(at) and "60 of 60 match." in " ".join(texts(at).split("\n"))
    assert [o.partition(" · ")[0] for o in picker_labels(at)] == shown_refs(at)
    at.number_input(key=f"{review_queue.TABLE}.page").set_value(2)
    rerun(at, db_url)
    assert shown_refs(at) == [f"CFE-{n:04d}" for n in range(151, 161)]
    assert "Showing 51–60 of 60." in texts(at)
    # the open one (CFE-0101, on page 1) first, then the page's rows
    assert [o.partition(" · ")[0] for o in picker_labels(at)] == ["CFE-0101", *shown_refs(at)]
    at.selectbox(key=review_queue.PICKER).set_value("CFE-0157")
    rerun(at, db_url)
    assert "Submission CFE-0157" in texts(at) and at.query_params["submission"] == "CFE-0157"
    assert shown_refs(at) == [f"CFE-{n:04d}" for n in range(151, 161)]  # still on page 2


def test_every_submission_of_a_long_queue_is_found_by_its_reference(db_url, long_queue):
    at = run_app(db_url, long_queue, page=PAGE)
    at.text_input(key=review_queue.SEARCH).set_value("cfe-0158")
    rerun(at, db_url)
    assert shown_refs(at) == ["CFE-0158"] and "Showing 1–1 of 1." in texts(at)
    assert [o.partition(" · ")[0] for o in picker_labels(at)] == ["CFE-0101", "CFE-0158"]
    at.selectbox(key=review_queue.PICKER).set_value("CFE-0158")
    rerun(at, db_url)
    assert "Submission CFE-0158" in texts(at)


def test_a_conflicted_submission_is_found_by_its_reference_never_by_its_title(db_url, panel):
    at = show_all(run_app(db_url, panel["ann"], page=PAGE), db_url)
    at.text_input(key=review_queue.SEARCH).set_value("secret")
    rerun(at, db_url)
    assert len(at.dataframe) == 0  # the title Ann may not see finds nothing
    assert "No submission in your queue matches “secret” (all)." in [i.value for i in at.info]
    at.text_input(key=review_queue.SEARCH).set_value("cfe-0003")
    rerun(at, db_url)
    row = at.dataframe[0].value.iloc[0]
    assert (row["Reference"], row["Title"], row["Status"]) == ("CFE-0003", "", "Conflict declared")
    assert "Secret plan" not in texts(at) + " ".join(picker_labels(at))
