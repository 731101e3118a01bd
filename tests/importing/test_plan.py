"""The plan: every problem at once, what each row does, the re-import and
likely-duplicate rules, all on plain data."""

import dataclasses
import datetime as dt

import pytest

from importing import (
    ColumnMapping,
    ExistingSubmission,
    build_plan,
    problems_csv,
    propose_mapping,
    read_table,
)
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes, template_csv, valid_row


def plan_for(content, config, *, mapping=None, existing=(), name="f.csv", **kwargs):
    table = read_table(content, name, max_bytes=10**7)
    mapping = mapping or propose_mapping(table, config)
    return build_plan(table, mapping=mapping, config=config, existing=existing, **kwargs)


def stored(plan, first_id=1):
    """The plan's rows as the database would hold them afterwards."""
    out = []
    for i, r in enumerate(plan.rows):
        values = r.data.as_dict()
        reference = values.pop("reference")
        out.append(ExistingSubmission(r.submission_id or first_id + i, reference, 1, values))
    return out


def problems_of(plan):
    return [(p.row, p.column, p.value, p.problem) for p in plan.problems]


def test_valid_template_rows_are_added_with_every_field(call_config):
    row = valid_row(
        1,
        focus_areas="Perpetrators; contextual safeguarding",
        evidence_forms="guide; research",
        evidence_source="practitioner",
        sector="Local authority, other services",
        stage="pilot",
        reported_impact="harmful",
        presentation_preference="no preference",
        region="North West",
        links="https://a.example/1.pdf; report.docx",
        notes="Sent by email",
        received_at="05/07/2021 14:30",
    )
    plan = plan_for(template_csv([row]), call_config)
    assert plan.ok, plan.problems
    assert plan.counts["added"] == 1
    data = plan.rows[0].data
    assert data.reference == "CFE-0001"
    assert data.focus_areas == ["perpetrators", "contexts"]
    assert data.exploitation_types == ["forced_labour", "sexual_exploitation"]
    assert data.evidence_forms == ["guide_toolkit", "research_evaluation"]
    assert (data.sector, data.stage, data.reported_impact, data.presentation_preference) == (
        "local_authority",
        "early",
        "negative",
        "either",
    )
    assert data.links == ["https://a.example/1.pdf", "report.docx"]
    assert data.received_at == dt.datetime(2021, 7, 5, 14, 30, tzinfo=dt.UTC)
    assert data.anonymous is False


def test_formula_cells_are_kept_exactly_as_typed(call_config):
    plan = plan_for(
        template_csv([valid_row(1, title="=SUM(A1)", summary="+44 20 7946 0000", organisation="@cmd", region="-5")]),
        call_config,
    )
    data = plan.rows[0].data
    assert (data.title, data.summary, data.organisation, data.region) == ("=SUM(A1)", "+44 20 7946 0000", "@cmd", "-5")


@pytest.mark.parametrize(
    ("override", "column", "words"),
    [
        ({"contact_email": "not-an-email"}, "contact_email", "not an email address"),
        ({"contact_email": "a@" + "b" * 320 + ".org"}, "contact_email", "too long"),
        ({"themes": "Theme 3"}, "themes", "not one of the themes"),
        ({"nation": "Atlantis"}, "nation", "not one of the nation"),
        ({"title": ""}, "title", "A title is required"),
        ({"summary": "   "}, "summary", "A summary is required"),
        ({"themes": ""}, "themes", "At least one theme is required"),
        ({"anonymous": "perhaps"}, "anonymous", "Write yes or no"),
        ({"received_at": "yesterday"}, "received_at", "not a date"),
        ({"reference": "has spaces in it"}, "reference", "A reference has up to 64"),
        ({"organisation": "", "contact_name": ""}, "organisation", "Give an organisation or a contact name"),
    ],
)
def test_each_bad_value_is_one_problem_with_row_column_and_value(call_config, override, column, words):
    plan = plan_for(template_csv([valid_row(1), valid_row(2, **override)]), call_config)
    assert not plan.ok
    assert len(plan.problems) == 1, plan.problems
    problem = plan.problems[0]
    assert (problem.row, problem.column) == (3, column)
    assert words in problem.problem
    assert problem.value == override.get(column, "")[:299] + ("…" if len(override.get(column, "")) > 300 else "")


