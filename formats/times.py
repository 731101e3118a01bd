"""One way to show a moment to people: UK time, with its zone, on every page and in every file.

The database keeps every time in UTC (`data_access.models.UTCDateTime`);
people read them in UK time (Europe/London), written as "7 Dec 2026, 09:14 GMT"
(or "BST" in summer), so the zone is never a guess. A page with a table of
times says so once (`ZONE_NOTE`). A time with no zone is taken to be UTC,
as the database stores it. Nothing, or anything that is not a time, is shown
as "—" or as its text.

Pure (no Streamlit): the data layer's readable audit values and the pages use
the same helper.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

UK_ZONE = "Europe/London"
UK = ZoneInfo(UK_ZONE)
# `day`'s "5 Jul 2021" as a pattern for a table whose column holds the times themselves, so that it sorts by
# time: the browser writes each in UK time (Streamlit's DatetimeColumn: moment.js patterns, `UK_ZONE`).
DAY_PATTERN = "D MMM YYYY"
EMPTY = "—"
ZONE_NOTE = "Times are UK time: GMT in winter, BST in summer (as shown beside each time)."


def _blank(value: Any) -> bool:
    """NaN or NaT (neither equals itself)."""
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _moment(value: Any) -> dt.datetime | None:
    """`value` as an aware datetime (pandas Timestamps and ISO strings included); None if it is no time."""
    if value is None or _blank(value):
        return None
    if hasattr(value, "to_pydatetime"):  # a pandas Timestamp
        value = value.to_pydatetime()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, dt.datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def when(value: Any, *, seconds: bool = False) -> str:
    """A moment as people read it: "7 Dec 2026, 09:14 GMT" (UK time, zone named); "—" for nothing."""
    moment = _moment(value)
    if moment is None:
        return EMPTY if value is None or _blank(value) or value == "" else str(value)
    local = moment.astimezone(UK)
    clock = f"{local:%H:%M:%S}" if seconds else f"{local:%H:%M}"
    return f"{local.day} {local:%b %Y}, {clock} {local:%Z}"


def day(value: Any) -> str:
    """A calendar day: "21 Dec 2026" (a date, or an ISO "2026-12-21"); "—" for nothing."""
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value)
        except ValueError:
            return value or EMPTY
    if isinstance(value, dt.datetime):
        value = value.astimezone(UK).date() if value.tzinfo else value.date()
    if not isinstance(value, dt.date):
        return EMPTY
    return f"{value.day} {value:%b %Y}"


def received(value: Any) -> str:
    """When a submission was received: a day given without a time (stored as midnight UTC, the importer's
    reading of "05/07/2021") as that day, "5 Jul 2021" (not "01:00 BST", a time nobody gave); otherwise as
    `when`."""
    moment = _moment(value)
    if moment is not None:
        utc = moment.astimezone(dt.UTC)
        if (utc.hour, utc.minute, utc.second, utc.microsecond) == (0, 0, 0, 0):
            return day(utc.date())
    return when(value)


def clock(value: Any) -> str:
    """Only the time of day, with its zone: "09:14 GMT" (for a moment the reader knows is today)."""
    moment = _moment(value)
    if moment is None:
        return EMPTY
    local = moment.astimezone(UK)
    return f"{local:%H:%M %Z}"


def is_moment(value: Any) -> bool:
    """Whether `value` is a time (a datetime, a Timestamp or an ISO string with a time of day)."""
    if isinstance(value, str) and ("T" not in value or len(value) < 16):
        return False
    return _moment(value) is not None
