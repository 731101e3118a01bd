"""Rankings and Submissions send one page of rows to the browser (issue 21): 50 a page, a page box,
"Showing 51–100 of 120.", search and sort on the server across every page, and a selected row on any
page opens its own submission."""

from __future__ import annotations

import pytest

from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from ui.paging import PAGE_SIZE, page_count, showing

RANKINGS = "pages/rankings.py"
SUBMISSIONS = "pages/submissions.py"
COUNT = 120


@pytest.fixture
def call(db, call_config):
    """120 submissions ("Evidence 000".."Evidence 119"), each reviewed by two reviewers, scores spread."""
    with db.write() as s:
        office = make_user(s, role="office")
        admin = make_user(s, role="admin")
        first, second = make_user(s), make_user(s)
        for i in range(COUNT):
            sid = make_submission(s, call_config, title=f"Evidence {i:03d}")
            for reviewer, score in ((first, 1 + i % 5), (second, 1 + (i // 5) % 5)):
                assign(s, sid, reviewer)
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, score))
    return {"office": office, "admin": admin}


def ranking(at):
    return next(df.value for df in at.dataframe if "Calibrated score" in df.value.columns)


def go_to_page(at, db_url, prefix: str, number: int):
    at.number_input(key=f"{prefix}.page").set_value(number)
    return rerun(at, db_url)


def test_showing_and_page_count():
    assert page_count(0) == 1 and page_count(50) == 1 and page_count(51) == 2 and page_count(10_000) == 200
    assert showing(10_000, 1) == "Showing 1–50 of 10,000."
    assert showing(120, 3) == "Showing 101–120 of 120."
    assert showing(0, 1) == "No rows to show."


def test_rankings_show_one_page_at_a_time_and_every_row_is_on_some_page_in_score_order(db_url, call):
    at = run_app(db_url, call["office"], page=RANKINGS)
    assert not at.exception, at.exception
    first = ranking(at)
    assert len(first) == PAGE_SIZE
    assert "Showing 1–50 of 120." in texts(at)
    assert "Page (of 3)" in [n.label for n in at.number_input]
    at = go_to_page(at, db_url, "rankings.table", 2)
    second = ranking(at)
    assert len(second) == PAGE_SIZE and "Showing 51–100 of 120." in texts(at)
    at = go_to_page(at, db_url, "rankings.table", 3)
    third = ranking(at)
    assert len(third) == COUNT - 2 * PAGE_SIZE and "Showing 101–120 of 120." in texts(at)
    every = [*first["Reference"], *second["Reference"], *third["Reference"]]
    assert len(set(every)) == COUNT
    scores = [*first["Calibrated score"], *second["Calibrated score"], *third["Calibrated score"]]
    assert scores == sorted(scores, reverse=True)  # sorted on the server across pages, highest first
    assert scores[0] > scores[-1]


def test_another_sort_starts_at_page_one_and_sorts_every_page(db_url, call):
    at = run_app(db_url, call["office"], page=RANKINGS)
    at = go_to_page(at, db_url, "rankings.table", 3)
    at.radio(key="rankings.sort").set_value("mean")
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert at.number_input(key="rankings.table.page").value == 1
    assert "Showing 1–50 of 120." in texts(at)
    top = ranking(at)["Plain mean"].tolist()
    at = go_to_page(at, db_url, "rankings.table", 2)
    assert top + ranking(at)["Plain mean"].tolist() == sorted(top + ranking(at)["Plain mean"].tolist(), reverse=True)
    assert min(top) >= max(ranking(at)["Plain mean"])


def test_rankings_search_narrows_to_the_matching_rows(db_url, call):
    at = run_app(db_url, call["office"], page=RANKINGS)
    at = go_to_page(at, db_url, "rankings.table", 2)
    at.text_input(key="rankings.search").set_value("evidence 11")
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert sorted(ranking(at)["Title"]) == [f"Evidence {i}" for i in range(110, 120)]
    assert "Showing 1–10 of 10." in texts(at)
    assert not at.number_input  # one page: no page box
    at.text_input(key="rankings.search").set_value("no such evidence")
    at = rerun(at, db_url)
    assert ranking(at).empty and "No rows to show." in texts(at)


def test_a_row_selected_on_page_two_of_rankings_opens_that_row(db_url, call):
    at = run_app(db_url, call["admin"], page=RANKINGS)
    at = go_to_page(at, db_url, "rankings.table", 2)
    row = ranking(at).iloc[3]
    table = next(df for df in at.dataframe if "Calibrated score" in df.value.columns)
    at.session_state[table.key] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert f"{row['Reference']}: {row['Title']}" in [t.value for t in at.text]
    assert "Reviews behind the selected row" in [s.value for s in at.header]


def test_submissions_page_two_search_and_selection(db_url, call):
    at = run_app(db_url, call["office"], page=SUBMISSIONS)
    assert not at.exception, at.exception
    assert list(at.dataframe[0].value["Title"]) == [f"Evidence {i:03d}" for i in range(50)]
    assert "120 submissions. Select a row to read it." in texts(at) and "Showing 1–50 of 120." in texts(at)
    at = go_to_page(at, db_url, "submissions.table", 2)
    assert list(at.dataframe[0].value["Title"]) == [f"Evidence {i:03d}" for i in range(50, 100)]
    assert "Showing 51–100 of 120." in texts(at)
    reference = at.dataframe[0].value["Reference"].iloc[7]
    at.session_state[at.dataframe[0].key] = {"selection": {"rows": [7], "columns": [], "cells": []}}
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert f"Submission {reference}" in texts(at)
    at.text_input(key="submissions.search").set_value("Evidence 10")
    at = rerun(at, db_url)
    assert list(at.dataframe[0].value["Title"]) == [f"Evidence {i}" for i in range(100, 110)]
    assert "Showing 1–10 of 10." in texts(at) and not at.number_input


def test_selections_list_of_submissions_is_paged_and_found_by_reference(db_url, call):
    at = run_app(db_url, call["admin"], page="pages/selection.py")
    assert not at.exception, at.exception

    def listing():
        return next(df.value for df in at.dataframe if "Can be pinned" in df.value.columns)

    assert len(listing()) == PAGE_SIZE and "Showing 1–50 of 120." in texts(at)
    at = go_to_page(at, db_url, "selection.pick_list", 3)
    assert len(listing()) == COUNT - 2 * PAGE_SIZE and "Showing 101–120 of 120." in texts(at)
    at.text_input(key="selection.pick_list.search").set_value("cfe-0042")
    at = rerun(at, db_url)
    assert listing()["Reference"].tolist() == ["CFE-0042"] and "Showing 1–1 of 1." in texts(at)