def test_unknown_code_suggests_the_closest(call_config):
    plan = plan_for(template_csv([valid_row(1, exploitation_types="Forced labur; cse")]), call_config)
    [problem] = plan.problems
    assert problem.value == "Forced labur"
    assert problem.suggestion.startswith("Did you mean “Forced labour”?")


def test_every_problem_is_listed_at_once(call_config):
    rows = [valid_row(n, contact_email="bad") for n in range(1, 6)] + [valid_row(6, themes="nope", nation="nowhere")]
    plan = plan_for(template_csv(rows), call_config)
    assert plan.counts["problems"] == 7
    assert plan.counts["rows_with_problems"] == 6
    assert plan.counts["added"] == 0 or not plan.ok


def test_missing_required_column_is_said_once_for_the_file(call_config):
    content = csv_bytes(["title", "summary", "organisation"], [["t", "s", "o"], ["u", "s", "o"]])
    plan = plan_for(content, call_config)
    assert problems_of(plan) == [
        (None, "Themes", "", "No column of the file is chosen for Themes, which every submission needs.")
    ]


def test_row_with_more_cells_than_the_header(call_config):
    content = b"title,summary,themes,organisation\r\nt,s,theme 1,o\r\nu,s,theme 1,o,Smith, Jane\r\n"
    plan = plan_for(content, call_config)
    [problem] = plan.problems
    assert problem.row == 3
    assert "2 filled cells beyond the last column" in problem.problem
    assert problem.value == "Smith;  Jane"


def test_two_rows_with_the_same_reference(call_config):
    plan = plan_for(template_csv([valid_row(1), valid_row(2), valid_row(3, reference="CFE-0001")]), call_config)
    assert [(p.row, p.value, p.problem) for p in plan.problems] == [
        (2, "CFE-0001", "The same reference is also used in row 4."),
        (4, "CFE-0001", "The same reference is also used in row 2."),
    ]


def test_value_mappings_fix_unknown_values(call_config):
    table = read_table(csv_bytes(FORM_HEADERS, FORM_ROWS), "form.csv", max_bytes=10**7)
    mapping = propose_mapping(table, call_config)
    assert not build_plan(table, mapping=mapping, config=call_config).ok
    mapping.values = {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}}
    plan = build_plan(table, mapping=mapping, config=call_config)
    assert plan.ok, plan.problems
    assert [r.data.themes for r in plan.rows] == [
        ["sources_of_harm"],
        ["support_responses"],
        ["sources_of_harm", "support_responses"],
    ]
    assert [r.data.anonymous for r in plan.rows] == [False, False, True]
    assert plan.rows[2].data.title == '=HYPERLINK("http://evil.example","Click")'


def test_blank_rows_are_counted_not_reported(call_config):
    content = template_csv([valid_row(1), {}, valid_row(2)])
    plan = plan_for(content, call_config)
    assert plan.ok
    assert (plan.counts["added"], plan.counts["skipped_blank"]) == (2, 1)


def test_generated_references_follow_the_highest_in_use(call_config):
    existing = [ExistingSubmission(9, "CFE-0041", 1, {"title": "x", "summary": "y", "themes": ["sources_of_harm"]})]
    rows = [valid_row(1, reference=""), valid_row(2, reference="CFE-0050"), valid_row(3, reference="")]
    plan = plan_for(template_csv(rows), call_config, existing=existing)
    assert [r.data.reference for r in plan.rows] == ["CFE-0051", "CFE-0050", "CFE-0052"]


def test_the_same_file_again_changes_nothing_with_or_without_references(call_config):
    for rows in ([valid_row(1), valid_row(2)], [valid_row(1, reference=""), valid_row(2, reference="")]):
        content = template_csv(rows)
        first = plan_for(content, call_config)
        again = plan_for(content, call_config, existing=stored(first))
        assert again.ok
        assert (again.counts["added"], again.counts["updated"], again.counts["unchanged"]) == (0, 0, 2)
        assert again.duplicates == []


