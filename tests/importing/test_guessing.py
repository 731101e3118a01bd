"""Guessing a mapping as a person would, on the exports of common form tools
(built here in code): a filled column over an empty one, each column's
content as well as its header, yes/no questions by what they ask, both
answers of a yes/no question, a confidence for each guess, and value
suggestions sure enough to pre-select."""

import pytest

from importing import build_plan, propose_mapping, read_table, unmatched_values
from importing.mapping import CHECK, HIGH, LOW, accept_suggestions, propose
from tests.support.spreadsheets import csv_bytes

LONG = "What it is, what it does and what it found, over several sentences. " * 3

# Google Forms: "Timestamp", the form's own "Email address", then the questions as asked.
GOOGLE_HEADERS = [
    "Timestamp",
    "Email address",
    "Name",  # left over from an earlier version of the form: empty
    "Your full name",
    "Name of your organisation",
    "Title of your evidence",
    "Summary of the evidence",
    "Which theme(s) does it address?",
    "Should we keep your identity confidential?",
    "Would you be willing to present your evidence at the event?",
]
GOOGLE_ROWS = [
    ["05/07/2021 09:14:22", "priya@north.example", "", "Priya Dhillon", "Northbridge Children's Trust", "Parks at night",
     LONG, "Sources of harm", "No", "Yes"],
    ["06/07/2021 10:01:00", "rhys@penn.example", "", "Rhys Evans", "Pennmawr Youth Trust", "Advocates in care",
     LONG, "Support", "No", "No"],
    ["07/07/2021 11:30:00", "ann@castle.example", "", "Ann Lee-Smith", "Castlewick Council", "Survivor voice",
     LONG, "Support; Sources of harm", "Yes", "No"],
    ["08/07/2021 12:45:00", "sam@ward.example", "", "Sam O'Neill", "Ward Street Project", "Lines of sight",
     LONG, "Sources of harm", "No", "No"],
]  # fmt: skip

# Microsoft Forms: ID, start and completion times, the respondent's Email and Name ("anonymous", empty).
MICROSOFT_HEADERS = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Your name",
    "Your email address",
    "Organisation",
    "Title of the evidence",
    "Describe the evidence",
    "Theme",
    "Do you want your submission to be anonymous?",
    "Are you available to speak at the conference?",
]
MICROSOFT_ROWS = [
    ["1", "2021-07-05 09:10:02", "2021-07-05 09:14:22", "anonymous", "", "Priya Dhillon", "priya@north.example",
     "Northbridge Trust", "Parks at night", LONG, "Sources of harm", "No", "Yes"],
    ["2", "2021-07-06 09:10:02", "2021-07-06 09:14:22", "anonymous", "", "Rhys Evans", "rhys@penn.example",
     "Pennmawr Trust", "Advocates in care", LONG, "Support", "Yes", "No"],
    ["3", "2021-07-07 09:10:02", "2021-07-07 09:14:22", "anonymous", "", "Ann Lee", "ann@castle.example",
     "Castlewick Council", "Survivor voice", LONG, "Support", "No", "No"],
]  # fmt: skip

# Typeform / Jotform: every header a whole question; answers in sentences; a response token.
TYPEFORM_HEADERS = [
    "#",
    "What's your full name?",
    "What's your email address?",
    "Which organisation are you with?",
    "Give your evidence a title",
    "Tell us about it: what it is, what it does, what it found",
    "Which themes does it address?",
    "May we publish your name with your evidence?",
    "Would you be happy to talk about your work at our online event?",
    "Submit Date (UTC)",
    "Network ID",
]
TYPEFORM_ROWS = [
    ["k2j3h4g5a1", "Priya Dhillon", "priya@north.example", "Northbridge Children's Trust", "Parks at night", LONG,
     "Sources of harm", "Yes, please keep me anonymous", "No", "2021-07-05 09:14:22", "ab12cd"],
    ["z9y8x7w6b2", "Rhys Evans", "rhys@penn.example", "Pennmawr Youth Trust", "Advocates in care", LONG,
     "Support", "No, you may name us", "Yes, online", "2021-07-06 10:00:00", "ef34gh"],
    ["q1w2e3r4c3", "Ann Lee", "ann@castle.example", "Castlewick Council", "Survivor voice", LONG,
     "Support; Sources of harm", "No, you may name us", "No thank you", "2021-07-07 11:00:00", "ij56kl"],
]  # fmt: skip


def table_of(headers, rows):
    return read_table(csv_bytes(headers, rows), "f.csv", max_bytes=10**7)


