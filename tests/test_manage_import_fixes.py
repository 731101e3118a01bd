"""`manage.py import-submissions --header-row N` and `--fix ROW:COLUMN=VALUE`:
the header row used is printed (given or found) and kept with the import;
a cell is corrected for the import only (the file is unchanged), checked like
the file's cells, and kept in the import's provenance; a wrong --fix stops
the command with nothing written."""

import datetime as dt

import pytest
from sqlalchemy import select

from data_access.models import AuditEntry, ImportBatch, Submission
from importing import FIELD_NAMES
from importing.reading import column_letter
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row
from tests.test_manage_import import cli  # noqa: F401  (the fixture)

TITLE_LINE = b"Call for evidence 2021,,\r\n"


def bad_file() -> bytes:
    return template_csv([valid_row(1), valid_row(2, received_at="32/07/2021")])


def batch_changes(db):
    with db.read() as session:
        [changes] = session.scalars(select(ImportBatch.changes))
    return changes


def test_the_header_row_found_is_printed_and_kept(db, cli):  # noqa: F811
    code, out, _ = cli(template_csv([valid_row(1)]))
    assert code == 0
    assert "header row: 1 (found: the first row with the column names)" in out
    assert batch_changes(db)[0]["header_row"] == 1 and batch_changes(db)[0]["header_row_from"] == "found"


def test_a_guessed_header_row_is_said_and_another_can_be_given(db, cli):  # noqa: F811
    content = TITLE_LINE + template_csv([valid_row(1), valid_row(2)])
    code, out, _ = cli(content, "--dry-run")
    assert code == 0
    assert "header row: 2 (guessed: row 1 fills few columns" in out and "--header-row N" in out
    code, out, _err = cli(content, "--header-row", "1", "--dry-run")  # row 1 as the header: no template columns
    assert code == 1 and "header row: 1 (given with --header-row)" in out
    code, out, _ = cli(content, "--header-row", "2")
    assert code == 0 and "header row: 2 (given with --header-row)" in out
    first = batch_changes(db)[0]
    assert (first["header_row"], first["header_row_from"]) == (2, "picked")


@pytest.mark.parametrize(
    ("given", "words"),
    [("0", "Row 0 of file is empty or beyond its end"), ("9", "Row 9 of file is empty or beyond its end")],
)
def test_a_header_row_that_cannot_be_is_refused(db, cli, given, words):  # noqa: F811
    code, _out, err = cli(template_csv([valid_row(1)]), "--header-row", given)
    assert code == 1 and words in err


@pytest.mark.parametrize("column", ["received_at", column_letter(FIELD_NAMES.index("received_at"))])
def test_a_cell_fixed_on_the_command_line_is_imported_and_kept(db, cli, tmp_path, column):  # noqa: F811
    content = bad_file()
    code, out, err = cli(content)
    assert code == 1 and "There is no such date or time." in out
    code, out, err = cli(content, "--fix", f"3:{column}=31/07/2021")
    assert code == 0, err
    assert "corrected row 3, received_at: '32/07/2021' -> '31/07/2021'" in out
    assert (tmp_path / "subs.csv").read_bytes() == content  # the file is unchanged
    with db.read() as session:
        received = session.scalar(select(Submission.received_at).where(Submission.reference == "CFE-0002"))
        [entry] = session.scalars(select(AuditEntry.new).where(AuditEntry.action == "import.file"))
    assert received.replace(tzinfo=None) == dt.datetime(2021, 7, 31)
    [corrected] = [c for c in batch_changes(db) if c["action"] == "corrected"]
    kept = corrected["corrections"]["received_at"]
    assert (kept["original"], kept["new"], kept["by"], corrected["row"]) == ("32/07/2021", "31/07/2021", "manage.py", 3)
    assert entry["corrections"] == 1


@pytest.mark.parametrize(
    ("fix", "words"),
    [
        ("3:received_at=30/02/2021", "the correction of row 3, received_at did not fix it: There is no such date"),
        ("3:Nowhere=31/07/2021", "the file has no column 'Nowhere'"),
        ("7:received_at=31/07/2021", "row 7 is not a row of submissions"),
        ("received_at=31/07/2021", "write ROW:COLUMN=VALUE"),
        ("3:received_at=31/07/2021\x00", "control character"),
    ],
)
def test_a_wrong_fix_stops_the_command_and_nothing_is_written(db, cli, fix, words):  # noqa: F811
    before = table_contents(db)
    code, out, err = cli(bad_file(), "--fix", fix)
    assert code == 1
    assert words in out + err
    assert table_contents(db) == before