def test_an_edited_file_updates_by_reference_field_by_field(call_config):
    first = plan_for(template_csv([valid_row(1), valid_row(2)]), call_config)
    edited = template_csv(
        [
            valid_row(1, summary="A new summary.", themes="theme 1; theme 2", nation="Wales"),
            valid_row(2),
            valid_row(3),
        ]
    )
    plan = plan_for(edited, call_config, existing=stored(first))
    assert plan.ok
    assert (plan.counts["added"], plan.counts["updated"], plan.counts["unchanged"]) == (1, 1, 1)
    [update] = plan.rows_with("update")
    assert update.data.reference == "CFE-0001"
    assert (update.submission_id, update.expected_version) == (1, 1)
    assert update.changes == {
        "summary": ("What project 1 is, does and found.", "A new summary."),
        "themes": (["sources_of_harm"], ["sources_of_harm", "support_responses"]),
        "nation": ("england", "wales"),
    }


def test_columns_the_file_lacks_keep_their_stored_values(call_config):
    first = plan_for(template_csv([valid_row(1, notes="Keep me", region="Glasgow")]), call_config)
    content = csv_bytes(["reference", "title", "summary", "themes"], [["CFE-0001", "Evidence number 1", "New", "1"]])
    plan = plan_for(content, call_config, existing=stored(first))
    [update] = plan.rows
    assert update.changes == {"summary": ("What project 1 is, does and found.", "New")}
    assert (update.data.notes, update.data.region, update.data.organisation) == ("Keep me", "Glasgow", "Organisation 1")


def test_code_order_alone_is_not_a_change(call_config):
    first = plan_for(template_csv([valid_row(1, exploitation_types="forced labour; cse")]), call_config)
    plan = plan_for(
        template_csv([valid_row(1, exploitation_types="cse; forced labour")]), call_config, existing=stored(first)
    )
    assert plan.counts["unchanged"] == 1


def test_purged_contact_details_are_not_restored(call_config):
    first = plan_for(template_csv([valid_row(1, anonymous="yes")]), call_config)
    [existing] = stored(first)
    values = dict(existing.values, organisation=None, contact_name=None, contact_email=None)
    purged = dataclasses.replace(existing, values=values, contact_purged=True)
    plan = plan_for(template_csv([valid_row(1, anonymous="yes")]), call_config, existing=[purged])
    assert plan.ok
    assert plan.counts["unchanged"] == 1
    assert {w.column for w in plan.warnings} == {"organisation", "contact_name", "contact_email"}


@pytest.mark.parametrize(
    ("new", "reason"),
    [
        (
            {
                "title": "  EVIDENCE   number 1 ",
                "organisation": "organisation 1",
                "contact_name": "x",
                "contact_email": "",
            },
            "same title and organisation",
        ),
        (
            {
                "title": "Evidence Number 1",
                "organisation": "Elsewhere",
                "contact_name": "CONTACT 1",
                "contact_email": "",
            },
            "same contact and title",
        ),
        (
            {
                "title": "evidence number 1",
                "organisation": "Elsewhere",
                "contact_name": "",
                "contact_email": "contact1@example.org",
            },
            "same contact and title",
        ),
    ],
)
def test_likely_duplicates_of_stored_submissions(call_config, new, reason):
    first = plan_for(template_csv([valid_row(1)]), call_config)
    plan = plan_for(template_csv([valid_row(2, **new)]), call_config, existing=stored(first, first_id=7))
    assert plan.ok
    [match] = plan.duplicates
    assert (match.row, match.other_reference, match.other_submission_id, match.reason) == (2, "CFE-0001", 7, reason)
    assert plan.counts["likely_duplicates"] == 1


def test_likely_duplicates_within_the_file(call_config):
    rows = [valid_row(1), valid_row(2, title="Evidence number 1", organisation="ORGANISATION 1"), valid_row(3)]
    plan = plan_for(template_csv(rows), call_config)
    [match] = plan.duplicates
    assert (match.row, match.other_row, match.other_reference) == (3, 2, "CFE-0001")
    assert match.reason == "same title and organisation"


