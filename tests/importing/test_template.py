"""The downloadable templates: the template's columns, the coded values on a
second sheet, and a filled-in template imports as it is."""

import io

from openpyxl import load_workbook

from config import MULTI_VALUED, SINGLE_VALUED
from importing import FIELD_NAMES, build_plan, propose_mapping, read_table
from importing.template import codes_csv, template_csv, template_xlsx


def test_csv_template_is_the_header_row():
    assert template_csv().decode("utf-8-sig") == ",".join(FIELD_NAMES) + "\r\n"


def test_codes_list_every_coded_value_with_its_label_and_synonyms(call_config):
    lines = codes_csv(call_config).decode("utf-8-sig").splitlines()
    assert lines[0] == "column,code,label,also accepted"
    expected = sum(len(call_config.vocabulary(n).codes) for n in (*MULTI_VALUED, *SINGLE_VALUED)) + 2
    assert len(lines) - 1 == expected
    assert "themes,sources_of_harm,Responses to the sources of harm,theme 1; sources of harm; 1" in lines
    assert "anonymous,yes,Yes,y; true; 1" in lines


def test_workbook_has_the_template_then_the_codes_then_the_columns(call_config):
    workbook = load_workbook(io.BytesIO(template_xlsx(call_config)))
    assert workbook.sheetnames == ["Submissions", "Codes", "Columns"]
    assert [c.value for c in workbook["Submissions"][1]] == list(FIELD_NAMES)
    codes = [[c.value for c in row] for row in workbook["Codes"].iter_rows(min_row=2)]
    assert ["nation", "northern_ireland", "Northern Ireland", "ni"] in codes
    columns = {row[0].value: row[1].value for row in workbook["Columns"].iter_rows(min_row=2)}
    assert [name for name, required in columns.items() if required == "yes"] == ["title", "summary", "themes"]


def test_a_filled_in_template_imports_as_it_is(call_config):
    workbook = load_workbook(io.BytesIO(template_xlsx(call_config)))
    row = dict.fromkeys(FIELD_NAMES, "")
    row.update(
        title="From the template",
        summary="Filled in by the office.",
        themes="Responses to the sources of harm; Responses supporting individuals, families and groups affected by harm",
        organisation="Office",
        sector="Local authority, other services",
        anonymous="no",
    )
    workbook["Submissions"].append([row[name] for name in FIELD_NAMES])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_table(buffer.getvalue(), "template.xlsx", max_bytes=10**7)
    assert table.sheet == "Submissions"
    mapping = propose_mapping(table, call_config)
    assert mapping.columns == {name: name for name in FIELD_NAMES}
    plan = build_plan(table, mapping=mapping, config=call_config)
    assert plan.ok, plan.problems
    assert plan.rows[0].data.themes == ["sources_of_harm", "support_responses"]
    assert plan.rows[0].data.sector == "local_authority"
