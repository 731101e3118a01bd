"""The programme's files, read back: the CSV (formula cells neutralised, UK times, no anonymous identity,
no email) and the iCalendar file (a stable UID per session, hostile text kept as one value, no anonymous
identity); and the presenter list's programme columns. Pure builders: no database."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from data_access.programme_files import (
    PRESENTER_PROGRAMME_FIELDS,
    PROGRAMME_FIELDS,
    Speaker,
    presenter_programme_columns,
    programme_calendar,
    programme_table,
    session_uid,
)
from scoring.programme import Placement, Presenter, ProgrammeError, ProgrammeSession
from scoring.replies import ACCEPTED_VIRTUAL, AWAITING, DECLINED, Invitation
from tests.support.icalendar_parser import events, parse

UK = ZoneInfo("Europe/London")
CALL = "iasc-cfe-2021"
NOW = dt.datetime(2021, 10, 1, 12, 0, tzinfo=dt.UTC)
HOSTILE_TITLE = '=HYPERLINK("https://evil.example","x")\r\nEND:VEVENT\r\nBEGIN:VEVENT'

SESSIONS = [
    ProgrammeSession(
        key=7,
        title="Afternoon: prevention, online",
        starts=dt.datetime(2021, 10, 14, 14, 0, tzinfo=UK),
        ends=dt.datetime(2021, 10, 14, 15, 0, tzinfo=UK),
        format="online",
        capacity=3,
        online_link="https://meet.example.org/abc",
        chair="@Chair Person",
    ),
    ProgrammeSession(
        key=3,
        title="Opening panel",
        starts=dt.datetime(2021, 10, 14, 9, 30, tzinfo=UK),
        ends=dt.datetime(2021, 10, 14, 11, 0, tzinfo=UK),
        format="hybrid",
        capacity=3,
        room="Main hall; ground floor",
        online_link="https://meet.example.org/main",
        chair="Dr A. Chair",
    ),
    ProgrammeSession(
        key=9,
        title="Closing",
        starts=dt.datetime(2021, 10, 14, 16, 0, tzinfo=UK),
        ends=dt.datetime(2021, 10, 14, 17, 0, tzinfo=UK),
        format="in_person",
        capacity=2,
        room="Room 2",
    ),
]
PRESENTERS = [
    Presenter(1, "CFE-0001", "in_person", ("t1",)),
    Presenter(2, "CFE-0002", "virtual", ("t2",)),
    Presenter(3, "CFE-0003", "virtual", ("t2",)),
]
PLACEMENTS = [Placement(1, 3), Placement(2, 3), Placement(3, 7)]
SPEAKERS = {
    1: Speaker(1, "CFE-0001", HOSTILE_TITLE, "Org One", "Ann Example"),
    2: Speaker(2, "CFE-0002", "Ceredigion’s “child-first” model " + "ł" * 90, "+Org Two", "-Bo Example"),
    3: Speaker(3, "CFE-0003", "Secret route", "Hidden Survivors Org", "Cy Hidden", anonymous=True),
}


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_programme_csv_in_session_order_with_uk_times_and_neutralised_cells():
    table = programme_table(SESSIONS, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL, today=dt.date(2021, 10, 2))
    assert table.filename == "iasc-cfe-2021_programme_2021-10-02.csv"
    rows = read_csv(table.to_csv())
    assert list(rows[0]) == PROGRAMME_FIELDS
    assert [(r["Session"], r["Order"], r["Reference"]) for r in rows] == [
        ("Opening panel", "1", "CFE-0001"),
        ("Opening panel", "2", "CFE-0002"),
        ("Afternoon: prevention, online", "1", "CFE-0003"),
        ("Closing", "", ""),  # a session nobody is placed in yet still has its row
    ]
    first = rows[0]
    assert (first["Date"], first["Start (UK time)"], first["End (UK time)"]) == ("2021-10-14", "09:30", "11:00")
    assert first["Session format"] == "Hybrid" and first["Room"] == "Main hall; ground floor"
    assert first["Title"] == "'" + HOSTILE_TITLE  # neutralised, and still the whole text
    assert (rows[1]["Organisation"], rows[1]["Presenter"], rows[1]["Presents"]) == (
        "'+Org Two",
        "'-Bo Example",
        "Virtual",
    )
    assert rows[2]["Chair"] == "'@Chair Person"


def test_no_anonymous_identity_and_no_email_in_either_file():
    table = programme_table(SESSIONS, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL)
    anonymous_row = next(r for r in read_csv(table.to_csv()) if r["Reference"] == "CFE-0003")
    assert (anonymous_row["Organisation"], anonymous_row["Presenter"]) == ("", "")
    assert anonymous_row["Title"] == "Secret route"
    calendar = programme_calendar(SESSIONS, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL, name="IASC", stamp=NOW)
    for data in (table.to_csv(), calendar.content):
        unfolded = data.replace(b"\r\n ", b"").decode("utf-8")
        assert "Hidden Survivors Org" not in unfolded and "Cy Hidden" not in unfolded
        assert "@" not in unfolded.replace("@Chair", "").replace("@evidence-review", "")
    assert not any("Email" in f or "email" in f for f in PROGRAMME_FIELDS)


def test_calendar_reads_back_one_event_per_session():
    calendar = programme_calendar(
        SESSIONS,
        PRESENTERS,
        PLACEMENTS,
        SPEAKERS,
        call_id=CALL,
        name="IASC conference",
        today=dt.date(2021, 10, 2),
        stamp=NOW,
    )
    assert calendar.filename == "iasc-cfe-2021_programme_2021-10-02.ics"
    assert calendar.events == 3
    opening, online, closing = events(calendar.content)
    assert opening.get("UID") == "session-3.iasc-cfe-2021@evidence-review"
    assert (opening.get("DTSTART"), opening.get("DTEND")) == ("20211014T083000Z", "20211014T100000Z")
    assert opening.get("SUMMARY") == "Opening panel"
    assert opening.get("LOCATION") == "Main hall; ground floor (and online)"
    assert opening.get("URL") == "https://meet.example.org/main"
    assert opening.get("DESCRIPTION") == (
        "Hybrid session.\nChair: Dr A. Chair\nRoom: Main hall; ground floor\nOnline: https://meet.example.org/main\n"
        "Presenters:\n"
        'CFE-0001 · =HYPERLINK("https://evil.example","x")\nEND:VEVENT\nBEGIN:VEVENT · Org One (in person)\n'
        f"CFE-0002 · {SPEAKERS[2].title} · +Org Two (virtually)"
    )
    assert "Ann Example" not in opening.get("DESCRIPTION")  # names of people stay in the office's CSV
    assert online.get("LOCATION") == "Online: https://meet.example.org/abc"
    assert online.get("DESCRIPTION").endswith("Presenters:\nCFE-0003 · Secret route (virtually)")
    assert closing.get("LOCATION") == "Room 2" and "Presenters" not in closing.get("DESCRIPTION")
    assert [c.name for c in parse(calendar.content).children] == ["VEVENT"] * 3


def test_the_uid_stays_when_a_session_is_edited_and_the_sequence_says_which_is_newer():
    before = events(
        programme_calendar(SESSIONS, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL, name="x", stamp=NOW).content
    )
    moved = dataclasses.replace(
        SESSIONS[1],
        title="Opening panel (moved)",
        starts=SESSIONS[1].starts + dt.timedelta(days=1),
        ends=SESSIONS[1].ends + dt.timedelta(days=1),
    )
    after = events(
        programme_calendar(
            [SESSIONS[0], moved, SESSIONS[2]],
            PRESENTERS,
            PLACEMENTS,
            SPEAKERS,
            call_id=CALL,
            name="x",
            stamp=NOW,
            sequences={3: 2},
        ).content
    )
    assert sorted(e.get("UID") for e in before) == sorted(e.get("UID") for e in after)
    opening_before = next(e for e in before if e.get("UID") == session_uid(CALL, 3))
    opening_after = next(e for e in after if e.get("UID") == session_uid(CALL, 3))
    assert opening_before.get("SUMMARY") == "Opening panel" and opening_before.get("SEQUENCE") == "0"
    assert opening_after.get("SUMMARY") == "Opening panel (moved)" and opening_after.get("SEQUENCE") == "2"
    assert opening_after.get("DTSTART") == "20211015T083000Z"
    assert session_uid(CALL, 3) != session_uid(CALL, 7) != session_uid("another-call", 7)


def test_presenter_list_gains_session_time_format_and_reply():
    invitations = [
        Invitation(1, "CFE-0001", "in_person", AWAITING, NOW + dt.timedelta(days=3)),
        Invitation(2, "CFE-0002", "in_person", ACCEPTED_VIRTUAL, NOW),
        Invitation(3, "CFE-0003", "virtual", AWAITING, NOW - dt.timedelta(days=1)),
        Invitation(4, "CFE-0004", "virtual", DECLINED, NOW),
    ]
    columns = presenter_programme_columns(SESSIONS, PLACEMENTS, invitations, now=NOW)
    assert set(columns) == {1, 2, 3, 4}
    assert all(list(c) == PRESENTER_PROGRAMME_FIELDS for c in columns.values())
    assert columns[1] == {
        "Session": "Opening panel",
        "Session date": dt.date(2021, 10, 14),
        "Session time (UK)": "09:30–11:00",
        "Presents": "In person",
        "Reply": "Awaiting reply",
    }
    assert (columns[2]["Presents"], columns[2]["Reply"]) == ("Virtual", "Accepted (virtual)")  # accepted another format
    assert columns[3]["Reply"] == "No reply by the deadline"
    assert columns[4]["Session"] is None and columns[4]["Reply"] == "Declined"


def test_a_session_whose_times_cannot_be_filed_is_refused_in_words():
    naive = dataclasses.replace(SESSIONS[0], starts=dt.datetime(2021, 10, 14, 14, 0))
    backwards = dataclasses.replace(SESSIONS[1], ends=SESSIONS[1].starts)
    bad = [naive, backwards, SESSIONS[2]]
    expected = (
        "“Afternoon: prevention, online” needs a start and an end with their time zone (UK time).",
        "“Opening panel” ends before it starts.",
    )
    for make in (
        lambda: programme_table(bad, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL),
        lambda: programme_calendar(bad, PRESENTERS, PLACEMENTS, SPEAKERS, call_id=CALL, name="x"),
        lambda: presenter_programme_columns(bad, PLACEMENTS, [], now=NOW),
    ):
        with pytest.raises(ProgrammeError) as refused:
            make()
        assert refused.value.problems == expected
