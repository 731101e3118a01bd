"""In a real browser: the admin uploads an online form's export with its own
headers, maps a column the app could not place, fixes a value that names no
code (accepting the suggestion), previews, imports, and finds the submissions on the Submissions page."""

import re
from pathlib import Path

from sqlalchemy import select

from data_access.db import Database
from data_access.models import AuditEntry, Submission
from tests.browser.conftest import screenshot
from tests.support.browser import wait_idle
from tests.support.returning import arrive_signed_in
from tests.support.spreadsheets import FORM_HEADERS, FORM_ROWS, csv_bytes

HEADERS = [*FORM_HEADERS, "Q12"]  # Q12 holds the region; nothing in its header says so
TITLES = ["Browser import: parks outreach", "Browser import: advocacy", "Browser import: survivor programme"]
ROWS = [
    [*row[:4], TITLES[i], *row[5:], region]
    for i, (row, region) in enumerate(zip(FORM_ROWS, ["Glasgow", "Cardiff", "Belfast"], strict=True))
]


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.keyboard.type(option)  # the list shows a few options at a time: filter it to the one
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def references_of(db_url: str, titles: list[str]) -> tuple[list[str], list[str]]:
    """The references the titles were given, and who downloaded an original file."""
    db = Database(db_url)
    try:
        with db.read() as session:
            found = dict(session.execute(select(Submission.title, Submission.reference)).all())
            downloads = session.scalars(
                select(AuditEntry.actor).where(AuditEntry.action == "import.download_original")
            ).all()
    finally:
        db.dispose()
    return [found[t] for t in titles], list(downloads)


def test_admin_maps_fixes_previews_imports_and_finds_the_submissions(page, live_server, demo_db_url, tmp_path):
    path = tmp_path / "form export.csv"
    path.write_bytes(csv_bytes(HEADERS, ROWS, encoding="cp1252"))

    arrive_signed_in(page, live_server.url, demo_db_url, "admin")
    page.get_by_role("link", name="Import", exact=True).click()
    page.get_by_role("heading", name="Import", exact=True).first.wait_for()
    wait_idle(page)
    # The form export's uploader (a ZIP of documents has its own beside it).
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Spreadsheet to import")
    uploader.locator('input[type="file"]').set_input_files(str(path))
    page.get_by_role("heading", name="Columns").first.wait_for()
    wait_idle(page)
    screenshot(page, "import-1-mapping")

    choose(page, "Column L goes to", "Region")
    # The theme's wording was pre-set to its sure suggestion; undone, it is a problem again.
    choose(page, "Value 1 means", "(choose a code)")
    page.get_by_role("button", name="Preview the import").click()
    wait_idle(page)
    alert = page.locator('[data-testid="stAlert"]').filter(has_text="1 problem in 1 row")
    alert.wait_for()
    screenshot(page, "import-2-problem")

    page.get_by_role("button", name="Accept all suggestions (1)").click()  # the one action takes it back
    wait_idle(page)
    page.get_by_role("button", name=re.compile(r"^Import: add 3")).wait_for()
    screenshot(page, "import-3-clean-preview")
    page.get_by_role("button", name=re.compile(r"^Import: add 3")).click()
    wait_idle(page)
    page.locator('[data-testid="stAlert"]').filter(has_text="3 added").wait_for()
    screenshot(page, "import-4-imported")
    # The original file is kept, byte for byte, and can be fetched again.
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the original file").click()
    assert download.value.suggested_filename == "form export.csv"
    assert Path(download.value.path()).read_bytes() == path.read_bytes()

    page.get_by_role("link", name="See the submissions").click()
    page.get_by_role("heading", name="Submissions").first.wait_for()
    wait_idle(page)
    search = page.get_by_role("textbox", name="Search")
    search.fill("Browser import")
    search.press("Enter")
    wait_idle(page)
    page.get_by_text(re.compile(r"^3 submissions\.")).wait_for()
    screenshot(page, "import-5-submissions")
    (first, _, third), downloads = references_of(demo_db_url, TITLES)
    assert "admin" in downloads
    page.goto(f"{live_server.url}/submissions?ref={first}")
    page.get_by_text(TITLES[0], exact=True).wait_for()
    page.get_by_text("Glasgow", exact=True).wait_for()
    # Windows-1252 characters arrive intact.
    page.goto(f"{live_server.url}/submissions?ref={third}")
    page.get_by_text("A survivor-led programme; the £ sign and “quotes” survive.", exact=True).wait_for()
    screenshot(page, "import-6-detail")
