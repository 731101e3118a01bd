"""The coverage page in a real browser on the demo call: the office user changes the columns, clicks a
cell and reads its submissions; the table behind the map downloads as CSV and the download is logged."""

from __future__ import annotations

from pathlib import Path

import pytest

from config import load_call_config
from data_access import audit
from data_access import coverage as coverage_da
from data_access.db import Database
from data_access.demo import DEMO_USERS
from scoring import coverage as cov
from scoring import score_submissions
from tests.browser.conftest import screenshot
from tests.support.browser import wait_idle
from tests.support.returning import arrive_signed_in

pytestmark = pytest.mark.browser
OFFICE = next(u for u in DEMO_USERS if u.username == "office")

# Where a cell's point is on the screen, from plotly's own axes (the points carry their cell in customdata).
CELL_POSITION = """([row, column]) => {
    const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd._fullData) return null;  // not drawn yet
    const box = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    for (const trace of gd._fullData) {
        const cells = trace.customdata || [];
        for (let i = 0; i < cells.length; i++) {
            if (cells[i][0] === row && cells[i][1] === column) {
                return {x: box.left + xa._offset + xa.l2p(trace.x[i]), y: box.top + ya._offset + ya.l2p(trace.y[i])};
            }
        }
    }
    return null;
}"""


def expected_description(db_url: str, dimension: str, row: str, code: str) -> str:
    """What the page should say about a cell, computed from the database the server uses."""
    config = load_call_config()
    db = Database(db_url)
    try:
        with db.read() as session:
            data = coverage_da.coverage_inputs(session)
    finally:
        db.dispose()
    frame = cov.coverage_frame(data.submissions, score_submissions(data.scores, config.weights))
    return cov.describe_cell(cov.coverage_matrix(frame, config, column=dimension), row, code)


def open_coverage(page, live_server, demo_db_url) -> None:
    arrive_signed_in(page, live_server.url, demo_db_url, OFFICE.username)
    page.locator('[data-testid="stSidebarNav"] a', has_text="Coverage").click()
    page.get_by_role("heading", name="Evidence and gap map").first.wait_for()
    wait_idle(page)


def test_office_changes_the_columns_clicks_a_cell_and_reads_its_submissions(page, live_server, demo_db_url):
    open_coverage(page, live_server, demo_db_url)
    page.get_by_text("Submissions by theme and focus area, and by form of exploitation").wait_for()

    page.locator('[data-testid="stSelectbox"]').filter(has_text="Columns show").click()
    page.get_by_role("option", name="Nation", exact=True).click()
    wait_idle(page)
    page.get_by_text("Submissions by theme and focus area, and by nation").wait_for()

    where = page.wait_for_function(CELL_POSITION, arg=["all", "scotland"]).json_value()  # once plotly has drawn it
    page.mouse.click(where["x"], where["y"])
    wait_idle(page)

    described = page.locator('[data-testid="stText"]').filter(has_text="All submissions × Scotland")
    described.wait_for()
    assert described.inner_text().strip() == expected_description(demo_db_url, "nation", "all", "scotland")
    listing = page.locator('[data-testid="stDataFrame"]')
    assert listing.count() >= 2  # the cell's submissions and the list of gaps
    screenshot(page, "office-coverage-cell")
    listing.first.scroll_into_view_if_needed()
    screenshot(page, "office-coverage-cell-list")


def test_coverage_table_downloads_as_csv_and_is_logged(page, live_server, demo_db_url):
    open_coverage(page, live_server, demo_db_url)
    page.locator('[data-testid="stExpander"] summary').filter(has_text="Table behind this chart").first.click()
    wait_idle(page)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the table as CSV").first.click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    header = content.splitlines()[0]
    assert header.startswith("Theme,Focus area,Form of exploitation,Submissions,Reviewed")
    assert download.value.suggested_filename.endswith(".csv") and "_coverage_" in download.value.suggested_filename
    wait_idle(page)
    db = Database(demo_db_url)
    try:
        with db.read() as session:
            entries = audit.list_entries(session, filters=audit.AuditFilter(action="export.coverage", actor="office"))
    finally:
        db.dispose()
    assert len(entries) >= 1
    assert entries.iloc[0]["new"]["file"] == download.value.suggested_filename
    screenshot(page, "office-coverage-table")
