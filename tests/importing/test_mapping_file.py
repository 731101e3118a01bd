"""A mapping as a file: JSON that round-trips, checked whole when read."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from config import load_call_config
from importing import FIELD_NAMES, VALUE_MAPPED_FIELDS, ColumnMapping
from importing.mapping_file import FORMAT, MappingFileError, dump_mapping, load_mapping

CONFIG = load_call_config()
TEXT = st.text(min_size=1, max_size=40).filter(str.strip)


@st.composite
def mappings(draw):
    fields = draw(st.lists(st.sampled_from(FIELD_NAMES), unique=True, max_size=len(FIELD_NAMES)))
    headers = draw(st.lists(TEXT, unique=True, min_size=len(fields), max_size=len(fields)))
    columns = dict(zip(fields, headers, strict=True))
    values = {}
    for name in (f for f in fields if f in VALUE_MAPPED_FIELDS):
        codes = ["yes", "no"] if name == "anonymous" else CONFIG.vocabulary(name).ids
        mapped = draw(st.dictionaries(TEXT, st.sampled_from([*codes, ""]), max_size=4))
        if mapped:
            values[name] = mapped
    return ColumnMapping({f: columns[f] for f in FIELD_NAMES if f in columns}, values)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mapping=mappings(), name=st.none() | TEXT)
def test_a_mapping_file_round_trips(mapping, name):
    text = dump_mapping(mapping, name=name)
    again = load_mapping(text.encode("utf-8"), CONFIG, headers=list(mapping.columns.values()))
    assert again.columns == mapping.columns
    assert again.values == mapping.values
    assert json.loads(text).get("name") == name


def test_the_file_is_readable_and_control_characters_are_inert():
    mapping = ColumnMapping({"title": "Title\u202e\x1b[31m", "nation": "Where?"}, {"nation": {"Cymru\x9b": "wales"}})
    text = dump_mapping(mapping, name="Online form")
    assert text.startswith('{\n  "format": "evidence-review import mapping",\n  "version": 1,\n')
    assert "\u202e" not in text and "\x1b" not in text and "\x9b" not in text
    assert "\\u202e" in text and "\\u001b" in text and "\\u009b" in text
    assert load_mapping(text.encode(), CONFIG).columns["title"] == "Title\u202e\x1b[31m"


def problems_of(data, headers=None):
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    with pytest.raises(MappingFileError) as caught:
        load_mapping(content, CONFIG, source="m.json", headers=headers)
    return caught.value.problems


def test_every_problem_is_listed_at_once():
    problems = problems_of(
        {
            "format": FORMAT,
            "version": 2,
            "extra": 1,
            "columns": {"title": "T", "summary": "T", "colour": "C", "nation": "", "themes": "Gone"},
            "values": {"nation": {"x": "wales"}, "themes": {"a": "no_such_theme"}, "notes": {"a": "b"}, "z": {}},
        },
        headers=["T", "C"],
    )
    assert problems == [
        "version “2” is not known: this app reads version 1.",
        "unknown key “extra”: the keys are format, version, name, key, columns, values.",
        "the column “T” is given for both Title and Summary.",
        "“colour” is not a template field (the fields: " + ", ".join(FIELD_NAMES) + ").",
        "the column for Nation (nation) must be a header, as text.",
        "the column “Gone” (for Themes) is not in this file.",
        "values are given for Nation (nation), but no column is chosen for it.",
        "“no_such_theme” (for “a”) is not a code of Themes: give one of "
        + ", ".join(CONFIG.vocabulary("themes").ids)
        + ', or "" to leave the value out.',
        "Notes (notes) takes no value mappings: only coded fields and anonymous do.",
        "“z” is not a template field (the fields: " + ", ".join(FIELD_NAMES) + ").",
    ]


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe{", "it is not UTF-8 text (a mapping file is JSON)."),
        (b"[1, 2]", "it must be one JSON object, { ... }."),
        (b'{"format": "x", "format": "y"}', "the key “format” is given twice."),
        (b'{"columns": {"title": "T"}}', 'its "format" must be "evidence-review import mapping".'),
        (b"{\n  nope\n}", "it is not JSON: Expecting property name enclosed in double quotes at line 2, column 3."),
        (b" " * 1_000_001, "it is larger than 1 MB: a mapping is a few lines."),
    ],
)
def test_a_file_that_is_no_mapping_says_why(content, problem):
    assert problems_of(content) == [problem]


def test_anonymous_values_are_yes_or_no():
    data = {"format": FORMAT, "columns": {"anonymous": "A"}, "values": {"anonymous": {"Oui": "yes", "Non": "nah"}}}
    assert problems_of(data) == [
        '“nah” (for “Non”) is not a code of Anonymous: give one of yes, no, or "" to leave the value out.'
    ]
