"""`python manage.py import-submissions FILE --attachments BUNDLE.zip`: the
preview of the documents (matched per row, unmatched files, rows without
files, refusals), all or nothing, exit 0 only when imported."""

import manage
from tests.data_access.test_import_attachments import GOOD, rows_csv, stored_documents
from tests.documents.test_bundle_reader import zip_of
from tests.support.dbdump import table_contents


def test_the_command_previews_refuses_all_or_nothing_then_imports(db, db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    (tmp_path / "subs.csv").write_bytes(rows_csv())

    def cli(entries, *args):
        (tmp_path / "docs.zip").write_bytes(zip_of(entries).getvalue())
        code = manage.main(
            ["import-submissions", str(tmp_path / "subs.csv"), "--attachments", str(tmp_path / "docs.zip"), *args]
        )
        out = capsys.readouterr()
        return code, out.out, out.err

    before = table_contents(db)
    bad = {**GOOD, "CFE-0003/report.pdf": b"MZ\x90\x00" + b"\x00" * 200, "CFE-0002/\x1b[2Jx.txt": b"text\n"}
    code, out, err = cli(bad)
    assert code == 1
    assert "documents ZIP: 4 files matched to 3 rows" in out
    assert "CFE-0003/report.pdf (for CFE-0003): " in out and "program" in out
    assert "warnings (they do not stop the import):" in out and "stray.txt: no row claims this file" in out
    assert "\x1b" not in out  # an entry's name cannot drive the terminal
    assert "The documents ZIP has 1 problem, so nothing was imported" in err
    assert table_contents(db) == before

    code, out, _ = cli(GOOD, "--dry-run")
    assert code == 0
    assert "  CFE-0001: CFE-0001/evaluation.pdf (a PDF document, " in out
    assert "  CFE-0002: misc/toolkit.docx (a Word document (DOCX), " in out
    assert "CFE-0003: no file in the ZIP for this row." in out
    assert "dry run: nothing was written" in out
    assert table_contents(db) == before

    code, out, _ = cli(GOOD)
    assert code == 0, out
    assert "attached 2" in out
    assert [(ref, name) for ref, _pos, name, _kind in stored_documents(db)] == [
        ("CFE-0001", "evaluation.pdf"),
        ("CFE-0002", "toolkit.docx"),
    ]

    (tmp_path / "not.zip").write_bytes(b"%PDF-1.4 not a zip")
    code = manage.main(["import-submissions", str(tmp_path / "subs.csv"), "--attachments", str(tmp_path / "not.zip")])
    assert code == 1 and "not.zip: The attachments file is not a ZIP archive" in capsys.readouterr().err
