"""The Import page in Streamlit's AppTest: upload, map, fix a value, preview,
import; bad files refused in words; file text never rendered as Markdown;
likely duplicates decided by a person."""

import hashlib

import pytest
from sqlalchemy import select

from data_access import audit, imports
from data_access.models import AuditEntry, DuplicateFlag, Submission
from importing import propose_mapping, read_table, template
from tests.factories import make_submission, make_user
from tests.support.apptest import download, rerun, run_app, texts
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes, template_csv, valid_row, xlsx_bytes
from ui.render import table_key

PAGE = "pages/import_submissions.py"


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def upload(at, db_url, content, name="form.csv"):
    at.file_uploader[0].set_value((name, content, "text/csv"))
    return rerun(at, db_url)


def selectbox(at, label):
    [box] = [s for s in at.selectbox if s.label == label]
    return box


def test_the_page_explains_the_size_limit_and_offers_the_template(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    assert not at.exception
    assert "up to 10 MB" in texts(at)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Template (Excel, with the codes)", "Template (CSV)", "Coded values (CSV)"]


def test_upload_map_fix_a_value_preview_and_import(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, csv_bytes(FORM_HEADERS, FORM_ROWS))
    assert not at.exception, at.exception
    assert selectbox(at, "Column A goes to").value == "received_at"
    assert selectbox(at, "Column I goes to").value == "nation"
    assert selectbox(at, "Value 1 means").value == "sources_of_harm"  # a sure suggestion, pre-selected
    selectbox(at, "Value 1 means").set_value("(choose a code)")  # the coordinator undoes it: a problem again
    rerun(at, db_url)
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert any("1 problem in 1 row" in e.value for e in at.error)
    assert "Did you mean “Responses to the sources of harm”?" in at.dataframe[0].value.to_csv()
    problems = next(b for b in at.download_button if b.label == "Download the problems (CSV)")
    _url, content = download(problems)  # made at the click, and logged then with its digest
    assert "Did you mean “Responses to the sources of harm”?" in content.decode("utf-8-sig")
    with db.read() as session:
        [entry] = audit.list_entries(session, filters=audit.AuditFilter(action="export.import_problems")).to_dict(
            "records"
        )
    assert entry["actor"] == admin.username and entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert "import.confirm" not in [b.key for b in at.button]
    assert table_contents(db)["submissions"] == []

    value = selectbox(at, "Value 1 means")
    assert value.options[1] == "Responses to the sources of harm"  # the closest code first
    value.set_value("sources_of_harm")
    rerun(at, db_url)
    assert not at.error
    assert [m.value for m in at.metric][:3] == ["3", "0", "0"]
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    assert not at.exception
    assert any("3 added" in s.value for s in at.success)
    with db.read() as session:
        titles = sorted(session.scalars(select(Submission.title)))
        actors = set(session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "import.file")))
    assert titles == sorted(row[4] for row in FORM_ROWS)
    assert actors == {admin.username}


def test_a_group_heading_row_above_the_headers_is_shown_and_the_header_row_can_be_picked(db, db_url, admin):
    rows = [valid_row(1), valid_row(2)]
    content = b"About the evidence,,,,About you\r\n" + template_csv(rows)
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, content)
    assert not at.exception, at.exception
    assert any("looks like a row of group headings" in w.value for w in at.warning)
    header = selectbox(at, "Header row (the row that holds the column names)")
    assert (header.value, header.options[:3]) == (2, ["1", "2", "3"])
    header.set_value(1)  # the person's pick is read: row 1 as the header leaves the template's columns unmapped
    rerun(at, db_url)
    assert selectbox(at, "Column A goes to").value != "title"
    selectbox(at, "Header row (the row that holds the column names)").set_value(2)
    rerun(at, db_url)
    assert selectbox(at, "Column A goes to").value == "title"
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert not at.error, [e.value for e in at.error]
    at.button(key="import.confirm").click()
    rerun(at, db_url)
    assert any("2 added" in s.value for s in at.success)
    with db.read() as session:
        assert sorted(session.scalars(select(Submission.title))) == ["Evidence number 1", "Evidence number 2"]


def test_a_column_can_be_left_out_and_a_saved_mapping_is_offered_next_time(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    content = template_csv([valid_row(1, notes="Private")])
    upload(at, db_url, content)
    notes = next(s for s in at.selectbox if s.value == "notes")
    notes.set_value("(not imported)")
    rerun(at, db_url)
    [name] = [t for t in at.text_input if t.key.startswith("import.mapping_name")]
    name.input("Office list")
    at.button(key="import.save_mapping").click()
    rerun(at, db_url)
    assert any("Mapping saved" in s.value for s in at.success)
    with db.read() as session:
        saved = imports.list_mappings(session)
    assert "notes" not in saved["Office list"].columns

    again = run_app(db_url, admin, page=PAGE)
    upload(again, db_url, content, name="next.csv")
    assert selectbox(again, "Start from a mapping").value == "Office list"
    assert not [s for s in again.selectbox if s.value == "notes"]


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (template_csv([valid_row(1)]), "list.xlsx", "not an Excel workbook"),
        (b"", "empty.csv", "The file is empty"),
        (b"title,summary,themes\r\n", "header.csv", "no submissions under it"),
    ],
)
def test_a_bad_file_gets_a_plain_message_and_nothing_is_written(db, db_url, admin, content, name, words):
    at = run_app(db_url, admin, page=PAGE)
    before = table_contents(db)
    upload(at, db_url, content, name=name)
    assert not at.exception
    assert [e.value for e in at.error] == ["This file was not imported, and nothing was written. Why, and what to do:"]
    assert any(words in t.value for t in at.text)
    assert table_contents(db) == before


