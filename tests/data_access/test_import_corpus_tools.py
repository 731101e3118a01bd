"""The corpus of form tools' export shapes (issue 19), each built here from code
(CSV, and XLSX with openpyxl) and imported into a real database (SQLite and
PostgreSQL): Google Forms, Microsoft Forms, SurveyMonkey (two header rows),
Typeform, JotForm, Qualtrics (extra header rows) and a hand-made spreadsheet.
For each: the mapping guessed, field by field; the values stored (dates,
multi-select answers with ", " or ";" or line breaks, both answers of yes/no
questions); or the named reason it needs a person, tested.

Dates: an ambiguous day/month is read day first (the UK's order, the rule of
importing/values.py), so a US-ordered export (SurveyMonkey's "07/05/2021") is
read as 7 May; that is asserted, not hidden."""

import datetime as dt

from sqlalchemy import select

from data_access.models import Submission, SubmissionCode
from importing import build_plan, unmatched_values
from importing.mapping import accept_suggestions
from tests.support.importer import apply_file, proposed
from tests.support.spreadsheets import csv_bytes, xlsx_bytes, xlsx_workbook

UTC = dt.UTC
HARM = "Responses to the sources of harm to children"
SUPPORT = "Responses supporting individuals, families and groups affected by harm"
COUNTY = "Criminal exploitation (including county lines)"


def rows_csv(rows) -> bytes:
    return csv_bytes(rows[0], rows[1:])


def imported(db, content, name, config, **kwargs):
    """Imported through the guessed mapping, its sure value suggestions accepted (the page's one action)."""
    table, mapping = proposed(content, name, config, **kwargs)
    accept_suggestions(mapping, unmatched_values(table, mapping, config))
    return apply_file(db, content, name, mapping=mapping, config=config, **kwargs)


def stored(db):
    with db.read() as session:
        subs = session.execute(select(Submission).order_by(Submission.id)).scalars().all()
        out = [
            {
                "title": s.title,
                "received_at": s.received_at.astimezone(UTC) if s.received_at else None,
                "organisation": s.organisation,
                "contact_name": s.contact_name,
                "contact_email": s.contact_email,
                "anonymous": s.anonymous,
                "presentation_preference": s.presentation_preference,
                "id": s.id,
            }
            for s in subs
        ]
        codes = session.execute(
            select(SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.code).order_by(
                SubmissionCode.submission_id, SubmissionCode.field, SubmissionCode.position
            )
        ).all()
    by_id = {s["id"]: s for s in out}
    for sid, field, code in codes:
        by_id[sid].setdefault(field, []).append(code)
    return out


def test_google_forms(db, call_config):
    headers = [
        "Timestamp",
        "Email address",
        "Your full name",
        "Name of your organisation",
        "Title of your evidence",
        "Please describe the evidence: what it is, what it does, what it found",
        "Which theme(s) does your evidence address?",
        "Which forms of exploitation does it concern?",
        "Do you wish to remain anonymous?",
        "Would you be willing to present your evidence at the event?",
    ]
    rows = [
        ["2021/07/05 9:14:22 AM GMT+1", "priya@northbridge.example", "Priya Demo-Dhillon",
         "Northbridge Children's Services", "Contextual safeguarding in parks", "Maps where children are exploited.",
         f"{HARM}, {SUPPORT}", f"{COUNTY}, Sexual exploitation", "No", "Yes"],
        ["2021/07/06 2:30:00 PM GMT+1", "rhys@pennmawr.example", "Rhys Demo-Evans", "Pennmawr Youth Trust",
         "Advocacy for young people in care", "Independent advocates for children at risk.", SUPPORT,
         "Forced labour", "Yes, please keep me anonymous", "No"],
    ]  # fmt: skip
    content = rows_csv([headers, *rows])
    _table, mapping = proposed(content, "google.csv", call_config)
    assert mapping.columns == {
        "title": "Title of your evidence",
        "summary": "Please describe the evidence: what it is, what it does, what it found",
        "themes": "Which theme(s) does your evidence address?",
        "received_at": "Timestamp",
        "organisation": "Name of your organisation",
        "contact_name": "Your full name",
        "contact_email": "Email address",
        "anonymous": "Do you wish to remain anonymous?",
        "exploitation_types": "Which forms of exploitation does it concern?",
        "presentation_preference": "Would you be willing to present your evidence at the event?",
    }
    assert imported(db, content, "google.csv", call_config).counts["added"] == 2
    first, second = stored(db)
    assert first["received_at"] == dt.datetime(2021, 7, 5, 8, 14, 22, tzinfo=UTC)  # GMT+1 is BST
    assert first["themes"] == ["sources_of_harm", "support_responses"]  # ", " between answers
    assert first["exploitation_types"] == ["criminal_exploitation", "sexual_exploitation"]
    assert (first["anonymous"], first["presentation_preference"]) == (False, "either")  # both answers of yes/no
    assert (second["anonymous"], second["presentation_preference"]) == (True, "not_available")
    assert second["received_at"] == dt.datetime(2021, 7, 6, 13, 30, tzinfo=UTC)


