"""Issue 21: the office's figures built once per content of their inputs, shared by every session, and built
again whenever an input changes (a submitted score, the colour, the line-up marking, a frame's values)."""

from __future__ import annotations

import datetime as dt
import functools

import pandas as pd
import plotly.io as pio
import pytest

from charts import coverage as charts_coverage
from charts import ranking as charts_ranking
from scoring import coverage as cov
from tests.scoring.test_coverage import build, submission
from ui import figures
from ui.figures import Keyed, fingerprint, shared_figure


@pytest.fixture(autouse=True)
def empty_cache():
    figures._figure.clear()
    yield
    figures._figure.clear()


def spec(fig) -> str:
    """What Streamlit sends of a figure (`st.plotly_chart`: `plotly.io.to_json(fig, validate=False)`)."""
    return pio.to_json(fig, validate=False)


def counted(build):
    """`build`, counting its calls; the same name, so the same cache key as `build` itself."""
    calls = []

    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        calls.append(args)
        return build(*args, **kwargs)

    return wrapper, calls


def matrix_of(call_config, scored: dict) -> cov.CoverageMatrix:
    frame = build(
        [
            submission(1),
            submission(2, focus_areas=["contexts"]),
            submission(3, focus_areas=["advocacy"], themes=["support_responses"]),
            submission(4, focus_areas=["contexts"], nation="wales"),
        ],
        scored,
    )
    return cov.coverage_matrix(frame, call_config, column="nation", level=3)


SCORED = {1: (3, 4.0, 4.5), 2: (3, 2.0, 1.5), 4: (2, 3.0, 3.0)}


def test_the_shared_figure_is_the_fresh_one_built_once_and_the_same_object_for_the_next_caller(call_config):
    gap_map, calls = counted(charts_coverage.gap_map_figure)
    matrix = matrix_of(call_config, SCORED)
    first = shared_figure(gap_map, matrix, colour_by="score", line_up=None)
    assert spec(first) == spec(charts_coverage.gap_map_figure(matrix, colour_by="score"))
    again = shared_figure(gap_map, matrix_of(call_config, SCORED), colour_by="score", line_up=None)  # equal content
    assert again is first  # another session's run: the shared figure, not a copy
    assert len(calls) == 1
    assert spec(first) == spec(charts_coverage.gap_map_figure(matrix, colour_by="score"))  # unchanged by the reads


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"scored": {**SCORED, 1: (3, 4.5, 4.5)}}, id="a submitted score"),
        pytest.param({"colour_by": "strength"}, id="colour by"),
        pytest.param(
            {"line_up": pd.DataFrame({"row_key": ["all"], "column_code": ["england"], "n": [1]})}, id="line-up"
        ),
    ],
)
def test_a_changed_input_builds_another_figure_equal_to_a_fresh_one(call_config, change):
    gap_map, calls = counted(charts_coverage.gap_map_figure)
    options = {"colour_by": "score", "line_up": None}
    before = shared_figure(gap_map, matrix_of(call_config, SCORED), **options)
    options.update({k: v for k, v in change.items() if k != "scored"})
    matrix = matrix_of(call_config, change.get("scored", SCORED))
    after = shared_figure(gap_map, matrix, **options)
    assert len(calls) == 2
    assert spec(after) != spec(before)
    assert spec(after) == spec(charts_coverage.gap_map_figure(matrix, **options))


def test_a_line_up_marking_is_part_of_the_key_cell_by_cell(call_config):
    matrix = matrix_of(call_config, SCORED)
    one = pd.DataFrame({"row_key": ["all"], "column_code": ["england"], "n": [1]})
    other = pd.DataFrame({"row_key": ["all"], "column_code": ["wales"], "n": [1]})
    marked = shared_figure(charts_coverage.gap_map_figure, matrix, colour_by="score", line_up=one)
    elsewhere = shared_figure(charts_coverage.gap_map_figure, matrix, colour_by="score", line_up=other)
    assert marked is not elsewhere
    assert spec(elsewhere) == spec(charts_coverage.gap_map_figure(matrix, colour_by="score", line_up=other))


def test_keyed_inputs_are_keyed_by_their_key_and_the_builder_gets_the_value():
    distribution, calls = counted(charts_ranking.score_distribution_figure)
    labels = {"relevance": "Relevance"}
    scores = pd.DataFrame({"criterion": ["relevance"] * 3, "score": [1.0, 3.0, None]})
    first = shared_figure(distribution, Keyed(scores, "content-1"), labels)
    assert calls[0][0] is scores
    assert spec(first) == spec(charts_ranking.score_distribution_figure(scores, labels))
    assert shared_figure(distribution, Keyed(scores.copy(), "content-1"), labels) is first
    changed = scores.assign(score=[2.0, 3.0, None])
    second = shared_figure(distribution, Keyed(changed, "content-2"), labels)  # the scores' content key moved
    assert second is not first and len(calls) == 2
    assert spec(second) == spec(charts_ranking.score_distribution_figure(changed, labels))


def test_each_builder_has_its_own_figures():
    counts = pd.DataFrame({"band": ["1–1.5"], "lower": [1.0], "calibrated": [2], "evidence_strength": [1]})
    progress = pd.DataFrame({"date": [dt.date(2026, 1, 5)], "cumulative": [2]})
    one = shared_figure(charts_coverage.score_distribution_figure, counts, level=3.0)
    two = shared_figure(charts_coverage.review_progress_figure, progress, due=4, deadline=dt.date(2026, 1, 9))
    assert one is not two
    assert "Review progress over time" in str(two.layout.title.text)


FRAME = pd.DataFrame({"id": [1, 2], "ids": [[1, 2], [3]], "score": [1.5, float("nan")], "label": ["a", None]})


@pytest.mark.parametrize(
    "changed",
    [
        pytest.param(FRAME.assign(score=[1.5, 2.0]), id="a value"),
        pytest.param(FRAME.assign(ids=[[1, 2], [4]]), id="an id in a cell's list"),
        pytest.param(FRAME.assign(label=["a", "b"]), id="a label"),
        pytest.param(FRAME.set_axis([5, 6]), id="the index"),
        pytest.param(FRAME.rename(columns={"label": "name"}), id="a column's name"),
        pytest.param(FRAME.iloc[::-1], id="the order"),
        pytest.param(FRAME.astype({"id": float}), id="a type"),
        pytest.param(FRAME.assign(label=["a", 1]), id="a number for a text"),
        pytest.param(FRAME.assign(label=["a", "None"]), id="a text for nothing"),
    ],
)
def test_the_fingerprint_follows_the_content(changed):
    assert fingerprint(FRAME, level=3) == fingerprint(FRAME.copy(deep=True), level=3)
    assert fingerprint(FRAME, level=3) != fingerprint(changed, level=3)
    assert fingerprint(FRAME, level=3) != fingerprint(FRAME, level=3.5)
    assert fingerprint([1, 2]) != fingerprint((1, 2)) and fingerprint("1") != fingerprint(1)


def test_what_has_no_content_digest_is_refused_not_guessed():
    with pytest.raises(TypeError, match="Keyed"):
        fingerprint(object())
    with pytest.raises(ValueError, match="local"):
        shared_figure(lambda: charts_coverage.review_progress_figure(pd.DataFrame(), due=0, deadline=dt.date.today()))
    assert fingerprint(Keyed(object(), "k")) == fingerprint(Keyed(object(), "k"))
