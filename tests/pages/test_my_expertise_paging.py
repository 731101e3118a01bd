"""Expertise and bids at a few hundred submissions, in AppTest (issue 21): the
page sends one page of rows and the bid editor offers those alone; search,
filters and pages run on the server; a bid is saved from page 2 or from a
search; a save the page did not show is refused; crafted pages and searches
get a clear message or are text."""

import pytest
from sqlalchemy import select

from data_access import expertise as ex
from data_access.bid_models import SubmissionBid
from tests.factories import make_submission, make_user
from tests.support.apptest import rerun, run_app, texts
from ui import expertise as views
from ui.paging import PAGE_SIZE

PAGE = "pages/my_expertise.py"
SUBMISSIONS = 130  # three pages
MARKUP = "**Bold** <b>claim</b> [link](https://evil.example)"
SEARCH, PAGE_BOX = f"{views.TABLE}.search", f"{views.TABLE}.page"


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        ids = [
            make_submission(s, call_config, reference=f"CFE-{i:04d}", organisation=f"Org {i}", title=f"Evidence {i}")
            for i in range(1, SUBMISSIONS + 1)
        ]
        marked = make_submission(s, call_config, reference="CFE-0131", title=MARKUP, organisation="Harbour Trust")
        hidden = make_submission(s, call_config, reference="CFE-0132", organisation="Hidden Refuge", anonymous=True)
        own = make_submission(s, call_config, reference="CFE-0133", organisation="Castle Trust")
        ann = make_user(s, name="Ann Castle", organisation="Castle Trust")
    return {"ids": ids, "marked": marked, "hidden": hidden, "own": own, "ann": ann}


def _table_refs(at):
    (table,) = at.dataframe
    return table.value["Reference"].tolist()


def _bids(db):
    with db.read() as s:
        return set(s.execute(select(SubmissionBid.submission_id, SubmissionBid.level)))


def test_one_page_of_rows_goes_to_the_browser_and_a_bid_is_saved_from_page_2(db, db_url, call):
    at = run_app(db_url, call["ann"], page=PAGE)
    assert not at.exception
    shown = texts(at)
    assert "132 submissions match." in shown and "Showing 1–50 of 132." in shown
    assert _table_refs(at) == [f"CFE-{i:04d}" for i in range(1, PAGE_SIZE + 1)]
    assert len(at.selectbox(key="my_expertise.pick").options) == PAGE_SIZE
    assert "CFE-0133" not in shown  # her own organisation's: on no page

    at.number_input(key=PAGE_BOX).set_value(2)
    rerun(at, db_url)
    assert _table_refs(at) == [f"CFE-{i:04d}" for i in range(51, 101)]
    assert "Showing 51–100 of 132." in texts(at)
    target = call["ids"][76]  # CFE-0077
    at.selectbox(key="my_expertise.pick").set_value(target)
    rerun(at, db_url)
    at.radio(key=f"my_expertise.level.{target}").set_value("eager")
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert "Saved your bid on CFE-0077: Eager." in texts(at)
    assert _bids(db) == {(target, "eager")}
    table = at.dataframe[0].value
    assert table.loc[table["Reference"] == "CFE-0077", "Your bid"].tolist() == ["Eager"]  # still on page 2

    at.selectbox(key=f"{views.TABLE}.bids").set_value(ex.BID_ON)
    rerun(at, db_url)
    assert _table_refs(at) == ["CFE-0077"] and "1 submission match." in texts(at)


def test_search_finds_by_reference_title_and_organisation_and_shows_text_as_text(db, db_url, call):
    at = run_app(db_url, call["ann"], page=PAGE)
    at.number_input(key=PAGE_BOX).set_value(3)
    rerun(at, db_url)
    for typed, refs in (
        ("cfe-0120", ["CFE-0120"]),
        ("Evidence 12", ["CFE-0012", *(f"CFE-{i:04d}" for i in range(120, 130))]),
        ("harbour", ["CFE-0131"]),
        ("<b>claim</b>", ["CFE-0131"]),
        ("Hidden Refuge", []),  # an anonymous contributor's organisation is never searched
        ("Castle", []),  # nor found on her own organisation's
    ):
        at.text_input(key=SEARCH).set_value(typed)
        rerun(at, db_url)
        assert not at.exception
        assert (_table_refs(at) if refs else []) == refs, typed
        if not refs:
            assert "No submission you could review matches" in texts(at)
    at.text_input(key=SEARCH).set_value("<b>claim</b>")
    rerun(at, db_url)
    assert not any("Bold" in md.value or "<b>" in md.value for md in at.markdown)  # a table cell, never Markdown
    at.radio(key=f"my_expertise.level.{call['marked']}").set_value("willing")
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert _bids(db) == {(call["marked"], "willing")}
    at.text_input(key=SEARCH).set_value("CFE-0132")
    rerun(at, db_url)
    assert at.dataframe[0].value["Organisation"].tolist() == ["(anonymous)"]
    assert "Hidden Refuge" not in texts(at)


def test_a_save_for_a_row_this_browser_did_not_show_is_refused(db, db_url, call):
    at = run_app(db_url, call["ann"], page=PAGE)
    target = call["ids"][3]
    at.selectbox(key="my_expertise.pick").set_value(target)
    rerun(at, db_url)
    # what the run before the press showed: other rows (the list changed under it)
    at.session_state[views.SEEN_BIDS] = {call["ids"][60]: None}
    at.radio(key=f"my_expertise.level.{target}").set_value("eager")
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert "The list changed meanwhile" in texts(at)
    assert _bids(db) == set()
    # the page shown now is what the next press is checked against
    at.button(key="my_expertise.save_bid").click()
    rerun(at, db_url)
    assert _bids(db) == {(target, "eager")}


@pytest.mark.parametrize("page", [10**9, -5, 0])
def test_a_crafted_page_number_shows_a_page_there_is(db, db_url, call, page):
    at = run_app(db_url, call["ann"], page=PAGE)
    at.session_state[PAGE_BOX] = page
    rerun(at, db_url)
    assert not at.exception
    refs = _table_refs(at)
    shown = at.number_input(key=PAGE_BOX).value  # Streamlit may reset an out-of-range box to 1; the server clamps
    assert shown in (1, 2, 3) and len(refs) <= PAGE_SIZE
    assert refs[0] == ("CFE-0001", "CFE-0051", "CFE-0101")[shown - 1]  # the rows are the page the box says


def test_a_search_longer_than_the_box_allows_is_text_and_finds_nothing(db, db_url, call):
    at = run_app(db_url, call["ann"], page=PAGE)
    at.text_input(key=SEARCH).set_value("CFE-" * 2_000)  # the box holds 200 characters; the server keeps to it
    rerun(at, db_url)
    assert not at.exception
    assert "No submission you could review matches this search" in texts(at)
    assert not at.dataframe