def test_a_sheet_name_in_a_refusal_is_shown_as_text(db, db_url, admin):
    sheet = "__Evil__ $x^2$ <b>y<b>"  # Excel allows no [ ] : * / in a sheet's name
    content = xlsx_bytes({sheet: [["title", "summary", "themes"]]})
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, content, name="book.xlsx")
    assert not at.exception
    assert not any("Evil" in e.value for e in at.error)
    assert any(f"“{sheet}” has a header row but no submissions" in t.value for t in at.text)


def test_text_from_the_file_is_shown_as_text_never_markdown(db, db_url, admin):
    header = "**Title** [click](http://evil.example)"
    content = csv_bytes([header, "summary", "themes", "organisation"], [["<b>x</b> :red[y]", "s", "1", "o"]])
    at = run_app(db_url, admin, page=PAGE)
    upload(at, db_url, content)
    assert not at.exception
    markdown_like = [
        str(getattr(e, "value", "")) for kind in ("markdown", "caption", "error", "info") for e in at.get(kind)
    ]
    assert not any("evil.example" in m or "<b>x</b>" in m for m in markdown_like)
    assert header in [t.value for t in at.text]
    assert any("<b>x</b> :red[y]" in t.value for t in at.text)


def test_templates_and_an_imports_original_file_are_made_at_the_click(db, db_url, admin, call_config):
    content = template_csv([valid_row(1)])
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=10**7), call_config)
    with db.write() as session:
        imports.apply_import(
            session, content=content, filename="f.csv", mapping=mapping, config=call_config, max_bytes=10**7, actor="x"
        )
    at = run_app(db_url, admin, page=PAGE)
    buttons = {b.label: b for b in at.download_button}
    assert download(buttons["Template (CSV)"])[1] == template.template_csv()
    assert download(buttons["Coded values (CSV)"])[1] == template.codes_csv(call_config)
    assert download(buttons["Template (Excel, with the codes)"])[1].startswith(b"PK")
    with db.read() as session:
        assert audit.list_entries(session, filters=audit.AuditFilter(action="import.download_original")).empty
    assert download(buttons["Download the original file"])[1] == content
    with db.read() as session:
        logged = audit.list_entries(session, filters=audit.AuditFilter(action="import.download_original"))
    assert logged["actor"].tolist() == [admin.username]


def test_a_person_decides_on_a_likely_duplicate(db, db_url, admin, call_config):
    content = template_csv([valid_row(1), valid_row(2, title="Evidence number 1", organisation="Organisation 1")])
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=10**7), call_config)
    with db.write() as session:
        imports.apply_import(
            session, content=content, filename="f.csv", mapping=mapping, config=call_config, max_bytes=10**7, actor="x"
        )
    at = run_app(db_url, admin, page=PAGE)
    assert "Evidence number 1" in at.dataframe[0].value.to_csv()
    with db.read() as session:
        flag_ids = session.scalars(select(DuplicateFlag.id).order_by(DuplicateFlag.id)).all()
    at.session_state[table_key("import.flags", flag_ids)] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    rerun(at, db_url)
    at.button(key="import.flag.duplicate").click()
    rerun(at, db_url)
    assert not at.exception
    with db.read() as session:
        assert session.scalars(select(DuplicateFlag.status)).all() == ["duplicate"]
        assert session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "duplicate_flag.decide")).all() == [
            admin.username
        ]


def test_the_admin_flags_similar_submissions_and_decides_them_with_the_import_duplicates(
    db, db_url, admin, call_config
):
    text = (
        "A peer mentoring scheme pairs survivors of labour exploitation with trained volunteers who have "
        "rebuilt their lives, meeting weekly for six months to plan work, housing and learning."
    )
    with db.write() as session:
        first = make_submission(session, call_config, summary=text * 2)
        second = make_submission(session, call_config, summary=text * 2 + " Funded locally.")
        make_submission(session, call_config, summary="A study of recruitment fees paid by seasonal workers.")
    at = run_app(db_url, admin, page=PAGE)
    at.button(key="import.similar").click()
    rerun(at, db_url)
    assert not at.exception
    assert "3 submissions: 1 pair at least 60% alike, 1 newly flagged" in at.success[0].value
    with db.read() as session:
        [flag] = imports.list_flags(session)
    assert {flag.submission_id, flag.other_submission_id} == {first, second}
    assert flag.reason.startswith("Texts ") and "% alike" in flag.reason
    assert flag.reason in at.dataframe[0].value["Why"].tolist()
