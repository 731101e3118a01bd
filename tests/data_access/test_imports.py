"""Importing into a real database (SQLite and PostgreSQL): whole files in one
transaction, re-imports, updates, likely duplicates, provenance and audit,
named mappings, and every bad file refused with nothing written."""

import contextlib
import hashlib

import pytest
from sqlalchemy import event, select

from data_access import imports
from data_access.models import (
    AuditEntry,
    DuplicateFlag,
    ImportBatch,
    Submission,
    SubmissionCode,
    SubmissionLink,
)
from importing import ColumnMapping, ImportRefused, propose_mapping, read_table
from tests.support.dbdump import table_contents
from tests.support.importer import LIMIT, apply_file
from tests.support.spreadsheets import (
    FORM_HEADERS,
    FORM_ROWS,
    csv_bytes,
    template_csv,
    valid_row,
    xlsx_bytes,
)


def mapping_for(content, config, name="f.csv", sheet=None):
    return propose_mapping(read_table(content, name, max_bytes=LIMIT, sheet=sheet), config)


def run_import(db, content, config, *, name="f.csv", mapping=None, actor="admin", max_bytes=LIMIT, **kwargs):
    mapping = mapping or mapping_for(content, config, name, kwargs.get("sheet"))
    return apply_file(db, content, name, mapping=mapping, config=config, actor=actor, max_bytes=max_bytes, **kwargs)


def preview(db, content, config, *, name="f.csv", mapping=None, **kwargs):
    mapping = mapping or mapping_for(content, config, name, kwargs.get("sheet"))
    with db.read() as session:
        return imports.preview_import(
            session, content=content, filename=name, mapping=mapping, config=config, max_bytes=LIMIT, **kwargs
        )


def rows(db, stmt):
    with db.read() as session:
        return session.execute(stmt).all()


def test_a_file_is_imported_whole_with_its_provenance(db, call_config):
    content = template_csv(
        [
            valid_row(1, links="https://a.example/1.pdf; notes.docx", focus_areas="perpetrators"),
            valid_row(2, reference=""),
            {},
            valid_row(3, title="=SUM(A1)", exploitation_types=""),
        ]
    )
    plan = preview(db, content, call_config)
    assert table_contents(db)["submissions"] == []  # a preview writes nothing
    result = run_import(db, content, call_config, expected_fingerprint=plan.fingerprint, actor_id=None)
    assert result.counts["added"] == 3 and result.counts["skipped_blank"] == 1

    subs = rows(db, select(Submission.reference, Submission.title, Submission.import_batch_id, Submission.version))
    assert sorted(subs) == [
        ("CFE-0001", "Evidence number 1", result.batch_id, 1),
        ("CFE-0003", "=SUM(A1)", result.batch_id, 1),  # stored as typed
        ("CFE-0004", "Evidence number 2", result.batch_id, 1),  # generated after the highest in the file
    ]
    codes = rows(
        db,
        select(Submission.reference, SubmissionCode.field, SubmissionCode.code, SubmissionCode.position)
        .join(Submission)
        .where(Submission.reference == "CFE-0001")
        .order_by(SubmissionCode.field, SubmissionCode.position),
    )
    assert codes == [
        ("CFE-0001", "exploitation_types", "forced_labour", 0),
        ("CFE-0001", "exploitation_types", "sexual_exploitation", 1),
        ("CFE-0001", "focus_areas", "perpetrators", 0),
        ("CFE-0001", "themes", "sources_of_harm", 0),
    ]
    assert rows(db, select(SubmissionLink.url).order_by(SubmissionLink.position)) == [
        ("https://a.example/1.pdf",),
        ("notes.docx",),
    ]
    [batch] = rows(
        db,
        select(
            ImportBatch.id,
            ImportBatch.filename,
            ImportBatch.sha256,
            ImportBatch.size_bytes,
            ImportBatch.content,
            ImportBatch.imported_by,
            ImportBatch.counts,
        ),
    )
    assert batch[0] == result.batch_id
    assert batch[1:4] == ("f.csv", hashlib.sha256(content).hexdigest(), len(content))
    assert bytes(batch[4]) == content
    assert batch[5] == "admin"
    assert batch[6]["added"] == 3
    entries = rows(db, select(AuditEntry.actor, AuditEntry.action, AuditEntry.entity_id, AuditEntry.new))
    [file_entry] = [e for e in entries if e.action == "import.file"]
    assert file_entry.entity_id == str(result.batch_id)
    assert file_entry.new["sha256"] == hashlib.sha256(content).hexdigest()
    assert file_entry.new["counts"]["added"] == 3
    created = [e for e in entries if e.action == "submission.create"]
    assert len(created) == 3 and all(e.actor == "admin" for e in created)
    assert "summary" not in str(file_entry.new)  # the log names the file; it does not copy it


