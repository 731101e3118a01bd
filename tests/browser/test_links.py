"""Links in a real browser: evidence links open safely, and lists open the submission they list.

A copy of the demo call gets one submission whose links are an https address
and a `javascript:` one. The first must be an anchor to a new tab with
`rel="noopener noreferrer"` and its domain shown; the second plain text; and
the browser must ask nothing of the link's host until the link is clicked
(requests to it are aborted, so nothing leaves the machine even then).
From Rankings and from the gap map, opening a row must land on the
Submissions page with that submission's detail.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from config import load_call_config
from data_access.db import Database
from data_access.models import Submission
from tests.browser.conftest import demo_database, screenshot
from tests.browser.test_coverage import CELL_POSITION, open_coverage
from tests.factories import make_submission
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, wait_idle, wait_loaded
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in

REFERENCE = "CFE-LINKS"
HOST = "evidence-host.invalid"  # never resolves
GOOD = f"https://{HOST}/reports/annual.pdf"
BAD = "javascript:window.__xss=1"


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of its own on the demo call plus the submission with links."""
    folder = tmp_path_factory.mktemp("links")
    db = demo_database(folder / "demo.db")
    with db.write() as s:
        make_submission(s, load_call_config(), reference=REFERENCE, title="Links to open", links=[GOOD, BAD])
    db.dispose()
    server = LiveServer.start(db.url, folder)
    try:
        yield server
    finally:
        server.stop()


def test_an_https_link_opens_in_a_new_tab_without_opener_and_nothing_is_fetched_before_the_click(chromium, linked):
    context = chromium.new_context(viewport={"width": 1400, "height": 1800})
    asked: list[dict] = []

    def to_the_host(route) -> None:
        asked.append({"url": route.request.url, "referer": route.request.headers.get("referer")})
        route.abort()

    context.route(re.compile(rf"^https?://{re.escape(HOST)}(/.*)?$"), to_the_host)
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url))
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, linked.url, "office", password_of("office"))
        page.goto(f"{linked.url}/submissions?submission={REFERENCE}")
        page.get_by_text(f"Submission {REFERENCE}").wait_for()
        wait_idle(page)
        page.locator("a[data-evidence-link]").first.wait_for()  # the links are drawn
        wait_loaded(page)  # everything the page would load has been asked for
        screenshot(page, "office-submission-links")

        anchors = page.locator("a[data-evidence-link]")
        assert anchors.count() == 1
        link = anchors.first
        assert link.get_attribute("href") == GOOD
        assert link.get_attribute("target") == "_blank"
        assert {"noopener", "noreferrer"} <= set(link.get_attribute("rel").split())
        assert link.inner_text().strip() == f"{HOST} — {GOOD}"
        # The javascript: address is text, and no anchor anywhere points at it.
        shown = [t.strip() for t in page.locator('[data-testid="stText"]').all_inner_texts()]
        assert BAD in shown
        hrefs = page.eval_on_selector_all("a", "els => els.map(a => a.getAttribute('href') || '')")
        assert not [h for h in hrefs if h.lower().startswith(("javascript", "data"))]
        # Nothing asked of the link's host yet: no prefetch, no favicon.
        assert asked == [] and not [u for u in requests if HOST in u]

        with context.expect_page() as opened:
            link.click()
        tab = opened.value
        tab.wait_for_load_state("commit")
        deadline = time.monotonic() + 10
        while not asked:  # the route notes the request as it is made
            assert time.monotonic() < deadline, "the click asked nothing of the link's host"
            page.wait_for_timeout(50)
        wait_loaded(tab)  # and the tab has come to rest: nothing more (no icon) is asked of the host
        assert [a["url"] for a in asked] == [GOOD]  # asked only now, and only by the click
        assert asked[0]["referer"] is None  # noreferrer
        assert tab.evaluate("window.opener") is None  # noopener
        assert page.url.startswith(linked.url)  # the app's tab stayed where it was
        assert page.evaluate("typeof window.__xss") == "undefined"
    finally:
        context.close()


def _land_on_submissions(page, base: str) -> str:
    """Follow the page link to the selected row's submission; the reference it opened."""
    link = page.get_by_role("link", name="Open its detail on the Submissions page")
    link.wait_for()
    href = link.get_attribute("href")
    link.click()
    page.get_by_role("heading", name="Submissions", exact=True).first.wait_for()
    wait_idle(page)
    reference = parse_qs(urlsplit(page.url).query)["submission"][0]
    assert reference in href
    page.get_by_text(f"Submission {reference}", exact=True).wait_for()
    assert page.url.startswith(base + "/submissions")
    return reference


def _select_row(page, grid, row: int) -> None:
    """Click a row's selection cell in a Streamlit table (rows are 35 px high)."""
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 12, box["y"] + 35 * (row + 1) + 17)
    wait_idle(page)


def test_a_rankings_row_opens_its_submission_on_the_submissions_page(page, live_server, demo_db_url):
    arrive_signed_in(page, live_server.url, demo_db_url, "office")
    go_to(page, "Rankings")
    _select_row(page, page.locator('[data-testid="stDataFrame"]').first, 2)
    chosen = page.locator('[data-testid="stText"]').filter(has_text=re.compile(r"^CFE-\d{4}: ")).first
    chosen.wait_for()
    expected = chosen.inner_text().split(":", 1)[0].strip()
    screenshot(page, "office-rankings-row-link")
    assert _land_on_submissions(page, live_server.url) == expected


def test_a_gap_map_cells_row_opens_its_submission_on_the_submissions_page(page, live_server, demo_db_url):
    open_coverage(page, live_server, demo_db_url)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Columns show").click()
    page.get_by_role("option", name="Nation", exact=True).click()
    wait_idle(page)
    where = page.wait_for_function(CELL_POSITION, arg=["all", "scotland"]).json_value()
    page.mouse.click(where["x"], where["y"])
    page.locator('[data-testid="stText"]').filter(has_text="All submissions × Scotland").wait_for()
    wait_idle(page)
    page.get_by_text("Select a row to open its submission.").first.wait_for()
    _select_row(page, page.locator('[data-testid="stDataFrame"]').first, 0)
    screenshot(page, "office-coverage-row-link")
    reference = _land_on_submissions(page, live_server.url)
    db = Database(demo_db_url)
    try:
        with db.read() as session:
            nation = session.query(Submission.nation).filter(Submission.reference == reference).scalar()
    finally:
        db.dispose()
    assert nation == "scotland"  # a submission of the cell that was clicked
