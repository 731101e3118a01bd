"""In a real browser: keeping in step with an online form's re-exports (issue 19).

The admin imports a form's export with a response ID column, one of whose dates is impossible (day
32): the preview names the cell, the admin corrects it there (the file unchanged) and imports; the
correction is kept with the submission's import history; a reviewer is assigned one of the new
submissions and submits a review of it; the admin imports a re-export with 3 edited and 5 new
responses: the preview shows the 3 updates field by field and the 5 additions, the import reports
exactly 3 updated and 5 added, and the number of submissions grows by 5; the reviewer sees "Changed
since your review" on the edited one they reviewed.

On a server of its own (the counts must be this test's). Screenshots go to the test's tmp dir.
"""

import datetime as dt
import re
from pathlib import Path

from sqlalchemy import func, select

from access.visibility import Viewer
from config import load_call_config
from data_access import users
from data_access.import_history import import_history
from data_access.models import Submission
from importing import FIELD_NAMES
from tests.browser.conftest import own_demo_server
from tests.factories import assign, submit_review
from tests.support.browser import go_to, sign_out, wait_idle
from tests.support.returning import arrive_signed_in
from tests.support.spreadsheets import csv_bytes, valid_row

HEADERS = ["Response ID", *(n for n in FIELD_NAMES if n != "reference")]


def answers(n: int, **overrides: str) -> list[str]:
    overrides = {"received_at": "05/07/2021", **overrides}
    row = valid_row(n, **{"title": f"Synced response {n}", "organisation": f"Sync organisation {n}", **overrides})
    return [row.get(h, "") for h in HEADERS[1:]]


FIRST = [(f"R_sync_{n}", answers(n, received_at="32/07/2021" if n == 4 else "05/07/2021")) for n in range(1, 7)]
CORRECTED = answers(4, received_at="31/07/2021")  # what the form holds for response 4 (the export's cell was bad)
EDITED = {  # three of them edited in the re-export
    "R_sync_1": answers(1, title="Synced response 1, revised"),
    "R_sync_2": answers(2, nation="Wales"),
    "R_sync_3": answers(3, summary="A longer account of what project 3 found."),
}
REEXPORT = [(key, EDITED.get(key, CORRECTED if key == "R_sync_4" else row)) for key, row in FIRST] + [
    (f"R_sync_{n}", answers(n))
    for n in range(7, 12)  # five new responses
]


def shot(page, folder: Path, name: str) -> Path:
    """A full-page picture for people to look at, in the test's own folder."""
    wait_idle(page)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def upload_and_preview(page, base_url: str, path: Path) -> None:
    """The first steps of an import: open the page, upload the file, check the proposed mapping (the
    key column is guessed) and ask for the preview. A later step (a bad date corrected in the preview)
    can be added between the upload and the confirmation."""
    go_to(page, "Import")
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Spreadsheet to import")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_role("heading", name="Columns").first.wait_for()
    wait_idle(page)
    key = page.get_by_role("combobox", name=re.compile(r"^Key column"))
    assert key.input_value() == "Response ID"  # guessed: a response ID, every value filled and different
    page.get_by_role("button", name="Preview the import").click()
    wait_idle(page)


def confirm(page, *, added: int, updated: int) -> None:
    button = page.get_by_role("button", name=f"Import: add {added}, update {updated}")
    button.wait_for()
    button.click()
    wait_idle(page)


def count_submissions(db) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(Submission)))


def test_a_re_export_updates_three_adds_five_and_the_reviewer_sees_what_changed(page, tmp_path):
    config = load_call_config()
    first, again = tmp_path / "responses.csv", tmp_path / "responses again.csv"
    first.write_bytes(csv_bytes(HEADERS, [[key, *row] for key, row in FIRST]))
    again.write_bytes(csv_bytes(HEADERS, [[key, *row] for key, row in REEXPORT]))
    (tmp_path / "server").mkdir()
    with own_demo_server(tmp_path / "server") as (server, db):
        before = count_submissions(db)
        arrive_signed_in(page, server.url, db.url, "admin")
        upload_and_preview(page, server.url, first)
        # the impossible date blocks the import until it is corrected here
        page.get_by_role("heading", name="Fix a cell here").first.wait_for()
        assert page.get_by_role("button", name=re.compile(r"^Import: add")).count() == 0
        box = page.get_by_role("textbox", name="Correction 1")
        assert box.input_value() == "32/07/2021"
        shot(page, tmp_path, "sync-0-bad-date")
        box.fill("31/07/2021")
        box.press("Tab")
        page.get_by_role("button", name="Check and use these corrections").click()
        page.get_by_text("1 cell corrected here (the file itself is unchanged):").wait_for()
        confirm(page, added=6, updated=0)
        page.locator('[data-testid="stAlert"]').filter(has_text="6 added").wait_for()
        shot(page, tmp_path, "sync-1-first-import")
        assert count_submissions(db) == before + 6
        with db.read() as s:
            fourth = s.execute(
                select(Submission.id, Submission.received_at).where(Submission.source_key == "R_sync_4")
            ).one()
            [step] = import_history(s, submission_id=fourth.id)
        assert fourth.received_at.replace(tzinfo=None) == dt.datetime(2021, 7, 31)
        [kept] = step.corrections
        assert (kept["original"], kept["new"], kept["by"]) == ("32/07/2021", "31/07/2021", "admin")

        # a reviewer is assigned one of the new submissions and submits a review of it
        with db.write() as s:
            sid = s.scalar(select(Submission.id).where(Submission.source_key == "R_sync_1"))
            record = next(u for u in users.list_users(s, role="reviewer") if u.username == "reviewer1")
            reviewer = Viewer(record.id, record.username, record.name, record.role)
            reference = s.scalar(select(Submission.reference).where(Submission.id == sid))
            assign(s, sid, reviewer)
            submit_review(s, config, sid, reviewer)

        upload_and_preview(page, server.url, again)
        rows = page.locator('[data-testid="stDataFrame"]').filter(has_text="What happens")
        rows.wait_for()
        page.get_by_text(re.compile(r"^3 will update, 5 will add, 3 unchanged\.")).wait_for()
        rows.scroll_into_view_if_needed()  # the app scrolls inside its own frame: bring the table into the picture
        shot(page, tmp_path, "sync-2-preview")
        # the field-by-field changes are listed in the preview's table of changes too
        changes = page.locator('[data-testid="stDataFrame"]').filter(has_text="From the file")
        changes.wait_for()
        confirm(page, added=5, updated=3)
        page.locator('[data-testid="stAlert"]').filter(has_text="5 added, 3 updated, 3 unchanged").wait_for()
        shot(page, tmp_path, "sync-3-imported")
        assert count_submissions(db) == before + 11  # old + 6, then + 5: never a duplicate
        with db.read() as s:
            titles = dict(s.execute(select(Submission.source_key, Submission.title)).all())
        assert titles["R_sync_1"] == "Synced response 1, revised"
        sign_out(page)

        arrive_signed_in(page, server.url, db.url, reviewer.username)
        page.goto(f"{server.url}/my_reviews?submission={reference}")
        page.get_by_text(re.compile(r"^Changed since your review: Title\.")).first.wait_for()
        shot(page, tmp_path, "sync-4-reviewer")
