"""No route leads a reviewer to what they may not read.

Routes tried here, beyond the page-by-page tests (tests/pages/test_access.py,
test_submissions_page.py, test_my_reviews.py): the Submissions page's search
box and filters (searching for a hidden identity, an unassigned or conflicted
submission, or the office's notes finds nothing), its detail view (a
conflicted submission shows its reference alone and no review; the others'
reviews appear only once one's own is submitted, and without names), and, for
everyone, the charts and export files (no anonymous contributor's identity).
"""

from __future__ import annotations

import pytest

from data_access import exports as exports_da
from data_access import lineups as lineups_da
from data_access.assignments import declare_conflict
from data_access.coverage import coverage_inputs
from data_access.models import Submission
from scoring import coverage as cov
from scoring import score_submissions
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from tests.support.figures import figure_strings

PAGE = "pages/submissions.py"
ANONYMOUS_IDENTITY = ("Hidden Harbour Trust", "Hidden Hana", "hana@hidden.example")


@pytest.fixture
def call(db, call_config):
    """Reviewer R: one submission to review (also reviewed by Q), one anonymous, one in conflict."""
    with db.write() as s:
        people = {
            "office": make_user(s, role="office"),
            "admin": make_user(s, role="admin"),
            "r": make_user(s, name="Rhea Reader"),
            "q": make_user(s, name="Quentin Quill"),
        }
        subs = {
            "mine": make_submission(s, call_config, title="Mine to review", nation="england", notes="Office-only note"),
            "anonymous": make_submission(
                s,
                call_config,
                title="Anonymous evidence",
                anonymous=True,
                organisation=ANONYMOUS_IDENTITY[0],
                contact_name=ANONYMOUS_IDENTITY[1],
                contact_email=ANONYMOUS_IDENTITY[2],
                nation="england",
            ),
            "conflict": make_submission(s, call_config, title="Conflicted evidence", nation="wales"),
            "other": make_submission(s, call_config, title="Someone else's evidence", nation="scotland"),
        }
        for key in ("mine", "anonymous", "conflict"):
            assign(s, subs[key], people["r"])
        declare_conflict(
            s, submission_id=subs["conflict"], reviewer_id=people["r"].user_id, actor="test", source="admin"
        )
        for key in ("mine", "anonymous", "conflict", "other"):
            assign(s, subs[key], people["q"])
            submit_review(s, call_config, subs[key], people["q"], comment=f"Quentin on {key}")
    return people | {"subs": subs}


def references(at) -> list[str]:
    return list(at.dataframe[0].value["Reference"])


def open_ref(at, db_url: str, reference: str):
    at.query_params["ref"] = reference
    return rerun(at, db_url)


@pytest.mark.parametrize(
    "needle",
    ["Hidden Harbour", "Hidden Hana", "hidden.example", "Conflicted", "Someone else", "Office-only", "Quentin"],
)
def test_searching_finds_nothing_a_reviewer_may_not_read(db_url, call, needle):
    at = run_app(db_url, call["r"], page=PAGE)
    at.text_input(key="submissions.search").input(needle)
    at = rerun(at, db_url)
    assert references(at) == []
    assert needle not in texts(at)
    office = run_app(db_url, call["office"], page=PAGE)
    office.text_input(key="submissions.search").input(needle)
    found = references(rerun(office, db_url))
    # Control: the office's search reaches names and every submission (the search box does not look in
    # e-mail addresses, notes or reviews).
    assert bool(found) == (needle not in ("hidden.example", "Office-only", "Quentin"))


def test_filters_list_only_the_reviewers_own_submissions(db_url, call):
    at = run_app(db_url, call["r"], page=PAGE)
    assert len(references(at)) == 2  # the conflicted one is not listed at all
    for nation, expected in (("wales", 0), ("scotland", 0), ("england", 2)):
        at.multiselect(key="submissions.filter.nation").set_value([nation])
        at = rerun(at, db_url)
        assert len(references(at)) == expected, nation
    assert not [w for w in at.radio if w.key == "submissions.filter.anonymous"]  # no filter on anonymity either


def test_a_conflicted_submission_opened_by_its_reference_shows_the_reference_alone(db, db_url, call):
    at = run_app(db_url, call["r"], page=PAGE)
    with db.read() as s:
        reference = s.get(Submission, call["subs"]["conflict"]).reference
    at = open_ref(at, db_url, reference)
    shown = texts(at)
    assert "declared a conflict of interest" in shown
    for secret in ("Conflicted evidence", "Quentin", "Reviews", "A summary of the evidence"):
        assert secret not in shown, secret


def test_others_reviews_appear_in_the_detail_only_after_submitting_ones_own_and_without_names(
    db, db_url, call, call_config
):
    at = run_app(db_url, call["r"], page=PAGE)
    mine = at.dataframe[0].value.set_index("Title").loc["Mine to review", "Reference"]
    at = open_ref(at, db_url, mine)
    shown = texts(at)
    assert "Mine to review" in shown
    assert "appear here once you have submitted your own" in shown
    assert "Quentin" not in shown
    with db.write() as s:
        submit_review(s, call_config, call["subs"]["mine"], call["r"], comment="Rhea's own comment")
    at = open_ref(run_app(db_url, call["r"], page=PAGE), db_url, mine)
    shown = texts(at)
    assert "Quentin on mine" in shown and "Rhea's own comment" in shown
    assert "Reviewer A" in shown and "Quentin Quill" not in shown
    assert "Office-only note" not in shown


def test_charts_and_export_files_never_carry_an_anonymous_identity(db, db_url, call, call_config):
    for page in ("pages/rankings.py", "pages/coverage.py"):
        at = run_app(db_url, call["admin"], page=page)
        assert not at.exception
        charts = "\n".join(s for c in at.get("plotly_chart") for s in figure_strings(c.proto.spec))
        assert charts
        for secret in ANONYMOUS_IDENTITY:
            assert secret not in charts, (page, secret)
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=call_config)
        scores_file = exports_da.scores_table(s, config=call_config, scores=scores)
        data = coverage_inputs(s)
    assert "Anonymous evidence" in [r["Title"] for r in scores_file.rows]  # it is in the file, without its identity
    frame = cov.coverage_frame(data.submissions, score_submissions(data.scores, call_config.weights))
    coverage_file = cov.coverage_export(frame, call_config).to_csv()
    for content in (scores_file.to_csv().decode("utf-8-sig"), coverage_file):
        for secret in ANONYMOUS_IDENTITY:
            assert secret not in content
