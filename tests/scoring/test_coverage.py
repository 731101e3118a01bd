"""Coverage tables: multi-valued counts, filters, empty cells and both kinds of gap, on plain frames."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from scoring import coverage as cov

NAN = float("nan")


def submission(sid: int, **codes) -> dict:
    """One submission's codes; defaults put it in Perpetrators (theme 1), criminal exploitation, England."""
    row = {
        "id": sid,
        "themes": ["sources_of_harm"],
        "focus_areas": ["perpetrators"],
        "exploitation_types": ["criminal_exploitation"],
        "evidence_forms": ["programme"],
        "evidence_source": "practitioner",
        "sector": "police",
        "nation": "england",
        "stage": "established",
        "reported_impact": "positive",
        "title": f"Title {sid}",
        "organisation": f"Organisation {sid}",
    }
    row.update(codes)
    return row


def scores(rows: dict[int, tuple[int, float, float]]) -> pd.DataFrame:
    """{submission_id: (n_reviews, overall_calibrated, mean_evidence_strength)} shaped like score_submissions."""
    frame = pd.DataFrame.from_dict(
        rows, orient="index", columns=["n_reviews", "overall_calibrated", "mean_evidence_strength"]
    )
    frame.index.name = "submission_id"
    return frame


def build(subs: list[dict], scored: dict | None = None) -> pd.DataFrame:
    return cov.coverage_frame(pd.DataFrame(subs, columns=list(submission(0))), scores(scored or {}))


def cell(matrix: cov.CoverageMatrix, row_key: str, column_code: str) -> pd.Series:
    found = matrix.cell(row_key, column_code)
    assert found is not None, (row_key, column_code)
    return found


def test_frame_keeps_codes_and_scores_only():
    frame = build([submission(1), submission(2)], {1: (3, 3.5, 4.0)})
    assert list(frame.columns) == cov.FRAME_COLUMNS
    assert "title" not in frame and "organisation" not in frame  # nothing built on it can show them
    one, two = frame.set_index("id").loc[1], frame.set_index("id").loc[2]
    assert (one["n_reviews"], one["score"], one["strength"]) == (3, 3.5, 4.0)
    assert two["n_reviews"] == 0 and math.isnan(two["score"]) and math.isnan(two["strength"])


def test_multi_valued_codes_count_in_every_cell_and_totals_say_so(call_config):
    subs = [
        submission(1, exploitation_types=["forced_labour", "sexual_exploitation"]),
        submission(2, exploitation_types=["forced_labour"]),
        submission(
            3,
            themes=["sources_of_harm", "support_responses"],
            focus_areas=["perpetrators", "advocacy"],
            exploitation_types=["forced_labour"],
        ),
    ]
    matrix = cov.coverage_matrix(build(subs), call_config, column="exploitation_types")
    assert cell(matrix, "focus:perpetrators", "forced_labour")["n"] == 3
    assert cell(matrix, "focus:perpetrators", "sexual_exploitation")["n"] == 1
    assert cell(matrix, "focus:advocacy", "forced_labour")["submission_ids"] == (3,)
    assert cell(matrix, "theme:support_responses", "forced_labour")["n"] == 1
    assert cell(matrix, "all", "forced_labour")["n"] == 3
    # Totals count distinct submissions; the cells of a row add up to more.
    totals = matrix.row_totals.set_index("row_key")
    assert totals.loc["all", "submissions"] == 3
    assert totals.loc["all", "entries"] == 4
    assert totals.loc["theme:sources_of_harm", "submissions"] == 3
    assert matrix.column_totals.set_index("column_code").loc["forced_labour", "submissions"] == 3
    assert (matrix.submissions, matrix.multi_coded, matrix.multi_focus, matrix.multi_theme) == (3, 1, 1, 1)
    note = cov.totals_note(matrix)
    assert note.startswith("3 submissions shown")
    assert "1 are coded with more than one form of exploitation" in note
    assert "add up to more than its total" in note
    assert "1 have more than one focus area and 1 both themes" in note