def test_microsoft_forms(db, call_config):
    # An .xlsx with real date cells; "anonymous" in Email and Name (the form records no one), ";" after each answer.
    rows = [
        ["ID", "Start time", "Completion time", "Email", "Name", "Title of your evidence", "Summary of the evidence",
         "Themes", "Forms of exploitation", "Do you want to stay anonymous?", "Your full name", "Organisation"],
        [1, dt.datetime(2021, 7, 5, 9, 10, 1), dt.datetime(2021, 7, 5, 9, 14, 22), "anonymous", "anonymous",
         "Contextual safeguarding in parks", "Maps where children are exploited.", f"{HARM};",
         f"{COUNTY};Sexual exploitation;", "No", "Priya Demo-Dhillon", "Northbridge Children's Services"],
        [2, dt.datetime(2021, 7, 6, 14, 0), dt.datetime(2021, 7, 6, 14, 30), "anonymous", "anonymous",
         "Advocacy for young people in care", "Advocates.", f"{SUPPORT};", "Forced labour;", "Yes", "",
         "Pennmawr Youth Trust"],
    ]  # fmt: skip
    content = xlsx_bytes({"Form1": rows})
    _table, mapping = proposed(content, "msforms.xlsx", call_config)
    assert mapping.columns == {
        "title": "Title of your evidence",
        "summary": "Summary of the evidence",
        "themes": "Themes",
        "received_at": "Completion time",
        "organisation": "Organisation",
        "contact_name": "Your full name",  # not "Name", which holds only "anonymous"
        "anonymous": "Do you want to stay anonymous?",
        "exploitation_types": "Forms of exploitation",
    }
    assert imported(db, content, "msforms.xlsx", call_config).counts["added"] == 2
    first, second = stored(db)
    assert first["received_at"] == dt.datetime(2021, 7, 5, 9, 14, 22, tzinfo=UTC)
    assert first["exploitation_types"] == ["criminal_exploitation", "sexual_exploitation"]
    assert (first["contact_email"], second["contact_name"], second["anonymous"]) == (None, None, True)


def test_microsoft_forms_short_dates_are_read_day_first(call_config):
    # The CSV a Microsoft Forms workbook becomes: "7/5/21 9:14:22" is ambiguous, so day first: 7 May 2021.
    content = rows_csv([["Completion time", "Title", "Summary", "Themes", "Organisation"],
                        ["7/5/21 9:14:22", "Parks work", "Maps.", "sources_of_harm", "Org"]])  # fmt: skip
    table, mapping = proposed(content, "ms.csv", call_config)
    assert mapping.columns["received_at"] == "Completion time"
    [row] = build_plan(table, mapping=mapping, config=call_config).rows
    assert row.data.received_at == dt.datetime(2021, 5, 7, 9, 14, 22, tzinfo=UTC)