def test_google_forms_export_is_guessed_as_a_person_would(call_config):
    proposal = propose(table_of(GOOGLE_HEADERS, GOOGLE_ROWS), call_config)
    assert proposal.mapping.columns == {
        "title": "Title of your evidence",
        "summary": "Summary of the evidence",
        "themes": "Which theme(s) does it address?",
        "received_at": "Timestamp",
        "organisation": "Name of your organisation",
        "contact_name": "Your full name",  # filled, not the empty "Name" beside it
        "contact_email": "Email address",
        "anonymous": "Should we keep your identity confidential?",
        "presentation_preference": "Would you be willing to present your evidence at the event?",
    }
    assert "Name" not in proposal.guesses
    guess = proposal.guesses["Your full name"]
    assert (guess.confidence, guess.reason) == (HIGH, "the header names it and the cells look like it")
    assert proposal.guesses["Should we keep your identity confidential?"].reason == "a yes/no question about anonymity"


def test_microsoft_forms_export_skips_the_respondent_columns_it_leaves_empty(call_config):
    mapping = propose_mapping(table_of(MICROSOFT_HEADERS, MICROSOFT_ROWS), call_config)
    assert mapping.columns["contact_name"] == "Your name"
    assert mapping.columns["contact_email"] == "Your email address"  # not "Email", which says "anonymous"
    assert mapping.columns["received_at"] == "Completion time"
    assert mapping.columns["anonymous"] == "Do you want your submission to be anonymous?"
    assert mapping.columns["presentation_preference"] == "Are you available to speak at the conference?"
    assert not {"Email", "Name", "ID"} & set(mapping.columns.values())


def test_typeform_export_and_its_sentence_answers(call_config):
    table = table_of(TYPEFORM_HEADERS, TYPEFORM_ROWS)
    mapping = propose_mapping(table, call_config)
    assert mapping.columns == {
        "title": "Give your evidence a title",
        "summary": "Tell us about it: what it is, what it does, what it found",
        "themes": "Which themes does it address?",
        "received_at": "Submit Date (UTC)",
        "organisation": "Which organisation are you with?",
        "contact_name": "What's your full name?",
        "contact_email": "What's your email address?",
        "anonymous": "May we publish your name with your evidence?",
        "presentation_preference": "Would you be happy to talk about your work at our online event?",
    }
    unmatched = unmatched_values(table, mapping, call_config)
    assert {(u.field, u.value, u.confident) for u in unmatched} == {
        ("anonymous", "Yes, please keep me anonymous", "yes"),
        ("anonymous", "No, you may name us", "no"),
        ("presentation_preference", "Yes, online", "virtual"),  # the answer names how
        ("presentation_preference", "No thank you", "not_available"),
    }


@pytest.mark.parametrize(
    ("header", "field", "confidence"),
    [
        ("Should we keep your identity confidential?", "anonymous", HIGH),
        ("Do you wish to remain anonymous?", "anonymous", HIGH),
        # Its Yes means "name us": read the other way (issue 19), which a person checks.
        ("Can we use your organisation's name in our report?", "anonymous", CHECK),
        ("Would you be willing to present your evidence?", "presentation_preference", HIGH),
        ("Are you happy to speak about your work at our event?", "presentation_preference", HIGH),
        ("Could you give a presentation at the webinar?", "presentation_preference", HIGH),
    ],
)
def test_a_yes_no_question_goes_to_the_field_it_asks_about(call_config, header, field, confidence):
    # More "No" than "Yes": "No" is a synonym of a presenting code, which once pulled anonymity questions there.
    rows = [[f"Title {i}", LONG, "Support", answer] for i, answer in enumerate(["No", "No", "No", "Yes"])]
    proposal = propose(table_of(["Title", "Summary", "Themes", header], rows), call_config)
    assert proposal.mapping.columns[field] == header
    assert proposal.guesses[header].confidence == confidence
    other = {"anonymous": "presentation_preference", "presentation_preference": "anonymous"}[field]
    assert other not in proposal.mapping.columns


def test_both_questions_side_by_side_are_neither_swapped_nor_left_out(call_config):
    headers = ["Title", "Summary", "Themes", "Would you like to present at the event?", "Keep us anonymous?"]
    rows = [[f"T{i}", LONG, "Support", a, b] for i, (a, b) in enumerate([("No", "Yes"), ("Yes", "No"), ("No", "No")])]
    mapping = propose_mapping(table_of(headers, rows), call_config)
    assert mapping.columns["presentation_preference"] == "Would you like to present at the event?"
    assert mapping.columns["anonymous"] == "Keep us anonymous?"


def test_both_answers_of_a_yes_no_question_are_mapped_once_suggestions_are_accepted(call_config):
    table = table_of(GOOGLE_HEADERS, GOOGLE_ROWS)
    mapping = propose_mapping(table, call_config)
    unmatched = unmatched_values(table, mapping, call_config)
    assert [(u.field, u.value, u.confident) for u in unmatched] == [("presentation_preference", "Yes", "either")]
    assert [u.value for u in accept_suggestions(mapping, unmatched)] == ["Yes"]
    plan = build_plan(table, mapping=mapping, config=call_config)
    assert plan.ok, plan.problems
    stored = [(r.data.presentation_preference, r.data.anonymous) for r in plan.rows]
    assert stored == [("either", False), ("not_available", False), ("not_available", True), ("not_available", False)]


