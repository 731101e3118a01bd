"""The one CSV writer behind every export.

Exporters return `(field_names, rows)`; `to_csv_bytes` makes the file:
UTF-8 with a byte-order mark so that Excel opens it cleanly, RFC 4180 quoting
(CRLF line ends, fields with commas, quotes or line breaks quoted), and every
text cell that a spreadsheet would run as a formula neutralised with a
leading apostrophe: one that starts with a tab or a carriage return, or whose
first character after any leading whitespace and control or format
characters (spaces, line breaks, NUL, zero-width space, byte-order mark...)
is `=`, `+`, `-` or `@` (OWASP's CSV injection guidance; spreadsheets skip
such leading characters before they read a formula). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

# The ASCII triggers, and their full-width forms (U+FF1D, U+FF0B, U+FF0D,
# U+FF20), which some spreadsheet imports fold to ASCII.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
LEADING_TRIGGERS = ("\t", "\r")  # a cell that starts with one is neutralised whatever follows
BOM = "\ufeff"


def _skippable(ch: str) -> bool:
    """Whitespace, control and format characters: what may stand before a formula's trigger."""
    return ch.isspace() or unicodedata.category(ch) in ("Cc", "Cf")


def is_formula_like(value: str) -> bool:
    if value.startswith(LEADING_TRIGGERS):
        return True
    for ch in value:
        if not _skippable(ch):
            return ch in FORMULA_TRIGGERS
    return False


def neutralise(value: str) -> str:
    """Make a text cell inert in Excel, LibreOffice and Google Sheets."""
    return "'" + value if is_formula_like(value) else value


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(round(value, 6))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return neutralise("; ".join(str(v) for v in value))
    return neutralise(str(value))


def to_csv_bytes(field_names: Sequence[str], rows: Iterable[Mapping[str, Any] | Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([neutralise(str(name)) for name in field_names])
    for row in rows:
        values = [row.get(name) for name in field_names] if isinstance(row, Mapping) else list(row)
        writer.writerow([cell(v) for v in values])
    return (BOM + buffer.getvalue()).encode("utf-8")


def slug(text: str, *, limit: int = 40) -> str:
    """A file-name-safe part: lower-case ASCII letters, digits and dashes."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    cleaned = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return cleaned[:limit].rstrip("-") or "untitled"


def export_filename(call_id: str, what: str, when: dt.date | None = None, ext: str = "csv") -> str:
    """`iasc-cfe-2021_presenters_2026-11-30.csv`."""
    when = when or dt.date.today()
    return f"{call_id}_{what}_{when.isoformat()}.{ext}"