def test_every_cell_is_present_and_empty_ones_are_absolute_gaps(call_config):
    matrix = cov.coverage_matrix(build([submission(1)]), call_config, column="nation")
    n_rows = 1 + len(call_config.vocabulary("themes").ids) + len(call_config.vocabulary("focus_areas").ids)
    assert len(matrix.cells) == n_rows * len(call_config.vocabulary("nation").ids)
    assert [r.key for r in matrix.rows[:3]] == ["all", "theme:sources_of_harm", "focus:perpetrators"]
    empty = cell(matrix, "focus:advocacy", "scotland")
    assert (empty["n"], empty["gap"], empty["submission_ids"]) == (0, cov.ABSOLUTE, ())
    assert math.isnan(empty["mean_score"]) and math.isnan(empty["mean_strength"])
    assert cell(matrix, "focus:perpetrators", "england")["n"] == 1
    assert cov.gap_counts(matrix)[cov.ABSOLUTE] == len(matrix.cells) - 3  # all, theme 1, perpetrators x England
    # Positions follow the configured order, for drawing.
    assert list(matrix.cells["row_pos"].unique()) == list(range(n_rows))


def test_an_empty_call_is_all_absolute_gaps(call_config):
    matrix = cov.coverage_matrix(build([]), call_config, column="sector")
    assert (matrix.cells["gap"] == cov.ABSOLUTE).all()
    assert matrix.submissions == 0 and matrix.row_totals["submissions"].sum() == 0


@pytest.mark.parametrize(
    ("reviews", "gap"),
    [
        # (n_reviews, calibrated, evidence strength) per submission in the one cell; level 3
        ([(3, 3.2, 3.0)], ""),  # exactly at the level reaches it
        ([(3, 3.2, 4.5), (2, 2.0, 1.5)], ""),  # one strong submission is enough
        ([(3, 3.0, 2.9)], cov.EVIDENCE),
        ([(3, 3.0, 2.0), (2, 2.5, 1.0)], cov.EVIDENCE),
        ([(3, 3.0, 2.0), (0, NAN, NAN)], cov.EVIDENCE),  # judged weak so far; one still awaits review
        ([(0, NAN, NAN)], cov.AWAITING),  # nothing judged yet: not called an evidence gap
        ([(2, 3.0, NAN)], cov.AWAITING),  # reviewed, but nobody could judge evidence strength
    ],
)
def test_gap_kinds(call_config, reviews, gap):
    subs = [submission(i + 1) for i in range(len(reviews))]
    scored = {i + 1: r for i, r in enumerate(reviews) if r[0] > 0}
    matrix = cov.coverage_matrix(build(subs, scored), call_config, column="nation", level=3.0)
    found = cell(matrix, "focus:perpetrators", "england")
    assert found["gap"] == gap
    assert found["n"] == len(reviews)
    assert found["n_reviewed"] == sum(1 for r in reviews if r[0] > 0)
    assert found["n_strong"] == sum(1 for r in reviews if r[2] >= 3.0)


def test_level_comes_from_the_configuration_by_default(call_config):
    frame = build([submission(1)], {1: (3, 3.0, call_config.evidence_strength_level - 0.5)})
    matrix = cov.coverage_matrix(frame, call_config, column="nation")
    assert matrix.level == call_config.evidence_strength_level
    assert cell(matrix, "focus:perpetrators", "england")["gap"] == cov.EVIDENCE
    lower = cov.coverage_matrix(frame, call_config, column="nation", level=call_config.evidence_strength_level - 1)
    assert cell(lower, "focus:perpetrators", "england")["gap"] == ""


