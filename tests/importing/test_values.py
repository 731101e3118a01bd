"""Reading cells: dates, yes/no, several values in one cell, codes by id,
label or synonym, suggestions for values that name nothing."""

import datetime as dt

import pytest

from importing.values import (
    LEAVE_OUT,
    CodeResolver,
    ValueProblem,
    parse_date,
    parse_yes_no,
    split_links,
)

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2021-07-05", dt.datetime(2021, 7, 5, tzinfo=UTC)),
        ("2021-07-05T09:30", dt.datetime(2021, 7, 5, 9, 30, tzinfo=UTC)),
        ("2021-07-05 09:30:15", dt.datetime(2021, 7, 5, 9, 30, 15, tzinfo=UTC)),
        ("2021-07-05T09:30:00+01:00", dt.datetime(2021, 7, 5, 8, 30, tzinfo=UTC)),
        ("2021-07-05T09:30:00Z", dt.datetime(2021, 7, 5, 9, 30, tzinfo=UTC)),
        ("05/07/2021", dt.datetime(2021, 7, 5, tzinfo=UTC)),
        ("5/7/2021 14:30", dt.datetime(2021, 7, 5, 14, 30, tzinfo=UTC)),
        ("05/07/2021 09:14:22", dt.datetime(2021, 7, 5, 9, 14, 22, tzinfo=UTC)),
        ("05/07/2021 2:30 pm", dt.datetime(2021, 7, 5, 14, 30, tzinfo=UTC)),
        ("05/07/21", dt.datetime(2021, 7, 5, tzinfo=UTC)),  # a two-digit year is 20yy
        ("  ", None),
    ],
)
def test_dates_iso_and_uk_style(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    "text",
    ["31/02/2021", "07-2021", "next Tuesday", "13/13/2021", "01/01/0021", "Jul 32, 2021", "2021/07/05 9:14 GMT+15"],
)
def test_not_a_date_says_how_to_write_one(text):
    with pytest.raises(ValueProblem) as problem:
        parse_date(text)
    assert "2021-07-05" in problem.value.suggestion


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("yes", True),
        ("Y", True),
        ("TRUE", True),
        ("1", True),
        ("no", False),
        ("n", False),
        ("False", False),
        ("0", False),
        ("", None),
    ],
)
def test_yes_no(text, expected):
    assert parse_yes_no(text) is expected


def test_yes_no_accepts_mapped_values_and_refuses_others():
    assert parse_yes_no("Yes, keep my name private", {"yes keep my name private": "yes"}) is True
    with pytest.raises(ValueProblem, match="yes or no"):
        parse_yes_no("maybe")


def test_links_split_on_separators_without_breaking_urls():
    cell = "https://a.example/x?a=1,2; report final.pdf\nhttps://b.example/y, https://c.example/z;;"
    assert split_links(cell) == [
        "https://a.example/x?a=1,2",
        "report final.pdf",
        "https://b.example/y",
        "https://c.example/z",
    ]


@pytest.fixture
def themes(call_config):
    return CodeResolver(call_config.vocabulary("themes"))


@pytest.fixture
def sectors(call_config):
    return CodeResolver(call_config.vocabulary("sector"))


@pytest.mark.parametrize(
    ("cell", "codes"),
    [
        ("sources_of_harm", ["sources_of_harm"]),
        ("RESPONSES TO THE SOURCES OF HARM", ["sources_of_harm"]),
        ("theme 1; Theme 2;", ["sources_of_harm", "support_responses"]),
        ("Sources of harm, Support", ["sources_of_harm", "support_responses"]),
        ("support\n\nsources of harm\n", ["support_responses", "sources_of_harm"]),
        # A label with commas in it is still one value, beside another.
        (
            "Responses supporting individuals, families and groups affected by harm, Sources of harm",
            ["support_responses", "sources_of_harm"],
        ),
        ("theme 1; sources of harm", ["sources_of_harm"]),  # two names of one code: once
        (" ; , ;", []),
    ],
)
def test_several_values_in_one_cell(themes, cell, codes):
    assert themes.many(cell) == (codes, [])


