"""Issue 21: the Assignments page (admin) reads its overview, the fit and the references again only when what they
are read from changed (`ui.assignment_data`). A draft saved by a reviewer reads none of them; a review started,
submitted or reopened, an assignment, a conflict, a bid or a new submission shows on the next visit; an overview
read while a review was being submitted is never kept under the key from before (a review submitted and then
reopened gives that key back)."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy import select

import ui.assignment_data as assignment_data
from data_access import assignments as assignments_da
from data_access.expertise import set_bids
from data_access.models import Review
from data_access.reviews import back_to_draft
from data_access.users import set_role
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_assignments import open_edit_by_hand
from tests.pages.test_office_caches import count_calls
from tests.pages.test_office_save import save_draft
from tests.support.apptest import rerun, run_app, texts

PAGE = "pages/assignments.py"


@pytest.fixture
def call(db, call_config):
    """Three submissions; reviewers A and B assigned the first two; A submitted the first, B has a draft of it."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        a, b = (make_user(s, name=f"Reviewer {n}") for n in "AB")
        subs = [make_submission(s, call_config, reference=f"CFE-{i:04d}") for i in range(1, 4)]
        for sid in subs[:2]:
            for reviewer in (a, b):
                assign(s, sid, reviewer)
    save_draft(db, call_config, subs[0], b, 2)
    with db.write() as s:
        submit_review(s, call_config, subs[0], a)
    return {"admin": admin, "a": a, "b": b, "subs": subs}


def progress(at) -> dict[str, tuple[int, int, int]]:
    """Reviewer -> (drafts, submitted, not started), as the progress table shows them."""
    table = next(df.value for df in at.dataframe if "Not started" in df.value.columns).set_index("Reviewer")
    return {name: (int(r["Drafts"]), int(r["Submitted"]), int(r["Not started"])) for name, r in table.iterrows()}


def metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def visit(at, db_url) -> None:
    rerun(at, db_url)
    assert not at.exception, at.exception


@pytest.fixture
def reads(monkeypatch):
    """Every read behind the page's overview, fit and references, counted."""
    st.cache_data.clear()
    return {
        "progress": count_calls(monkeypatch, assignment_data, "review_progress"),
        "short": count_calls(monkeypatch, assignments_da, "submissions_short"),
        "conflicts": count_calls(monkeypatch, assignments_da, "conflicts_overview"),
        "fit": count_calls(monkeypatch, assignment_data, "assignment_fit"),
        "references": count_calls(monkeypatch, assignments_da, "submission_references"),
    }


def counts(reads) -> dict[str, int]:
    return {name: len(calls) for name, calls in reads.items()}


def test_a_draft_saved_again_reads_nothing_and_what_changes_shows_on_the_next_visit(
    db, db_url, call, call_config, reads
):
    at = open_edit_by_hand(db_url, call["admin"])
    at.session_state["assignments.tab"] = "Progress per reviewer"
    visit(at, db_url)
    assert progress(at) == {"Reviewer A": (0, 1, 1), "Reviewer B": (1, 0, 1)}
    assert counts(reads) == {"progress": 1, "short": 1, "conflicts": 1, "fit": 1, "references": 1}

    save_draft(db, call_config, call["subs"][0], call["b"], 4)  # another user's draft, saved again
    visit(at, db_url)
    assert counts(reads) == {"progress": 1, "short": 1, "conflicts": 1, "fit": 1, "references": 1}
    assert progress(at) == {"Reviewer A": (0, 1, 1), "Reviewer B": (1, 0, 1)}

    save_draft(db, call_config, call["subs"][1], call["a"], 3)  # a review started
    visit(at, db_url)
    assert progress(at) == {"Reviewer A": (1, 1, 0), "Reviewer B": (1, 0, 1)}
    save_draft(db, call_config, call["subs"][0], call["b"], 4, submit=True)  # the draft submitted
    visit(at, db_url)
    assert progress(at) == {"Reviewer A": (1, 1, 0), "Reviewer B": (0, 1, 1)}
    assert metric(at, "Reviews submitted") == "2"
    assert counts(reads)["fit"] == 1  # a review is nothing the fit is read from

    with db.write() as s:
        assign(s, call["subs"][2], call["a"])
        assignments_da.declare_conflict(
            s, submission_id=call["subs"][1], reviewer_id=call["b"].user_id, source="admin", reason="", actor="t"
        )
    visit(at, db_url)
    assert progress(at) == {"Reviewer A": (1, 1, 1), "Reviewer B": (0, 1, 0)}
    assert metric(at, "Conflicts of interest") == "1"
    assert counts(reads)["fit"] == 2 and counts(reads)["references"] == 1

    with db.write() as s:
        make_submission(s, call_config, reference="CFE-0099")
    at.session_state["assignments.tab"] = "Edit by hand"
    visit(at, db_url)
    assert "CFE-0099" in at.selectbox(key="assignments.edit.ref").options
    assert metric(at, "Submissions short of 3 reviewers") == "4"