def test_the_same_file_twice_changes_nothing(db, call_config):
    content = template_csv([valid_row(1), valid_row(2, reference="")])
    run_import(db, content, call_config)
    before = table_contents(db)
    plan = preview(db, content, call_config)
    assert (plan.counts["added"], plan.counts["updated"], plan.counts["unchanged"]) == (0, 0, 2)
    result = run_import(db, content, call_config)
    assert result.batch_id is None
    assert table_contents(db) == before


def test_an_edited_file_updates_by_reference_and_records_each_change(db, call_config):
    run_import(db, template_csv([valid_row(1, links="https://old.example"), valid_row(2)]), call_config)
    edited = template_csv(
        [
            valid_row(1, summary="A new summary.", themes="theme 1; theme 2", links="https://new.example"),
            valid_row(2),
            valid_row(3),
        ]
    )
    plan = preview(db, edited, call_config)
    assert (plan.counts["added"], plan.counts["updated"], plan.counts["unchanged"]) == (1, 1, 1)
    result = run_import(db, edited, call_config, expected_fingerprint=plan.fingerprint)

    [(summary, version)] = rows(
        db, select(Submission.summary, Submission.version).where(Submission.reference == "CFE-0001")
    )
    assert (summary, version) == ("A new summary.", 2)
    assert rows(db, select(Submission.version).where(Submission.reference == "CFE-0002")) == [(1,)]
    themes = rows(
        db,
        select(SubmissionCode.code)
        .join(Submission)
        .where(Submission.reference == "CFE-0001", SubmissionCode.field == "themes")
        .order_by(SubmissionCode.position),
    )
    assert themes == [("sources_of_harm",), ("support_responses",)]
    assert rows(db, select(SubmissionLink.url)) == [("https://new.example",)]
    [update] = rows(
        db, select(AuditEntry.old, AuditEntry.new, AuditEntry.detail).where(AuditEntry.action == "submission.update")
    )
    # an identity field's values (links can name their author) stay out of the log: the batch keeps them
    hidden = f"(changed by import batch {result.batch_id})"
    assert update.old == {
        "summary": "What project 1 is, does and found.",
        "themes": ["sources_of_harm"],
        "links": hidden,
    }
    assert update.new == {
        "summary": "A new summary.",
        "themes": ["sources_of_harm", "support_responses"],
        "links": hidden,
    }
    assert f"import batch {result.batch_id}" in update.detail
    [changes] = rows(db, select(ImportBatch.changes).where(ImportBatch.id == result.batch_id))
    updated = [c for c in changes[0] if c["action"] == "updated"]
    assert updated[0]["reference"] == "CFE-0001"
    assert updated[0]["fields"]["summary"] == {"old": "What project 1 is, does and found.", "new": "A new summary."}
    assert updated[0]["fields"]["links"] == {"old": ["https://old.example"], "new": ["https://new.example"]}


def test_a_form_export_is_imported_without_editing_the_file(db, call_config):
    content = csv_bytes(FORM_HEADERS, FORM_ROWS, encoding="cp1252")
    mapping = mapping_for(content, call_config)
    mapping.values = {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}}
    result = run_import(db, content, call_config, mapping=mapping)
    assert result.counts["added"] == 3
    summaries = [s for (s,) in rows(db, select(Submission.summary).order_by(Submission.reference))]
    assert summaries[2] == "A survivor-led programme; the £ sign and “quotes” survive."
    assert rows(db, select(Submission.anonymous).order_by(Submission.reference)) == [(False,), (False,), (True,)]


@pytest.mark.parametrize("bom", [False, True])
def test_utf8_with_or_without_bom_keeps_every_character(db, call_config, bom):
    title = "Zoë’s “café” in Łódź – £5 ≠ €5 😀"
    run_import(db, template_csv([valid_row(1, title=title)], bom=bom), call_config)
    assert rows(db, select(Submission.title)) == [(title,)]


def test_a_workbook_sheet_is_chosen_by_name(db, call_config):
    header = ["title", "summary", "themes", "organisation"]
    content = xlsx_bytes({"Notes": [["Read me"]], "Responses": [header, ["From sheet two", "s", "theme 2", "Org"]]})
    result = run_import(db, content, call_config, name="book.xlsx", sheet="Responses")
    assert result.counts["added"] == 1
    assert rows(db, select(ImportBatch.sheet)) == [("Responses",)]


