"""The programme attacked: the office (and a reviewer) calling every writer of sessions and
placements directly, around the page; a session title that tries to end its calendar event; a
title and a chair that a spreadsheet would run as formulas; placements for a presenter who
declined or in a session that does not exist. Each is refused or made harmless, and nothing
changes. Both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import placements as pl
from data_access import programme as prog
from data_access.errors import AccessDenied
from data_access.models import PresenterInvitation
from tests.data_access.test_programme import add, confirmed, fields, read_csv, record_reply, save
from tests.data_access.test_programme import line_up as line_up  # a fixture
from tests.data_access.test_programme import people as people
from tests.support.dbdump import table_contents
from tests.support.icalendar_parser import events

FORMULA_TITLE = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("who", ["office", "reviewer"])
def test_every_writer_refuses_a_role_other_than_admin_called_directly(db, people, call_config, line_up, who):
    record = add(db, people, call_config)
    shown = confirmed(db, line_up["id"])
    attacker = people[who]
    before = table_contents(db)
    attempts = [
        lambda s: prog.add_session(
            s, viewer=attacker, fields=fields(title="Mine", room="R9", chair="X"), config=call_config
        ),
        lambda s: prog.update_session(
            s, viewer=attacker, session_id=record.id, fields=fields(capacity=99), expected_version=1, config=call_config
        ),
        lambda s: prog.delete_session(s, viewer=attacker, session_id=record.id, expected_version=1),
        lambda s: pl.save_placements(
            s,
            viewer=attacker,
            line_up_id=line_up["id"],
            seats=[pl.Seat(c.invitation_id, record.id) for c in shown.values()],
            expected_versions={c.invitation_id: c.version for c in shown.values()},
        ),
        lambda s: pl.propose(s, viewer=attacker, line_up_id=line_up["id"], keep_mine=False, config=call_config),
    ]
    for attempt in attempts:
        with pytest.raises(AccessDenied), db.write() as s:
            attempt(s)
    assert table_contents(db) == before


def test_a_title_that_tries_to_end_its_calendar_event_is_refused_and_one_line_cannot_break_out(
    db, people, call_config, line_up
):
    before = table_contents(db)
    for title in ("Panel\r\nEND:VEVENT\r\nBEGIN:VEVENT", "Panel\nSUMMARY:x", "Panel\u2028DTSTART:19700101T000000Z"):
        with pytest.raises(prog.SessionError, match="must be one line"):
            add(db, people, call_config, title=title)
    assert table_contents(db) == before
    add(db, people, call_config, title="Panel END:VEVENT BEGIN:VEVENT; SUMMARY:x, y")
    with db.write() as s:
        file = pl.programme_ics(s, viewer=people["admin"], line_up_id=line_up["id"], config=call_config)
    [event] = events(file.content)
    assert event.get("SUMMARY") == "Panel END:VEVENT BEGIN:VEVENT; SUMMARY:x, y"
    assert file.content.split(b"\r\n").count(b"BEGIN:VEVENT") == 1


def test_formula_titles_and_chairs_are_neutralised_in_the_programme_csv(db, people, call_config, line_up):
    add(db, people, call_config, title=FORMULA_TITLE, chair="@SUM(1+1)", room="+Room 1")
    with db.read() as s:
        content = pl.programme_csv(s, viewer=people["office"], line_up_id=line_up["id"], config=call_config).to_csv()
    [row] = read_csv(content)
    assert (row["Session"], row["Chair"], row["Room"]) == ("'" + FORMULA_TITLE, "'@SUM(1+1)", "'+Room 1")


def test_placing_a_presenter_who_declined_or_in_a_session_that_does_not_exist_is_refused(
    db, people, call_config, line_up
):
    room = add(db, people, call_config, capacity=4)
    refs = line_up["refs"]
    record_reply(db, people, line_up["id"], refs[2], "declined")
    with db.read() as s:
        declined_id = s.scalar(
            select(PresenterInvitation.id).where(PresenterInvitation.submission_id == line_up["ids"][2])
        )
    shown = confirmed(db, line_up["id"])
    before = table_contents(db)
    with pytest.raises(prog.SessionError, match="placed once"), db.write() as s:
        pl.save_placements(
            s,
            viewer=people["admin"],
            line_up_id=line_up["id"],
            seats=[pl.Seat(declined_id, room.id)],
            expected_versions={c.invitation_id: c.version for c in shown.values()},
        )
    with pytest.raises(prog.SessionError, match="does not exist"):
        save(db, people, line_up["id"], {refs[0]: room.id + 1000})
    assert table_contents(db) == before
