"""The Programme page's sessions, placements and files through the real app (ui.programme_sessions):
the admin adds a session typed in UK time, proposes and saves placements, and downloads the
programme; the office reads and downloads but changes nothing; a reviewer gets nothing; a refused
input says why and changes nothing; a download re-checks the role at the click."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from data_access import audit, users
from data_access import placements as pl
from data_access import programme as prog
from tests.data_access.test_programme import fields
from tests.data_access.test_programme import line_up as line_up
from tests.data_access.test_programme import people as people
from tests.support.apptest import download, rerun, run_app, texts
from tests.support.dbdump import table_contents
from tests.support.icalendar_parser import events

PROGRAMME = "pages/programme.py"
LABELS = ["Title", "Date", "Starts", "Ends", "Format", "Places", "Room", "Online link", "Chair", "Theme (optional)"]


def widget(at, kind: str, label: str):
    return next(w for w in getattr(at, kind) if w.label == label)


def button(at, label: str):
    return next(b for b in at.button if b.label == label)


def fill_session(at, *, title: str, link: str = "https://meet.example.org/a") -> None:
    widget(at, "text_input", "Title").input(title)
    widget(at, "date_input", "Date").set_value(dt.date(2027, 6, 10))
    widget(at, "time_input", "Starts").set_value(dt.time(10, 0))
    widget(at, "time_input", "Ends").set_value(dt.time(11, 30))
    widget(at, "selectbox", "Format").set_value("hybrid")
    widget(at, "number_input", "Places").set_value(3)
    widget(at, "text_input", "Room").input("Main hall")
    widget(at, "text_input", "Online link").input(link)
    widget(at, "text_input", "Chair").input("Dr A. Chair")


def sessions(db) -> list[prog.SessionRecord]:
    with db.read() as s:
        return prog.list_sessions(s)


def test_the_admin_adds_a_session_in_uk_time_proposes_and_saves_placements(db, db_url, people, line_up):
    at = run_app(db_url, people["admin"], page=PROGRAMME)
    assert not at.exception, at.exception
    assert {"Sessions", "Placements"} <= {h.value for h in at.header}
    assert set(LABELS) <= {
        w.label
        for kind in ("text_input", "date_input", "time_input", "selectbox", "number_input")
        for w in getattr(at, kind)
    }
    fill_session(at, title="Opening panel")
    button(at, "Add session").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    [added] = sessions(db)
    assert added.starts == dt.datetime(2027, 6, 10, 9, 0, tzinfo=dt.UTC)  # 10:00 UK summer time
    assert added.ends == dt.datetime(2027, 6, 10, 10, 30, tzinfo=dt.UTC)
    assert "Session added" in " ".join(s.value for s in at.success)
    at = rerun(at, db_url)
    button(at, "Propose placements").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Why each presenter is where the proposal puts them" in shown
    button(at, "Save placements").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    with db.read() as s:
        placed = {c.reference: c.session_id for c in pl.confirmed_presenters(s, line_up_id=line_up["id"])}
    refs = line_up["refs"]
    assert placed == {refs[0]: added.id, refs[1]: added.id, refs[2]: added.id}  # hybrid: everyone fits


def test_placements_saved_in_another_tab_since_the_page_showed_them_are_not_overwritten(db, db_url, people, line_up):
    """The optimistic lock of placements: the versions checked are those the page showed before the
    press (the press's own run reads the data afresh: checking those would never find a change)."""
    at = run_app(db_url, people["admin"], page=PROGRAMME)
    fill_session(at, title="Opening panel")
    button(at, "Add session").click()
    at = rerun(at, db_url)
    [added] = sessions(db)
    at = rerun(at, db_url)
    button(at, "Propose placements").click()
    at = rerun(at, db_url)
    assert "Why each presenter is where the proposal puts them" in texts(at)
    with db.write() as s:  # meanwhile, in another tab: only the first presenter placed
        confirmed = pl.confirmed_presenters(s, line_up_id=line_up["id"])
        seats = [pl.Seat(c.invitation_id, added.id if i == 0 else None, 1) for i, c in enumerate(confirmed)]
        versions = {c.invitation_id: c.version for c in confirmed}
        pl.save_placements(s, viewer=people["admin"], line_up_id=line_up["id"], seats=seats, expected_versions=versions)
    before = table_contents(db)
    button(at, "Save placements").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert "The placements were not saved:" in " ".join(e.value for e in at.error)
    assert table_contents(db) == before


def test_a_session_with_a_plain_http_link_is_refused_in_words_and_nothing_changes(db, db_url, people, line_up):
    at = run_app(db_url, people["admin"], page=PROGRAMME)
    before = table_contents(db)
    fill_session(at, title="=cmd|' /C calc'!A0", link="http://meet.example.org/a")
    button(at, "Add session").click()
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["The session was not added:"]
    assert "must be a web address starting https://" in texts(at)
    assert table_contents(db) == before


def test_the_office_reads_and_downloads_but_is_offered_no_change(db, db_url, people, call_config, line_up):
    with db.write() as s:
        room = prog.add_session(s, viewer=people["admin"], fields=fields(capacity=3), config=call_config)
    with db.read() as s:
        shown = pl.confirmed_presenters(s, line_up_id=line_up["id"])
    with db.write() as s:
        pl.save_placements(
            s,
            viewer=people["admin"],
            line_up_id=line_up["id"],
            seats=[pl.Seat(c.invitation_id, room.id, n) for n, c in enumerate(shown)],
            expected_versions={c.invitation_id: c.version for c in shown},
        )
    at = run_app(db_url, people["office"], page=PROGRAMME)
    assert not at.exception, at.exception
    assert {"Sessions", "Placements"} <= {h.value for h in at.header}
    labels = {b.label for b in at.button}
    assert not labels & {"Add session", "Propose placements", "Save placements", "Save changes", "Delete session"}
    assert not [w for w in at.text_input if w.label == "Title"]
    csv_button = next(b for b in at.download_button if b.label == "Download programme (CSV)")
    ics_button = next(b for b in at.download_button if b.label == "Download calendar (.ics)")
    _url, content = download(csv_button)
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert sorted(r["Reference"] for r in rows) == sorted(line_up["refs"][:3])
    assert b"Hidden Survivors Org" not in content
    _url, calendar = download(ics_button)
    [event] = events(calendar)
    assert event.get("SUMMARY") == "Opening panel"
    with db.read() as s:
        done = audit.list_entries(s, filters=audit.AuditFilter(actor=people["office"].username))
    assert {"export.programme", "export.programme-calendar"} <= set(done["action"])


def test_a_download_after_the_role_changed_is_refused_at_the_click(db, db_url, people, line_up):
    at = run_app(db_url, people["office"], page=PROGRAMME)
    csv_button = next(b for b in at.download_button if b.label == "Download programme (CSV)")
    with db.write() as s:
        users.set_role(s, user_id=people["office"].user_id, role="reviewer", actor="test")
    with pytest.raises(Exception, match="refused"):
        download(csv_button)
    with db.read() as s:
        exported = audit.list_entries(s, filters=audit.AuditFilter(action="export.programme"))
    assert exported.empty


def test_a_reviewer_gets_no_programme(db, db_url, people, call_config, line_up):
    with db.write() as s:
        prog.add_session(s, viewer=people["admin"], fields=fields(title="Secret session"), config=call_config)
    at = run_app(db_url, people["reviewer"], page=PROGRAMME)
    shown = texts(at)
    assert "Secret session" not in shown and "Sessions" not in [h.value for h in at.header]
    assert not at.download_button


def test_the_admin_edits_then_deletes_a_session_and_a_stale_edit_changes_nothing(
    db, db_url, people, call_config, line_up
):
    with db.write() as s:
        shown = prog.add_session(s, viewer=people["admin"], fields=fields(), config=call_config)
    at = run_app(db_url, people["admin"], page=PROGRAMME)
    assert [w.label for w in at.text_input].count("Title") == 1  # the edit form's inputs wait for the switch
    at.toggle(key="prog.session.editing").set_value(True)
    at = rerun(at, db_url)
    key = f"prog.session.edit.{shown.id}.{shown.version}"
    at.text_input(key=f"{key}.title").input("Opening plenary")
    at.number_input(key=f"{key}.places").set_value(6)
    button(at, "Save changes").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    [edited] = sessions(db)
    assert (edited.title, edited.capacity, edited.version, edited.starts) == ("Opening plenary", 6, 2, shown.starts)
    at = rerun(at, db_url)
    with db.write() as s:  # someone else edits it meanwhile
        prog.update_session(
            s,
            viewer=people["admin"],
            session_id=shown.id,
            fields=fields(title="Changed elsewhere"),
            expected_version=2,
            config=call_config,
        )
    before = table_contents(db)
    button(at, "Delete session").click()
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["Nothing was changed:"] and "changed since you opened it" in texts(at)
    assert table_contents(db) == before
    at = rerun(at, db_url)
    button(at, "Delete session").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert sessions(db) == []