def test_surveymonkey_two_header_rows(db, call_config):
    rows = [
        ["Respondent ID", "Collector ID", "Start Date", "End Date", "IP Address", "Email Address", "First Name",
         "Last Name", "What is the title of your evidence?", "Please summarise the evidence",
         "Which theme does it address?", "Your organisation", "Would you like your submission to be anonymous?"],
        ["", "", "", "", "", "", "", "", "Response", "Open-Ended Response", "Response", "Open-Ended Response",
         "Response"],
        ["12345678901", "987654", "07/05/2021 09:10:01 AM", "07/05/2021 09:14:22 AM", "203.0.113.5", "", "", "",
         "Contextual safeguarding in parks", "Maps where children are exploited.", HARM,
         "Northbridge Children's Services", "No"],
        ["12345678902", "987654", "07/06/2021 02:00:00 PM", "07/06/2021 02:30:00 PM", "203.0.113.6", "", "", "",
         "Advocacy for young people in care", "Advocates.", SUPPORT, "Pennmawr Youth Trust", "Yes"],
    ]  # fmt: skip
    content = rows_csv(rows)
    table, mapping = proposed(content, "surveymonkey.csv", call_config)
    assert (table.header_row, [r.number for r in table.rows]) == (1, [3, 4])  # row 2 is part of the header
    assert mapping.columns == {
        "title": "What is the title of your evidence?",
        "summary": "Please summarise the evidence",
        "themes": "Which theme does it address?",
        "received_at": "End Date",
        "organisation": "Your organisation",
        "contact_email": "Email Address",  # empty: proposed as Unsure, harmless
        "anonymous": "Would you like your submission to be anonymous?",
    }
    assert imported(db, content, "surveymonkey.csv", call_config).counts["added"] == 2
    first, second = stored(db)
    # A US-ordered export: "07/05/2021" is read day first (the rule), so 7 May, not 5 July.
    assert first["received_at"] == dt.datetime(2021, 5, 7, 9, 14, 22, tzinfo=UTC)
    assert second["received_at"] == dt.datetime(2021, 6, 7, 14, 30, tzinfo=UTC)
    assert (first["anonymous"], second["anonymous"]) == (False, True)


def test_typeform(db, call_config):
    rows = [
        ["#", "What is your evidence called?", "Describe the evidence", "Which themes does it address?",
         "Organisation", "Your email", "Can we publish your name?", "Start Date (UTC)", "Submit Date (UTC)",
         "Network ID"],
        ["a1b2c3d4e5", "Contextual safeguarding in parks", "Maps where children are exploited.", HARM,
         "Northbridge Children's Services", "priya@northbridge.example", "Yes", "2021-07-05T08:10:01Z",
         "2021-07-05T08:14:22Z", "f0e1d2"],
        ["f6g7h8i9j0", "Advocacy for young people in care", "Advocates.", SUPPORT, "Pennmawr Youth Trust",
         "rhys@pennmawr.example", "No", "2021-07-06T13:00:00Z", "2021-07-06T13:30:00Z", "c3b4a5"],
    ]  # fmt: skip
    content = rows_csv(rows)
    table, mapping = proposed(content, "typeform.csv", call_config)
    # Named reason: "What is your evidence called?" has no word of a title and short free text: no title is
    # guessed; the person chooses it (the file cannot be imported until they do: Title is required).
    assert "title" not in mapping.columns
    assert mapping.columns == {
        "summary": "Describe the evidence",
        "themes": "Which themes does it address?",
        "received_at": "Start Date (UTC)",
        "organisation": "Organisation",
        "contact_email": "Your email",
        "anonymous": "Can we publish your name?",
    }
    # "Can we publish your name?" asks the opposite of "anonymous?": its answers are read the other way.
    assert mapping.values == {"anonymous": {"No": "yes", "Yes": "no"}}
    mapping.columns["title"] = "What is your evidence called?"  # the person's choice
    accept_suggestions(mapping, unmatched_values(table, mapping, call_config))
    apply_file(db, content, "typeform.csv", mapping=mapping, config=call_config)
    first, second = stored(db)
    assert (first["anonymous"], second["anonymous"]) == (False, True)  # Yes, publish it: not anonymous
    assert first["received_at"] == dt.datetime(2021, 7, 5, 8, 10, 1, tzinfo=UTC)


def test_jotform_newline_separated_answers_and_written_dates(db, call_config):
    rows = [
        ["Submission Date", "Full Name", "E-mail", "Organisation Name", "Evidence Title", "Evidence Summary",
         "Themes", "Forms of Exploitation", "Would you like to remain anonymous?", "Submission ID"],
        ["Jul 5, 2021", "Priya Demo-Dhillon", "priya@northbridge.example", "Northbridge Children's Services",
         "Contextual safeguarding in parks", "Maps where children are exploited.", f"{HARM}\n{SUPPORT}",
         f"{COUNTY}\nSexual exploitation", "No", "5012345678901234567"],
        ["Jul 6, 2021", "Rhys Demo-Evans", "rhys@pennmawr.example", "Pennmawr Youth Trust",
         "Advocacy for young people in care", "Advocates.", SUPPORT, "Forced labour", "Yes",
         "5012345678901234568"],
    ]  # fmt: skip
    content = rows_csv(rows)
    _table, mapping = proposed(content, "jotform.csv", call_config)
    assert mapping.columns == {
        "title": "Evidence Title",
        "summary": "Evidence Summary",
        "themes": "Themes",
        "received_at": "Submission Date",
        "organisation": "Organisation Name",
        "contact_name": "Full Name",
        "contact_email": "E-mail",
        "anonymous": "Would you like to remain anonymous?",
        "exploitation_types": "Forms of Exploitation",
    }
    assert imported(db, content, "jotform.csv", call_config).counts["added"] == 2
    first, second = stored(db)
    assert first["received_at"] == dt.datetime(2021, 7, 5, tzinfo=UTC)
    assert first["themes"] == ["sources_of_harm", "support_responses"]  # line breaks between answers
    assert first["exploitation_types"] == ["criminal_exploitation", "sexual_exploitation"]
    assert (first["anonymous"], second["anonymous"]) == (False, True)


