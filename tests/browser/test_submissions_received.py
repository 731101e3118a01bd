"""The Submissions table's Received column in a real browser: it holds the times themselves (in UK time; the
grid writes each as its UK day, "9 Jul 2021", `formats.times.DAY_PATTERN`), so clicking the column's header
sorts the rows by date, not by the text ("1 Aug 2021" would come before "9 Jul 2021"), and a second click by
date the other way."""

from __future__ import annotations

import contextlib
import datetime as dt
import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from sqlalchemy import select, update

from data_access.models import Submission
from formats import times
from tests.browser.conftest import own_demo_server, screenshot
from tests.support.accounts import password_of
from tests.support.browser import sign_in, wait_idle

pytestmark = pytest.mark.browser
UTC = dt.UTC
RECEIVED = {  # title -> received; in reference order, neither by date nor by the text of the day
    "Zebracorn evidence A": dt.datetime(2021, 7, 10, 9, 14, tzinfo=UTC),
    "Zebracorn evidence B": dt.datetime(2021, 8, 1, tzinfo=UTC),  # a day given without a time
    "Zebracorn evidence C": dt.datetime(2021, 7, 9, tzinfo=UTC),
    "Zebracorn evidence D": dt.datetime(2020, 12, 25, 23, 30, tzinfo=UTC),
}
ISO = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2}$")
GRID = '[data-testid="stDataFrame"]'


def _prepare(db, _address: str) -> None:
    with db.write() as s:
        ids = list(s.scalars(select(Submission.id).order_by(Submission.reference).limit(len(RECEIVED))))
        for sid, (title, received) in zip(ids, RECEIVED.items(), strict=True):
            s.execute(update(Submission).where(Submission.id == sid).values(title=title, received_at=received))


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with own_demo_server(tmp_path_factory.mktemp("received"), prepare=_prepare) as (live, _db):
        yield live


def _rows(page) -> list[tuple[str, str]]:
    """(title, received) of each row the grid draws, in its order. The grid is a canvas; its cells' values are
    in the DOM for assistive technology (a time there as ISO text in the column's zone)."""
    cells = page.wait_for_function(
        f"""() => {{
            const rows = [...document.querySelectorAll('{GRID} [role="row"]')].map(
                r => [...r.querySelectorAll('[role="gridcell"]')].map(c => c.textContent.trim()));
            const found = rows.filter(r => r.some(t => t.startsWith("Zebracorn")));
            return found.length === {len(RECEIVED)} ? found : null;
        }}"""
    ).json_value()
    return [(next(t for t in row if t.startswith("Zebracorn")), row[-1]) for row in cells]  # Received: the last


def _titles_once(page, expected: list[str]) -> list[str]:
    """The rows' titles once they are in the `expected` order (the grid redraws a moment after a click),
    or as they are after a few seconds."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            f"""(expected) => {{
                const titles = [...document.querySelectorAll('{GRID} [role="gridcell"]')]
                    .map(c => c.textContent.trim()).filter(t => t.startsWith("Zebracorn"));
                return JSON.stringify(titles) === JSON.stringify(expected);
            }}""",
            arg=expected,
            timeout=5_000,
        )
    return [title for title, _received in _rows(page)]


def _click_received(page) -> None:
    """Click the Received column's header. The grid is a canvas; Received is its last column (as its
    header cells in the DOM say), drawn flush with the grid's right edge."""
    headers = page.locator(f'{GRID} [role="columnheader"]').all_text_contents()
    assert headers and headers[-1].strip().endswith("Received"), headers  # ("↑ Received" once sorted)
    grid = page.locator(GRID).first.bounding_box()
    assert grid
    page.mouse.click(grid["x"] + grid["width"] - 40, grid["y"] + 17)
    wait_idle(page)


def test_sorting_by_received_orders_the_rows_by_date(chromium, server):
    context = chromium.new_context(viewport={"width": 2400, "height": 1200})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        sign_in(page, server.url, "admin", password_of("admin"))
        page.goto(f"{server.url}/submissions")
        page.get_by_role("textbox", name="Search").fill("Zebracorn")
        page.get_by_role("textbox", name="Search").press("Enter")
        wait_idle(page)
        shown = _rows(page)
        assert [title for title, _received in shown] == list(RECEIVED)  # by reference
        screenshot(page, "submissions-received-column")  # for people: "10 Jul 2021", "1 Aug 2021"...
        by_date = sorted(RECEIVED, key=RECEIVED.__getitem__)
        _click_received(page)
        screenshot(page, "submissions-received-sorted")
        assert _titles_once(page, by_date) == by_date
        _click_received(page)
        assert _titles_once(page, by_date[::-1]) == by_date[::-1]
        # The column holds the times themselves, in UK time (BST in summer), which the grid writes as UK days.
        for title, received in shown:
            assert ISO.match(received), received
            held = dt.datetime.fromisoformat(received)
            assert held == RECEIVED[title] and held.utcoffset() == held.astimezone(times.UK).utcoffset()
    finally:
        context.close()
