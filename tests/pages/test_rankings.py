"""The rankings page for admin and office, on a small panel with a lenient and a harsh reviewer."""

from __future__ import annotations

import pytest

from scoring.agreement import reading
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_submission_links import page_links
from tests.scoring.test_agreement import coincidence_alpha, interval_delta, ordinal_delta
from tests.support.apptest import rerun, run_app, texts
from ui.render import table_key

PAGE = "pages/rankings.py"
DEFAULT_TABLE = table_key("rankings.table", "calibrated", False)  # sorted by calibrated score, all rows
TRICKY_TITLE = "**Bold** <script>alert(1)</script> [link](http://x.example)"
COMMENT = "See _this_ <b>comment</b>"


@pytest.fixture
def panel(db, call_config):
    """Four submissions reviewed, one not; one reviewer lenient, one harsh."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        lenient = make_user(s, name="Alpaca Lenient <i>L</i>")
        harsh = make_user(s, name="Bison Harsh")
        third = make_user(s, name="Camel Third")
        titles = [TRICKY_TITLE, "Second evidence", "Third evidence", "Fourth evidence", "Never reviewed"]
        ids = [make_submission(s, call_config, title=t, reported_impact="negative") for t in titles]
        plan = {
            ids[0]: [(lenient, 5), (harsh, 4)],
            ids[1]: [(harsh, 2), (third, 3)],
            ids[2]: [(lenient, 4), (third, 3)],
            ids[3]: [(harsh, 1), (lenient, 5)],  # 1 and 5: flagged for discussion
        }
        for sid, reviews in plan.items():
            for reviewer, score in reviews:
                assign(s, sid, reviewer)
                scores = dict.fromkeys(call_config.criterion_ids, score)
                if sid == ids[1]:
                    scores["survivor_involvement"] = None  # nobody could judge it
                submit_review(s, call_config, sid, reviewer, scores=scores, comment=COMMENT)
        assign(s, ids[4], third)
    return {"admin": admin, "office": office, "ids": ids}


def main_table(at):
    return next(df.value for df in at.dataframe if "Calibrated score" in df.value.columns)


@pytest.mark.parametrize("role", ["admin", "office"])
def test_rankings_sorted_by_calibrated_score_with_means_flags_and_charts(db_url, panel, role):
    at = run_app(db_url, panel[role], page=PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Rankings"]
    shown = texts(at)
    assert "Sorted by the calibrated score, highest first." in shown
    # The threshold (1.0, a standard deviation) is said in words a panel member can check.
    assert "standard deviation of the reviewers' scores is 1 or more: for two reviewers, scores 2 or more" in shown
    table = main_table(at)
    # Reviewed submissions only, highest calibrated score first, title as a plain cell.
    assert len(table) == 4
    assert "Never reviewed" not in set(table["Title"])
    assert list(table["Calibrated score"]) == sorted(table["Calibrated score"], reverse=True)
    assert TRICKY_TITLE in set(table["Title"])
    second = table[table["Title"] == "Second evidence"].iloc[0]
    assert second["Survivor involvement"] == "cannot judge"
    assert second["Promise"] == "2.50"
    flagged = table[table["Discuss"]]
    assert list(flagged["Title"]) == ["Fourth evidence"]
    assert "Listed for discussion" in [h.value for h in at.header]
    assert "Krippendorff's alpha" in shown
    # Titles in charts are escaped, never raw HTML.
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert not any("<script>" in spec for spec in charts)
    names_visible = [n for n in ("Alpaca", "Bison", "Camel") if n in shown or any(n in spec for spec in charts)]
    if role == "admin":
        assert "Reviewers' leniency (admin only)" in [h.value for h in at.header]
        assert len(charts) == 3
        assert names_visible == ["Alpaca", "Bison", "Camel"]
        assert not any("<i>L</i>" in spec for spec in charts)  # reviewer names escaped too
    else:
        assert "Reviewers' leniency (admin only)" not in [h.value for h in at.header]
        assert len(charts) == 2
        assert not names_visible  # the office sees no reviewer names
        # The office opens a row's submission too, but reads no reviews behind it.
        assert "Select a row to open its submission." in shown


@pytest.mark.parametrize("role", ["admin", "office"])
def test_agreement_shows_the_ordinal_alpha_beside_the_interval_one(db_url, panel, role):
    at = run_app(db_url, panel[role], page=PAGE)
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "Reading" in df.value.columns).set_index("Criterion")
    # Promise: (5, 4), (2, 3), (4, 3), (1, 5), worked out from the coincidence matrix, independently of the page.
    units, promise = [1, 1, 2, 2, 3, 3, 4, 4], [5.0, 4.0, 2.0, 3.0, 4.0, 3.0, 1.0, 5.0]
    ordinal = coincidence_alpha(units, promise, ordinal_delta)
    interval = coincidence_alpha(units, promise, interval_delta)
    assert round(ordinal, 2) != round(interval, 2)  # the panel tells the two apart
    row = table.loc["Promise"]
    assert row["Krippendorff's alpha (ordinal)"] == pytest.approx(round(ordinal, 2))
    assert row["Krippendorff's alpha (interval)"] == pytest.approx(round(interval, 2))
    assert row["Reading"] == reading(ordinal)
    assert "Read the ordinal alpha" in texts(at)


def test_admin_reads_the_reviews_behind_a_row(db_url, panel):
    at = run_app(db_url, panel["admin"], page=PAGE)
    table = main_table(at)
    row = list(table["Title"]).index("Fourth evidence")
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "Reviews behind the selected row" in [h.value for h in at.header]
    reviews = next(df.value for df in at.dataframe if "Reviewer" in df.value.columns)
    assert sorted(reviews["Reviewer"]) == ["Alpaca Lenient <i>L</i>", "Bison Harsh"]
    assert sorted(reviews["Promise"].astype(int)) == [1, 5]
    assert set(reviews["Comment"]) == {COMMENT}
    assert any(t.value.endswith(COMMENT) for t in at.text)  # as text, never Markdown


def test_office_cannot_open_reviews_through_the_selection_state(db_url, panel):
    at = run_app(db_url, panel["office"], page=PAGE)
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert "Reviews behind the selected row" not in [h.value for h in at.header]
    assert COMMENT not in texts(at)


def test_sort_by_plain_mean_and_flagged_only(db_url, panel):
    at = run_app(db_url, panel["office"], page=PAGE)
    at.radio(key="rankings.sort").set_value("mean")
    at.toggle(key="rankings.flagged").set_value(True)
    rerun(at, db_url)
    assert "Sorted by the plain mean, highest first." in texts(at)
    assert list(main_table(at)["Title"]) == ["Fourth evidence"]


def test_no_reviews_yet(db_url, db):
    with db.write() as s:
        office = make_user(s, role="office")
    at = run_app(db_url, office, page=PAGE)
    assert not at.exception, at.exception
    assert any("No submitted reviews yet" in i.value for i in at.info)


def test_a_row_selected_before_another_sort_does_not_open_another_submission(db_url, panel):
    at = run_app(db_url, panel["admin"], page=PAGE)
    row = list(main_table(at)["Title"]).index("Fourth evidence")
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert "Reviews behind the selected row" in [h.value for h in at.header]
    at.radio(key="rankings.sort").set_value("mean")
    rerun(at, db_url)
    # Another order is another table: nothing is selected in it, rather than
    # whichever submission now stands at the selected row's position.
    assert "Reviews behind the selected row" not in [h.value for h in at.header]
    assert "Select a row to open its submission and read the reviews behind it." in texts(at)


@pytest.mark.parametrize("role", ["admin", "office"])
def test_a_selected_row_links_to_its_submission_on_the_submissions_page(db_url, panel, role):
    at = run_app(db_url, panel[role], page=PAGE)
    table = main_table(at)
    assert page_links(at) == []  # nothing selected, nothing to open
    row = list(table["Title"]).index("Third evidence")
    at.session_state[DEFAULT_TABLE] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert page_links(at) == [("submissions", {"submission": [table["Reference"].iloc[row]]})]
