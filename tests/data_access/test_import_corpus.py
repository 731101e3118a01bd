"""A corpus of export shapes from common form tools, each generated here from
code and imported into a real database (SQLite and PostgreSQL) with the
expected outcome: the values stored, or the reason it is refused with nothing
written. Shapes: a Google-Forms-like CSV (question headers, multi-select
answers, a timestamp), a Microsoft-Forms-like workbook (a row of merged group
headings above the real headers, cells merged down), a UTF-16 CSV without a
byte-order mark, and workbooks with formula cells."""

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.models import Submission, SubmissionCode
from importing import FIELD_NAMES, ImportRefused, read_table
from tests.support.dbdump import table_contents
from tests.support.importer import LIMIT, apply_file, proposed
from tests.support.spreadsheets import csv_bytes, template_row, valid_row, xlsx_workbook


def import_file(db, content, name, config, **kwargs):
    table, mapping = proposed(content, name, config, **kwargs)
    return table, apply_file(db, content, name, mapping=mapping, config=config, **kwargs)


def stored(db):
    with db.read() as session:
        subs = session.execute(
            select(
                Submission.id,
                Submission.title,
                Submission.organisation,
                Submission.contact_name,
                Submission.anonymous,
                Submission.received_at,
            ).order_by(Submission.id)
        ).all()
        codes = session.execute(
            select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).order_by(
                SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.position
            )
        ).all()
    by_id = {
        s.id: {
            "title": s.title,
            "organisation": s.organisation,
            "contact_name": s.contact_name,
            "anonymous": s.anonymous,
            "received_at": s.received_at,
        }
        for s in subs
    }
    for sid, name, code in codes:
        by_id[sid].setdefault(name, []).append(code)
    return list(by_id.values())


def test_a_google_forms_like_csv_with_question_headers(db, call_config):
    headers = [
        "Timestamp",
        "Email address",
        "Your full name",
        "Name of your organisation",
        "Title of the evidence",
        "Please describe the evidence: what it is, what it does, what it found",
        "Which theme does your evidence address?",
        "Forms of exploitation",
        "Do you wish to remain anonymous?",
    ]
    rows = [
        [
            "06/07/2021 14:30",
            "rhys@pennmawr.example",
            "Rhys Demo-Evans",
            "Pennmawr Youth Trust",
            "Advocacy for young people in care",
            "Independent advocates.\nSecond line.",
            "Responses supporting individuals, families and groups affected by harm",
            "Criminal exploitation (including county lines); Sexual exploitation;",
            "No",
        ],
        [
            "07/07/2021",
            "",
            "",
            "Castlewick Survivors' Collective",
            "A survivor-led programme",
            "The £ sign and “quotes” survive.",
            "Sources of harm, Support",
            "",
            "Yes",
        ],
    ]
    _table, result = import_file(db, csv_bytes(headers, rows), "responses.csv", call_config)
    assert result.counts["added"] == 2
    first, second = stored(db)
    assert (first["title"], first["organisation"], first["contact_name"], first["anonymous"]) == (
        "Advocacy for young people in care",
        "Pennmawr Youth Trust",
        "Rhys Demo-Evans",
        False,
    )
    assert first["exploitation_types"] == ["criminal_exploitation", "sexual_exploitation"]
    assert first["received_at"].replace(tzinfo=None) == dt.datetime(2021, 7, 6, 14, 30)
    assert second["anonymous"] is True and sorted(second["themes"]) == ["sources_of_harm", "support_responses"]


def test_a_microsoft_forms_like_workbook_with_merged_group_headings(db, call_config):
    rows = [
        ["ID", "About the evidence", None, None, "About you", None],
        [None, "Title of the evidence", "Summary", "Themes", "Organisation", "Your full name"],
        [1, "Advocacy in care", "Advocates for children.", "sources_of_harm", "Pennmawr Youth Trust", "Rhys"],
        [2, "Parks", "Maps where children are exploited.", "support_responses", "", "Priya"],
    ]
    content = xlsx_workbook(rows, merges=["A1:A2", "B1:D1", "E1:F1"])
    table, result = import_file(db, content, "forms.xlsx", call_config)
    assert (table.header_row, table.header_unsure) == (2, False)
    assert table.headers == ("ID", "Title of the evidence", "Summary", "Themes", "Organisation", "Your full name")
    assert result.counts["added"] == 2
    assert [(s["title"], s["organisation"], s["contact_name"]) for s in stored(db)] == [
        ("Advocacy in care", "Pennmawr Youth Trust", "Rhys"),
        ("Parks", None, "Priya"),
    ]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_a_utf16_csv_without_a_byte_order_mark(db, call_config, codec):
    rows = [valid_row(1, contact_name="Zoë Łukasz", organisation="Café Róisín")]
    content = csv_bytes(list(FIELD_NAMES), [template_row(**r) for r in rows], encoding=codec)
    assert not content.startswith((b"\xff\xfe", b"\xfe\xff"))
    _table, result = import_file(db, content, "export.csv", call_config)
    assert result.counts["added"] == 1
    [sub] = stored(db)
    assert (sub["contact_name"], sub["organisation"]) == ("Zoë Łukasz", "Café Róisín")


def test_a_formula_cell_imports_its_saved_result_never_its_text(db, call_config):
    headers = ["title", "summary", "themes", "organisation"]
    rows = [headers, [None, "s", "sources_of_harm", "Org"]]
    content = xlsx_workbook(rows, formulas={"A2": 'D2&" report"'}, saved={"A2": ("str", "Org report")})
    import_file(db, content, "formula.xlsx", call_config)
    assert [s["title"] for s in stored(db)] == ["Org report"]


def test_a_formula_cell_without_a_saved_result_refuses_the_file_naming_it(db, call_config):
    headers = ["title", "summary", "themes", "organisation"]
    rows = [headers, ["t", "s", "sources_of_harm", "Org"], [None, "s", "sources_of_harm", "Org"]]
    content = xlsx_workbook(rows, formulas={"A3": 'D3&" report"'})
    before = table_contents(db)
    _table, mapping = proposed(xlsx_workbook([headers, ["t", "s", "sources_of_harm", "Org"]]), "x.xlsx", call_config)
    with pytest.raises(ImportRefused, match=r"Responses!A3") as refused:
        apply_file(db, content, "formula.xlsx", mapping=mapping, config=call_config)
    assert "report" not in str(refused.value)
    assert table_contents(db) == before


def test_a_picked_header_row_is_used_by_the_import(db, call_config):
    # A sparse first row is guessed as group headings (unsure); the person's pick of row 2 imports it.
    content = b"Call for evidence 2021,,\r\n" + csv_bytes(
        ["title", "summary", "themes", "organisation"],
        [["t", "s", "sources_of_harm", "Org"], ["u", "s", "support_responses", "Org 2"]],
    )
    table = read_table(content, "f.csv", max_bytes=LIMIT)
    assert (table.header_row, table.header_unsure) == (2, True)
    _table, result = import_file(db, content, "f.csv", call_config, header_row=2)
    assert result.counts["added"] == 2
    assert [s["title"] for s in stored(db)] == ["t", "u"]
