"""The source key, pure (importing.source_key): which column is guessed as a form's response ID,
and the key in mapping files."""

import json

import pytest

from importing import read_table
from importing.mapping import ColumnMapping, propose_mapping
from importing.mapping_file import MappingFileError, dump_mapping, load_mapping
from importing.source_key import guess_key, looks_like_key_header
from tests.support.spreadsheets import csv_bytes

LIMIT = 10**6


def table(headers, rows):
    return read_table(csv_bytes(headers, rows), "f.csv", max_bytes=LIMIT)


@pytest.mark.parametrize(
    "header", ["Response ID", "ID", "Submission ID", "Respondent ID", "response_id", "Entry Id", "Token"]
)
def test_headers_of_form_tools_name_a_response_id(header):
    assert looks_like_key_header(header)


@pytest.mark.parametrize("header", ["Title", "#", "", "Identity", "Collector ID", "Idea"])
def test_other_headers_do_not(header):
    assert not looks_like_key_header(header)


def test_a_response_id_is_guessed_only_when_its_values_are_all_filled_and_different():
    assert guess_key(table(["Title", "Response ID"], [["a", "R_1"], ["b", "R_2"]])) == "Response ID"
    assert guess_key(table(["Title", "Response ID"], [["a", "R_1"], ["b", "R_1"]])) is None  # twice
    assert guess_key(table(["Title", "Response ID"], [["a", "R_1"], ["b", ""]])) is None  # one empty
    assert guess_key(table(["Title", "Code"], [["a", "R_1"], ["b", "R_2"]])) is None  # the header does not say


def test_the_guessed_key_is_proposed_with_the_mapping_and_not_as_the_reference(call_config):
    export = table(["Response ID", "Title"], [["CFE-1", "A"], ["CFE-2", "B"]])  # values that look like references
    mapping = propose_mapping(export, call_config)
    assert mapping.key == "Response ID" and "reference" not in mapping.columns


def test_a_mapping_file_keeps_the_key_and_checks_it(call_config):
    mapping = ColumnMapping({"title": "Title"}, {}, "Response ID")
    text = dump_mapping(mapping)
    assert json.loads(text)["key"] == "Response ID"
    assert load_mapping(text.encode(), call_config, headers=["Title", "Response ID"]) == mapping
    with pytest.raises(MappingFileError) as refused:
        load_mapping(text.encode(), call_config, headers=["Title"])
    assert refused.value.problems == ["the key column \u201cResponse ID\u201d is not in this file."]
    bad = json.dumps({"format": "evidence-review import mapping", "version": 1, "key": 7, "columns": {}})
    with pytest.raises(MappingFileError) as refused:
        load_mapping(bad.encode(), call_config)
    assert "must be the header of the key column" in refused.value.problems[0]
