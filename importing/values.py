"""Reading one cell: text, dates, yes/no, several values, coded values.

Coded values are accepted as the code's id, its label or a synonym, in any
case and with any punctuation (`config.normalise_term`), plus whatever a
person mapped by hand for this file ("value mappings"). Several values in one
cell may be separated by `;`, `,` or line breaks; stray separators and blanks
are ignored. Labels that contain commas ("Local authority, other services")
are still recognised: comma-separated pieces are joined back greedily into
the longest term that names a code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from difflib import SequenceMatcher

from config.call_config import Vocabulary, normalise_term
from importing.fields import NO_WORDS, YES_WORDS

LEAVE_OUT = ""  # a value mapped to this is dropped from the cell
_STRONG_SEPARATORS = re.compile(r"[;\r\n]+")
_LINK_SEPARATORS = re.compile(r"[;\r\n]+|,(?=\s)|,(?=https?://)|\s+(?=https?://)")
# A time after a date: "14:30", "9:14:22 AM", "09.30 pm", optionally with a zone
# ("GMT+1", "UTC-05:00", "Z": Google Forms writes the form's zone after the time).
_TIME = (
    r"(?:[ T,]+(?P<hour>\d{1,2})[:.](?P<minute>\d{2})(?:[:.](?P<second>\d{2}))?(?:\.\d+)?"
    r"(?:\s*(?P<half>[ap]\.?m\.?))?"
    r"(?:\s*(?:GMT|UTC|Z)(?:\s*(?P<sign>[+-])(?P<zh>\d{1,2})(?::?(?P<zm>\d{2}))?)?)?)?"
)
# Day first (the UK's order, the rule for every ambiguous date): 05/07/2021, 5.7.21, 05-07-2021 9:14:22 AM.
_DAY_FIRST = re.compile(rf"^(?P<day>\d{{1,2}})[/.-](?P<month>\d{{1,2}})[/.-](?P<year>\d{{4}}|\d{{2}}){_TIME}$", re.I)
# Year first is never ambiguous: 2021/07/05 9:14:22 AM GMT+1 (Google Forms), 2021-07-05 9:14 pm.
_YEAR_FIRST = re.compile(rf"^(?P<year>\d{{4}})[/.-](?P<month>\d{{1,2}})[/.-](?P<day>\d{{1,2}}){_TIME}$", re.I)
_MONTH_NAMES = "jan january|feb february|mar march|apr april|may|jun june|jul july|aug august|sep sept september|oct october|nov november|dec december"
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES.split("|"), start=1) for name in names.split()}
_MONTH = "(?:" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_WEEKDAY = r"(?:(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?,?\s+)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Month in words: Jul 5, 2021 (JotForm), July 5 2021, 5 July 2021, Monday, 5th July 2021.
_NAMED = re.compile(
    rf"^{_WEEKDAY}(?:(?P<day>\d{{1,2}}){_ORDINAL}\s+(?P<month>{_MONTH})|(?P<month2>{_MONTH})\s+(?P<day2>\d{{1,2}}){_ORDINAL})"
    rf",?\s+(?P<year>\d{{4}}){_TIME}$",
    re.I,
)
DATE_HELP = "Write it as 2021-07-05 or 05/07/2021 (day/month/year), optionally with a time such as 14:30."
US_ORDER = (
    "Dates are read day first (05/07/2021 is 5 July); this one only makes sense month first, as some form tools "
    "write them in the United States' order. Export the file with day-first (UK) or ISO dates (2021-07-05), or "
    "correct the cell."
)


class ValueProblem(ValueError):
    def __init__(self, problem: str, suggestion: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.suggestion = suggestion


def clean_text(raw: str) -> str | None:
    """A text cell as stored: surrounding spaces trimmed, otherwise as typed."""
    text = raw.strip()
    return text or None


def parse_date(raw: str) -> dt.datetime | None:
    """A date, or a date and time, in UTC; None for an empty cell.

    ISO 8601 ("2021-07-05", "2021-07-05T08:14:22Z"), year first with slashes
    ("2021/07/05 9:14:22 AM GMT+1", Google Forms), day first ("05/07/2021",
    "5/7/21 9:14:22", "07/05/2021 09:14:22 AM": an ambiguous date is always
    read day/month, the UK's order), or the month in words ("Jul 5, 2021",
    "5 July 2021"). A two-digit year is 20yy. A time without a zone is taken
    as UTC, the zone the app shows; "GMT+1" or "+01:00" is converted."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        value = _parse_written_date(text)
    if not 1900 <= value.year <= 2200:
        raise ValueProblem(f"The year {value.year} cannot be right.", DATE_HELP)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def _parse_written_date(text: str) -> dt.datetime:
    """A date as a person or a form tool writes it (not ISO 8601)."""
    match = _YEAR_FIRST.match(text) or _DAY_FIRST.match(text) or _NAMED.match(text)
    if not match:
        raise ValueProblem("This is not a date.", DATE_HELP)
    parts = match.groupdict()
    month_text = parts.get("month2") or parts["month"]
    month = _MONTHS[month_text.rstrip(".").lower()] if month_text[0].isalpha() else int(month_text)
    day = int(parts.get("day2") or parts["day"])
    year = int(parts["year"]) + (2000 if len(parts["year"]) == 2 else 0)
    hour, zone = _hour(parts), _zone(parts)  # before: a ValueProblem is a ValueError
    try:
        value = dt.datetime(year, month, day, hour, int(parts["minute"] or 0), int(parts["second"] or 0))
    except ValueError:
        if match.re is _DAY_FIRST and month > 12 >= day and _is_a_date(year, day, month):
            raise ValueProblem("There is no such date: there is no month " + str(month) + ".", US_ORDER) from None
        raise ValueProblem("There is no such date or time.", DATE_HELP) from None
    return value.replace(tzinfo=zone)


