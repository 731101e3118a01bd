"""Erasing a submission from the Submissions page (admin only), and what the
cached pages show afterwards."""

from sqlalchemy import select

from config.settings import DocumentLimits
from data_access import documents
from data_access.models import Submission
from documents.generate import make_pdf
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app
from tests.support.figures import figure_strings


def _call(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        office = make_user(s, role="office")
        reviewers = [make_user(s, role="reviewer") for _ in range(2)]
        target = make_submission(s, call_config, reference="CFE-0001", title="Target evidence")
        other = make_submission(s, call_config, reference="CFE-0002", title="Other evidence")
        for sid in (target, other):
            for r in reviewers:
                assign(s, sid, r)
                submit_review(s, call_config, sid, r)
    with db.write() as s:  # an evidence document on the target
        documents.attach_document(
            s,
            submission_id=target,
            name="report.pdf",
            content=make_pdf(["Target evidence"]),
            actor=documents.COMMAND_LINE,
            limits=DocumentLimits(),
        )
    return admin, office, target


def _total(coverage) -> str:
    """The gap map's "All submissions (n)" row label's count."""
    label = next(
        s
        for s in figure_strings(coverage.get("plotly_chart")[0].proto.spec)
        if s.startswith("<b>All submissions</b> <span")
    )
    return label.split(">")[-2].split("<")[0]


def _open(at, db_url, reference):
    at.query_params["ref"] = reference
    return rerun(at, db_url)


def test_admin_erases_after_typing_the_reference(db, db_url, call_config):
    admin, _office, target = _call(db, call_config)
    at = _open(run_app(db_url, admin, page="pages/submissions.py"), db_url, "CFE-0001")
    assert any(e.label == "Erase this submission" for e in at.expander)

    at.text_input(key=f"erase.confirm.{target}").input("CFE-0002")
    at.button(key=f"erase.go.{target}").click()
    at = rerun(at, db_url)
    assert any("nothing was erased" in e.value for e in at.error)
    with db.read() as s:
        assert s.get(Submission, target) is not None

    at.text_input(key=f"erase.confirm.{target}").input("CFE-0001")
    at.button(key=f"erase.go.{target}").click()
    at = rerun(at, db_url)
    assert not at.exception
    assert any("CFE-0001 was erased" in m.value and "1 evidence document(s) deleted" in m.value for m in at.success)
    assert list(at.dataframe[0].value["Reference"]) == ["CFE-0002"]
    with db.read() as s:
        assert s.scalar(select(Submission.id).where(Submission.reference == "CFE-0001")) is None


def test_the_office_has_no_erase_panel(db, db_url, call_config):
    _admin, office, _target = _call(db, call_config)
    at = _open(run_app(db_url, office, page="pages/submissions.py"), db_url, "CFE-0001")
    assert not any(e.label == "Erase this submission" for e in at.expander)
    assert not [b for b in at.button if (b.key or "").startswith("erase.")]


def test_cached_rankings_and_coverage_drop_an_erased_submission(db, db_url, call_config):
    admin, _office, target = _call(db, call_config)
    rankings = run_app(db_url, admin, page="pages/rankings.py")
    table = next(df.value for df in rankings.dataframe if "Calibrated score" in df.value.columns)
    assert "Target evidence" in set(table["Title"])
    coverage = run_app(db_url, admin, page="pages/coverage.py")
    assert _total(coverage) == "(2)"

    submissions = _open(run_app(db_url, admin, page="pages/submissions.py"), db_url, "CFE-0001")
    submissions.text_input(key=f"erase.confirm.{target}").input("CFE-0001")
    submissions.button(key=f"erase.go.{target}").click()
    rerun(submissions, db_url)

    rankings = rerun(rankings, db_url)
    table = next(df.value for df in rankings.dataframe if "Calibrated score" in df.value.columns)
    assert "Target evidence" not in set(table["Title"])
    coverage = rerun(coverage, db_url)
    assert _total(coverage) == "(1)"
