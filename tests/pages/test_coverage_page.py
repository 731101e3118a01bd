"""The coverage page for office and admin: the gap map's data, filters, cell lists, tables, the line-up overlay."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest

from data_access import audit
from data_access.submissions import list_submissions
from scoring import coverage as cov
from tests.data_access.test_coverage import save_line_up
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_submission_links import page_links
from tests.support.apptest import download, rerun, run_app, texts
from tests.support.figures import figure_strings
from ui.render import table_key

PAGE = "pages/coverage.py"
SECRET_ORG = "Secret Org <b>bold</b>"
TITLE = "Forced labour <script>alert(1)</script> **bold**"
FILLED = "Some evidence reaching strength 3 (filled)"
RING = "Evidence gap: none reaches evidence strength 3 (ring)"
GREY = "Not yet scored (grey)"
CROSS = "Absolute gap: nothing came in (×)"


@pytest.fixture
def call(db, call_config):
    """Scotland: a strong anonymous submission and a weak one on forced labour; England: one not yet reviewed."""
    with db.write() as s:
        people = {"office": make_user(s, role="office"), "admin": make_user(s, role="admin")}
        r1, r2 = make_user(s), make_user(s)
        strong = make_submission(
            s,
            call_config,
            title=TITLE,
            anonymous=True,
            organisation=SECRET_ORG,
            themes=["sources_of_harm"],
            focus_areas=["perpetrators"],
            exploitation_types=["forced_labour"],
            nation="scotland",
            stage="evaluated",
        )
        weak = make_submission(
            s,
            call_config,
            title="Weak evidence on two forms",
            organisation="Open Org",
            themes=["sources_of_harm"],
            focus_areas=["contexts"],
            exploitation_types=["forced_labour", "sexual_exploitation"],
            nation="scotland",
            stage="early",
        )
        waiting = make_submission(
            s,
            call_config,
            title="Not reviewed yet",
            themes=["support_responses"],
            focus_areas=["trauma_informed"],
            exploitation_types=["criminal_exploitation"],
            nation="england",
            stage="established",
        )
        for sid, score in ((strong, 4), (weak, 2)):
            for reviewer in (r1, r2):
                assign(s, sid, reviewer)
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, score))
    return {**people, "strong": strong, "weak": weak, "waiting": waiting}


def gap_map(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def cells(spec: dict, name: str) -> set[tuple[str, str]]:
    trace = next((t for t in spec["data"] if t.get("name") == name), None)
    return {tuple(c) for c in trace["customdata"]} if trace else set()


def select(at, db_url, column: str, *points: tuple[str, str]) -> None:
    at.session_state[f"coverage.map.{column}"] = {
        "selection": {"points": [{"customdata": list(p)} for p in points], "point_indices": [], "box": [], "lasso": []}
    }
    rerun(at, db_url)


@pytest.mark.parametrize("role", ["office", "admin"])
def test_gap_map_shows_coverage_strength_and_both_gaps(db_url, call, role):
    at = run_app(db_url, call[role], page=PAGE)
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Coverage"]
    spec = gap_map(at)
    assert spec["layout"]["title"]["text"] == "Submissions by theme and focus area, and by form of exploitation"
    assert spec["layout"]["xaxis"]["title"]["text"] == "Form of exploitation"
    assert ("focus:perpetrators", "forced_labour") in cells(spec, FILLED)
    assert cells(spec, RING) == {
        ("focus:contexts", "forced_labour"),
        ("focus:contexts", "sexual_exploitation"),
        ("theme:sources_of_harm", "sexual_exploitation"),  # the weak submission alone is on sexual exploitation
        ("all", "sexual_exploitation"),
    }
    assert ("focus:trauma_informed", "criminal_exploitation") in cells(spec, GREY)
    assert ("focus:perpetrators", "domestic_servitude") in cells(spec, CROSS)
    assert ("focus:advocacy", "forced_labour") in cells(spec, CROSS)
    assert not cells(spec, "In the saved line-up (★)")
    # Charts carry no title, organisation or other identity.
    chart_text = "\n".join(s for c in at.get("plotly_chart") for s in figure_strings(c.proto.spec))
    for secret in ("Secret Org", "Open Org", "Forced labour <script>", "Weak evidence", "Not reviewed yet"):
        assert secret not in chart_text
    shown = texts(at)
    n_absolute = len(cells(spec, CROSS))
    assert f"**{n_absolute}** absolute gaps" in shown and "**4** evidence gaps" in shown
    assert "3 submissions shown" in shown
    assert "1 are coded with more than one form of exploitation" in shown
    assert "Click a cell on the map" in shown


def test_clicking_cells_lists_their_submissions_as_the_submissions_page_shows_them(db, db_url, call, call_config):
    at = run_app(db_url, call["office"], page=PAGE)
    select(at, db_url, "exploitation_types", ("all", "forced_labour"), ("focus:perpetrators", "domestic_servitude"))
    assert not at.exception, at.exception
    lines = next(t.value for t in at.text if "×" in t.value).splitlines()
    assert lines == [
        "All submissions × Forced labour: 2 submissions, 2 reviewed; mean calibrated score 3.00; "
        "mean evidence strength 3.00, 1 of 2 judged reach 3.",
        "Perpetrators of exploitation × Domestic servitude: nothing came in (absolute gap).",
    ]
    listing = next(df.value for df in at.dataframe if "Reference" in df.value.columns)
    assert list(listing["Title"]) == [TITLE, "Weak evidence on two forms"]  # strongest first, titles as plain cells
    assert list(listing["Evidence strength"]) == [4.0, 2.0]
    with db.read() as s:
        expected = list_submissions(s, viewer=call["office"], config=call_config).set_index("id")
    assert list(listing["Organisation"]) == [
        expected.loc[call["strong"], "organisation"],
        expected.loc[call["weak"], "organisation"],
    ]
    assert list(listing["Anonymous"]) == [True, False]
    assert TITLE not in [m.value for m in at.markdown]  # never rendered as Markdown


def test_a_selection_from_other_columns_is_ignored(db_url, call):
    at = run_app(db_url, call["office"], page=PAGE)
    at.session_state["coverage.column"] = "nation"
    select(at, db_url, "nation", ("all", "forced_labour"))  # not a nation
    assert not at.exception, at.exception
    assert "Click a cell on the map" in texts(at)
    assert not [df for df in at.dataframe if "Reference" in df.value.columns]


def test_columns_filters_and_reviewed_only(db_url, call):
    at = run_app(db_url, call["admin"], page=PAGE)
    at.selectbox(key="coverage.column").set_value("nation")
    rerun(at, db_url)
    spec = gap_map(at)
    assert spec["layout"]["xaxis"]["title"]["text"] == "Nation"
    assert ("focus:perpetrators", "scotland") in cells(spec, FILLED)
    assert ("focus:trauma_informed", "england") in cells(spec, GREY)

    at.multiselect(key="coverage.nation").set_value(["scotland"])
    rerun(at, db_url)
    spec = gap_map(at)
    assert ("focus:trauma_informed", "england") in cells(spec, CROSS)
    assert "2 submissions shown" in texts(at)

    at.multiselect(key="coverage.nation").set_value([])
    at.toggle(key="coverage.reviewed").set_value(True)
    rerun(at, db_url)
    assert ("focus:trauma_informed", "england") in cells(gap_map(at), CROSS)

    at.multiselect(key="coverage.stage").set_value(["evaluated"])
    rerun(at, db_url)
    assert not cells(gap_map(at), RING)  # the weak, early-stage submission is filtered out
    assert "1 submission shown" in texts(at)


def test_colour_by_evidence_strength(db_url, call):
    at = run_app(db_url, call["office"], page=PAGE)
    at.radio(key="coverage.colour").set_value("strength")
    rerun(at, db_url)
    spec = gap_map(at)
    assert "Mean evidence strength" in spec["layout"]["coloraxis"]["colorbar"]["title"]["text"]


def test_tables_behind_the_charts_open_with_a_download(db_url, call):
    at = run_app(db_url, call["office"], page=PAGE)
    assert not [df for df in at.dataframe if "Theme" in df.value.columns and "Reviewed" in df.value.columns]
    at.session_state["coverage.map.exploitation_types.table"] = True
    at.session_state["coverage.by"] = "Stage"
    at.session_state["coverage.by.stage.table"] = True
    rerun(at, db_url)
    assert not at.exception, at.exception
    table = next(df.value for df in at.dataframe if "Mean evidence strength" in df.value.columns)
    row = table[
        (table["Focus area"] == "Perpetrators of exploitation") & (table["Form of exploitation"] == "Forced labour")
    ]
    assert row[["Submissions", "Reviewed", "Reaching evidence strength 3"]].iloc[0].tolist() == [1, 1, 1]
    assert "Secret Org" not in table.to_csv()
    stage = next(df.value for df in at.dataframe if "Stage" in df.value.columns)
    assert stage.set_index("Stage").loc["Evaluated", "Submissions"] == 1
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert titles == [
        "Submissions by theme and focus area, and by form of exploitation",
        "Submissions by stage",
        "Review progress over time",
        "Scores of the reviewed submissions",
    ]
    assert len(at.get("download_button")) == 2


def test_a_saved_line_up_can_be_marked(db, db_url, call):
    now = dt.datetime(2021, 10, 1, 12, tzinfo=dt.UTC)
    with db.write() as s:
        older = save_line_up(s, "Draft", [call["strong"]], now)
        newest = save_line_up(s, "Final <i>six</i>", [call["weak"]], now + dt.timedelta(hours=1))
    at = run_app(db_url, call["office"], page=PAGE)
    assert not cells(gap_map(at), "In the saved line-up (★)")
    assert at.selectbox(key="coverage.line_up").options == ["None", "Final <i>six</i> (version 1)", "Draft (version 1)"]
    at.selectbox(key="coverage.line_up").set_value(newest)
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert cells(gap_map(at), "In the saved line-up (★)") == {
        ("all", "forced_labour"),
        ("all", "sexual_exploitation"),
        ("theme:sources_of_harm", "forced_labour"),
        ("theme:sources_of_harm", "sexual_exploitation"),
        ("focus:contexts", "forced_labour"),
        ("focus:contexts", "sexual_exploitation"),
    }
    assert "★ marks the cells of the saved line-up “Final <i>six</i>” (version 1)." in [t.value for t in at.text]
    at.selectbox(key="coverage.line_up").set_value(older)
    rerun(at, db_url)
    assert ("focus:perpetrators", "forced_labour") in cells(gap_map(at), "In the saved line-up (★)")


def test_no_submissions_yet(db, db_url):
    with db.write() as s:
        office = make_user(s, role="office")
    at = run_app(db_url, office, page=PAGE)
    assert not at.exception, at.exception
    assert any("No submissions yet" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_downloading_a_charts_table_is_logged(db, db_url, call):
    at = run_app(db_url, call["office"], page=PAGE)
    at.session_state["coverage.map.exploitation_types.table"] = True
    rerun(at, db_url)
    [button] = at.download_button
    assert button.label == "Download the table as CSV"
    _url, content = download(button)
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="export.coverage"))
    assert len(entries) == 1
    assert entries.iloc[0]["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    entry = entries.iloc[0]
    assert (entry["actor"], entry["entity"], entry["detail"]) == (call["office"].username, "export", "Coverage page")
    n_rows = 1 + 2 + 8  # all submissions, two themes, eight focus areas
    assert entry["new"]["rows"] == n_rows * 4 and entry["new"]["file"].endswith(".csv")


def test_exports_page_offers_the_whole_coverage_table(db, db_url, call, call_config):
    at = run_app(db_url, call["admin"], page="pages/exports.py")
    assert not at.exception, at.exception
    button = next(b for b in at.download_button if b.label == "Download the coverage table")
    download(button)
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="export.coverage"))
    n_rows = 1 + 2 + 8
    n_columns = sum(len(call_config.vocabulary(c).ids) for c in cov.COLUMN_DIMENSIONS)
    assert entries.iloc[0]["new"]["rows"] == n_rows * n_columns
    assert entries.iloc[0]["detail"] == "Exports page"


@pytest.mark.parametrize("role", ["office", "admin"])
def test_a_row_of_a_cells_list_links_to_its_submission_on_the_submissions_page(db_url, call, role):
    at = run_app(db_url, call[role], page=PAGE)
    select(at, db_url, "exploitation_types", ("all", "forced_labour"))
    listing = next(df.value for df in at.dataframe if "Reference" in df.value.columns)
    assert page_links(at) == [] and "Select a row to open its submission." in texts(at)
    key = table_key("coverage.cell_list", [("all", "forced_labour")], list(listing["Reference"]))
    at.session_state[key] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert page_links(at) == [("submissions", {"submission": [listing["Reference"].iloc[1]]})]
    assert listing["Title"].iloc[1] == "Weak evidence on two forms"  # the row picked, not another


def test_each_chart_names_its_table_as_its_text_alternative_and_the_map_says_its_scale_in_words(db_url, call):
    """A screen reader cannot read plotly's drawing: the caption read right after each chart says its
    figures are in the table under it (issue 20); the map's colours have a titled scale with numbers and
    each kind of cell a name in the legend, so colour never carries meaning alone."""
    at = run_app(db_url, call["office"], page=PAGE)
    assert not at.exception, at.exception
    charts = at.get("plotly_chart")
    table = "Table behind this chart"
    notes = [c.value for c in at.caption if f"also in the table under it (“{table}”)" in c.value]
    assert len(charts) >= 3 and len(notes) == len(charts)
    assert [e.label for e in at.expander].count(table) == len(charts)
    spec = gap_map(at)
    assert spec["layout"]["coloraxis"]["colorbar"]["title"]["text"] == "Mean calibrated score<br>(scale 1 to 5)"
    assert {FILLED, RING, GREY, CROSS} <= {trace.get("name") for trace in spec["data"]}
