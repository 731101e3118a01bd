"""Rankings, Coverage and Exports share one calibration (`ui.scores`), cached per data version, and the
Exports page keeps its scores table the same way: once a review is submitted, every page shows the new
scores on its next run, never the cached ones."""

from __future__ import annotations

from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app


def _rankings_titles(at) -> set[str]:
    table = next(df.value for df in at.dataframe if "Calibrated score" in df.value.columns)
    return set(table["Title"])


def _scores_caption(at) -> str:
    return next(c.value for c in at.caption if "_scores_" in c.value)


def _gap_map(at) -> str:
    return at.get("plotly_chart")[0].proto.spec


def test_every_scoring_page_follows_a_newly_submitted_review(db, db_url, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        first, second = make_user(s), make_user(s)
        reviewed = [make_submission(s, call_config, title=f"Reviewed {i}") for i in range(2)]
        late = make_submission(s, call_config, title="Reviewed late")
        for sid, score in zip(reviewed, (2, 4), strict=True):
            assign(s, sid, first)
            submit_review(s, call_config, sid, first, scores=dict.fromkeys(call_config.criterion_ids, score))
        assign(s, late, second)

    # Every page fills the shared caches with the call as it is.
    rankings = run_app(db_url, admin, page="pages/rankings.py")
    exports = run_app(db_url, admin, page="pages/exports.py")
    coverage = run_app(db_url, admin, page="pages/coverage.py")
    for at in (rankings, exports, coverage):
        assert not at.exception, at.exception
    assert _rankings_titles(rankings) == {"Reviewed 0", "Reviewed 1"}
    assert _scores_caption(exports).startswith("2 rows")
    map_before = _gap_map(coverage)

    with db.write() as s:
        submit_review(s, call_config, late, second, scores=dict.fromkeys(call_config.criterion_ids, 5))

    for at in (rankings, exports, coverage):
        rerun(at, db_url)
        assert not at.exception, at.exception
    assert _rankings_titles(rankings) == {"Reviewed 0", "Reviewed 1", "Reviewed late"}
    assert _scores_caption(exports).startswith("3 rows")
    assert _gap_map(coverage) != map_before  # the late submission's cells now have a score
