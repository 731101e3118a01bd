"""The rankings table and its figures: pure, plain data in."""

import html

import pandas as pd
import pytest

from charts.ranking import (
    leniency_figure,
    leniency_table,
    rank_shift_figure,
    rank_shift_table,
    score_distribution_figure,
    score_distribution_table,
)
from scoring import score_submissions
from scoring.calibration import calibrate
from scoring.ranking import ranking_table

LABELS = {
    "promise": "Promise",
    "evidence_strength": "Evidence strength",
    "survivor_involvement": "Survivor involvement",
}
WEIGHTS = dict.fromkeys(LABELS, 1.0)
IMPACTS = {"negative": "Negative", "positive": "Positive"}
TITLE = "<b>Bold</b> & **more**"


def reviews(rows):
    out = [(s, r, c, v) for s, r, scores in rows for c, v in zip(LABELS, scores, strict=True)]
    return pd.DataFrame(out, columns=["submission_id", "reviewer_id", "criterion", "score"])


@pytest.fixture
def data():
    frame = reviews(
        [
            (1, 10, [5, 5, 5]),
            (1, 11, [4, 4, 4]),
            (2, 10, [3, 3, float("nan")]),
            (2, 12, [3, 3, float("nan")]),
            (3, 11, [1, 1, 1]),
            (3, 12, [5, 5, 5]),
        ]
    )
    subs = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "reference": ["R-1", "R-2", "R-3", "R-4"],
            "title": [TITLE, "Two", "Three", "Unreviewed"],
            "reported_impact": ["negative", "positive", None, "positive"],
        }
    )
    return frame, subs


def test_table_sorted_by_calibrated_score_with_cannot_judge_and_flags(data):
    frame, subs = data
    scored = score_submissions(frame, WEIGHTS)
    table = ranking_table(scored, subs, criterion_labels=LABELS, impact_labels=IMPACTS)
    assert list(table.index) == list(scored["overall_calibrated"].sort_values(ascending=False).index)
    assert list(table["Rank"]) == [1, 2, 3]
    assert 4 not in table.index  # never reviewed
    assert table.loc[1, "Title"] == TITLE  # as it is: the page shows it in a cell
    assert table.loc[2, "Survivor involvement"] == "cannot judge"
    assert table.loc[2, "Promise"] == "3.00"
    assert bool(table.loc[3, "Discuss"]) and not table.loc[1, "Discuss"]
    assert table.loc[1, "Reported impact"] == "Negative" and table.loc[3, "Reported impact"] == ""
    plain_rank = scored["overall_mean"].rank(ascending=False, method="min").astype(int)
    assert (table["Rank"] + table["Moved"]).to_dict() == plain_rank.to_dict()


def test_other_sorts_and_flagged_only(data):
    frame, subs = data
    scored = score_submissions(frame, WEIGHTS)
    by_mean = ranking_table(scored, subs, criterion_labels=LABELS, impact_labels=IMPACTS, sort="mean")
    assert list(by_mean["Plain mean"]) == sorted(by_mean["Plain mean"], reverse=True)
    flagged = ranking_table(scored, subs, criterion_labels=LABELS, impact_labels=IMPACTS, flagged_only=True)
    assert list(flagged.index) == [3]
    with pytest.raises(ValueError, match="Unknown sort"):
        ranking_table(scored, subs, criterion_labels=LABELS, impact_labels=IMPACTS, sort="title")


def test_figures_have_titles_axes_and_escaped_text(data):
    frame, subs = data
    cal = calibrate(frame, WEIGHTS)
    table = ranking_table(cal.submissions, subs, criterion_labels=LABELS, impact_labels=IMPACTS)
    names = {10: "<img src=x onerror=alert(1)>", 11: "Bea", 12: "Cy"}
    for fig in (
        score_distribution_figure(frame, LABELS),
        leniency_figure(cal.reviewers, names),
        rank_shift_figure(table),
    ):
        assert fig.layout.title.text and fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
        spec = fig.to_json()
        assert "<img" not in spec and "<b>Bold" not in spec
    lenient = leniency_figure(cal.reviewers, names)
    assert html.escape(names[10]) in lenient.data[0].y
    distribution = score_distribution_figure(frame, LABELS)
    survivor = next(t for t in distribution.data if t.name == "Survivor involvement")
    assert list(survivor.y) == [1, 0, 0, 1, 2, 2]  # scores 1..5, then 'cannot judge'
    assert distribution.layout.xaxis.type == "category"  # so that 'cannot judge' is on the axis


def test_the_tables_behind_the_figures_hold_the_figures_data(data):
    frame, subs = data
    cal = calibrate(frame, WEIGHTS)
    table = ranking_table(cal.submissions, subs, criterion_labels=LABELS, impact_labels=IMPACTS)

    counts = score_distribution_table(frame, LABELS).set_index("Criterion")
    assert list(counts.columns) == ["1", "2", "3", "4", "5", "cannot judge"]
    assert counts.loc["Survivor involvement"].tolist() == [1, 0, 0, 1, 2, 2]
    figure = score_distribution_figure(frame, LABELS)
    assert [list(t.y) for t in figure.data] == counts.to_numpy().tolist()

    shift = rank_shift_table(table)
    assert list(shift["Rank by calibrated score"]) == [1, 2, 3]
    assert (shift["Rank by plain mean"] - shift["Rank by calibrated score"]).tolist() == shift["Moved"].tolist()
    assert set(shift["Reference"]) == {"R-1", "R-2", "R-3"}

    names = {10: "Ann", 11: "Bea", 12: "Cy"}
    lenient = leniency_table(cal.reviewers, names)
    assert set(lenient["Reviewer"]) == {"Ann", "Bea", "Cy"}
    assert list(lenient["Leniency (points)"]) == sorted(lenient["Leniency (points)"], reverse=True)
    bars = leniency_figure(cal.reviewers, names).data[0]
    assert sorted(bars.x) == sorted(lenient["Leniency (points)"])
    assert lenient["Reviews"].sum() == frame[["submission_id", "reviewer_id"]].drop_duplicates().shape[0]


def test_the_reviews_behind_a_row_read_in_words_with_cannot_judge_for_no_score():
    from types import SimpleNamespace

    from scoring.ranking import CANNOT_JUDGE, reviews_behind_table

    records = [
        SimpleNamespace(
            reviewer_name="Rita",
            scores={"promise": 4, "evidence": None},
            recommendation="present",
            confidence=None,
            comment="=1+1 stays text",
        )
    ]
    frame = reviews_behind_table(
        records,
        criterion_labels={"promise": "Promise", "evidence": "Evidence strength"},
        recommendation_label=lambda code: {"present": "Invite to present"}[code],
        confidence_label=lambda code: code.upper(),
    )
    assert frame.to_dict("records") == [
        {
            "Reviewer": "Rita",
            "Promise": 4,
            "Evidence strength": CANNOT_JUDGE,
            "Recommendation": "Invite to present",
            "Confidence": "",
            "Comment": "=1+1 stays text",
        }
    ]