def test_unknown_values_are_returned_whole_for_mapping(themes):
    codes, unknown = themes.many("Responses to the sources of harm to children; Theme 2;")
    assert codes == ["support_responses"]
    assert unknown == ["Responses to the sources of harm to children"]
    codes, unknown = themes.many("Sources of harm, something else, and more")
    assert codes == ["sources_of_harm"]
    assert unknown == ["something else, and more"]


def test_single_value_with_a_comma_in_its_label(sectors):
    assert sectors.one("Local authority, other services") == ("local_authority", None)
    assert sectors.one("local authority, other services ") == ("local_authority", None)
    assert sectors.one("Fire service") == (None, "Fire service")
    assert sectors.one("  ") == (None, None)


def test_suggestions_put_the_closest_code_first(call_config, themes):
    assert themes.suggest("Responses to the sources of harm to children")[0] == "sources_of_harm"
    exploitation = CodeResolver(call_config.vocabulary("exploitation_types"))
    assert exploitation.suggest("Forced labur")[0] == "forced_labour"
    assert exploitation.did_you_mean("Sexual exploitaton") == "Did you mean “Sexual exploitation”?"
    assert exploitation.suggest("zzzz qqqq") == []


def test_value_mappings_override_and_can_leave_a_value_out(call_config):
    resolver = CodeResolver(
        call_config.vocabulary("themes"),
        {"Responses to the sources of harm to children": "sources_of_harm", "Prefer not to say": LEAVE_OUT},
    )
    assert resolver.many("responses to the sources of harm to children; prefer not to say") == (
        ["sources_of_harm"],
        [],
    )
    assert resolver.one("Prefer not to say") == (None, None)


# The date and time formats of form tools' exports (docs/importing.md, "Dates").
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Google Forms' CSV download: year first, 12-hour time, the form's zone (GMT+1 is British Summer Time).
        ("2021/07/05 9:14:22 AM GMT+1", dt.datetime(2021, 7, 5, 8, 14, 22, tzinfo=UTC)),
        ("2021/07/05 9:14:22 PM GMT", dt.datetime(2021, 7, 5, 21, 14, 22, tzinfo=UTC)),
        ("2021/07/05 12:05:00 AM GMT-05:00", dt.datetime(2021, 7, 5, 5, 5, tzinfo=UTC)),
        # Microsoft Forms: short year, no seconds' zone. Ambiguous, so day first (the rule): 7 May.
        ("7/5/21 9:14:22", dt.datetime(2021, 5, 7, 9, 14, 22, tzinfo=UTC)),
        ("5/7/21 9:14:22", dt.datetime(2021, 7, 5, 9, 14, 22, tzinfo=UTC)),
        # SurveyMonkey: 12-hour time with seconds; ambiguous, so day first.
        ("07/05/2021 09:14:22 AM", dt.datetime(2021, 5, 7, 9, 14, 22, tzinfo=UTC)),
        ("05/07/2021 09:14:22 PM", dt.datetime(2021, 7, 5, 21, 14, 22, tzinfo=UTC)),
        # Typeform: ISO 8601 in UTC.
        ("2021-07-05T08:14:22Z", dt.datetime(2021, 7, 5, 8, 14, 22, tzinfo=UTC)),
        ("2021-07-05 9:14:22 PM", dt.datetime(2021, 7, 5, 21, 14, 22, tzinfo=UTC)),
        # JotForm and people: the month in words.
        ("Jul 5, 2021", dt.datetime(2021, 7, 5, tzinfo=UTC)),
        ("July 5, 2021 3:04 PM", dt.datetime(2021, 7, 5, 15, 4, tzinfo=UTC)),
        ("5 July 2021", dt.datetime(2021, 7, 5, tzinfo=UTC)),
        ("Monday, 5th Sept. 2021", dt.datetime(2021, 9, 5, tzinfo=UTC)),
    ],
)
def test_form_tools_dates(text, expected):
    assert parse_date(text) == expected


def test_a_date_that_only_makes_sense_month_first_says_so_and_is_never_swapped():
    with pytest.raises(ValueProblem) as problem:
        parse_date("7/25/21 9:14:22")
    assert problem.value.problem == "There is no such date: there is no month 25."
    assert "day first" in problem.value.suggestion and "2021-07-05" in problem.value.suggestion


def test_an_impossible_day_is_not_read_month_first():
    with pytest.raises(ValueProblem, match=r"There is no such date or time\."):
        parse_date("32/07/2021")
