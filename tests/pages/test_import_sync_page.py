"""Keeping in step with re-exports on the pages (AppTest, SQLite and PostgreSQL): the Import page's
key column and its preview row by row, field by field; "Changed since your review" on My reviews
for the reviewer, and the mark on Submissions and Rankings for the admin."""

import pytest
from sqlalchemy import select

from data_access import imports
from data_access.models import Submission
from importing import FIELD_NAMES, propose_mapping, read_table
from tests.factories import assign, make_user, submit_review
from tests.support.apptest import rerun, run_app
from tests.support.spreadsheets import csv_bytes, valid_row

IMPORT = "pages/import_submissions.py"
HEADERS = ["Response ID", *(n for n in FIELD_NAMES if n != "reference")]
LIMIT = 10 * 1024 * 1024


def export(rows) -> bytes:
    def answers(n, **overrides):
        row = valid_row(n, **overrides)
        row.pop("reference")
        return [row.get(h, "") for h in HEADERS[1:]]

    return csv_bytes(HEADERS, [[key, *answers(n, **overrides)] for key, n, overrides in rows])


FIRST = export([(f"R_{n}", n, {}) for n in (1, 2, 3)])
MARKUP_TITLE = "**Bold** <b>claim</b> [link](javascript:alert(1))"
AGAIN = export([("R_1", 1, {"title": MARKUP_TITLE}), ("R_2", 2, {}), ("R_4", 4, {})])


def import_directly(db, content, config):
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=LIMIT), config)
    with db.write() as s:
        return imports.apply_import(
            s, content=content, filename="f.csv", mapping=mapping, config=config, max_bytes=LIMIT, actor="admin"
        )


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def rows_table(at):
    """The preview's row-by-row table."""
    return next(d.value for d in at.dataframe if "What happens" in d.value.columns)


def upload(at, db_url, content):
    at.file_uploader[0].set_value(("export.csv", content, "text/csv"))
    return rerun(at, db_url)


def test_the_key_is_picked_and_the_preview_says_row_by_row_what_the_re_export_does(db, db_url, admin, call_config):
    import_directly(db, FIRST, call_config)
    at = run_app(db_url, admin, page=IMPORT)
    upload(at, db_url, AGAIN)
    assert not at.exception, at.exception
    [picker] = [s for s in at.selectbox if s.label.startswith("Key column")]
    assert picker.value == "Response ID"  # guessed: a response ID, every value filled and different
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert not at.error, [e.value for e in at.error]
    rows = rows_table(at)
    outcome = dict(zip(rows["Key"], rows["What happens"], strict=True))
    assert outcome == {
        "R_1": f"will update: Title: Evidence number 1 \u2192 {MARKUP_TITLE}",
        "R_2": "unchanged",
        "R_4": "will add",
    }
    caption = next(c.value for c in at.caption if "will update" in c.value)
    assert caption.startswith("1 will update, 1 will add, 1 unchanged.")
    # contributor text is in dataframe cells only, never in Markdown
    shown = [e.value for kind in ("markdown", "caption", "warning", "info", "success") for e in at.get(kind)]
    assert not any("Bold" in str(v) for v in shown)
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    assert any("1 added, 1 updated, 1 unchanged" in s.value for s in at.success)  # as the preview said
    with db.read() as s:
        keys = sorted(s.scalars(select(Submission.source_key)))
    assert keys == ["R_1", "R_2", "R_3", "R_4"]


def test_choosing_no_key_falls_back_to_references(db, db_url, admin, call_config):
    import_directly(db, FIRST, call_config)
    at = run_app(db_url, admin, page=IMPORT)
    upload(at, db_url, AGAIN)
    [picker] = [s for s in at.selectbox if s.label.startswith("Key column")]
    picker.set_value("(no key: rows match by their reference)")
    rerun(at, db_url)
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    rows = rows_table(at)
    assert "Key" not in rows.columns
    assert list(rows["What happens"]).count("will add") == 2  # no key, no reference: R_1 edited looks new


@pytest.fixture
def reviewed(db, call_config):
    """FIRST imported; a reviewer submitted reviews of R_1 and R_2; then a re-export edited R_1."""
    import_directly(db, FIRST, call_config)
    with db.write() as s:
        ids = dict(s.execute(select(Submission.source_key, Submission.id)).all())
        reviewer = make_user(s, role="reviewer")
        for sid in ids.values():
            assign(s, sid, reviewer)
        submit_review(s, call_config, ids["R_1"], reviewer)
        submit_review(s, call_config, ids["R_2"], reviewer)
    import_directly(db, export([("R_1", 1, {"title": "A new title", "nation": "Wales"})]), call_config)
    return reviewer, ids


def test_the_reviewer_sees_changed_since_your_review_in_the_queue_and_on_the_review(db, db_url, reviewed):
    reviewer, ids = reviewed
    at = run_app(db_url, reviewer, page="pages/my_reviews.py")
    assert not at.exception, at.exception
    at.radio(key="my_reviews.show").set_value("all")
    rerun(at, db_url)
    queue = at.dataframe[0].value
    with db.read() as s:
        ref = dict(s.execute(select(Submission.source_key, Submission.reference)).all())
    marks = dict(zip(queue["Reference"], queue["Changed since your review"], strict=True))
    assert marks == {ref["R_1"]: "Title, Nation", ref["R_2"]: "", ref["R_3"]: ""}
    at.selectbox(key="my_reviews.picker").set_value(ref["R_1"])
    rerun(at, db_url)
    assert any(w.value.startswith("Changed since your review: Title, Nation.") for w in at.warning)
    # reopening the submitted review (to read and change it) clears the mark
    at.button(key=f"review.{ids['R_1']}.reopen").click()
    rerun(at, db_url)
    assert not any("Changed since your review" in w.value for w in at.warning)


def test_the_admin_sees_the_mark_on_submissions_and_rankings(db, db_url, reviewed, admin):
    at = run_app(db_url, admin, page="pages/submissions.py")
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    marked = dict(zip(table["Reference"], table["Changed since a review"], strict=True))
    assert sorted(marked.values()) == ["", "", "Title, Nation"]
    at = run_app(db_url, admin, page="pages/rankings.py")
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "Changed since a review" in d.value.columns)
    assert sorted(table["Changed since a review"]) == ["", "Title, Nation"]  # the two reviewed submissions
