"""A submission's import history on the Submissions page: the admin sees each
import that added or updated it (with its header row) and each cell corrected
in place (original, new value, who, when); the office and reviewers see none
of it. Tested on SQLite and PostgreSQL."""

from sqlalchemy import select

from data_access import imports
from data_access.import_history import import_history
from data_access.models import Submission
from importing import propose_mapping, read_table
from importing.corrections import Correction
from tests.factories import assign, make_user
from tests.pages.test_submissions_page import open_detail
from tests.support.apptest import run_app, texts
from tests.support.spreadsheets import template_csv, valid_row

LIMIT = 10 * 1024 * 1024
PAGE = "pages/submissions.py"
ORIGINAL = "32/07/2021"


def run_import(db, config, content, corrections=(), actor="admin"):
    mapping = propose_mapping(read_table(content, "f.csv", max_bytes=LIMIT), config)
    with db.write() as session:
        return imports.apply_import(
            session,
            content=content,
            filename="f.csv",
            mapping=mapping,
            config=config,
            max_bytes=LIMIT,
            actor=actor,
            corrections=corrections,
        )


def imported_twice(db, config):
    fix = Correction(3, "received_at", ORIGINAL, "31/07/2021", by="coordinator", at="2026-12-07T09:00:00+00:00")
    first = run_import(db, config, template_csv([valid_row(1), valid_row(2, received_at=ORIGINAL)]), [fix])
    second = run_import(db, config, template_csv([valid_row(1), valid_row(2, summary="Edited.")]), actor="admin2")
    return first.batch_id, second.batch_id


def test_the_admin_sees_each_import_and_each_corrected_cell(db, db_url, call_config):
    first, second = imported_twice(db, call_config)
    with db.write() as session:
        admin = make_user(session, role="admin")
        sid = session.scalar(select(Submission.id).where(Submission.reference == "CFE-0002"))
    with db.read() as session:
        steps = import_history(session, submission_id=sid)
    assert [(s.batch_id, s.action, s.row, s.header_row, s.header_row_from) for s in steps] == [
        (first, "added", 3, 1, "found"),
        (second, "updated", 3, 1, "found"),
    ]
    assert steps[0].corrections == [
        {
            "field": "received_at",
            "column": "received_at",
            "original": ORIGINAL,
            "new": "31/07/2021",
            "by": "coordinator",
            "at": "2026-12-07T09:00:00+00:00",
        }
    ]
    at = open_detail(run_app(db_url, admin, page=PAGE), db_url, "CFE-0002")
    assert not at.exception, at.exception
    assert "Import history" in [e.label for e in at.expander]
    [history] = [d.value for d in at.dataframe if "Cells corrected" in d.value.columns]
    [fixes] = [d.value for d in at.dataframe if "Corrected to" in d.value.columns]
    assert list(history["Import"]) == [first, second] and list(history["What"]) == ["added", "updated"]
    assert list(history["Header row"]) == ["1 (found)", "1 (found)"]
    assert fixes.iloc[0][["Row", "Column", "In the file", "Corrected to", "By"]].tolist() == [
        3,
        "received_at",
        ORIGINAL,
        "31/07/2021",
        "coordinator",
    ]


def test_the_office_and_reviewers_see_no_import_history(db, db_url, call_config):
    imported_twice(db, call_config)
    with db.write() as session:
        office = make_user(session, role="office")
        reviewer = make_user(session, role="reviewer")
        sub = session.scalar(select(Submission.id).where(Submission.reference == "CFE-0002"))
        assign(session, sub, reviewer)
    for viewer in (office, reviewer):
        at = open_detail(run_app(db_url, viewer, page=PAGE), db_url, "CFE-0002")
        assert not at.exception, at.exception
        assert "Import history" not in [e.label for e in at.expander]
        assert ORIGINAL not in texts(at), viewer.role
