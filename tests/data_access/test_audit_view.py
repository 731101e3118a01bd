"""The audit log in words (data_access.audit_view): names for ids, removed rows, erased submissions, paging."""

from __future__ import annotations

from data_access import assignments, audit, audit_view, privacy
from tests.factories import assign, make_submission, make_user
from tests.support.importer import apply_file, proposed
from tests.support.spreadsheets import template_csv, valid_row


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


def _import(db, call_config, rows, name):
    content = template_csv(rows)
    _table, mapping = proposed(content, name, call_config)
    return apply_file(db, content, name, mapping=mapping, config=call_config)


def test_an_imports_entries_name_the_import_by_its_file_never_its_number(db, call_config):
    first = _import(db, call_config, [valid_row(1, contact_name="Ada Named")], "first-responses.csv")
    again = _import(db, call_config, [valid_row(1, title="Retitled", contact_name="Ada Renamed")], "responses-2.csv")
    assert (first.counts["added"], again.counts["updated"]) == (1, 1)
    [added] = _rows(db, action="submission.create")
    assert added["Detail"] == "the import of “first-responses.csv”, row 2"
    [updated] = _rows(db, action="submission.update")
    assert updated["Detail"] == "the import of “responses-2.csv”, row 2, version 1 → 2"
    assert "Contact name: (changed by the import of “responses-2.csv”)" in updated["Changes"].splitlines()
    for row in (added, updated):
        assert "batch" not in row["Detail"] + row["Changes"]


def test_an_import_no_longer_stored_is_said_so_in_its_entries(db, call_config):
    with db.write() as s:
        audit.record(
            s, actor="x", action="submission.update", entity="submission", entity_id="CFE-0404",
            old={"contact_name": "(changed by import batch 404)"}, new={"contact_name": "(changed by import batch 404)"},
            detail="import batch 404, row 3, version 2 -> 3",
        )  # fmt: skip
    [entry] = _rows(db, actor="x")
    assert entry["Detail"] == "an import no longer stored, row 3, version 2 → 3"
    assert entry["Changes"] == "Contact name: (changed by an import no longer stored)"
    assert "404" not in entry["Detail"] + entry["Changes"]
