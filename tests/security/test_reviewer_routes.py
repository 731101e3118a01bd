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
from tests.conftest import ROOT
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from tests.support.figures import figure_strings
from tests.support.identity import marked_submission

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


# --- every field: a marker in each text field of an anonymous (or, in blind review, a named) submission -----


@pytest.fixture
def marked(db, call_config):
    with db.write() as s:
        people = {role: make_user(s, role=role) for role in ("admin", "office", "reviewer")}
        anon = marked_submission(s, call_config, "anon", anonymous=True, reference="CFE-0701")
        named = marked_submission(s, call_config, "named", reference="CFE-0702")
        for sub in (anon, named):
            assign(s, sub.id, people["reviewer"])
            for _ in range(2):
                reviewer = make_user(s, role="reviewer")
                assign(s, sub.id, reviewer)
                submit_review(s, call_config, sub.id, reviewer)
    return people, anon, named


@pytest.fixture
def blind_config(tmp_path, monkeypatch, call_config):
    """The app run with blind review on (a copy of call.toml that says so)."""
    path = tmp_path / "call.toml"
    text_ = (ROOT / "config" / "call.toml").read_text(encoding="utf-8")
    assert "blind = false" in text_
    path.write_text(text_.replace("blind = false", "blind = true"), encoding="utf-8")
    monkeypatch.setenv("EVIDENCE_CALL_CONFIG", str(path))
    return path


def reviewer_pages(db_url, reviewer, sub, reference) -> str:
    """Everything the reviewer's pages show of the submission: the table, the detail, My reviews."""
    at = run_app(db_url, reviewer, page=PAGE)
    shown = [texts(at)]
    at = open_ref(at, db_url, reference)
    shown.append(texts(at))
    assert f"Submission {reference}" in shown[-1]
    mine = run_app(db_url, reviewer, page="pages/my_reviews.py")
    mine.query_params["submission"] = reference
    shown.append(texts(rerun(mine, db_url)))
    assert f"Submission {reference}" in shown[-1]
    return "\n".join(shown)


def assert_nothing_hidden_reaches_the_reviewer(db_url, reviewer, sub, reference):
    shown = reviewer_pages(db_url, reviewer, sub, reference)
    for m in sub.hidden():
        assert m not in shown, m
    for m in sub.safe():  # control: what a reviewer assesses is on the page
        assert m in shown, m
    at = run_app(db_url, reviewer, page=PAGE)
    for m in sub.all():
        at.text_input(key="submissions.search").set_value(m)
        at = rerun(at, db_url)
        assert references(at) == ([reference] if m in sub.safe() else []), m


def test_no_marker_of_an_anonymous_submission_reaches_a_reviewers_pages(db_url, marked):
    people, anon, named = marked
    assert_nothing_hidden_reaches_the_reviewer(db_url, people["reviewer"], anon, "CFE-0701")
    # Control: without blind review, a named submission's identity (not its notes) is on the page.
    shown = reviewer_pages(db_url, people["reviewer"], named, "CFE-0702")
    for name, ms in named.markers.items():
        for m in ms:
            assert (m in shown) == (name != "notes"), m


def test_no_marker_of_a_named_submission_reaches_a_reviewer_in_blind_review(db_url, marked, blind_config):
    people, _anon, named = marked
    assert_nothing_hidden_reaches_the_reviewer(db_url, people["reviewer"], named, "CFE-0702")


@pytest.mark.parametrize("role", ["admin", "office"])
def test_the_admin_and_the_office_see_every_marker(db_url, marked, blind_config, role):
    people, anon, named = marked
    for sub, reference in ((anon, "CFE-0701"), (named, "CFE-0702")):
        shown = texts(open_ref(run_app(db_url, people[role], page=PAGE), db_url, reference))
        for m in sub.all():
            assert m in shown, (role, m)


def test_no_marker_of_an_anonymous_submission_is_in_charts_or_export_files(db, db_url, marked, call_config):
    people, anon, _named = marked
    for page in ("pages/rankings.py", "pages/coverage.py"):
        at = run_app(db_url, people["admin"], page=page)
        assert not at.exception
        charts = "\n".join(s for c in at.get("plotly_chart") for s in figure_strings(c.proto.spec))
        assert charts
        for m in anon.hidden():
            assert m not in charts and m not in texts(at), (page, m)
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=call_config)
        scores_file = exports_da.scores_table(s, config=call_config, scores=scores).to_csv().decode("utf-8-sig")
        data = coverage_inputs(s)
    assert anon.markers["title"][0] in scores_file  # control: it is in the file, without its identity
    frame = cov.coverage_frame(data.submissions, score_submissions(data.scores, call_config.weights))
    for content in (scores_file, cov.coverage_export(frame, call_config).to_csv()):
        for m in anon.hidden():
            assert m not in content, m
