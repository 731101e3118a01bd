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
_UK_DATE = re.compile(
    r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:[ T,]+(\d{1,2})[:.](\d{2})(?::(\d{2}))?(?:\s*([ap]\.?m\.?))?)?$",
    re.IGNORECASE,
)
DATE_HELP = "Write it as 2021-07-05 or 05/07/2021 (day/month/year), optionally with a time such as 14:30."


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
    """ISO 8601 or UK day/month/year, with an optional time; UTC (times
    without a zone are taken as UTC, the zone the app shows)."""
    text = raw.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        value = None
    if value is None:
        match = _UK_DATE.match(text)
        if not match:
            raise ValueProblem("This is not a date.", DATE_HELP)
        day, month, year, hour, minute, second, half = match.groups()
        hour_n = int(hour or 0)
        if half:
            if hour_n < 1 or hour_n > 12:
                raise ValueProblem("This time is not possible.", DATE_HELP)
            hour_n = hour_n % 12 + (12 if half.lower().startswith("p") else 0)
        try:
            value = dt.datetime(int(year), int(month), int(day), hour_n, int(minute or 0), int(second or 0))
        except ValueError:
            raise ValueProblem("There is no such date or time.", DATE_HELP) from None
    if not 1900 <= value.year <= 2200:
        raise ValueProblem(f"The year {value.year} cannot be right.", DATE_HELP)
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


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