def test_a_bid_moves_the_fit_and_nothing_else(db, db_url, call, call_config, reads):
    at = run_app(db_url, call["admin"], page=PAGE)
    assert not at.exception, at.exception
    fit = next(df.value for df in at.dataframe if "Eager" in df.value.columns).set_index("Reviewer")
    assert int(fit.loc["Reviewer A", "Eager"]) == 0
    with db.write() as s:
        set_bids(s, call["a"], {call["subs"][1]: (None, "eager")})
    visit(at, db_url)
    fit = next(df.value for df in at.dataframe if "Eager" in df.value.columns).set_index("Reviewer")
    assert int(fit.loc["Reviewer A", "Eager"]) == 1
    assert counts(reads) == {"progress": 1, "short": 1, "conflicts": 1, "fit": 2, "references": 0}


def test_an_overview_read_while_a_review_was_submitted_is_never_kept_under_the_key_from_before(
    db, db_url, call, call_config, monkeypatch
):
    st.cache_data.clear()
    real_key = assignments_da.progress_key
    keys_read = []

    def key_then_submit(session):
        key = real_key(session)
        keys_read.append(key)
        if len(keys_read) == 1:  # the run's key read; B's draft is submitted before the overview is read
            save_draft(db, call_config, call["subs"][0], call["b"], 5, submit=True)
        return key

    monkeypatch.setattr(assignments_da, "progress_key", key_then_submit)
    at = run_app(db_url, call["admin"], page=PAGE)
    assert not at.exception, at.exception
    assert progress(at)["Reviewer B"] == (0, 1, 1)  # what the overview read: the review submitted
    monkeypatch.setattr(assignments_da, "progress_key", real_key)

    with db.write() as s:  # reopened: the key of the first read comes back
        review = s.scalars(
            select(Review).where(Review.submission_id == call["subs"][0], Review.reviewer_id == call["b"].user_id)
        ).one()
        back_to_draft(s, review, actor="t", action="review.reopen")
    with db.read() as s:
        assert real_key(s) == keys_read[0]
    visit(at, db_url)
    assert progress(at)["Reviewer B"] == (1, 0, 1)


def test_what_the_admin_filled_reaches_no_one_else_and_a_role_taken_away_applies_at_once(db, db_url, call, reads):
    at = open_edit_by_hand(db_url, call["admin"])
    shown = texts(at) + "".join(df.value.to_string() for df in at.dataframe)
    assert "Reviewer B" in shown and "CFE-0001" in at.selectbox(key="assignments.edit.ref").options
    with db.write() as s:
        office = make_user(s, role="office")
    for person in (call["a"], office):
        other = run_app(db_url, person, page=PAGE)
        other.session_state["assignments.tab"] = "Edit by hand"
        rerun(other, db_url)
        assert not other.dataframe and not other.selectbox and not other.metric
        assert "Reviewer B" not in texts(other) and "cannot open the Assignments page" in texts(other)

    with db.write() as s:
        set_role(s, user_id=call["admin"].user_id, role="office", actor="t")
    visit(at, db_url)  # the same session, its caches warm: refused at the next request
    assert not at.dataframe and not at.selectbox and "Reviewer B" not in texts(at)
    assert counts(reads) == {"progress": 1, "short": 1, "conflicts": 1, "fit": 1, "references": 1}
