"""Fixing a problem cell in place on the Import page (AppTest, SQLite and
PostgreSQL): a bad correction is refused in words and keeps nothing; a good
one is used by the preview and the import, kept over a rerun and a
re-upload of the same file, said when the mapping no longer lets it apply,
and recorded (who, when, original) with the import; contributor text in a
correction stays text. A non-admin's run with a forged correction reaches
nothing."""

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.models import ImportBatch, Submission
from tests.factories import make_user
from tests.support.apptest import rerun, run_app, texts
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row
from ui.import_fixes import KEPT

PAGE = "pages/import_submissions.py"
BAD = template_csv([valid_row(1), valid_row(2, received_at="32/07/2021")])


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def upload(at, db_url, content=BAD, name="form.csv"):
    at.file_uploader[0].set_value((name, content, "text/csv"))
    return rerun(at, db_url)


def previewed(db_url, admin, content=BAD):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, content)
    at.button(key="import.preview_button").click()
    return rerun(at, db_url)


def correct(at, db_url, value, label="Correction 1"):
    [box] = [t for t in at.text_input if t.label == label]
    box.set_value(value)
    [check] = [b for b in at.button if b.label == "Check and use these corrections"]
    check.click()
    return rerun(at, db_url)


def test_a_bad_date_is_corrected_in_the_preview_then_imported_and_recorded(db, db_url, admin):
    at = previewed(db_url, admin)
    assert not at.exception, at.exception
    assert any("1 problem in 1 row" in e.value for e in at.error)
    [box] = [t for t in at.text_input if t.label == "Correction 1"]
    assert box.value == "32/07/2021"  # the cell as in the file
    assert "Row 3" in [t.value for t in at.text]

    correct(at, db_url, "30/02/2021")  # still no such date: refused in words, nothing kept
    assert any("did not fix its cell, so no correction was kept and nothing changed" in e.value for e in at.error)
    assert "Row 3, received_at: There is no such date or time." in [t.value for t in at.text]
    assert KEPT not in at.session_state

    correct(at, db_url, "31/07/2021")
    assert not at.error, [e.value for e in at.error]
    assert "1 cell corrected here (the file itself is unchanged):" in texts(at)
    rerun(at, db_url)  # a rerun keeps it
    assert not at.error and [m.value for m in at.metric][:2] == ["2", "0"]
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    assert not at.exception and any("2 added" in s.value for s in at.success)
    assert KEPT not in at.session_state  # gone with the import
    with db.read() as session:
        received = session.scalar(select(Submission.received_at).where(Submission.reference == "CFE-0002"))
        content, changes = session.execute(select(ImportBatch.content, ImportBatch.changes)).one()
    assert received.replace(tzinfo=None) == dt.datetime(2021, 7, 31)
    assert bytes(content) == BAD
    [corrected] = [c for c in changes if c["action"] == "corrected"]
    kept = corrected["corrections"]["received_at"]
    assert (kept["original"], kept["new"], kept["by"]) == ("32/07/2021", "31/07/2021", admin.username)


def test_a_correction_survives_a_re_upload_and_a_mapping_change_that_drops_it_is_said(db, db_url, admin):
    at = previewed(db_url, admin)
    correct(at, db_url, "31/07/2021")
    assert not at.error
    upload(at, db_url)  # the same bytes again
    assert not at.error and "1 cell corrected here" in texts(at)

    [date] = [s for s in at.selectbox if s.value == "received_at"]
    date.set_value("(not imported)")
    rerun(at, db_url)
    assert any("no longer applies and is not used" in w.value and "no longer imported" in w.value for w in at.warning)
    date = next(s for s in at.selectbox if s.label == date.label)
    date.set_value("received_at")
    rerun(at, db_url)
    assert not at.warning and "1 cell corrected here" in texts(at)

    upload(at, db_url, BAD.replace(b"32/07/2021", b"33/07/2021"), name="edited.csv")  # another file
    assert any("1 correction made for the previous file does not apply" in i.value for i in at.info)
    assert KEPT not in at.session_state


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Title\x00with a NUL", "control character"),
        ("x" * 40_000, "characters"),  # over the box's max_chars and every field's limit
    ],
)
def test_a_correction_no_cell_can_hold_is_refused(db, db_url, admin, value, words):
    content = template_csv([valid_row(1, title="")])
    at = previewed(db_url, admin, content)
    correct(at, db_url, value)
    assert any("did not fix its cell" in e.value for e in at.error)
    assert any(words in t.value for t in at.text)
    assert KEPT not in at.session_state


def test_formula_and_html_in_a_correction_stay_text(db, db_url, admin):
    content = template_csv([valid_row(1, title="")])
    at = previewed(db_url, admin, content)
    value = '<img src=x onerror=alert(1)> =HYPERLINK("https://evil.example","x") **bold**'
    correct(at, db_url, value)
    assert not at.error, [e.value for e in at.error]
    assert value not in "".join(m.value for m in at.markdown)  # only in the table (inert cells) and the box
    assert value in at.dataframe[0].value["Corrected to"].tolist()
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    with db.read() as session:
        assert session.scalar(select(Submission.title)) == value


@pytest.mark.parametrize("role", ["office", "reviewer"])
def test_a_non_admins_run_with_a_forged_correction_reaches_nothing(db, db_url, role):
    with db.write() as session:
        user = make_user(session, role=role)
    before = table_contents(db)
    at = run_app(db_url, user, page=PAGE)
    forged = {"sha256": "0" * 64, "items": [{"row": 3, "column": "received_at", "original": "", "value": "x"}]}
    at.session_state[KEPT] = forged
    at.session_state["import.preview"] = "0.x"
    rerun(at, db_url)
    assert not at.exception
    assert not at.file_uploader and not at.text_input and [b.key for b in at.button] == ["sign_out"]
    assert "Import" not in [t.value for t in at.title]
    assert table_contents(db)["import_batches"] == before["import_batches"]
    assert table_contents(db)["submissions"] == before["submissions"]


def test_a_question_asking_to_name_the_contributor_is_imported_the_other_way(db, db_url, admin):
    # "Can we publish your name?": Yes means not anonymous. The page keeps the proposal's reading.
    headers = ["Title", "Summary", "Themes", "Organisation", "Can we publish your name?"]
    rows = [
        ["Parks work", "Maps.", "sources_of_harm", "Org A", "Yes"],
        ["Care work", "Advocates.", "support_responses", "Org B", "No"],
    ]
    content = "\r\n".join(",".join(r) for r in [headers, *rows]).encode() + b"\r\n"
    at = previewed(db_url, admin, content)
    assert not at.error, [e.value for e in at.error]
    assert "read the other way" in texts(at)  # the guess says so, marked Check
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    with db.read() as session:
        flags = dict(session.execute(select(Submission.title, Submission.anonymous)).all())
    assert flags == {"Parks work": False, "Care work": True}
