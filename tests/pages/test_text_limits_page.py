"""Bounds seen on pages: an imported cell over its field's limit is shown as
its row's problem and nothing is written; a workbook over the deployment's
cell limit is refused with the bound named; a review comment sent past the
widget's max_chars is never stored longer than the limit."""

import pytest

from config import limits
from data_access.reviews import get_own_review
from tests.factories import assign, make_submission, make_user
from tests.support import hostile_xlsx
from tests.support.apptest import rerun, run_app, texts
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row

IMPORT = "pages/import_submissions.py"
REVIEWS = "pages/my_reviews.py"


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def upload(at, db_url, content, name):
    at.file_uploader[0].set_value((name, content, "application/octet-stream"))
    return rerun(at, db_url)


def test_an_oversize_imported_cell_is_its_rows_problem_and_nothing_is_written(db, db_url, admin):
    limit = limits.imported_field("summary")
    content = template_csv([valid_row(1), valid_row(2, summary="x" * (limit + 1))])
    at = run_app(db_url, admin, page=IMPORT)
    before = table_contents(db)
    upload(at, db_url, content, "template.csv")
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert not at.exception
    assert any("1 problem in 1 row" in e.value for e in at.error)
    assert f"This cell has {limit + 1:,} characters; the most for summary is {limit:,}." in texts(at)
    assert "import.confirm" not in [b.key for b in at.button]
    assert table_contents(db) == before


def test_a_workbook_over_the_cell_limit_setting_is_refused_naming_it(db, db_url, admin, monkeypatch):
    monkeypatch.setenv("EVIDENCE_IMPORT_MAX_CELLS", "5000")
    at = run_app(db_url, admin, page=IMPORT)
    before = table_contents(db)
    upload(at, db_url, hostile_xlsx.styled_empty_cells(100, 100), "styled.xlsx")
    assert not at.exception
    assert [e.value for e in at.error] == ["This file was not imported, and nothing was written. Why, and what to do:"]
    assert "the limit is 5,000 (setting EVIDENCE_IMPORT_MAX_CELLS)" in texts(at)
    assert table_contents(db) == before


def test_a_comment_sent_past_the_widgets_limit_is_never_stored_longer(db, db_url, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001")
        ann = make_user(s, name="Ann Reviewer")
        assign(s, sub, ann)
    at = run_app(db_url, ann, page=REVIEWS)
    comment = at.text_area(key=f"review.{sub}.comment")
    assert comment.proto.max_chars == limits.REVIEW_COMMENT
    comment.set_value("x" * (limits.REVIEW_COMMENT + 1))  # what a raw WebSocket client could send
    at.button(key="my_reviews.draft").click()
    rerun(at, db_url)
    assert not at.exception
    with db.read() as s:
        stored = get_own_review(s, submission_id=sub, reviewer_id=ann.user_id)
    # Streamlit's server cuts a widget's value to its max_chars; the data layer refuses longer from any caller
    # (tests/data_access/test_text_limits.py).
    assert stored is not None and len(stored.comment) <= limits.REVIEW_COMMENT
