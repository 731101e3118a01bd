"""Issue 21: Coverage's and Rankings' charts are built once per content and shared by every office session;
another user's draft save builds none again, a submitted score builds them again, and every session gets the
new figures at once."""

from __future__ import annotations

import functools

import pytest
import streamlit as st

import charts.coverage
import charts.ranking
import ui.figures
import ui.rankings
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_office_save import save_draft
from tests.support.apptest import rerun, run_app

RANKINGS, COVERAGE = "pages/rankings.py", "pages/coverage.py"
# Where each page finds its builders: the page's own imports run at every run; ui.rankings was imported once.
BUILDERS = {
    COVERAGE: [(charts.coverage, n) for n in ("gap_map_figure", "category_figure", "review_progress_figure")],
    RANKINGS: [(charts.ranking, "score_distribution_figure"), (ui.rankings, "rank_shift_figure")],
}


@pytest.fixture
def call(db, call_config):
    """Six submissions reviewed by two reviewers; a seventh assigned to the second, not yet reviewed."""
    with db.write() as s:
        offices = [make_user(s, role="office"), make_user(s, role="office")]
        reviewers = [make_user(s, name=n) for n in ("Ann Able", "Bo Baker")]
        for i in range(6):
            sid = make_submission(s, call_config, title=f"Evidence {i}")
            for j, reviewer in enumerate(reviewers):
                assign(s, sid, reviewer)
                score = 1 + (i + 2 * j) % 5
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, score))
        late = make_submission(s, call_config, title="Evidence late")
        assign(s, late, reviewers[1])
    st.cache_data.clear()
    ui.figures._figure.clear()
    yield {"offices": offices, "reviewer": reviewers[1], "late": late}
    ui.figures._figure.clear()


def count_builds(monkeypatch, builders) -> dict[str, int]:
    built = {name: 0 for _module, name in builders}
    for module, name in builders:
        real = getattr(module, name)

        @functools.wraps(real)  # the same name: the same cache key as the page's own builder
        def counted(*args, real=real, name=name, **kwargs):
            built[name] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)
    return built


def specs(at) -> dict[str, str]:
    return {c.key: c.proto.spec for c in at.get("plotly_chart")}


@pytest.mark.parametrize("page", [COVERAGE, RANKINGS])
def test_a_second_session_gets_the_figures_built_for_the_first(db, db_url, call, call_config, monkeypatch, page):
    built = count_builds(monkeypatch, BUILDERS[page])
    names = list(built)
    first = run_app(db_url, call["offices"][0], page=page)
    second = run_app(db_url, call["offices"][1], page=page)  # another person, another session
    assert not first.exception and not second.exception
    assert built == dict.fromkeys(names, 1)
    assert specs(second) == specs(first)

    # another user's draft: the submitted scores are the same, no figure is built again
    save_draft(db, call_config, call["late"], call["reviewer"], 5)
    rerun(first, db_url)
    assert built == dict.fromkeys(names, 1)
    before = specs(first)
    assert before == specs(second)

    save_draft(db, call_config, call["late"], call["reviewer"], 5, submit=True)  # the scores changed: new figures
    rerun(first, db_url)
    rerun(second, db_url)
    rebuilt = "gap_map_figure" if page == COVERAGE else "score_distribution_figure"
    assert built[rebuilt] == 2  # once, for both sessions
    assert all(count <= 2 for count in built.values())
    chart = next(
        c.key for c in first.get("plotly_chart") if c.key.startswith(("coverage.map", "rankings.distribution"))
    )
    assert specs(first)[chart] != before[chart]
    assert specs(second) == specs(first)
