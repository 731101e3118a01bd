"""The iCalendar writer: RFC 5545 as a strict reader sees it, and attacked with hostile text."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formats.icalendar import CalendarError, CalendarEvent, escape_text, fold, to_ics_bytes
from tests.support.icalendar_parser import ICalError, events, parse, physical_lines

UK = ZoneInfo("Europe/London")
STAMP = dt.datetime(2021, 10, 1, 12, 0, tzinfo=dt.UTC)


def event(**kw) -> CalendarEvent:
    base = {
        "uid": "session-1.iasc-cfe-2021@evidence-review",
        "starts": dt.datetime(2021, 10, 14, 10, 0, tzinfo=UK),
        "ends": dt.datetime(2021, 10, 14, 11, 30, tzinfo=UK),
        "summary": "Opening panel",
    }
    base.update(kw)
    return CalendarEvent(**base)


def write(*evs: CalendarEvent, **kw) -> bytes:
    return to_ics_bytes(evs, prodid="-//Test//EN", stamp=STAMP, **kw)


def expected_text(value: str) -> str:
    """What a TEXT value must read back as, stated independently: every line break a newline, every
    other C0/C1 control character but tab gone."""
    value = re.sub("\r\n|[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", "\n", value)
    return "".join(c for c in value if c in "\t\n" or unicodedata.category(c) != "Cc")


def test_a_calendar_reads_back_with_times_in_utc():
    data = write(
        event(location="Room 1, Ground floor; east wing", description="Chair: A. Person\nThree talks"),
        event(
            uid="session-2.iasc-cfe-2021@evidence-review",
            starts=dt.datetime(2021, 12, 2, 9, 0, tzinfo=UK),
            ends=dt.datetime(2021, 12, 2, 10, 0, tzinfo=UK),
            summary="Winter session",
            url="https://meet.example.org/abc?x=1",
        ),
        name="IASC conference",
    )
    calendar = parse(data)
    assert calendar.name == "VCALENDAR"
    assert calendar.get("VERSION") == "2.0"
    assert calendar.get("X-WR-CALNAME") == "IASC conference"
    first, second = events(data)
    # 10:00 British Summer Time is 09:00 UTC; 09:00 in December (GMT) is 09:00 UTC.
    assert (first.get("DTSTART"), first.get("DTEND")) == ("20211014T090000Z", "20211014T103000Z")
    assert (second.get("DTSTART"), second.get("DTEND")) == ("20211202T090000Z", "20211202T100000Z")
    assert first.get("DTSTAMP") == "20211001T120000Z"
    assert first.get("LOCATION") == "Room 1, Ground floor; east wing"
    assert first.get("DESCRIPTION") == "Chair: A. Person\nThree talks"
    assert first.get("UID") == "session-1.iasc-cfe-2021@evidence-review"
    assert second.get("URL") == "https://meet.example.org/abc?x=1"
    assert "X-ALT-DESC" not in data.decode()


@pytest.mark.parametrize(
    "hostile",
    [
        "Panel\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected",
        "Panel\nDTSTART:19700101T000000Z",
        "Panel\rATTACH:https://evil.example/x",
        "Panel\u2028LOCATION:elsewhere\u2029\x85\x0b\x0c",
        "=cmd|' /C calc'!A0",
        "a;b,c\\d\\n;",
        "nul\x00 bell\x07 escape\x1b[31m del\x7f",
        "<b>bold</b> <script>alert(1)</script> **markdown**",
    ],
)
def test_hostile_text_stays_one_value(hostile):
    data = write(event(summary=hostile, description=hostile, location=hostile))
    (ev,) = events(data)
    assert ev.names() == ["UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY", "LOCATION", "DESCRIPTION"]
    for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
        assert ev.get(name) == expected_text(hostile)
    assert ev.get("DTSTART") == "20211014T090000Z"


def test_long_names_fold_at_75_octets_without_splitting_a_character():
    long_title = "Évaluation of “child-first” responses 🧒 in Cymru / Alba / Éire " * 12
    data = write(event(summary=long_title, description="ł" * 500, location="€" * 101))
    lines = physical_lines(data)
    assert max(len(line) for line in lines) == 75
    assert all(len(line) <= 75 for line in lines)
    (ev,) = events(data)
    assert ev.get("SUMMARY") == long_title
    assert ev.get("DESCRIPTION") == "ł" * 500
    assert ev.get("LOCATION") == "€" * 101


def test_fold_counts_octets_and_the_leading_space():
    line = "SUMMARY:" + "a" * 200
    physical = fold(line).split("\r\n")
    assert len(physical[0].encode()) == 75
    assert all(p.startswith(" ") and len(p.encode()) <= 75 for p in physical[1:])
    assert physical[0] + "".join(p[1:] for p in physical[1:]) == line
    assert fold("SUMMARY:short") == "SUMMARY:short"


def test_escape_text_order():
    assert escape_text("a\\;b") == "a\\\\\\;b"
    assert escape_text("x,y\r\nz") == "x\\,y\\nz"
    assert escape_text(None) == ""


def test_a_lone_surrogate_is_replaced_not_a_crash():
    data = write(event(summary="broken \ud800 text"))
    assert events(data)[0].get("SUMMARY") == "broken \ufffd text"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "https://x.example/a b", 'https://x.example/"><x', "ftp://x.example", "data:,x"]
)
def test_only_a_plain_web_address_becomes_a_url_property(url):
    (ev,) = events(write(event(url=url)))
    assert ev.get("URL") is None


def test_a_time_without_a_zone_or_an_end_before_the_start_is_refused():
    with pytest.raises(CalendarError, match="time zone"):
        write(event(starts=dt.datetime(2021, 10, 14, 10, 0)))
    with pytest.raises(CalendarError, match="ends before it starts"):
        write(event(ends=dt.datetime(2021, 10, 14, 9, 0, tzinfo=UK)))


def test_the_strict_reader_refuses_what_a_careless_writer_gets_wrong():
    good = write(event())
    with pytest.raises(ICalError):
        parse(good.replace(b"\r\n", b"\n"))
    with pytest.raises(ICalError):
        parse(good.replace(b"SUMMARY:Opening panel", b"SUMMARY:Opening, panel"))
    with pytest.raises(ICalError):
        parse(good.replace(b"SUMMARY:Opening panel", b"SUMMARY:" + b"x" * 80))
    with pytest.raises(ICalError):
        parse(good.replace(b"END:VEVENT", b"END:VTODO"))


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300), st.text(max_size=120))
def test_any_text_round_trips(summary, location):
    data = write(event(summary=summary, location=location, description=summary + location))
    (ev,) = events(data)
    assert ev.get("SUMMARY") == expected_text(summary)
    assert ev.get("DESCRIPTION") == (expected_text(summary + location) if summary + location else None)
    assert ev.get("LOCATION") == (expected_text(location) if location else None)
    assert ev.names()[:6] == ["UID", "DTSTAMP", "DTSTART", "DTEND", "SEQUENCE", "SUMMARY"]