def _hour(parts: dict[str, str | None]) -> int:
    """The hour of a written time, 12-hour times (AM, p.m.) on the 24-hour clock."""
    hour = int(parts["hour"] or 0)
    half = parts["half"]
    if half:
        if hour < 1 or hour > 12:
            raise ValueProblem("This time is not possible.", DATE_HELP)
        hour = hour % 12 + (12 if half.lower().startswith("p") else 0)
    return hour


def _zone(parts: dict[str, str | None]) -> dt.timezone | None:
    """The zone written after a time ("GMT+1", "UTC-05:00"), or None (UTC is then assumed)."""
    if not parts["sign"]:
        return None
    offset = dt.timedelta(hours=int(parts["zh"] or 0), minutes=int(parts["zm"] or 0))
    if offset > dt.timedelta(hours=14):
        raise ValueProblem("This time zone is not possible.", DATE_HELP)
    return dt.timezone(offset if parts["sign"] == "+" else -offset)


def _is_a_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def parse_yes_no(raw: str, value_map: Mapping[str, str] | None = None) -> bool | None:
    """True, False, or None for an empty cell; ValueProblem otherwise."""
    norm = normalise_term(raw)
    if not norm:
        return None
    mapped = (value_map or {}).get(norm)
    if mapped in ("yes", "no"):
        return mapped == "yes"
    if norm in YES_WORDS:
        return True
    if norm in NO_WORDS:
        return False
    raise ValueProblem("Write yes or no.", "yes, no, y, n, true, false, 1 or 0; or map this value on the Import page.")


def split_links(raw: str) -> list[str]:
    """URLs or file names separated by `;`, line breaks or commas."""
    out: list[str] = []
    for part in _LINK_SEPARATORS.split(raw):
        part = part.strip().strip(",").strip()
        if part and part not in out:
            out.append(part)
    return out


