"""The audit log in words (data_access.audit_view): names for ids, removed rows, erased submissions, paging."""

from __future__ import annotations

from data_access import assignments, audit, audit_view, privacy
from tests.factories import assign, make_submission, make_user


def _rows(db, **filters):
    with db.read() as s:
        return audit_view.readable_page(s, filters=audit.AuditFilter(**filters), page=1, page_size=100).rows


def test_a_removed_assignment_is_still_named_by_reference_title_and_person(db, call_config):
    with db.write() as s:
        rita = make_user(s, username="rita", name="Rita Reviewer")
        sid = make_submission(s, call_config, reference="IASC-0007", title="Safe houses")
        assign(s, sid, rita)
        assignments.remove_assignment(s, submission_id=sid, reviewer_id=rita.user_id, actor="test")
    [removed] = _rows(db, action="assignment.remove")
    assert removed["What happened"] == "Assignment removed"
    assert removed["What"] == "Assignment of IASC-0007 “Safe houses” (Rita Reviewer (rita))"
    assert set(removed["Changes"].splitlines()) == {  # (PostgreSQL's JSONB keeps its own order of keys)
        "Submission: IASC-0007 “Safe houses” → —",
        "Reviewer: Rita Reviewer (rita) → —",
        "Source: manual → —",
        "Had draft: no → —",
    }
    assert removed["Who"] == "test"  # an actor who is nobody's username reads as written


def test_an_erased_submissions_entries_name_it_by_the_reference_they_kept(db, call_config):
    with db.write() as s:
        sid = make_submission(s, call_config, reference="IASC-0009", title="Gone")
        privacy.erase_submission(s, submission_id=sid, actor="test", reason="request")
    [erased] = _rows(db, action="submission.erase")
    assert erased["What"] == "Submission IASC-0009 (no longer stored)"
    assert str(sid) not in erased["What"]


def test_pages_hold_the_newest_entries_first_and_a_page_past_the_end_shows_the_last(db):
    with db.write() as s:
        for n in range(7):
            audit.record(s, actor="x", action="call.setting", entity="call_state", entity_id="k", new=n)
    with db.read() as s:
        first = audit_view.readable_page(s, filters=audit.AuditFilter(actor="x"), page=1, page_size=3)
        last = audit_view.readable_page(s, filters=audit.AuditFilter(actor="x"), page=99, page_size=3)
    assert (first.total, first.pages, first.page) == (7, 3, 1)
    assert [r["Changes"] for r in first.rows] == ["After: 6", "After: 5", "After: 4"]
    assert (last.page, [r["Changes"] for r in last.rows]) == (3, ["After: 0"])
    assert first.rows[0]["What"] == "Call setting: k"
