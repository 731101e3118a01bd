"""Mappings as files on the command line: `import-submissions --mapping`
takes a mapping file or a saved name, `--accept-suggestions` applies the
confident value suggestions (each listed), `mappings list` and `mappings show`."""

import json

import pytest
from sqlalchemy import select

import manage
from data_access import imports
from data_access.models import ImportBatch, Submission
from importing import ColumnMapping
from importing.mapping_file import FORMAT
from tests.importing.test_guessing import GOOGLE_HEADERS, GOOGLE_ROWS
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes

FORM_MAPPING = {
    "format": FORMAT,
    "version": 1,
    "columns": {
        "title": "Title of the evidence",
        "summary": "Please describe the evidence: what it is, what it does, what it found",
        "themes": "Which theme does your evidence address?",
        "organisation": "Name of your organisation",
        "contact_name": "Your name",
        "anonymous": "Do you wish to remain anonymous?",
        "nation": "Where in the UK?",
    },
    "values": {"themes": {"Responses to the sources of harm to children": "sources_of_harm"}},
}


@pytest.fixture
def run(db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)

    def run(*args: str):
        code = manage.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


@pytest.fixture
def form_csv(tmp_path):
    path = tmp_path / "responses.csv"
    path.write_bytes(csv_bytes(FORM_HEADERS, FORM_ROWS))
    return path


def test_a_mapping_file_is_used_and_named_with_the_import(db, run, form_csv, tmp_path):
    mapping_file = tmp_path / "form mapping.json"
    mapping_file.write_text(json.dumps(FORM_MAPPING), encoding="utf-8")
    code, out, err = run("import-submissions", str(form_csv), "--mapping", str(mapping_file))
    assert code == 0, err
    assert "mapping file form mapping.json:" in out
    assert "added 3" in out
    with db.read() as session:
        assert session.scalar(select(ImportBatch.mapping_name)) == "file form mapping.json"
        assert sorted(session.scalars(select(Submission.title))) == sorted(r[4] for r in FORM_ROWS)
        assert session.scalar(select(Submission.received_at)) is None  # the file maps no "Timestamp"


def test_neither_a_file_nor_a_saved_name_is_a_clear_message(db, run, form_csv):
    before = table_contents(db)
    code, _, err = run("import-submissions", str(form_csv), "--mapping", "missing.json")
    assert code == 1
    assert "'missing.json' is neither a mapping file (there is no file at that path) nor a mapping saved" in err
    assert "(saved mappings: none yet)" in err
    assert table_contents(db) == before


def test_a_bad_mapping_file_is_refused_whole_with_every_problem(db, run, form_csv, tmp_path):
    bad = json.loads(json.dumps(FORM_MAPPING))
    bad["columns"]["colour"] = "Where in the UK?"
    bad["columns"]["contact_email"] = "E-mail (gone)"
    bad["values"]["nation"] = {"Cymru": "wales", "Kernow": "cornwall"}
    bad["values"]["title"] = {"x": "y"}
    mapping_file = tmp_path / "bad.json"
    mapping_file.write_text(json.dumps(bad), encoding="utf-8")
    before = table_contents(db)
    code, _out, err = run("import-submissions", str(form_csv), "--mapping", str(mapping_file), "--dry-run")
    assert code == 1
    assert "bad.json is not a usable mapping file:" in err
    assert "“colour” is not a template field" in err
    assert "the column “E-mail (gone)” (for Contact email) is not in this file." in err
    assert "“cornwall” (for “Kernow”) is not a code of Nation" in err
    assert "Title (title) takes no value mappings" in err
    assert "Nothing was imported." in err
    assert table_contents(db) == before


def test_a_mapping_file_that_is_not_json_says_where(db, run, form_csv, tmp_path):
    mapping_file = tmp_path / "broken.json"
    mapping_file.write_text('{"format": "evidence-review import mapping",\n "columns": {', encoding="utf-8")
    code, _, err = run("import-submissions", str(form_csv), "--mapping", str(mapping_file))
    assert code == 1
    assert "broken.json is not a usable mapping file:" in err and "at line 2, column 14" in err


def test_accept_suggestions_applies_the_confident_ones_and_lists_each(db, run, tmp_path):
    path = tmp_path / "google.csv"
    path.write_bytes(csv_bytes(GOOGLE_HEADERS, GOOGLE_ROWS))
    code, out, _ = run("import-submissions", str(path), "--dry-run")
    assert code == 1  # "Yes" to presenting names no code: a problem until mapped
    assert "Yes" in out and "accepted" not in out
    before = table_contents(db)
    code, out, err = run("import-submissions", str(path), "--accept-suggestions")
    assert code == 0, out + err
    assert "accepted 1 suggestion:" in out
    assert "  Can present: 'Yes' -> Either (1 cell; a yes to presenting: able to, in person or virtually)" in out
    assert table_contents(db) != before
    with db.read() as session:
        stored = sorted(session.execute(select(Submission.title, Submission.presentation_preference)).all())
    assert stored == sorted(
        [
            ("Parks at night", "either"),
            ("Advocates in care", "not_available"),
            ("Survivor voice", "not_available"),
            ("Lines of sight", "not_available"),
        ]
    )


def test_unsure_values_are_left_for_a_person(db, run, tmp_path):
    path = tmp_path / "unsure.csv"
    rows = [["T1", "S1", "Support", "Somewhere"], ["T2", "S2", "Support", "Englnd"]]
    path.write_bytes(csv_bytes(["Title", "Summary", "Themes", "Nation"], rows))
    code, out, _err = run("import-submissions", str(path), "--accept-suggestions", "--dry-run")
    assert code == 1
    assert "accepted 1 suggestion:" in out and "  Nation: 'Englnd' -> England (1 cell;" in out
    assert "left as they are: 1 value with no sure suggestion" in out
    assert "Somewhere" in out  # in the problem table


def test_mappings_list_and_show_as_a_file_that_imports_the_same(db, run, form_csv, tmp_path):
    code, out, _ = run("mappings", "list")
    assert (code, out) == (0, "no mappings saved yet (save one on the Import page)\n")
    saved = ColumnMapping.from_json(FORM_MAPPING)
    with db.write() as session:
        imports.save_mapping(session, name="Online form", mapping=saved, actor="admin")
    code, out, _ = run("mappings", "list")
    assert (code, out) == (0, "Online form: 7 columns, 1 value mappings\n")
    code, out, _ = run("mappings", "show", "Online form")
    assert code == 0
    shown = json.loads(out)
    assert shown == {**FORM_MAPPING, "name": "Online form"}
    mapping_file = tmp_path / "online.json"
    mapping_file.write_text(out, encoding="utf-8")
    code, out, err = run("import-submissions", str(form_csv), "--mapping", str(mapping_file), "--dry-run")
    assert code == 0, err
    assert "would add 3" in out


def test_mappings_show_an_unknown_or_no_name(db, run):
    code, _, err = run("mappings", "show", "Nope")
    assert code == 1 and "There is no saved mapping called 'Nope' (saved mappings: none yet)." in err
    code, _, err = run("mappings", "show")
    assert code == 1 and "Name the mapping to show" in err
