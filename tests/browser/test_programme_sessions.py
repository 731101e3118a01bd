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
from sqlalchemy import select

from config import load_call_config
from data_access import invitations as inv
from data_access import placements as pl
from data_access import programme as prog
from data_access import signoff
from data_access.db import Database
from data_access.models import LineUp, LineUpMember, Submission, utcnow
from tests.browser.conftest import demo_database, screenshot
from tests.browser.test_presenter_reply import _viewer
from tests.data_access.test_delivery import mail_settings
from tests.support.accounts import password_of
from tests.support.browser import choose, go_to, sign_in, wait_idle
from tests.support.live import LiveServer
from tests.support.postgres import free_port


@pytest.fixture(scope="module")
def programme(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database, int, list[str]]]:
    """The demo call with a signed-off line-up of two presenters, invited, both accepted in person."""
    folder = tmp_path_factory.mktemp("programme")
    db = demo_database(folder / "demo.db")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    with db.write() as s:
        admin, office = _viewer(s, "admin"), _viewer(s, "office")
        subs = list(
            s.scalars(
                select(Submission)
                .where(Submission.anonymous.is_(False), Submission.contact_email.is_not(None))
                .order_by(Submission.id)
                .limit(2)
            )
        )
        line_up = LineUp(name="Programme line-up", rules={}, objective=1.0, notes="", created_by=admin.username)
        line_up.members = [
            LineUpMember(submission_id=sub.id, format="in_person", position=i + 1, pinned=False)
            for i, sub in enumerate(subs)
        ]
        s.add(line_up)
        s.flush()
        line_up_id, references = line_up.id, [sub.reference for sub in subs]
    with db.write() as s:
        signoff.sign_off(s, viewer=office, line_up_id=line_up_id, expected_version=1)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=admin,
            line_up_id=line_up_id,
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=mail_settings(None, EVIDENCE_PUBLIC_URL=public),
            config=load_call_config(),
        )
    with db.write() as s:
        for record in inv.list_invitations(s, line_up_id=line_up_id):
            inv.record_reply(
                s, viewer=admin, invitation_id=record.id, choice="in_person", expected_version=record.version
            )
    with db.write() as s:  # the demo call's own sessions out: this programme starts with none
        for existing in prog.list_sessions(s):
            prog.delete_session(s, viewer=admin, session_id=existing.id, expected_version=existing.version)
    server = LiveServer.start(
        f"sqlite:///{folder / 'demo.db'}", folder, extra_env={"EVIDENCE_PUBLIC_URL": public}, port=port
    )
    try:
        yield server, db, line_up_id, references
    finally:
        server.stop()
        db.dispose()


def test_the_admin_adds_a_session_places_the_presenters_and_downloads_the_programme(page, programme):
    server, db, line_up_id, references = programme
    sign_in(page, server.url, "admin", password_of("admin"))
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
