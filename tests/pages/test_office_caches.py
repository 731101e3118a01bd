"""Issue 21: the office's pages after another user's save. What each part of Rankings and Coverage is
read or computed from is read again only when that changed (a reviewer's save reads no submission's codes
again, and fits the calibration from where the last fit ended, to the cold fit's numbers); a change shows
at once on the next run; the rank-shift chart draws the top of the ranking, every point on request, in a
fragment whose own reruns check the role again."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import update
from streamlit.testing.v1 import local_script_runner

import ui.coverage
import ui.paging
import ui.scores
from data_access import audit
from data_access.models import Submission, User
from data_access.reviews import scores_frame
from scoring import calibrate
from scoring import coverage as scoring_coverage
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import download, rerun, run_app
from tests.support.figures import figure_strings
from ui.guard import wrong_role_message

RANKINGS, COVERAGE = "pages/rankings.py", "pages/coverage.py"


@pytest.fixture
def call(db, call_config):
    """Twelve submissions reviewed by three reviewers (lenient, harsh, in between); one more assigned only."""
    with db.write() as s:
        office = make_user(s, role="office")
        reviewers = [make_user(s, name=n) for n in ("Lenient Lee", "Harsh Hal", "Middle Mo")]
        ids = [make_submission(s, call_config, title=f"Evidence {i:02d}") for i in range(12)]
        for i, sid in enumerate(ids):
            for j, reviewer in enumerate(reviewers):
                if (i + j) % 3 == 2:
                    continue  # two reviewers each
                assign(s, sid, reviewer)
                score = max(1, min(5, 1 + (i * 7 + j * 3) % 5 + (1 if j == 0 else 0)))
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, score))
        late = make_submission(s, call_config, title="Evidence late")
        assign(s, late, reviewers[2])
    return {"office": office, "reviewers": reviewers, "ids": ids, "late": late}


def main_table(at) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "Calibrated score" in df.value.columns)


def count_calls(monkeypatch, module, name: str) -> list:
    calls = []
    real = getattr(module, name)

    def counted(*args, **kwargs):
        calls.append(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, counted)
    return calls


def test_a_save_shows_at_once_warm_fitted_to_the_cold_fits_scores_and_reads_no_codes_again(
    db, db_url, call, call_config, monkeypatch
):
    rankings = run_app(db_url, call["office"], page=RANKINGS)
    coverage = run_app(db_url, call["office"], page=COVERAGE)
    assert not rankings.exception and not coverage.exception
    codes = count_calls(monkeypatch, ui.coverage.coverage_da, "submission_codes")
    fits = count_calls(monkeypatch, ui.scores, "calibrate")

    with db.write() as s:  # another user's save: the late submission's review
        submit_review(
            s, call_config, call["late"], call["reviewers"][2], scores=dict.fromkeys(call_config.criterion_ids, 5)
        )
    rerun(rankings, db_url)
    rerun(coverage, db_url)
    assert not rankings.exception and not coverage.exception
    table = main_table(rankings)
    assert "Evidence late" in set(table["Title"])  # shown at once
    assert codes == []  # the submissions' codes were not read again: a review changed, not a submission
    assert len(fits) == 1 and fits[0]["start"] is not None  # one fit for both pages, from the last one's end
    with db.read() as s:
        cold = calibrate(
            scores_frame(s), call_config.weights, disagreement_threshold=call_config.disagreement_threshold
        )
    by_title = table.set_index("Title")["Calibrated score"]
    with db.read() as s:
        titles = dict(s.execute(Submission.__table__.select().with_only_columns(Submission.id, Submission.title)).all())
    expected = cold.submissions["overall_calibrated"].rename(index=titles).round(2)
    assert (by_title.reindex(expected.index) - expected).abs().max() <= 0.011  # cold fit's, within 0.01 (+rounding)

    with db.write() as s:  # a submission edited: its codes are read again, the scores are not fitted again
        s.execute(update(Submission).where(Submission.id == call["ids"][0]).values(title="Evidence renamed"))
    rerun(rankings, db_url)
    rerun(coverage, db_url)
    assert "Evidence renamed" in set(main_table(rankings)["Title"])
    assert len(codes) == 1
    assert len(fits) == 1


def shift_points(at) -> int:
    chart = next(c for c in at.get("plotly_chart") if "Rank by plain mean" in "".join(figure_strings(c.proto.spec)))
    return sum(len(t["text"]) for t in json.loads(chart.proto.spec)["data"] if t.get("mode") == "markers")


def test_the_rank_shift_chart_draws_the_top_and_every_point_on_request(db_url, call, monkeypatch):
    monkeypatch.setattr(ui.paging, "CHART_TOP", 5)
    at = run_app(db_url, call["office"], page=RANKINGS)
    reviewed = len(main_table(at))
    assert reviewed == 12
    assert shift_points(at) == 5
    assert any("one of the top 5 submissions" in c.value for c in at.caption)
    at.toggle(key="rankings.shift.all").set_value(True)
    rerun(at, db_url)
    assert shift_points(at) == reviewed
    monkeypatch.setattr(ui.paging, "CHART_TOP", 50)  # a call smaller than the top: every point, no choice
    rerun(at, db_url)
    assert shift_points(at) == reviewed
    assert at.toggle(key="rankings.shift.all").disabled


def fragment_rerun(at, db_url) -> None:
    """Rerun only the fragments of the last run, as a widget inside one asks the server to."""
    ids = list(at._fragment_storage._fragments)
    assert ids, "the page has no fragment"
    real = local_script_runner.RerunData

    def scoped(**kwargs):
        return real(**kwargs, fragment_id_queue=list(ids))

    local_script_runner.RerunData = scoped
    try:
        rerun(at, db_url)
    finally:
        local_script_runner.RerunData = real


def fragment_charts(at, prefix: str) -> list[str]:
    return [c.key for c in at.get("plotly_chart") if (c.key or "").startswith(prefix)]


@pytest.mark.parametrize(
    ("page", "key", "chart"), [(RANKINGS, "rankings", "rankings.shift"), (COVERAGE, "coverage", "coverage.map.")]
)
def test_a_fragment_rerun_checks_the_role_again(db, db_url, call, page, key, chart):
    """Rankings' rank-shift chart and Coverage's gap map with its cells' list rerun alone (a toggle, a click);
    such a rerun is no run of the page, and checks the role all the same."""
    at = run_app(db_url, call["office"], page=page)
    assert fragment_charts(at, chart)
    fragment_rerun(at, db_url)  # still the office: the fragment's chart again
    assert not at.exception and not at.error
    assert fragment_charts(at, chart)
    with db.write() as s:
        s.execute(update(User).where(User.id == call["office"].user_id).values(role="reviewer"))
    fragment_rerun(at, db_url)
    assert [e.value for e in at.error] == [wrong_role_message("reviewer", key)]
    assert fragment_charts(at, chart) == []  # nothing of the fragment drawn
    with db.read() as s:
        denied = audit.list_entries(s, filters=audit.AuditFilter(actor=call["office"].username))
    assert "access.denied" in set(denied["action"])


def test_exports_builds_the_coverage_table_only_at_the_click(db, db_url, call, call_config, monkeypatch):
    """Drawing the Exports page (on every visit after a change) builds no coverage table: its row count
    comes from the call's taxonomy, and the table is made at the click, the same count of rows."""
    built = count_calls(monkeypatch, scoring_coverage, "coverage_export")
    at = run_app(db_url, call["office"], page="pages/exports.py")
    assert not at.exception, at.exception
    assert built == []
    rows = scoring_coverage.coverage_export_rows(call_config)
    assert any(c.value.startswith(f"{rows} rows · ") and "coverage" in c.value for c in at.caption)
    button = next(b for b in at.download_button if b.label == "Download the coverage table")
    _url, content = download(button)
    assert len(built) == 1
    assert len(content.decode("utf-8-sig").strip().splitlines()) == 1 + rows  # the header, then every cell
