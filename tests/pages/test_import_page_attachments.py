"""The Import page's documents ZIP in AppTest: a second uploader beside the
spreadsheet; the preview lists the matched files, the warnings and every
refusal; a refused document refuses the whole import (no confirm button,
nothing written); a good ZIP is imported with its rows in one go."""

import pytest

from tests.data_access.test_import_attachments import GOOD, rows_csv, stored_documents
from tests.documents.test_bundle_reader import zip_of
from tests.factories import make_user
from tests.support.apptest import rerun, run_app, texts
from tests.support.dbdump import table_contents

PAGE = "pages/import_submissions.py"


@pytest.fixture
def admin(db):
    with db.write() as session:
        return make_user(session, role="admin")


def frame(at, column):
    [found] = [df.value for df in at.dataframe if column in df.value.columns]
    return found


def test_the_zip_is_previewed_refused_whole_then_imported_with_its_rows(db, db_url, admin):
    at = run_app(db_url, admin, page=PAGE)
    assert [u.label for u in at.file_uploader][1] == "Documents for these rows (a ZIP, optional)"
    at.file_uploader[0].set_value(("subs.csv", rows_csv(), "text/csv"))
    at.file_uploader[1].set_value(("docs.zip", b"%PDF-1.4 not a zip", "application/zip"))
    rerun(at, db_url)
    at.button(key="import.preview_button").click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert any("The attachments file is not a ZIP archive" in t.value for t in at.text)
    assert "import.confirm" not in [b.key for b in at.button]
    bad = {**GOOD, "CFE-0003/**report**.pdf": b"MZ\x90\x00" + b"\x00" * 200}
    at.file_uploader[1].set_value(("docs.zip", zip_of(bad).getvalue(), "application/zip"))
    rerun(at, db_url)
    assert not at.exception, at.exception
    before = table_contents(db)
    assert any("The documents ZIP has 1 problem" in e.value for e in at.error)
    problems = frame(at, "Problem").to_csv()
    assert "CFE-0003/**report**.pdf (for CFE-0003)" in problems and "program" in problems
    # The sender's names appear in dataframe cells only, never in Markdown.
    markdown = [
        e.value for kind in ("markdown", "caption", "error", "warning", "info", "success") for e in at.get(kind)
    ]
    assert "**report**" in texts(at) and not any("report" in value for value in markdown)
    assert "import.confirm" not in [b.key for b in at.button]

    at.file_uploader[1].set_value(("docs.zip", zip_of(GOOD).getvalue(), "application/zip"))
    rerun(at, db_url)
    assert not at.error, [e.value for e in at.error]
    listed = frame(at, "File")
    assert list(listed["File"]) == ["CFE-0001/evaluation.pdf", "misc/toolkit.docx"]
    assert list(listed["Kind"]) == ["a PDF document", "a Word document (DOCX)"]
    assert any("rows without files are imported without documents" in w.value for w in at.warning)
    assert table_contents(db) == before  # previews write nothing
    confirm = next(b for b in at.button if b.key == "import.confirm")
    assert confirm.label == "Import: add 3, update 0, attach 2 documents"
    confirm.click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert any("3 added" in s.value and "2 documents attached" in s.value for s in at.success)
    assert [(ref, name) for ref, _pos, name, _kind in stored_documents(db)] == [
        ("CFE-0001", "evaluation.pdf"),
        ("CFE-0002", "toolkit.docx"),
    ]