BAD_FILES = {
    "empty": (b"", "f.csv"),
    "header-only": (b"title,summary,themes\r\n", "f.csv"),
    "binary-garbage": (bytes(range(256)) * 40, "f.csv"),
    "csv-renamed-xlsx": (template_csv([valid_row(1)]), "f.xlsx"),
    "missing-required-column": (csv_bytes(["title", "summary", "organisation"], [["t", "s", "o"]]), "f.csv"),
    "more-cells-than-header": (b"title,summary,themes,organisation\r\nt,s,1,o,extra\r\n", "f.csv"),
    "invalid-email": (template_csv([valid_row(1), valid_row(2, contact_email="nobody@")]), "f.csv"),
    "unknown-code": (template_csv([valid_row(1), valid_row(2, nation="Narnia")]), "f.csv"),
    "same-reference-twice": (template_csv([valid_row(1), valid_row(2, reference="CFE-0001")]), "f.csv"),
    "required-value-missing": (template_csv([valid_row(1), valid_row(2, summary="")]), "f.csv"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_a_bad_file_is_refused_whole_and_nothing_is_written(db, call_config, case):
    run_import(db, template_csv([valid_row(50)]), call_config)  # something already stored
    before = table_contents(db)
    content, name = BAD_FILES[case]
    mapping = ColumnMapping({"title": "title", "summary": "summary", "themes": "themes"})
    with contextlib.suppress(ImportRefused):  # an unreadable file has no columns to map
        mapping = mapping_for(content, call_config, name)
    with pytest.raises((ImportRefused, imports.ImportHasProblems)) as refused:
        run_import(db, content, call_config, name=name, mapping=mapping)
    if isinstance(refused.value, imports.ImportHasProblems):
        assert refused.value.plan.problems
        assert all(p.problem for p in refused.value.plan.problems)
    assert table_contents(db) == before


def test_a_file_over_the_size_limit_is_refused(db, call_config):
    content = template_csv([valid_row(n) for n in range(1, 40)])
    with pytest.raises(ImportRefused, match="largest file that can be imported"):
        run_import(db, content, call_config, max_bytes=len(content) - 1)
    assert table_contents(db)["import_batches"] == []


def test_a_failure_half_way_leaves_nothing(db, call_config):
    run_import(db, template_csv([valid_row(50)]), call_config)
    before = table_contents(db)

    def fail_on_links(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SUBMISSION_LINKS"):
            raise RuntimeError("the disk filled up")

    event.listen(db.engine, "before_cursor_execute", fail_on_links)
    try:
        with pytest.raises(RuntimeError):
            run_import(db, template_csv([valid_row(1, links="https://x.example"), valid_row(2)]), call_config)
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_on_links)
    assert table_contents(db) == before


def test_an_import_is_refused_when_the_data_changed_since_the_preview(db, call_config):
    content = template_csv([valid_row(1), valid_row(2)])
    plan = preview(db, content, call_config)
    run_import(db, template_csv([valid_row(1, summary="Someone else's")]), call_config)
    before = table_contents(db)
    with pytest.raises(imports.StalePreview):
        run_import(db, content, call_config, expected_fingerprint=plan.fingerprint)
    assert table_contents(db) == before


def test_preview_and_result_count_the_same_likely_duplicates(db, call_config):
    # A row like two stored submissions (one by title and organisation, the other by contact and title) is
    # two flags: the preview counted rows (1) while the import flagged pairs (2).
    run_import(
        db, template_csv([valid_row(1), valid_row(2, title="Evidence number 1", contact_name="Contact X")]), call_config
    )
    content = template_csv(
        [
            valid_row(3, title="Evidence number 1", organisation="Organisation 1", contact_name="Contact X"),
            valid_row(4, title="Another", contact_name="Same Person"),
            valid_row(5, title="another", contact_name="same person", organisation="Elsewhere"),
        ]
    )
    plan = preview(db, content, call_config)
    result = run_import(db, content, call_config, expected_fingerprint=plan.fingerprint)
    written = rows(db, select(DuplicateFlag.id).where(DuplicateFlag.import_batch_id == result.batch_id))
    assert plan.counts["likely_duplicates"] == result.counts["flags"] == len(written) == len(plan.duplicates) == 3
    assert result.counts["likely_duplicates"] == 3


def test_likely_duplicates_are_flagged_for_a_person_and_the_decision_is_logged(db, call_config):
    run_import(db, template_csv([valid_row(1)]), call_config)
    second = template_csv(
        [
            valid_row(2, title="EVIDENCE  number 1", organisation="organisation 1"),  # like CFE-0001
            valid_row(3, title="Another", contact_name="Same Person"),
            valid_row(4, title="another", contact_name="same person", organisation="Elsewhere"),  # like row 3
        ]
    )
    result = run_import(db, second, call_config)
    assert result.counts["flags"] == 2
    with db.read() as session:
        flags = imports.list_flags(session)
    assert sorted((f.reference, f.other_reference, f.reason) for f in flags) == [
        ("CFE-0002", "CFE-0001", "same title and organisation"),
        ("CFE-0004", "CFE-0003", "same contact and title"),
    ]
    assert rows(db, select(DuplicateFlag.import_batch_id).distinct()) == [(result.batch_id,)]

    flag = next(f for f in flags if f.reference == "CFE-0002")
    with db.write() as session:
        imports.decide_flag(session, flag_id=flag.id, status="not_duplicate", actor="admin")
    with db.read() as session:
        assert [f.reference for f in imports.list_flags(session)] == ["CFE-0004"]
    [entry] = rows(db, select(AuditEntry.old, AuditEntry.new).where(AuditEntry.action == "duplicate_flag.decide"))
    assert entry.old["status"] == "open" and entry.new["status"] == "not_duplicate"
    with pytest.raises(imports.FlagError), db.write() as session:
        imports.decide_flag(session, flag_id=flag.id, status="not_duplicate", actor="admin")
    with pytest.raises(imports.FlagError), db.write() as session:
        imports.decide_flag(session, flag_id=flag.id, status="maybe", actor="admin")

    # Importing the same file again neither adds nor flags anything.
    before = table_contents(db)
    assert run_import(db, second, call_config).batch_id is None
    assert table_contents(db) == before


def test_named_mappings_are_saved_offered_replaced_and_logged(db, call_config):
    content = csv_bytes(FORM_HEADERS, FORM_ROWS)
    mapping = mapping_for(content, call_config)
    mapping.values = {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}}
    with db.write() as session:
        imports.save_mapping(session, name="  Online   form ", mapping=mapping, actor="admin")
    with db.read() as session:
        saved = imports.list_mappings(session)
    assert list(saved) == ["Online form"]
    assert saved["Online form"].columns == mapping.columns
    assert saved["Online form"].values == mapping.values
    result = run_import(db, content, call_config, mapping=saved["Online form"], mapping_name="Online form")
    assert result.counts["added"] == 3
    assert rows(db, select(ImportBatch.mapping_name)) == [("Online form",)]

    smaller = ColumnMapping({"title": "Title of the evidence"})
    with db.write() as session:
        imports.save_mapping(session, name="Online form", mapping=smaller, actor="admin2")
    with db.read() as session:
        assert imports.list_mappings(session)["Online form"].columns == {"title": "Title of the evidence"}
    saves = rows(db, select(AuditEntry.actor, AuditEntry.old).where(AuditEntry.action == "import_mapping.save"))
    assert [(a, o is None) for a, o in saves] == [("admin", True), ("admin2", False)]
    for bad in ("", "   ", "x" * 201):
        with pytest.raises(imports.MappingError), db.write() as session:
            imports.save_mapping(session, name=bad, mapping=smaller, actor="admin")
    with db.write() as session:
        imports.delete_mapping(session, name="Online form", actor="admin")
    with db.read() as session:
        assert imports.list_mappings(session) == {}


def test_the_original_file_can_be_fetched_and_the_download_is_logged(db, call_config):
    content = template_csv([valid_row(1)], encoding="cp1252")
    result = run_import(db, content, call_config, name="office list.csv")
    with db.write() as session:
        name, original = imports.batch_file(session, batch_id=result.batch_id, actor="admin")
        batches = imports.list_batches(session)
    assert (name, bytes(original)) == ("office list.csv", content)
    assert [b.id for b in batches] == [result.batch_id]
    assert rows(db, select(AuditEntry.action).where(AuditEntry.action == "import.download_original")) == [
        ("import.download_original",)
    ]


def test_a_problem_table_download_is_logged(db):
    with db.write() as session:
        imports.record_problems_download(session, actor="admin", filename="form.csv", count=3)
    assert rows(db, select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail)) == [
        ("admin", "export.import_problems", "3 problems of form.csv")
    ]