class CodeResolver:
    """Turns the cells of one coded field into code ids, with suggestions."""

    def __init__(self, vocabulary: Vocabulary, value_map: Mapping[str, str] | None = None) -> None:
        self.vocabulary = vocabulary
        self._terms = vocabulary.lookup()
        self.table = dict(self._terms)
        for raw, code in (value_map or {}).items():
            self.table[normalise_term(raw)] = code
        self._suggestions: dict[str, list[tuple[str, float]]] = {}
        # Form exports repeat the same few cells thousands of times: each is worked out once.
        self._many: dict[str, tuple[list[str], list[str]]] = {}
        self._one: dict[str, tuple[str | None, str | None]] = {}

    def lookup(self, text: str) -> str | None:
        """The code for one value (LEAVE_OUT if mapped to nothing), or None."""
        return self.table.get(normalise_term(text))

    def one(self, raw: str) -> tuple[str | None, str | None]:
        """(code or None, the unknown value or None) for a single-valued cell."""
        if raw not in self._one:
            self._one[raw] = self._single(raw)
        return self._one[raw]

    def _single(self, raw: str) -> tuple[str | None, str | None]:
        text = raw.strip()
        if not normalise_term(text):
            return None, None
        code = self.lookup(text)
        if code is None:
            return None, text
        return (code or None), None

    def many(self, raw: str) -> tuple[list[str], list[str]]:
        """(codes in order without repeats, unknown values) for a multi-valued cell."""
        if raw not in self._many:
            self._many[raw] = self._split(raw)
        codes, unknown = self._many[raw]
        return list(codes), list(unknown)

    def _split(self, raw: str) -> tuple[list[str], list[str]]:
        codes: list[str] = []
        unknown: list[str] = []

        def add(code: str) -> None:
            if code != LEAVE_OUT and code not in codes:
                codes.append(code)

        for part in _STRONG_SEPARATORS.split(raw):
            if not normalise_term(part):
                continue
            code = self.lookup(part)
            if code is not None:
                add(code)
                continue
            pieces = [p.strip() for p in part.split(",") if normalise_term(p)]
            found: list[str] = []
            runs: list[list[str]] = [[]]
            i = 0
            while i < len(pieces):
                for j in range(len(pieces), i, -1):
                    code = self.lookup(", ".join(pieces[i:j]))
                    if code is not None:
                        found.append(code)
                        runs.append([])
                        i = j
                        break
                else:
                    runs[-1].append(pieces[i])
                    i += 1
            if not found:
                unknown.append(part.strip().strip(",").strip())
                continue
            for code in found:
                add(code)
            unknown.extend(", ".join(run) for run in runs if run)
        return codes, unknown

    def suggest(self, value: str, n: int = 3) -> list[str]:
        """The closest codes to an unknown value, best first (difflib)."""
        return [code for code, _score in self.ranked(value)[:n]]

    def ranked(self, value: str) -> list[tuple[str, float]]:
        """The codes close enough to an unknown value to be meant, with their
        closeness (0..1), best first."""
        norm = normalise_term(value)
        if norm in self._suggestions:
            return self._suggestions[norm]
        best: dict[str, float] = {}
        padded = f" {norm} "
        for term, code in self._terms.items():
            if not term:
                continue
            score = SequenceMatcher(None, norm, term, autojunk=False).ratio()
            if len(term) >= 4 and (f" {term} " in padded or (len(norm) >= 4 and f" {norm} " in f" {term} ")):
                score = max(score, 0.75 + 0.2 * min(len(term), len(norm)) / max(len(term), len(norm)))
            best[code] = max(best.get(code, 0.0), score)
        top = max(best.values(), default=0.0)
        # Close enough to be meant, and not far behind the best: a clear winner stands alone.
        ranked = sorted(((c, s) for c, s in best.items() if s >= max(0.6, top - 0.12)), key=lambda cs: (-cs[1], cs[0]))
        self._suggestions[norm] = ranked
        return ranked

    def did_you_mean(self, value: str) -> str:
        codes = self.suggest(value)
        if not codes:
            return ""
        names = " or ".join(f"\u201c{self.vocabulary.label(c)}\u201d" for c in codes)
        return f"Did you mean {names}?"
