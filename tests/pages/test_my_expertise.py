"""Expertise and bids in AppTest: the reviewer's page (expertise, bids, a
conflict bid, a stale save refused) and the admin's fit view on Assignments
(counts per reviewer, in the preview too; never which submissions)."""

import pytest
from sqlalchemy import select

from data_access import expertise as ex
from data_access.bid_models import ReviewerExpertise, SubmissionBid
from data_access.models import Assignment, ConflictOfInterest
from tests.factories import make_submission, make_user
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/my_expertise.py"
MARKUP = "**Bold** <b>claim</b> [link](https://evil.example)"


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        subs = [make_submission(s, call_config, reference=f"CFE-{i:04d}") for i in range(1, 5)]
        marked = make_submission(s, call_config, reference="CFE-0005", title=MARKUP)
        anonymous = make_submission(s, call_config, reference="CFE-0006", organisation="Hidden Refuge", anonymous=True)
        castle = make_submission(s, call_config, reference="CFE-0007", organisation="Castle Trust")
        ann = make_user(s, name="Ann Castle", organisation="Castle Trust")
        ben = make_user(s, name="Ben Moor")
        cat = make_user(s, name="Cat Lowe")
    return {
        "admin": admin,
        "subs": subs,
        "marked": marked,
        "anonymous": anonymous,
        "castle": castle,
        "ann": ann,
        "ben": ben,
        "cat": cat,
    }


def _bids(db):
    with db.read() as s:
        return set(s.execute(select(SubmissionBid.reviewer_id, SubmissionBid.submission_id, SubmissionBid.level)))


def test_a_reviewer_states_expertise_and_bids_and_sees_submissions_as_a_reviewer(db, db_url, call):
    ann = call["ann"]
    at = run_app(db_url, ann, page=PAGE)
    assert not at.exception
    shown = texts(at)
    assert "CFE-0007" not in shown  # her own organisation's: never hers, not listed
    assert "Hidden Refuge" not in shown and "(anonymous)" in shown
    # contributor text is text: the title sits in a table cell, never in Markdown
    assert not any(MARKUP in md.value or "Bold" in md.value for md in at.markdown)
    assert MARKUP in at.dataframe[0].value["Title"].tolist()

    at.multiselect(key="my_expertise.keys").set_value(["advocacy", "sources_of_harm"])
    at.button(key="my_expertise.save_keys").click()
    rerun(at, db_url)
    assert "Saved: 2 themes and focus areas." in texts(at)
    with db.read() as s:
        assert set(s.scalars(select(ReviewerExpertise.key))) == {"advocacy", "sources_of_harm"}

    at.selectbox(key="my_expertise.pick").set_value(call["subs"][1])
    rerun(at, db_url)
    at.radio(key=f"my_expertise.level.{call['subs'][1]}").set_value("eager")
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert "Saved your bid on CFE-0002: Eager." in texts(at)
    assert _bids(db) == {(ann.user_id, call["subs"][1], "eager")}
    table = at.dataframe[0].value
    assert table.loc[table["Reference"] == "CFE-0002", "Your bid"].tolist() == ["Eager"]


def test_a_bid_changed_in_another_tab_is_not_overwritten(db, db_url, call):
    ben, target = call["ben"], call["subs"][0]
    at = run_app(db_url, ben, page=PAGE)
    at.selectbox(key="my_expertise.pick").set_value(target)
    rerun(at, db_url)
    with db.write() as s:  # another tab saves a bid meanwhile
        ex.set_bids(s, ben, {target: (None, "rather_not")})
    at.radio(key=f"my_expertise.level.{target}").set_value("eager")
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert "changed elsewhere" in texts(at)
    assert _bids(db) == {(ben.user_id, target, "rather_not")}


def test_a_conflict_bid_records_a_conflict_of_interest(db, db_url, call):
    ben, target = call["ben"], call["subs"][2]
    at = run_app(db_url, ben, page=PAGE)
    at.selectbox(key="my_expertise.pick").set_value(target)
    rerun(at, db_url)
    at.radio(key=f"my_expertise.level.{target}").set_value("conflict")
    rerun(at, db_url)
    assert "A conflict of interest is final" in texts(at)
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    with db.read() as s:
        rows = s.execute(select(ConflictOfInterest.submission_id, ConflictOfInterest.reviewer_id)).all()
    assert rows == [(target, ben.user_id)]
    assert at.button(key="my_expertise.save_bid").disabled  # it stands


def test_the_admin_sees_fit_as_counts_in_the_progress_tab_and_the_preview(db, db_url, call):
    ben, cat = call["ben"], call["cat"]
    with db.write() as s:
        ex.set_bids(s, ben, {call["subs"][0]: (None, "eager"), call["subs"][1]: (None, "rather_not")})
        ex.set_bids(s, cat, {call["subs"][1]: (None, "willing")})
        make_user(s, name="Dan Fell")  # a fourth reviewer: Ben need not take every submission
    at = run_app(db_url, call["admin"], page="pages/assignments.py")
    assert not at.exception
    fit = next(df.value for df in at.dataframe if "Rather not" in df.value.columns)
    assert set(fit["Assignments"]) == {0}
    at.button(key="assignments.preview").click()
    rerun(at, db_url)
    with db.read() as s:
        assert not s.scalar(select(Assignment.id))  # a preview writes nothing
    previews = [df.value for df in at.dataframe if "Match their expertise" in df.value.columns]
    after = previews[-1].set_index("Reviewer")
    assert after.loc["Ben Moor", "Eager"] == 1 and after.loc["Ben Moor", "Rather not"] == 0
    assert after.loc["Cat Lowe", "Willing"] == 1
    assert after["Assignments"].sum() == 21
    # counts only: no reference appears beside a reviewer's bids
    for df in previews:
        assert not any(str(v).startswith("CFE-") for v in df.to_numpy().ravel())
