"""The coverage figures: every cell drawn, gap kinds apart, labels escaped, titles and axes present."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from charts.coverage import (
    category_figure,
    colour_range,
    gap_map_figure,
    review_progress_figure,
    score_distribution_figure,
)
from config.call_config import Vocabulary
from scoring import coverage as cov
from tests.scoring.test_coverage import build, submission
from tests.support.figures import figure_strings

NAN = float("nan")


@pytest.fixture
def matrix(call_config):
    frame = build(
        [
            submission(1),  # perpetrators x England: strong
            submission(2, focus_areas=["contexts"]),  # contexts x England: weak (evidence gap)
            submission(3, focus_areas=["advocacy"], themes=["support_responses"]),  # advocacy: awaiting review
            submission(4, focus_areas=["contexts"], nation="wales"),
        ],
        {1: (3, 4.0, 4.5), 2: (3, 2.0, 1.5), 4: (2, 3.0, 3.0)},
    )
    return cov.coverage_matrix(frame, call_config, column="nation", level=3)


def traces(fig):
    return {t.name: t for t in fig.data if t.name}


def cells_of(trace) -> set[tuple[str, str]]:
    return {tuple(c) for c in trace.customdata}


def test_every_cell_is_drawn_and_the_gap_kinds_are_named_apart(matrix):
    fig = gap_map_figure(matrix)
    by_name = traces(fig)
    filled = by_name["Some evidence reaching strength 3 (filled)"]
    ring = by_name["Evidence gap: none reaches evidence strength 3 (ring)"]
    grey = by_name["Not yet scored (grey)"]
    cross = by_name["Absolute gap: nothing came in (×)"]
    assert ("focus:perpetrators", "england") in cells_of(filled)
    assert cells_of(ring) == {("focus:contexts", "england")}
    assert ring.marker.symbol == "circle-open"
    assert cells_of(grey) == {("focus:advocacy", "england"), ("theme:support_responses", "england")}
    assert cross.marker.symbol == "x-thin-open"
    # Every cell is in exactly one of the four.
    drawn = [cells_of(t) for t in (filled, ring, grey, cross)]
    assert sum(len(d) for d in drawn) == len(matrix.cells)
    assert set().union(*drawn) == set(zip(matrix.cells["row_key"], matrix.cells["column_code"], strict=True))
    assert cells_of(cross) == {
        (r, c)
        for r, c, n in zip(matrix.cells["row_key"], matrix.cells["column_code"], matrix.cells["n"], strict=True)
        if n == 0
    }
    # Bubbles are sized by the number of submissions, coloured by the mean calibrated score.
    contexts = matrix.cell("theme:sources_of_harm", "england")
    i = list(map(tuple, filled.customdata)).index(("theme:sources_of_harm", "england"))
    assert filled.marker.size[i] == contexts["n"] == 2
    assert filled.marker.color[i] == pytest.approx(3.0)
    assert fig.layout.coloraxis.colorscale[0][1].lower() == "#440154"  # viridis
    # Counts are written in the cells, for those who cannot tell bubble areas apart.
    counts = next(t for t in fig.data if t.mode == "text")
    assert sorted(int(v) for v in counts.text) == sorted(matrix.cells.loc[matrix.cells["n"] > 0, "n"])


def test_colour_by_evidence_strength(matrix):
    fig = gap_map_figure(matrix, colour_by="strength")
    filled = traces(fig)["Some evidence reaching strength 3 (filled)"]
    i = list(map(tuple, filled.customdata)).index(("focus:perpetrators", "england"))
    assert filled.marker.color[i] == pytest.approx(4.5)
    assert "Mean evidence strength" in fig.layout.coloraxis.colorbar.title.text


def test_title_axes_and_hover(matrix):
    fig = gap_map_figure(matrix)
    assert fig.layout.title.text == "Submissions by theme and focus area, and by nation"
    assert fig.layout.xaxis.title.text == "Nation"
    assert fig.layout.yaxis.title.text == "Theme and focus area"
    # Labels end with their totals of distinct submissions.
    assert list(fig.layout.yaxis.ticktext[:3]) == [
        "<b>All submissions</b> <span style='color:#777'>(4)</span>",
        "<b>Responses to the sources of harm</b> <span style='color:#777'>(3)</span>",
        "Perpetrators of exploitation <span style='color:#777'>(1)</span>",
    ]
    assert list(fig.layout.xaxis.ticktext[:2]) == ["England<br>(3)", "Scotland<br>(0)"]
    ring = traces(fig)["Evidence gap: none reaches evidence strength 3 (ring)"]
    assert "0 of 1 reach 3" in ring.hovertext[0]


def test_labels_are_escaped(call_config):
    nations = call_config.vocabularies["nations"]
    tricky = Vocabulary("nations", tuple(dataclasses.replace(c, label=f"<i>{c.label}</i> & co") for c in nations.codes))
    config = dataclasses.replace(call_config, vocabularies={**call_config.vocabularies, "nations": tricky})
    fig = gap_map_figure(cov.coverage_matrix(build([submission(1)]), config, column="nation"))
    texts = list(figure_strings(fig))
    assert not [t for t in texts if "<i>" in t or "& co" in t]
    assert any("&lt;i&gt;England&lt;/i&gt;" in t for t in texts)
    assert any("&amp; co" in t for t in texts)
    assert any(t.startswith("<b>All submissions</b><br>&lt;i&gt;England") for t in texts)  # hover text too


def test_line_up_overlay(matrix, call_config):
    assert not [t for t in gap_map_figure(matrix).data if t.name and "line-up" in t.name]
    marked = pd.DataFrame({"row_key": ["focus:contexts"], "column_code": ["wales"], "n": [1]})
    star = traces(gap_map_figure(matrix, line_up=marked))["In the saved line-up (★)"]
    assert cells_of(star) == {("focus:contexts", "wales")}
    cell = matrix.cell("focus:contexts", "wales")
    assert star.x[0] == pytest.approx(cell["col_pos"] + 0.3)  # beside the bubble, not on it
    assert star.hovertext[0] == "1 of the saved line-up's presenters"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([], (1.0, 5.0)),
        ([3.0], (2.5, 3.5)),
        ([2.7, 3.3], (2.5, 3.5)),
        ([1.2, 4.6], (1.0, 5.0)),
        ([4.9, 5.0], (4.0, 5.0)),
        ([NAN, 2.2], (1.5, 3.0)),
    ],
)
def test_colour_range(values, expected):
    assert colour_range(pd.Series(values, dtype=float)) == expected


def test_category_figure(call_config):
    frame = build([submission(1), submission(2, nation="scotland")], {1: (3, 3.0, 3.0)})
    counts = cov.count_by(frame, "nation", call_config)
    fig = category_figure(counts, title="Submissions by nation", category="Nation")
    assert fig.layout.title.text == "Submissions by nation"
    assert (fig.layout.xaxis.title.text, fig.layout.yaxis.title.text) == ("Submissions", "Nation")
    reviewed, waiting = fig.data[0], fig.data[1]
    assert (reviewed.name, waiting.name) == ("reviewed", "not yet reviewed")
    assert list(reviewed.y) == [c.label for c in call_config.vocabulary("nation").codes]  # empty nations kept
    assert list(reviewed.x) == [1, 0, 0, 0, 0, 0] and list(waiting.x) == [0, 1, 0, 0, 0, 0]
    assert fig.layout.barmode == "stack"


def test_review_progress_figure_with_and_without_reviews():
    deadline = dt.date(2021, 9, 24)
    progress = cov.review_progress([dt.datetime(2021, 9, 10, 12, tzinfo=dt.UTC)] * 3, due=9)
    fig = review_progress_figure(progress, due=9, deadline=deadline)
    assert fig.layout.title.text == "Review progress over time"
    assert fig.layout.yaxis.title.text == "Reviews submitted (running total)"
    names = [t.name for t in fig.data]
    assert names == ["reviews submitted", "reviews due (9)", "review deadline"]
    assert list(fig.data[0].y) == [3]
    empty = review_progress_figure(cov.review_progress([], due=0), due=0, deadline=deadline)
    assert [t.name for t in empty.data] == ["review deadline"]


@pytest.mark.parametrize(("level", "x"), [(3.0, 3.5), (3.25, 4.0), (1.0, -0.5)])
def test_score_distribution_marks_the_strength_level(level, x):
    bins = cov.score_bins(build([submission(1)], {1: (3, 3.0, 3.0)}))
    fig = score_distribution_figure(bins, level=level)
    assert fig.layout.shapes[0].x0 == pytest.approx(x)
    assert [t.name for t in fig.data] == ["calibrated score", "mean evidence strength"]
    assert fig.layout.xaxis.title.text == "Score band (1 to 5)"