def test_the_typeform_answers_in_sentences_import_as_their_yes_or_no(call_config):
    table = table_of(TYPEFORM_HEADERS, TYPEFORM_ROWS)
    mapping = propose_mapping(table, call_config)
    accept_suggestions(mapping, unmatched_values(table, mapping, call_config))
    plan = build_plan(table, mapping=mapping, config=call_config)
    assert plan.ok, plan.problems
    assert [(r.data.anonymous, r.data.presentation_preference) for r in plan.rows] == [
        (True, "not_available"),
        (False, "virtual"),
        (False, "not_available"),
    ]


def test_an_empty_column_is_proposed_only_without_a_filled_rival_and_then_as_low(call_config):
    rows = [["T1", LONG, "Support", ""], ["T2", LONG, "Support", ""]]
    proposal = propose(table_of(["Title", "Summary", "Themes", "Name"], rows), call_config)
    assert proposal.mapping.columns["contact_name"] == "Name"
    assert (proposal.guesses["Name"].confidence, proposal.guesses["Name"].reason) == (
        LOW,
        "the header names it, but the column is empty",
    )


def test_content_alone_finds_names_and_organisations_to_be_checked(call_config):
    rows = [
        ["Priya Dhillon", "Northbridge Children's Trust", "T1"],
        ["Rhys Evans", "Pennmawr Youth Trust", "T2"],
        ["Ann Lee-Smith", "Castlewick Council", "T3"],
    ]
    proposal = propose(table_of(["Q1", "Q2", "Title"], rows), call_config)
    assert proposal.mapping.columns["contact_name"] == "Q1"
    assert proposal.mapping.columns["organisation"] == "Q2"
    assert proposal.guesses["Q1"].confidence == CHECK
    assert proposal.guesses["Q1"].reason == "the cells look like it; the header does not say"


def test_a_header_whose_cells_disagree_is_to_be_checked(call_config):
    rows = [["T1", LONG, "Support", "not given"], ["T2", LONG, "Support", "ask the office"]]
    proposal = propose(table_of(["Title", "Summary", "Themes", "Contact e-mail"], rows), call_config)
    assert proposal.guesses["Contact e-mail"].confidence == CHECK
    assert proposal.guesses["Contact e-mail"].reason == "the header names it, but the cells do not look like it"


def test_only_a_clear_suggestion_is_confident(call_config):
    headers = ["Title", "Summary", "Themes", "Nation"]
    rows = [
        ["T1", LONG, "Responses to the sources of harm to children", "Englnd"],
        ["T2", LONG, "Support", "Somewhere"],
    ]
    table = table_of(headers, rows)
    mapping = propose_mapping(table, call_config)
    by_value = {u.value: u for u in unmatched_values(table, mapping, call_config)}
    assert by_value["Responses to the sources of harm to children"].confident == "sources_of_harm"
    assert by_value["Englnd"].confident == "england"
    assert by_value["Somewhere"].confident is None  # unsure: left for the coordinator
    accepted = accept_suggestions(mapping, list(by_value.values()))
    assert sorted(u.value for u in accepted) == ["Englnd", "Responses to the sources of harm to children"]
    assert mapping.values == {
        "themes": {"Responses to the sources of harm to children": "sources_of_harm"},
        "nation": {"Englnd": "england"},
    }


def test_accepting_suggestions_keeps_a_persons_own_choice(call_config):
    table = table_of(["Title", "Summary", "Themes", "Nation"], [["T1", LONG, "Support", "Englnd"]])
    mapping = propose_mapping(table, call_config)
    mapping.values["nation"] = {"englnd": "wales"}
    unmatched = unmatched_values(table, mapping, call_config)
    assert accept_suggestions(mapping, unmatched) == []
    assert mapping.values == {"nation": {"englnd": "wales"}}


@pytest.mark.parametrize(
    ("header", "inverted"),
    [
        ("Can we publish your name?", True),
        ("May we credit your organisation in the report?", True),
        ("Can we use your organisation's name in our report?", True),
        ("Do you want us to keep your name out of the report?", False),
        ("Do you wish to remain anonymous?", False),
    ],
)
def test_a_question_asking_to_name_the_contributor_reads_its_plain_answers_the_other_way(call_config, header, inverted):
    rows = [[f"Title {i}", LONG, "Support", answer] for i, answer in enumerate(["Yes", "No", "yes"])]
    proposal = propose(table_of(["Title", "Summary", "Themes", header], rows), call_config)
    assert proposal.mapping.columns["anonymous"] == header
    expected = {"anonymous": {"No": "yes", "Yes": "no", "yes": "no"}} if inverted else {}
    assert proposal.mapping.values == expected