def test_means_are_over_the_reviewed_submissions_only(call_config):
    frame = build([submission(1), submission(2), submission(3)], {1: (3, 4.0, 5.0), 2: (2, 2.0, 1.0)})
    found = cell(cov.coverage_matrix(frame, call_config, column="nation"), "all", "england")
    assert (found["n"], found["n_reviewed"], found["n_assessed"]) == (3, 2, 2)
    assert found["mean_score"] == pytest.approx(3.0)
    assert found["mean_strength"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("flt", "expected_ids"),
    [
        (cov.CoverageFilter(), [1, 2, 3, 4]),
        (cov.CoverageFilter(nation=("scotland",)), [2, 3]),
        (cov.CoverageFilter(nation=("scotland", "wales")), [2, 3, 4]),
        (cov.CoverageFilter(stage=("evaluated",)), [3]),
        (cov.CoverageFilter(reported_impact=("negative",)), [2, 4]),
        (cov.CoverageFilter(nation=("scotland",), reported_impact=("negative",)), [2]),
        (cov.CoverageFilter(reviewed_only=True), [1, 3]),
        (cov.CoverageFilter(nation=("scotland",), reviewed_only=True), [3]),
    ],
)
def test_filters(flt, expected_ids):
    frame = build(
        [
            submission(1),
            submission(2, nation="scotland", reported_impact="negative"),
            submission(3, nation="scotland", stage="evaluated"),
            submission(4, nation="wales", reported_impact="negative"),
        ],
        {1: (3, 3.0, 3.0), 3: (1, 4.0, 4.0)},
    )
    assert list(cov.filter_coverage(frame, flt)["id"]) == expected_ids


def test_filtering_turns_a_cell_into_an_absolute_gap(call_config):
    frame = build(
        [submission(1, exploitation_types=["forced_labour"]), submission(2, nation="scotland")],
        {1: (3, 3.0, 3.0)},
    )
    scotland = cov.filter_coverage(frame, cov.CoverageFilter(nation=("scotland",)))
    matrix = cov.coverage_matrix(scotland, call_config, column="exploitation_types")
    assert cell(matrix, "focus:perpetrators", "forced_labour")["gap"] == cov.ABSOLUTE
    assert cell(matrix, "focus:perpetrators", "criminal_exploitation")["submission_ids"] == (2,)
    assert cov.describe_cell(matrix, "focus:perpetrators", "forced_labour") == (
        "Perpetrators of exploitation × Forced labour: nothing came in (absolute gap)."
    )


def test_submissions_without_the_column_code_are_not_recorded(call_config):
    frame = build([submission(1), submission(2, sector=None), submission(3, sector="unknown_code")])
    matrix = cov.coverage_matrix(frame, call_config, column="sector")
    assert matrix.not_recorded == 2
    assert matrix.row_totals.set_index("row_key").loc["focus:perpetrators", "not_recorded"] == 2
    assert cell(matrix, "all", "police")["n"] == 1
    assert "2 have no sector recorded and appear in no column." in cov.totals_note(matrix)


def test_unknown_column_is_refused(call_config):
    with pytest.raises(ValueError, match="Unknown column 'title'"):
        cov.coverage_matrix(build([submission(1)]), call_config, column="title")


def test_cell_table_and_gap_list_carry_counts_and_labels_only(call_config):
    frame = build(
        [submission(1), submission(2, focus_areas=["contexts"], exploitation_types=["forced_labour"])],
        {1: (3, 3.25, 2.0), 2: (3, 4.0, 4.0)},
    )
    matrix = cov.coverage_matrix(frame, call_config, column="exploitation_types", level=3)
    table = cov.cell_table(matrix)
    assert list(table.columns) == [
        "Theme",
        "Focus area",
        "Form of exploitation",
        "Submissions",
        "Reviewed",
        "Mean calibrated score",
        "Mean evidence strength",
        "Reaching evidence strength 3",
        "Gap",
    ]
    assert len(table) == len(matrix.cells)
    as_text = table.to_csv()
    assert "Title 1" not in as_text and "Organisation 1" not in as_text
    first = table.iloc[0]
    assert (first["Theme"], first["Focus area"], first["Form of exploitation"]) == (
        "All themes",
        "",
        "Domestic servitude",
    )
    perpetrators = table[(table["Focus area"] == "Perpetrators of exploitation")].set_index("Form of exploitation")
    assert perpetrators.loc["Criminal exploitation (including county lines)", "Gap"] == (
        "Evidence gap: none reaches evidence strength 3"
    )
    assert perpetrators.loc["Criminal exploitation (including county lines)", "Mean calibrated score"] == 3.25
    assert perpetrators.loc["Forced labour", "Gap"] == "Absolute gap: nothing came in"
    whole_theme = table[table["Focus area"] == "(whole theme)"]
    assert set(whole_theme["Theme"]) == {c.label for c in call_config.vocabulary("themes").codes}

    gaps = cov.gap_list(matrix)
    assert list(gaps.columns) == ["Gap", "Form of exploitation", "Focus area", "Theme", "Submissions"]
    kinds = list(gaps["Gap"])
    assert kinds == sorted(kinds, key=lambda k: not k.startswith("Absolute"))
    assert kinds.count("Evidence gap: none reaches evidence strength 3") == 3  # all, its theme, its focus area
    assert len(gaps) == cov.gap_counts(matrix)[cov.ABSOLUTE] + cov.gap_counts(matrix)[cov.EVIDENCE]


