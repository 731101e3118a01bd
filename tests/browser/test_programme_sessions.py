"""The programme in a real browser: the admin adds a session through "Add a session" (a date
typed, times in UK time), proposes placements for the two presenters who accepted, saves them,
and downloads the programme CSV, read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from data_access import invitations as inv
from data_access import placements as pl
from data_access import programme as prog
from data_access.db import Database
from tests.browser.conftest import own_demo_server, screenshot
from tests.support.browser import choose, go_to, wait_idle
from tests.support.line_ups import invited_line_up, viewer_named
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database, int, list[str]]]:
    """The demo call with a signed-off line-up of two presenters, invited, both accepted in person."""
    made: list[tuple[int, list[str]]] = []

    def prepare(db: Database, public_url: str) -> None:
        made.append(invited_line_up(db, "Programme line-up", public_url))
        accept_in_person_and_clear_sessions(db, made[0][0])

    with own_demo_server(tmp_path_factory.mktemp("programme"), prepare=prepare) as (server, db):
        [(line_up_id, references)] = made
        yield server, db, line_up_id, references


def accept_in_person_and_clear_sessions(db: Database, line_up_id: int) -> None:
    """Both presenters accept in person; the demo call's own sessions go (this programme starts with none)."""
    with db.write() as s:
        admin = viewer_named(s, "admin")
        for record in inv.list_invitations(s, line_up_id=line_up_id):
            inv.record_reply(
                s, viewer=admin, invitation_id=record.id, choice="in_person", expected_version=record.version
            )
    with db.write() as s:
        for existing in prog.list_sessions(s):
            prog.delete_session(s, viewer=admin, session_id=existing.id, expected_version=existing.version)


def test_the_admin_adds_a_session_places_the_presenters_and_downloads_the_programme(page, programme):
    server, db, line_up_id, references = programme
    arrive_signed_in(page, server.url, db.url, "admin")
    go_to(page, "Programme")
    choice = page.get_by_role("combobox", name="Line-up")
    if "Programme line-up" not in choice.inner_text():
        choose(page, "Line-up", "Programme line-up (version 1)").click()
        wait_idle(page)
    page.get_by_role("heading", name="Sessions").first.wait_for()
    page.get_by_text("Add a session").click()
    page.get_by_label("Title").fill("Opening panel")
    page.get_by_role("spinbutton", name="day, Date").click()
    page.keyboard.type("10062027")  # day, month, year: the field moves on by itself
    page.keyboard.press("Tab")
    page.get_by_label("Room").fill("Main hall")
    page.get_by_label("Chair").fill("Dr A. Chair")
    wait_idle(page)
    page.get_by_role("button", name="Add session").click()
    page.get_by_text("Session added").wait_for()
    wait_idle(page)
    with db.read() as s:
        [added] = prog.list_sessions(s)
    assert added.title == "Opening panel" and added.starts == dt.datetime(2027, 6, 10, 9, 0, tzinfo=dt.UTC)

    page.get_by_role("heading", name="Placements").first.wait_for()
    page.get_by_role("button", name="Propose placements").click()
    page.get_by_text("Why each presenter is where the proposal puts them").wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Save placements").click()
    page.get_by_text("Placements saved").wait_for()
    wait_idle(page)
    screenshot(page, "programme-placements-saved")
    with db.read() as s:
        placed = {c.reference: c.session_id for c in pl.confirmed_presenters(s, line_up_id=line_up_id)}
    assert placed == dict.fromkeys(references, added.id)

    with page.expect_download() as download:
        page.get_by_role("button", name="Download programme (CSV)").click()
    content = Path(download.value.path()).read_bytes()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert sorted(r["Reference"] for r in rows) == sorted(references)
    assert {r["Session"] for r in rows} == {"Opening panel"} and {r["Start (UK time)"] for r in rows} == {"10:00"}
    expect(page.get_by_role("button", name="Download calendar (.ics)")).to_be_visible()
