"""The iCalendar writer (RFC 5545): a VCALENDAR of VEVENTs, for calendar programs to import.

`to_ics_bytes(events, ...)` writes UTF-8 with CRLF line ends:

* times in UTC (`DTSTART:20211014T090000Z`): every calendar program reads
  them without a VTIMEZONE; a time without a time zone is refused;
* text values escaped (RFC 5545 3.3.11): backslash, semicolon and comma
  escaped, every kind of line break (CR, LF, CRLF, vertical tab, form feed,
  NEL, the Unicode line and paragraph separators, which some readers split
  lines on) written as `\\n`, and every other control character dropped, so a
  value cannot end its line and start a property of its own; a lone surrogate
  becomes U+FFFD;
* lines folded at 75 octets (a CRLF and a space), never inside a UTF-8
  character;
* only plain-text properties (SUMMARY, DESCRIPTION, LOCATION): no
  X-ALT-DESC, so no program shows a value as HTML; a URL property only for
  an `http`/`https` address without spaces, quotes or angle brackets.

Each event's UID is given by the caller and must stay the same for the same
thing (a session), so that importing the file again updates the event rather
than adding a second one; SEQUENCE says which version is newer.

Pure: no Streamlit, no database.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_OCTETS = 75
CRLF = "\r\n"
# Everything str.splitlines() splits on, and CRLF first.
LINE_BREAKS = re.compile("\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
SURROGATES = re.compile("[\ud800-\udfff]")
URL_PATTERN = re.compile(r"https?://[^\s<>\"'\\\x00-\x1f\x7f-\x9f]+", re.IGNORECASE)


class CalendarError(ValueError):
    """An event that cannot be written (a time without a zone, an end before the start); for people."""


@dataclass(frozen=True)
class CalendarEvent:
    uid: str
    starts: dt.datetime  # timezone-aware
    ends: dt.datetime
    summary: str
    description: str = ""
    location: str = ""
    url: str = ""
    sequence: int = 0


def _clean(value: str) -> str:
    """Line breaks as LF, other control characters dropped (tab kept), lone surrogates replaced."""
    value = LINE_BREAKS.sub("\n", SURROGATES.sub("\ufffd", value))
    return "".join(ch for ch in value if ch in "\n\t" or unicodedata.category(ch) != "Cc")


def escape_text(value: object) -> str:
    """A TEXT value (RFC 5545 3.3.11): `\\` `;` `,` escaped, line breaks as `\\n`."""
    text = _clean("" if value is None else str(value))
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\n", "\\n")


def fold(line: str) -> str:
    """One content line folded into physical lines of at most 75 octets, joined by CRLF + space."""
    parts: list[str] = []
    current: list[str] = []
    size, limit = 0, MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            parts.append("".join(current))
            current, size, limit = [], 0, MAX_OCTETS - 1  # the leading space counts
        current.append(ch)
        size += n
    parts.append("".join(current))
    return (CRLF + " ").join(parts)


def utc_stamp(value: dt.datetime) -> str:
    if not isinstance(value, dt.datetime) or value.utcoffset() is None:
        raise CalendarError(f"A calendar time needs its time zone: {value!r}.")
    return value.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def safe_url(value: str) -> bool:
    return bool(URL_PATTERN.fullmatch(value))


def _event_lines(event: CalendarEvent, stamp: str) -> list[str]:
    starts, ends = utc_stamp(event.starts), utc_stamp(event.ends)
    if event.ends <= event.starts:
        raise CalendarError(f"The event “{event.summary}” ends before it starts.")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{escape_text(event.uid)}",
        f"DTSTAMP:{stamp}",
        f"DTSTART:{starts}",
        f"DTEND:{ends}",
        f"SEQUENCE:{int(event.sequence)}",
        f"SUMMARY:{escape_text(event.summary)}",
    ]
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url and safe_url(event.url):
        lines.append(f"URL:{event.url}")
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    lines.append("END:VEVENT")
    return lines


def to_ics_bytes(
    events: Iterable[CalendarEvent], *, prodid: str, name: str = "", stamp: dt.datetime | None = None
) -> bytes:
    """The calendar file. `stamp` (DTSTAMP: when the file was made) defaults to now."""
    made = utc_stamp(stamp or dt.datetime.now(dt.UTC))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{escape_text(prodid)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    for event in events:
        lines.extend(_event_lines(event, made))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + CRLF for line in lines).encode("utf-8")
