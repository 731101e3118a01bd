"""Keeping in step with re-exports (issue 19), on SQLite and PostgreSQL: a source key (the form's
response ID) makes a re-export update the submissions its rows made, add new keys and leave the rest;
a file with some columns only updates those; a changed submission is "changed since your review"
for its reviewers and marked for the admin; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data_access import assignments, imports, reviews, submission_changes
from data_access.models import AuditEntry, ImportBatch, Submission, SubmissionChange
from importing import FIELD_NAMES, ColumnMapping, ImportRefused, propose_mapping, read_table
from tests.factories import assign, make_user, submit_review
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import csv_bytes, valid_row

LIMIT = 10 * 1024 * 1024
HEADERS = ["Response ID", *(n for n in FIELD_NAMES if n != "reference")]


def export(rows: list[tuple[str, dict[str, str]]], headers: list[str] = HEADERS) -> bytes:
    """A form's export: each row's response ID, then its answers (no office reference)."""
    return csv_bytes(headers, [[key, *(values.get(h, "") for h in headers[1:])] for key, values in rows])


def answers(n: int, **overrides: str) -> dict[str, str]:
    row = valid_row(n, **overrides)
    row.pop("reference")
    return row


def mapping_of(content: bytes, config, **changes) -> ColumnMapping:
    mapping = propose_mapping(read_table(content, "export.csv", max_bytes=LIMIT), config)
    for name, value in changes.items():
        setattr(mapping, name, value)
    return mapping


def preview(db, content, config, mapping=None):
    with db.read() as s:
        return imports.preview_import(
            s,
            content=content,
            filename="export.csv",
            mapping=mapping or mapping_of(content, config),
            config=config,
            max_bytes=LIMIT,
        )


def run(db, content, config, mapping=None, **kwargs):
    with db.write() as s:
        return imports.apply_import(
            s,
            content=content,
            filename="export.csv",
            mapping=mapping or mapping_of(content, config),
            config=config,
            max_bytes=LIMIT,
            actor="admin",
            **kwargs,
        )


def stored(db) -> dict[str, tuple[str, str, int]]:
    """source key -> (reference, title, version)."""
    with db.read() as s:
        rows = s.execute(select(Submission.source_key, Submission.reference, Submission.title, Submission.version))
        return {key: (ref, title, version) for key, ref, title, version in rows}


FIRST = export([(f"R_{n}", answers(n)) for n in (1, 2, 3)])


def test_the_response_id_is_guessed_as_the_key_and_stored_with_each_new_submission(db, call_config):
    mapping = mapping_of(FIRST, call_config)
    assert mapping.key == "Response ID" and "reference" not in mapping.columns  # a key, not the office's reference
    result = run(db, FIRST, call_config)
    assert result.counts["added"] == 3
    assert stored(db) == {f"R_{n}": (f"CFE-{n:04d}", f"Evidence number {n}", 1) for n in (1, 2, 3)}


def test_a_re_export_updates_edited_rows_adds_new_keys_and_leaves_the_rest(db, call_config):
    run(db, FIRST, call_config)
    before = stored(db)
    # R_1 edited (title and nation), R_2 as it was, R_3 not in the file, R_4 and R_5 new
    again = export(
        [
            ("R_1", answers(1, title="Evidence number 1, revised", nation="Wales")),
            ("R_2", answers(2)),
            ("R_4", answers(4)),
            ("R_5", answers(5)),
        ]
    )
    plan = preview(db, again, call_config)
    assert (plan.counts["added"], plan.counts["updated"], plan.counts["unchanged"]) == (2, 1, 1)
    (update,) = plan.rows_with("update")
    assert update.changes == {
        "title": ("Evidence number 1", "Evidence number 1, revised"),
        "nation": ("england", "wales"),
    }
    result = run(db, again, call_config, expected_fingerprint=plan.fingerprint)
    assert result.counts == {**plan.counts, "flags": 0}  # the preview said what the import did

    after = stored(db)
    assert len(after) == 5 and set(after) == {f"R_{n}" for n in (1, 2, 3, 4, 5)}  # never a duplicate
    assert after["R_1"] == (before["R_1"][0], "Evidence number 1, revised", 2)
    assert after["R_2"] == before["R_2"] and after["R_3"] == before["R_3"]  # unchanged, and not in the file
    # the same re-export again changes nothing
    assert run(db, again, call_config).counts["updated"] == 0 and len(stored(db)) == 5
    with db.read() as s:
        (change,) = s.execute(select(SubmissionChange.fields, SubmissionChange.import_batch_id)).all()
        batch = s.scalar(select(ImportBatch.id).order_by(ImportBatch.id.desc()))
    assert sorted(change[0]) == ["nation", "title"] and change[1] == batch  # provenance: which batch, which fields


def test_a_repeated_key_is_refused_naming_the_rows_and_nothing_is_written(db, call_config):
    content = export([("R_1", answers(1)), ("R_2", answers(2)), ("R_1", answers(3))])
    assert mapping_of(content, call_config).key is None  # not guessed: its values are not all different
    mapping = mapping_of(content, call_config, key="Response ID")  # the coordinator's choice, or a saved mapping's
    plan = preview(db, content, call_config, mapping)
    repeated = [p for p in plan.problems if p.column == "Response ID"]
    assert [(p.row, p.problem) for p in repeated] == [
        (2, "The same key is also in row 4: one key must name one response."),
        (4, "The same key is also in row 2: one key must name one response."),
    ]
    with pytest.raises(imports.ImportHasProblems):
        run(db, content, call_config, mapping)
    assert table_contents(db)["submissions"] == []


def test_a_row_without_a_key_value_is_refused(db, call_config):
    content = export([("R_1", answers(1)), ("  ", answers(2))])
    plan = preview(db, content, call_config, mapping_of(content, call_config, key="Response ID"))
    assert [(p.row, p.column) for p in plan.problems] == [(3, "Response ID")]
    assert "no value in \u201cResponse ID\u201d" in plan.problems[0].problem


def test_a_file_with_the_key_and_one_column_updates_only_that_field(db, call_config):
    run(db, FIRST, call_config)
    with db.read() as s:
        summary_before = s.scalar(select(Submission.summary).where(Submission.source_key == "R_2"))
    partial = csv_bytes(["Response ID", "Which nation?"], [["R_2", "Scotland"], ["R_3", "England"]])
    mapping = ColumnMapping({"nation": "Which nation?"}, {}, "Response ID")
    plan = preview(db, partial, call_config, mapping)
    assert plan.ok, plan.problems  # title, summary and themes are not needed to update
    assert [(r.action, r.changes) for r in plan.rows] == [
        ("update", {"nation": ("england", "scotland")}),
        ("unchanged", {}),
    ]
    run(db, partial, call_config, mapping)
    with db.read() as s:
        row = s.execute(
            select(Submission.nation, Submission.summary, Submission.title).where(Submission.source_key == "R_2")
        ).one()
    assert row == ("scotland", summary_before, "Evidence number 2")


def test_a_new_row_in_a_file_with_some_columns_only_is_refused_with_a_clear_message(db, call_config):
    run(db, FIRST, call_config)
    before = table_contents(db)
    partial = csv_bytes(["Response ID", "Which nation?"], [["R_2", "Scotland"], ["R_9", "Wales"]])
    mapping = ColumnMapping({"nation": "Which nation?"}, {}, "Response ID")
    plan = preview(db, partial, call_config, mapping)
    (problem,) = plan.problems
    assert (problem.row, problem.column, problem.value) == (3, "Response ID", "R_9")
    assert "would add a new submission" in problem.problem and "Title, Summary, Themes" in problem.problem
    with pytest.raises(imports.ImportHasProblems):
        run(db, partial, call_config, mapping)
    assert table_contents(db) == before


def test_without_a_key_or_reference_a_file_still_needs_the_required_columns(db, call_config):
    partial = csv_bytes(["Which nation?"], [["Wales"]])
    plan = preview(db, partial, call_config, ColumnMapping({"nation": "Which nation?"}, {}))
    said_for_the_file = {p.column for p in plan.problems if p.row is None}
    assert {"Title", "Summary", "Themes"} <= said_for_the_file and not [p for p in plan.problems if p.row]


def test_a_key_cannot_move_a_response_to_another_submission(db, call_config):
    """A re-export whose row carries one submission's key and another's reference is refused."""
    headers = ["Response ID", *FIELD_NAMES]
    first = csv_bytes(headers, [[f"R_{n}", *(valid_row(n).get(h, "") for h in FIELD_NAMES)] for n in (1, 2)])
    run(db, first, call_config)
    before = table_contents(db)
    tampered = csv_bytes(headers, [["R_1", *(valid_row(2, title="Taken over").get(h, "") for h in FIELD_NAMES)]])
    plan = preview(db, tampered, call_config)
    (problem,) = plan.problems
    assert "This key belongs to CFE-0001, but the row's reference is CFE-0002" in problem.problem
    # nor can a reference give its submission a new key
    rekeyed = csv_bytes(headers, [["R_77", *(valid_row(2, title="Taken over").get(h, "") for h in FIELD_NAMES)]])
    (problem,) = preview(db, rekeyed, call_config).problems
    assert "cannot give a submission a new key" in problem.problem
    for content in (tampered, rekeyed):
        with pytest.raises(imports.ImportHasProblems):
            run(db, content, call_config)
    assert table_contents(db) == before


def test_a_submission_imported_before_it_had_a_key_takes_it_by_its_reference(db, call_config):
    headers = ["Response ID", *FIELD_NAMES]
    without_key = csv_bytes(list(FIELD_NAMES), [[valid_row(1).get(h, "") for h in FIELD_NAMES]])
    run(db, without_key, call_config, mapping_of(without_key, call_config))
    with_key = csv_bytes(headers, [["R_1", *(valid_row(1).get(h, "") for h in FIELD_NAMES)]])
    plan = preview(db, with_key, call_config)
    assert [(r.action, r.changes) for r in plan.rows] == [("update", {"source_key": (None, "R_1")})]
    run(db, with_key, call_config)
    assert stored(db) == {"R_1": ("CFE-0001", "Evidence number 1", 2)}
    with db.read() as s:  # a key recorded for the first time changes no content: no "changed since your review"
        assert s.scalar(select(func.count()).select_from(SubmissionChange)) == 0


def test_a_key_that_looks_like_a_formula_is_stored_as_typed_and_matches_again(db, call_config):
    key = '=HYPERLINK("http://evil.example","x")'
    content = export([(key, answers(1))])
    mapping = mapping_of(content, call_config, key="Response ID")
    run(db, content, call_config, mapping)
    assert list(stored(db)) == [key]
    again = export([(key, answers(1, title="Edited"))])
    assert run(db, again, call_config, mapping).counts["updated"] == 1
    assert stored(db)[key][1] == "Edited" and len(stored(db)) == 1


def test_a_changed_submission_is_changed_since_the_review_until_the_reviewer_saves_again(db, call_config):
    run(db, FIRST, call_config)
    with db.write() as s:
        ids = dict(s.execute(select(Submission.source_key, Submission.id)).all())
        reviewer = make_user(s)
        other = make_user(s)
        for sid in ids.values():
            assign(s, sid, reviewer)
        assign(s, ids["R_1"], other)
        submit_review(s, call_config, ids["R_1"], reviewer)
        submit_review(s, call_config, ids["R_2"], reviewer)
    run(db, export([("R_1", answers(1, title="New title", summary="New summary")), ("R_2", answers(2))]), call_config)
    with db.read() as s:
        assert submission_changes.changed_since_review(s, reviewer_id=reviewer.user_id) == {
            ids["R_1"]: ["Title", "Summary"]
        }
        assert submission_changes.changed_since_review(s, reviewer_id=other.user_id) == {}  # no review yet
        assert submission_changes.changed_after_reviews(s) == {ids["R_1"]: ["Title", "Summary"]}
        version = reviews.get_own_review(s, submission_id=ids["R_1"], reviewer_id=reviewer.user_id).version
    with db.write() as s:  # the reviewer saves their review again: the mark clears
        reviews.save_review(
            s,
            submission_id=ids["R_1"],
            reviewer_id=reviewer.user_id,
            actor=reviewer.username,
            draft=reviews.ReviewDraft(
                scores=dict.fromkeys(call_config.criterion_ids, 4),
                comment="Read again.",
                recommendation="feature",
                confidence="medium",
            ),
            submit=True,
            expected_version=version,
            config=call_config,
        )
    with db.read() as s:
        assert submission_changes.changed_since_review(s, reviewer_id=reviewer.user_id) == {}
        assert submission_changes.changed_after_reviews(s) == {}


def test_an_anonymous_contributors_identity_is_not_copied_into_the_change_record_or_the_audit(db, call_config):
    secret_old, secret_new = "Ada Hidden-Person", "Ada Renamed-Person"
    run(db, export([("R_1", answers(1, anonymous="yes", contact_name=secret_old, organisation=""))]), call_config)
    run(db, export([("R_1", answers(1, anonymous="yes", contact_name=secret_new, organisation=""))]), call_config)
    with db.read() as s:
        changes = s.execute(select(SubmissionChange.fields)).scalars().all()
        entries = s.execute(select(AuditEntry.action, AuditEntry.old, AuditEntry.new, AuditEntry.detail)).all()
    assert changes == [["contact_name"]]
    update = [e for e in entries if e.action == "submission.update"]
    assert update and update[0].old == {"contact_name": "(changed by import batch 2)"}
    logged = repr([e for e in entries if e.action in ("submission.update", "import.file")])
    assert secret_old not in logged and secret_new not in logged
    (import_entry,) = [e for e in entries if e.action == "import.file" and e.new["counts"]["updated"]]
    assert import_entry.new["updated_fields"] == {"contact_name": 1} and import_entry.new["key"] == "Response ID"


def test_a_saved_mapping_remembers_its_key(db, call_config):
    mapping = mapping_of(FIRST, call_config)
    with db.write() as s:
        imports.save_mapping(s, name="Online form", mapping=mapping, actor="admin")
    with db.read() as s:
        assert imports.list_mappings(s)["Online form"].key == "Response ID"
    with db.write() as s:
        imports.save_mapping(s, name="Online form", mapping=ColumnMapping(mapping.columns, {}, None), actor="admin")
    with db.read() as s:
        assert imports.list_mappings(s)["Online form"].key is None


def test_a_key_column_that_is_not_in_the_file_is_a_problem_of_the_file(db, call_config):
    mapping = mapping_of(FIRST, call_config, key="Token")
    problems = preview(db, FIRST, call_config, mapping).problems
    assert [p.problem for p in problems if p.row is None] == [
        "The column \u201cToken\u201d chosen as the key is not in this file."
    ]
    with pytest.raises((imports.ImportHasProblems, ImportRefused)):
        run(db, FIRST, call_config, mapping)
    assert table_contents(db)["submissions"] == []


def test_a_reviewer_in_conflict_with_a_changed_submission_is_not_told_what_changed(db, call_config):
    run(db, FIRST, call_config)
    with db.write() as s:
        sid = s.scalar(select(Submission.id).where(Submission.source_key == "R_1"))
        reviewer = make_user(s)
        assign(s, sid, reviewer)
        reviews.save_review(
            s,
            submission_id=sid,
            reviewer_id=reviewer.user_id,
            actor=reviewer.username,
            draft=reviews.ReviewDraft(scores={}, comment="A first look.", recommendation=None, confidence=None),
            submit=False,
            expected_version=None,
            config=call_config,
        )
    run(db, export([("R_1", answers(1, title="Changed"))]), call_config)
    with db.read() as s:
        assert submission_changes.changed_since_review(s, reviewer_id=reviewer.user_id) == {sid: ["Title"]}  # a draft
    with db.write() as s:
        assignments.declare_conflict(
            s, submission_id=sid, reviewer_id=reviewer.user_id, actor=reviewer.username, source="reviewer"
        )
    with db.read() as s:  # they see its reference alone: not which fields changed
        assert submission_changes.changed_since_review(s, reviewer_id=reviewer.user_id) == {}
