"""`python manage.py import-submissions`: the same engine from the command
line, a summary or the problem table, exit 0 only when (it would be) imported."""

import pytest
from sqlalchemy import select

import manage
from data_access import imports
from data_access.models import ImportBatch, Submission
from importing import propose_mapping, read_table
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes, template_csv, valid_row, xlsx_bytes


@pytest.fixture
def cli(db, db_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(content: bytes | None, *args: str, name: str = "subs.csv"):
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        code = manage.main(["import-submissions", str(path), *args])
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def test_dry_run_says_what_would_happen_and_writes_nothing(db, cli):
    before = table_contents(db)
    code, out, _ = cli(template_csv([valid_row(1), valid_row(2)]), "--dry-run")
    assert code == 0
    assert "would add 2, would update 0, unchanged 0" in out
    assert "dry run: nothing was written" in out
    assert table_contents(db) == before


def test_import_then_the_same_file_again(db, cli):
    content = template_csv([valid_row(1), {}, valid_row(2)])
    code, out, _ = cli(content)
    assert code == 0
    assert "added 2, updated 0, unchanged 0, blank rows skipped 1" in out
    with db.read() as session:
        [(batch_id, who)] = session.execute(select(ImportBatch.id, ImportBatch.imported_by)).all()
    assert f"import batch {batch_id}, sha256 " in out and who == "manage.py"
    before = table_contents(db)
    code, out, _ = cli(content)
    assert code == 0
    assert "added 0, updated 0, unchanged 2" in out
    assert "nothing was written" in out
    assert table_contents(db) == before


def test_an_edited_file_reports_each_change(db, cli):
    cli(template_csv([valid_row(1), valid_row(2)]))
    code, out, _ = cli(template_csv([valid_row(1, nation="Scotland", summary="Shorter."), valid_row(2)]), "--dry-run")
    assert code == 0
    assert "CFE-0001 (row 2):" in out
    assert "Summary: What project 1 is, does and found. -> Shorter." in out
    assert "Nation: england -> scotland" in out


def test_problems_are_printed_as_a_table_and_nothing_is_written(db, cli, tmp_path):
    before = table_contents(db)
    bad = template_csv([valid_row(1), valid_row(2, contact_email="nobody@", nation="Narnia\x1b[2J")])
    code, out, err = cli(bad, "--problems-csv", str(tmp_path / "problems.csv"))
    assert code == 1
    assert "2 problems in 1 row; nothing was imported." in err
    lines = [line for line in out.splitlines() if line.strip().startswith("3 ")]
    assert len(lines) == 2
    assert any("contact_email" in line and "nobody@" in line and "not an email address" in line for line in lines)
    assert "\x1b" not in out  # a cell cannot drive the terminal
    assert (tmp_path / "problems.csv").read_bytes().decode("utf-8-sig").startswith("row,column,value,problem")
    assert table_contents(db) == before
    code, _, _ = cli(bad, "--dry-run")
    assert code == 1


@pytest.mark.parametrize(
    ("content", "name", "words"),
    [
        (b"", "empty.csv", "The file is empty"),
        (bytes(range(256)) * 10, "junk.csv", "does not look like a spreadsheet"),
        (template_csv([valid_row(1)]), "renamed.xlsx", "not an Excel workbook"),
        (None, "missing.csv", "does not exist"),
    ],
)
def test_unreadable_files_are_refused_with_a_message(db, cli, content, name, words):
    before = table_contents(db)
    code, _, err = cli(content, name=name)
    assert code == 1
    assert words in err
    assert "Traceback" not in err
    assert table_contents(db) == before


def test_size_limit_setting_is_enforced(db, cli, monkeypatch):
    monkeypatch.setenv("EVIDENCE_MAX_UPLOAD_MB", "1")
    content = template_csv([valid_row(n, summary="x" * 2000) for n in range(1, 700)])
    assert len(content) > 1024 * 1024
    code, _, err = cli(content)
    assert code == 1
    assert "the largest file that can be imported is 1.0 MB" in err


def test_a_saved_mapping_and_a_sheet_are_used(db, cli, call_config):
    content = xlsx_bytes({"Read me": [["Exported from the form"]], "Responses": [FORM_HEADERS, *FORM_ROWS]})
    code, out, _ = cli(content, "--sheet", "Responses", "--dry-run", name="form.xlsx")
    assert code == 1  # one theme wording names no code
    assert "Did you mean “Responses to the sources of harm”?" in out
    mapping = propose_mapping(read_table(csv_bytes(FORM_HEADERS, FORM_ROWS), "f.csv", max_bytes=10**7), call_config)
    mapping.values = {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}}
    with db.write() as session:
        imports.save_mapping(session, name="Online form", mapping=mapping, actor="admin")
    code, out, _ = cli(content, "--sheet", "Responses", "--mapping", "Online form", name="form.xlsx")
    assert code == 0, out
    assert "added 3" in out
    with db.read() as session:
        assert session.scalar(select(ImportBatch.mapping_name)) == "Online form"
        assert len(session.scalars(select(Submission.id)).all()) == 3
    code, _, err = cli(content, "--sheet", "Responses", "--mapping", "Nope", name="form.xlsx")
    assert code == 1 and "'Nope' is neither a mapping file" in err and "Online form" in err


def test_the_import_bounds_are_the_deployments_settings(db, cli, monkeypatch):
    from tests.support.hostile_xlsx import styled_empty_cells

    content = styled_empty_cells(100, 100)  # 10,000 styled empty cells
    monkeypatch.setenv("EVIDENCE_IMPORT_MAX_CELLS", "5000")
    before = table_contents(db)
    code, _, err = cli(content, name="styled.xlsx")
    assert code == 1
    assert "the limit is 5,000 (setting EVIDENCE_IMPORT_MAX_CELLS)" in err and "Nothing was imported" in err
    assert table_contents(db) == before
    monkeypatch.setenv("EVIDENCE_IMPORT_MAX_CELLS", "20000")
    code, _, err = cli(content, name="styled.xlsx")
    assert "EVIDENCE_IMPORT_MAX_CELLS" not in err  # within the bound: read, then found to hold no submissions
    assert "no submissions" in err


def test_key_names_the_column_that_matches_a_re_export(db, cli):
    headers = ["Form entry", "title", "summary", "themes", "organisation"]
    first = csv_bytes(
        headers, [["E1", "One", "S1", "sources_of_harm", "Org 1"], ["E2", "Two", "S2", "sources_of_harm", "Org 2"]]
    )
    code, out, _ = cli(first, "--key", "Form entry")
    assert code == 0 and "key" in out and "Form entry" in out
    again = csv_bytes(
        headers,
        [["E1", "One, revised", "S1", "sources_of_harm", "Org 1"], ["E3", "Three", "S3", "sources_of_harm", "Org 3"]],
    )
    code, out, _ = cli(again, "--key", "Form entry", "--dry-run")
    assert code == 0 and "would add 1, would update 1, unchanged 0" in out
    assert "Title: One -> One, revised" in out
    code, out, _ = cli(again, "--key", "Form entry")
    assert code == 0 and "added 1, updated 1, unchanged 0" in out
    with db.read() as session:
        rows = session.execute(select(Submission.source_key, Submission.title).order_by(Submission.source_key)).all()
    assert [tuple(r) for r in rows] == [("E1", "One, revised"), ("E2", "Two"), ("E3", "Three")]  # no duplicate