def test_different_titles_are_not_duplicates_and_flagged_pairs_are_not_flagged_again(call_config):
    first = plan_for(template_csv([valid_row(1), valid_row(2)]), call_config)
    existing = stored(first)
    # Row 2 now takes row 1's title: a likely duplicate of CFE-0001...
    edited = template_csv([valid_row(1), valid_row(2, title="Evidence number 1", organisation="Organisation 1")])
    assert len(plan_for(edited, call_config, existing=existing).duplicates) == 1
    # ...unless a person has already decided on that pair.
    again = plan_for(edited, call_config, existing=existing, existing_flag_pairs=[frozenset((1, 2))])
    assert again.duplicates == []
    assert plan_for(template_csv([valid_row(3)]), call_config, existing=existing).duplicates == []


def test_problem_table_downloads_as_csv_with_formulas_neutralised(call_config):
    plan = plan_for(template_csv([valid_row(1, contact_email="=cmd|' /C calc'!A0")]), call_config)
    text = problems_csv(plan.problems).decode("utf-8-sig")
    assert text.splitlines()[0] == "row,column,value,problem,suggestion"
    assert "2,contact_email,'=cmd|' /C calc'!A0,This is not an email address.," in text


def test_fingerprint_changes_when_the_stored_data_does(call_config):
    content = template_csv([valid_row(1)])
    first = plan_for(content, call_config)
    assert plan_for(content, call_config).fingerprint == first.fingerprint
    assert plan_for(content, call_config, existing=stored(first)).fingerprint != first.fingerprint


def test_progress_is_reported(call_config):
    seen = []
    plan_for(template_csv([valid_row(n) for n in range(1, 1200)]), call_config, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) >= 4


def test_a_mapping_naming_a_column_the_file_lacks(call_config):
    table = read_table(template_csv([valid_row(1)]), "t.csv", max_bytes=10**7)
    mapping = ColumnMapping({**propose_mapping(table, call_config).columns, "notes": "Office notes"})
    plan = build_plan(table, mapping=mapping, config=call_config)
    assert [p.problem for p in plan.problems] == ["The column “Office notes” chosen for Notes is not in this file."]


# --- messages: each row's root fault first; a rule on several fields after them, or not at all -------------


def test_a_rule_on_several_fields_is_not_reported_when_one_of_them_has_its_own_fault(call_config):
    # "perhaps" cannot be read as yes or no, so the row is not known to be anonymous: that fault explains
    # the missing organisation and contact name, and is the only one shown.
    row = valid_row(2, organisation="", contact_name="", anonymous="perhaps")
    plan = plan_for(template_csv([valid_row(1), row]), call_config)
    assert [(p.row, p.column) for p in plan.problems] == [(3, "anonymous")], problems_of(plan)
    assert "Write yes or no" in plan.problems[0].problem


def test_a_row_out_of_line_shows_that_fault_only_not_the_rules_it_breaks_by_being_out_of_line(call_config):
    # An unquoted comma in the organisation cell shifts the row: the organisation column then holds the
    # contact's name, and so on; the root fault is the extra cell, said first, and nothing blames "organisation".
    content = (
        b"title,summary,themes,anonymous,organisation\r\nt,s,sources_of_harm,no,Org\r\nu,s,sources_of_harm,,,Smith\r\n"
    )
    plan = plan_for(content, call_config)
    assert [(p.row, p.problem.split(" beyond")[0]) for p in plan.problems] == [(3, "This row has 1 filled cell")]


def test_a_rule_on_several_fields_comes_after_the_rows_other_faults(call_config):
    row = valid_row(1, organisation="", contact_name="", contact_email="bad", title="", reference="has spaces")
    plan = plan_for(template_csv([row]), call_config)
    words = [p.problem for p in plan.problems]
    assert len(words) == 4, words
    assert words[-1].startswith("Give an organisation or a contact name")
    assert {w.split(" ")[0] for w in words[:-1]} == {"A", "This"}  # title, reference, email: their own faults


def test_a_rule_on_fields_without_a_column_is_said_once_for_the_file(call_config):
    content = csv_bytes(["title", "summary", "themes"], [["t", "s", "sources_of_harm"], ["u", "s", "sources_of_harm"]])
    plan = plan_for(content, call_config)
    assert [(p.row, p.column) for p in plan.problems] == [(None, "Organisation / Contact name")], problems_of(plan)
    assert "rows 2, 3" in plan.problems[0].problem
    assert "No column of the file is chosen for Organisation, Contact name or Anonymous" in plan.problems[0].problem