def test_selected_cells_give_each_submission_once(call_config):
    frame = build(
        [
            submission(1, exploitation_types=["forced_labour", "sexual_exploitation"]),
            submission(2, exploitation_types=["forced_labour"]),
        ]
    )
    matrix = cov.coverage_matrix(frame, call_config, column="exploitation_types")
    keys = [("all", "forced_labour"), ("all", "sexual_exploitation"), ("focus:advocacy", "forced_labour")]
    assert matrix.submission_ids(keys) == [1, 2]
    assert matrix.submission_ids([("nowhere", "forced_labour")]) == []
    assert cov.describe_cell(matrix, "all", "forced_labour") == (
        "All submissions × Forced labour: 2 submissions, 0 reviewed (awaiting review)."
    )


def test_count_by_keeps_empty_categories_and_counts_multi_valued_in_each(call_config):
    frame = build(
        [
            submission(1, evidence_forms=["programme", "research_evaluation"], nation="scotland"),
            submission(2, evidence_forms=["programme"]),
        ],
        {1: (3, 4.0, 4.0)},
    )
    forms = cov.count_by(frame, "evidence_forms", call_config).set_index("code")
    assert list(forms.index) == call_config.vocabulary("evidence_forms").ids
    assert forms.loc["programme", ["submissions", "reviewed", "not_reviewed"]].tolist() == [2, 1, 1]
    assert forms.loc["research_evaluation", "mean_score"] == 4.0
    assert forms.loc["other", "submissions"] == 0 and math.isnan(forms.loc["other", "mean_score"])
    nations = cov.count_by(frame, "nation", call_config).set_index("code")
    assert nations["submissions"].sum() == 2
    table = cov.category_table(nations.reset_index(), "Nation")
    assert list(table.columns) == ["Nation", "Submissions", "Reviewed", "Not yet reviewed", "Mean calibrated score"]
    assert table.set_index("Nation").loc["Scotland", "Reviewed"] == 1


def test_score_bins_edges():
    frame = build(
        [submission(i) for i in range(1, 6)],
        {1: (1, 1.0, 5.0), 2: (1, 2.99, 3.0), 3: (1, 3.0, NAN), 4: (1, 5.0, 1.2)},
    )
    bins = cov.score_bins(frame).set_index("band")
    assert list(bins.index) == ["1–1.5", "1.5–2", "2–2.5", "2.5–3", "3–3.5", "3.5–4", "4–4.5", "4.5–5"]
    assert bins["calibrated"].to_dict() == {
        "1–1.5": 1,
        "1.5–2": 0,
        "2–2.5": 0,
        "2.5–3": 1,
        "3–3.5": 1,
        "3.5–4": 0,
        "4–4.5": 0,
        "4.5–5": 1,
    }
    assert bins["evidence_strength"].sum() == 3  # NaN and the unreviewed are left out
    assert bins.loc["4.5–5", "evidence_strength"] == 1 and bins.loc["3–3.5", "evidence_strength"] == 1


