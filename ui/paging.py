"""Long tables a page at a time: only the rows on screen go to the browser.

A 10,000-row table sent whole is 3 MB over the WebSocket on every visit
(issue 21). `page_of` cuts the already searched, filtered and sorted table on
the server to one page of `PAGE_SIZE` rows, with a page number box and
"Showing 51-100 of 10,000" under it. The rows keep their index, so a selected
row still names its submission; the whole table stays on the server for what
needs it (charts, the audited downloads of the full table).
"""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st

from config import limits
from ui.render import table_key

PAGE_SIZE = 50
CHART_TOP = 200  # points a long chart draws unless every one is asked for (Rankings' rank-shift chart)


def page_count(rows: int, size: int = PAGE_SIZE) -> int:
    return max(1, math.ceil(rows / size))


def showing(rows: int, page: int, size: int = PAGE_SIZE) -> str:
    """ "Showing 51-100 of 10,000" (or "No rows")."""
    if rows == 0:
        return "No rows to show."
    first = (page - 1) * size + 1
    return f"Showing {first:,}–{min(page * size, rows):,} of {rows:,}."


def find_text(key: str, label: str = "Find by reference or title") -> str:
    """The "Find by..." box above a long table, and what is typed in it (stripped; plain text)."""
    return st.text_input(label, max_chars=limits.SEARCH, key=key, placeholder="e.g. CFE-0042").strip()


def find_box(
    frame: pd.DataFrame, *, key: str, columns: tuple[str, ...] = ("Reference", "Title")
) -> tuple[pd.DataFrame, str]:
    """A "Find by reference or title" box above a long table, and the rows whose `columns` contain what
    is typed (case-insensitive, as plain text: never a pattern), with the text typed (stripped)."""
    text = find_text(key)
    if not text:
        return frame, text
    hit = pd.Series(False, index=frame.index)
    for column in columns:
        hit |= frame[column].astype(str).str.contains(text, case=False, regex=False)
    return frame[hit], text


def wanted_page(prefix: str, *rows_depend_on: object) -> int:
    """The page the person asked for in `prefix`'s page box (1 for other rows: `rows_depend_on` changed),
    not yet held to the last page: for a table the server reads a page at a time (`page_box`)."""
    box, seen = f"{prefix}.page", f"{prefix}.page_of"
    current = st.session_state.get(box, 1)
    if st.session_state.get(seen, table_key(prefix, *rows_depend_on)) != table_key(prefix, *rows_depend_on):
        return 1
    return max(1, current) if isinstance(current, int) else 1


def page_box(rows: int, prefix: str, *rows_depend_on: object, page: int, size: int = PAGE_SIZE) -> tuple[int, str]:
    """The page box (when there is more than one page) and the "Showing" line of a table of `rows` rows
    on `page` (held to the first and the last), and the page shown with the key of the table that shows
    it (`ui.render.table_key` of `prefix`, `rows_depend_on` and the page; the first page's is the whole
    table's)."""
    pages = page_count(rows, size)
    box, seen = f"{prefix}.page", f"{prefix}.page_of"
    current = min(max(1, page), pages)
    st.session_state[box] = current
    st.session_state[seen] = table_key(prefix, *rows_depend_on)
    if pages > 1:
        current = int(st.number_input(f"Page (of {pages:,})", min_value=1, max_value=pages, step=1, key=box))
    st.caption(showing(rows, current, size))
    return current, table_key(prefix, *rows_depend_on, *([current] if current > 1 else []))


def page_of(
    frame: pd.DataFrame, prefix: str, *rows_depend_on: object, size: int = PAGE_SIZE
) -> tuple[pd.DataFrame, str]:
    """The rows of the page the person is on, and the key for the table that shows them
    (`ui.render.table_key` of `prefix`, `rows_depend_on` and the page: each page is its own table, so a
    selection never carries over to another page's rows; the first page's key is the whole table's).

    Draws the page box (when there is more than one page) and the "Showing" line. Other rows (a new search,
    filter or sort: `rows_depend_on` changed) start again at page 1; a page past the end goes to the last."""
    page = wanted_page(prefix, *rows_depend_on)
    current, key = page_box(len(frame), prefix, *rows_depend_on, page=page, size=size)
    return frame.iloc[(current - 1) * size : current * size], key
