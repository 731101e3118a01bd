"""Proposing a mapping from headers and content, value mappings, saved mappings."""

import pytest

from importing import ColumnMapping, best_saved_mapping, propose_mapping, read_table, unmatched_values
from importing.mapping import header_score, saved_mapping_fit
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes, template_csv, valid_row


def table_of(headers, rows):
    return read_table(csv_bytes(headers, rows), "f.csv", max_bytes=10**7)


def test_form_export_is_mapped_by_header_and_content(call_config):
    mapping = propose_mapping(table_of(FORM_HEADERS, FORM_ROWS), call_config)
    assert mapping.columns == {
        "title": "Title of the evidence",
        "summary": "Please describe the evidence: what it is, what it does, what it found",
        "themes": "Which theme does your evidence address?",
        "received_at": "Timestamp",
        "organisation": "Name of your organisation",
        "contact_name": "Your name",
        "contact_email": "Email address",
        "anonymous": "Do you wish to remain anonymous?",
        "exploitation_types": "Forms of exploitation",
        "nation": "Where in the UK?",  # by content: England, Wales, UK-wide
        "presentation_preference": "Would you like to present at the conference?",
    }


def test_content_alone_finds_emails_and_themes(call_config):
    rows = [
        ["a@one.example", "Theme 1", "x", "Responses to the sources of harm"],
        ["b@two.example", "theme 2; theme 1", "y", "Support"],
        ["c@three.example", "Sources of harm", "z", "theme 2"],
    ]
    mapping = propose_mapping(table_of(["Q1", "Q2", "Q3", "Q4"], rows), call_config)
    assert mapping.columns["contact_email"] == "Q1"
    assert mapping.columns["themes"] in ("Q2", "Q4")
    assert "Q3" not in mapping.columns.values()


def test_numbers_are_not_taken_for_codes(call_config):
    rows = [["1", "2", "t"], ["2", "1", "u"], ["3", "2", "v"]]
    mapping = propose_mapping(table_of(["ID", "Score", "Title"], rows), call_config)
    assert mapping.columns == {"title": "Title"}


def test_template_headers_map_to_themselves(call_config):
    table = read_table(template_csv([valid_row()]), "t.csv", max_bytes=10**7)
    mapping = propose_mapping(table, call_config)
    assert mapping.columns == {h: h for h in table.headers}


@pytest.mark.parametrize(
    ("header", "field", "at_least"),
    [
        ("E-mail", "contact_email", 1.0),
        ("What is your email address?", "contact_email", 0.7),
        ("Organisaton", "organisation", 0.8),
        ("ORGANIZATION NAME", "organisation", 1.0),
    ],
)
def test_header_scores(header, field, at_least):
    assert header_score(header, field) >= at_least


def test_unmatched_values_with_counts_rows_and_suggestions(call_config):
    table = table_of(FORM_HEADERS, [*FORM_ROWS, FORM_ROWS[0]])
    mapping = propose_mapping(table, call_config)
    unmatched = unmatched_values(table, mapping, config=call_config)
    assert [(u.field, u.value, u.count, u.rows) for u in unmatched] == [
        ("themes", "Responses to the sources of harm to children", 2, (2, 5))
    ]
    assert unmatched[0].suggestions[0] == "sources_of_harm"
    mapping.values["themes"] = {"Responses to the sources of harm to children": "sources_of_harm"}
    assert unmatched_values(table, mapping, config=call_config) == []


def test_mapping_round_trips_as_json_and_drops_unknown_fields():
    mapping = ColumnMapping({"title": "T", "nonsense": "X"}, {"themes": {"a": "sources_of_harm"}, "title": {"b": "c"}})
    again = ColumnMapping.from_json(mapping.to_json())
    assert again.columns == {"title": "T"}
    assert again.values == {"themes": {"a": "sources_of_harm"}}


def test_a_saved_mapping_is_offered_when_all_its_columns_are_in_the_file(call_config):
    table = table_of(FORM_HEADERS, FORM_ROWS)
    form = propose_mapping(table, call_config)
    partial = ColumnMapping({"title": "Title of the evidence", "summary": "Gone", "themes": "Forms of exploitation"})
    no_required = ColumnMapping({"organisation": "Name of your organisation"})
    assert saved_mapping_fit(table, form) == 1.0
    assert saved_mapping_fit(table, no_required) == 0.0
    assert best_saved_mapping(table, {"form": form, "partial": partial, "other": no_required}) == "form"
    assert best_saved_mapping(table, {"partial": partial}) is None


def test_mapping_check_names_missing_and_doubled_columns():
    table = table_of(["A", "B"], [["x", "y"]])
    problems = ColumnMapping({"title": "A", "summary": "A", "themes": "Z"}).check(table)
    assert any("chosen for both Title and Summary" in p for p in problems)
    assert any("“Z”" in p and "not in this file" in p for p in problems)