def test_review_progress_per_day_and_running_total():
    day = dt.datetime(2021, 9, 10, 23, 30, tzinfo=dt.UTC)
    bst = dt.timezone(dt.timedelta(hours=1))
    times = [
        day,
        day + dt.timedelta(minutes=40),
        dt.datetime(2021, 9, 11, 0, 30, tzinfo=bst),
        day + dt.timedelta(days=2),
    ]
    progress = cov.review_progress(times, due=8)
    assert progress["date"].tolist() == [dt.date(2021, 9, 10), dt.date(2021, 9, 11), dt.date(2021, 9, 12)]
    assert progress["submitted"].tolist() == [2, 1, 1]  # 00:30 BST on the 11th is 23:30 UTC on the 10th
    assert progress["cumulative"].tolist() == [2, 3, 4]
    assert progress["percent_of_due"].tolist() == [25.0, 37.5, 50.0]
    assert cov.review_progress([], due=3).empty


def test_line_up_cells_mark_only_the_members(call_config):
    frame = build([submission(1), submission(2, nation="wales"), submission(3, nation="wales")])
    marked = cov.line_up_cells(frame, [2, 3, 99], call_config, column="nation")
    wales = marked[marked["column_code"] == "wales"].set_index("row_key")
    assert wales.loc["all", "n"] == 2
    assert set(marked["column_code"]) == {"wales"}
    assert cov.line_up_cells(frame, [], call_config, column="nation").empty


def test_coverage_export_has_every_cell_for_every_choice_of_columns(call_config):
    frame = build([submission(1, nation="wales")], {1: (3, 3.5, 4.0)})
    table = cov.coverage_export(frame, call_config)
    n_rows = len(cov.gap_map_rows(call_config))
    assert list(table.columns[:4]) == ["Columns", "Theme", "Focus area", "Value"]
    assert table.groupby("Columns", sort=False).size().to_dict() == {
        label: n_rows * len(call_config.vocabulary(column).ids) for column, label in cov.COLUMN_DIMENSIONS.items()
    }
    wales = table[(table["Columns"] == "Nation") & (table["Value"] == "Wales") & (table["Theme"] == "All themes")]
    assert wales[["Submissions", "Reviewed", "Mean calibrated score"]].iloc[0].tolist() == [1, 1, 3.5]
    assert "Organisation 1" not in table.to_csv() and "Title 1" not in table.to_csv()


def test_gap_summary_says_one_gap_and_several_gaps(call_config):
    # Perpetrators x England: one weak submission (the only evidence gap: a strong one
    # in Contexts lifts its theme and 'All'); Guardianship x England: one not yet scored
    # (a strong one in Trauma-informed practice lifts its theme).
    support = {"themes": ["support_responses"]}
    one_of_each = build(
        [
            submission(1),
            submission(2, focus_areas=["contexts"]),
            submission(3, focus_areas=["guardianship"], **support),
            submission(4, focus_areas=["trauma_informed"], **support),
        ],
        {1: (3, 3.0, 2.0), 2: (3, 4.0, 4.0), 4: (3, 4.0, 4.0)},
    )
    matrix = cov.coverage_matrix(one_of_each, call_config, column="nation", level=3)
    counts = cov.gap_counts(matrix)
    assert (counts[cov.EVIDENCE], counts[cov.AWAITING]) == (1, 1)
    summary = cov.gap_summary(matrix)
    assert f"**{counts[cov.ABSOLUTE]}** absolute gaps (×: nothing came in)" in summary
    assert "**1** evidence gap (rings: submissions came in, but none reaches evidence strength 3)" in summary
    assert "**1** cell awaiting review (grey)" in summary

    none_awaiting = cov.coverage_matrix(build([submission(1)], {1: (3, 3.0, 2.0)}), call_config, column="nation")
    assert "**3** evidence gaps" in cov.gap_summary(none_awaiting)
    assert "**0** cells awaiting review" in cov.gap_summary(none_awaiting)


def test_the_coverage_exports_row_count_is_known_without_building_it(call_config):
    """`coverage_export_rows` (what the Exports page says before the click) is the table's length, with
    submissions or none."""
    empty = cov.coverage_frame(pd.DataFrame(columns=["id", *cov.CODE_COLUMNS]), pd.DataFrame())
    assert cov.coverage_export_rows(call_config) == len(cov.coverage_export(empty, call_config))