def test_qualtrics_extra_header_rows(db, call_config):
    rows = [
        ["StartDate", "EndDate", "Status", "ResponseId", "Q1", "Q2", "Q3", "Q4", "Q5"],
        ["Start Date", "End Date", "Response Type", "Response ID", "Title of your evidence",
         "Summary of the evidence", "Which theme does it address?", "Organisation", "Do you wish to remain anonymous?"],
        ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"status"}', '{"ImportId":"_recordId"}',
         '{"ImportId":"QID1_TEXT"}', '{"ImportId":"QID2_TEXT"}', '{"ImportId":"QID3"}', '{"ImportId":"QID4_TEXT"}',
         '{"ImportId":"QID5"}'],
        ["2021-07-05 09:10:01", "2021-07-05 09:14:22", "IP Address", "R_1abcDEF", "Contextual safeguarding in parks",
         "Maps where children are exploited.", HARM, "Northbridge Children's Services", "No"],
        ["2021-07-06 14:00:00", "2021-07-06 14:30:00", "IP Address", "R_2ghiJKL", "Advocacy for young people in care",
         "Advocates.", SUPPORT, "Pennmawr Youth Trust", "Yes"],
    ]  # fmt: skip
    content = rows_csv(rows)
    # Named reason: row 1 holds Qualtrics's short names (Q1, Q2, ...), a full row, so it is found as the header
    # and nothing is guessed for the questions: the person picks row 2, the question text (page or --header-row).
    table, mapping = proposed(content, "qualtrics.csv", call_config)
    assert table.header_row == 1 and "title" not in mapping.columns
    table, mapping = proposed(content, "qualtrics.csv", call_config, header_row=2)
    assert [r.number for r in table.rows] == [4, 5]  # the {"ImportId": ...} row is part of the header
    assert mapping.columns == {
        "title": "Title of your evidence",
        "summary": "Summary of the evidence",
        "themes": "Which theme does it address?",
        "received_at": "End Date",
        "organisation": "Organisation",
        "anonymous": "Do you wish to remain anonymous?",
    }
    assert imported(db, content, "qualtrics.csv", call_config, header_row=2).counts["added"] == 2
    first, second = stored(db)
    assert first["received_at"] == dt.datetime(2021, 7, 5, 9, 14, 22, tzinfo=UTC)
    assert (first["anonymous"], second["anonymous"]) == (False, True)


def test_a_hand_made_spreadsheet_with_a_merged_title_row(db, call_config):
    rows = [
        ["Call for evidence 2021: responses", None, None, None, None, None, None],
        ["Ref", "Title", "Summary", "Theme(s)", "Org", "Contact", "Anon?"],
        ["CFE-0101", "Contextual safeguarding in parks", "Maps where children are exploited.", "sources_of_harm",
         "Northbridge Children's Services", "Priya Demo-Dhillon", "N"],
        ["CFE-0102", "Advocacy for young people in care", "Advocates.", "Support; Sources of harm", "", "", "Y"],
    ]  # fmt: skip
    content = xlsx_workbook(rows, merges=["A1:G1"])
    table, mapping = proposed(content, "office.xlsx", call_config)
    assert (table.header_row, table.header_unsure) == (2, False)
    assert mapping.columns == {
        "reference": "Ref",
        "title": "Title",
        "summary": "Summary",
        "themes": "Theme(s)",
        "organisation": "Org",
        "contact_name": "Contact",
        "anonymous": "Anon?",
    }
    assert imported(db, content, "office.xlsx", call_config).counts["added"] == 2
    first, second = stored(db)
    assert (first["anonymous"], second["anonymous"]) == (False, True)
    assert sorted(second["themes"]) == ["sources_of_harm", "support_responses"]
