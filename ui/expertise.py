"""Expertise and bids (reviewers, `pages/my_expertise.py`; docs/reviewing.md
"Expertise and bids"): the themes and focus areas a reviewer knows well, and
their bids on submissions. Titles, summaries and organisations are shown as
text or in table cells, never as Markdown.

The bids list is searched, filtered and cut into pages on the server
(`data_access.expertise.bid_page`, `ui.paging`): a 10,000-submission call
sends one page of rows, and the bid editor picks among them.

A save is checked against what this browser showed before the press (kept in
session state on the run that drew it, not read again in the press's run; the
rows of the page shown), so that a change made meanwhile in another tab is
refused, not overwritten.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config.call_config import CallConfig
from data_access import expertise as ex
from data_access.db import Database
from data_access.errors import AccessDenied
from scoring.fit import BID_LABELS
from ui import paging

SEEN_BIDS = "my_expertise.seen_bids"
SEEN_KEYS = "my_expertise.seen_keys"
FLASH = "my_expertise.flash"
NO_BID = "none"
LEVEL_LABELS = {NO_BID: "No bid", **BID_LABELS}
TABLE = "my_expertise.bids"  # the bids list's search, filters and pages (ui.paging)
BID_FILTERS = {ex.ALL: "All", ex.BID_ON: "Only those I bid on", ex.NOT_BID_ON: "Not yet bid on"}
SORT_LABELS = {"reference": "By reference", "title": "By title"}


def _flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(message)


def _refused(exc: Exception) -> None:
    st.error("Nothing was changed:", icon=":material/block:")
    st.text(str(exc))


def expertise_section(db: Database, viewer: Viewer, config: CallConfig) -> None:
    """The reviewer's themes and focus areas, changed with one save."""
    known = ex.expertise_keys(config)
    seen_before = st.session_state.get(SEEN_KEYS)
    with db.read() as session:
        current = ex.my_expertise(session, viewer)
    st.header("Your expertise", anchor=False)
    st.caption(
        "The themes and focus areas of the call you know well. The automatic assignment prefers to give you "
        "submissions on them; nobody else sees this list (the coordinator sees only how many of your "
        "assignments match it)."
    )
    chosen = st.multiselect(
        "Themes and focus areas",
        list(known),
        default=sorted(current),
        format_func=known.__getitem__,
        key="my_expertise.keys",
    )
    if st.button("Save expertise", key="my_expertise.save_keys"):
        try:
            with db.write() as session:
                ex.set_expertise(
                    session, viewer, config, keys=chosen, seen=current if seen_before is None else seen_before
                )
        except (ex.BidError, AccessDenied) as exc:
            _refused(exc)
        else:
            st.session_state[SEEN_KEYS] = sorted(chosen)
            st.session_state[FLASH] = f"Saved: {len(chosen)} themes and focus areas."
            st.rerun()
    st.session_state[SEEN_KEYS] = sorted(current)


def bids_section(db: Database, viewer: Viewer, config: CallConfig) -> None:
    """The submissions the reviewer could review, a page at a time with their bids; one bid changed per save.
    Search, filters and pages run on the server: only the page's rows go to the browser (issue 21)."""
    seen_before = st.session_state.get(SEEN_BIDS, {})
    st.header("Your bids", anchor=False)
    st.caption(
        "Say which submissions you would like to review: eager, willing or rather not. The automatic assignment "
        "gives as many reviewers their wishes as it can once every submission has its reviewers and loads are "
        "even. A conflict of interest is final: you will never be assigned that submission (ask the coordinator "
        "if it was a mistake). Your bids are yours alone: other reviewers and the office never see them, and "
        "the coordinator sees only how many of your assignments you bid for."
    )
    flt = _bid_filter(config)
    try:
        with db.read() as session:
            shown = ex.bid_page(
                session, viewer, config, flt, page=paging.wanted_page(TABLE, flt), size=paging.PAGE_SIZE
            )
    except (ex.BidError, AccessDenied) as exc:
        st.error("Nothing was shown:", icon=":material/block:")
        st.text(str(exc))
        return
    if not shown.matches:
        st.info(
            "No submission you could review matches this search or these filters."
            if flt != ex.BidFilter()
            else "There are no submissions you could review yet."
        )
        st.session_state[SEEN_BIDS] = {}
        return
    st.caption(f"{shown.matches:,} submission{'s' if shown.matches != 1 else ''} match.")
    paging.page_box(shown.matches, TABLE, flt, page=shown.page)
    _bid_table(shown.rows, config)
    _bid_editor(db, viewer, shown.rows, seen_before)
    st.session_state[SEEN_BIDS] = {r.submission_id: r.bid for r in shown.rows}  # the rows shown, alone


def _bid_filter(config: CallConfig) -> ex.BidFilter:
    """The search box, filters and order above the bids list."""
    search = paging.find_text(f"{TABLE}.search", "Find by reference, title or organisation")
    themes = config.vocabulary("themes")
    left, middle, right = st.columns(3)
    chosen = left.multiselect("Themes", themes.ids, format_func=themes.label, key=f"{TABLE}.themes")
    bids = middle.selectbox("Your bids", list(BID_FILTERS), format_func=BID_FILTERS.__getitem__, key=f"{TABLE}.bids")
    sort = right.selectbox("Order", list(SORT_LABELS), format_func=SORT_LABELS.__getitem__, key=f"{TABLE}.sort")
    mine = st.checkbox("Only those on my themes and focus areas", key=f"{TABLE}.mine")
    return ex.BidFilter(search=search, themes=tuple(chosen), on_my_expertise=mine, bids=bids, sort=sort)


def _bid_table(rows: list[ex.BidRow], config: CallConfig) -> None:
    themes, focus = config.vocabulary("themes"), config.vocabulary("focus_areas")
    st.dataframe(
        pd.DataFrame(
            {
                "Reference": [r.reference for r in rows],
                "Your bid": [LEVEL_LABELS[r.bid or NO_BID] for r in rows],
                "Title": [r.title for r in rows],
                "Organisation": [r.organisation for r in rows],
                "Themes": [", ".join(themes.label(c) for c in r.themes) for r in rows],
                "Focus areas": [", ".join(focus.label(c) for c in r.focus_areas) for r in rows],
                "Summary": [r.summary for r in rows],
                "Assigned": [r.assigned for r in rows],
            }
        ),
        hide_index=True,
        width="stretch",
    )


def _bid_editor(db: Database, viewer: Viewer, rows: list[ex.BidRow], seen_before: dict) -> None:
    """One submission picked, its bid chosen and saved against the bid shown before the press."""
    by_id = {r.submission_id: r for r in rows}
    pick = st.selectbox(
        "Submission (on this page; find one by its reference above)",
        list(by_id),
        format_func=lambda sid: f"{by_id[sid].reference}: {by_id[sid].title[:80]}",
        key="my_expertise.pick",
    )
    row = by_id[pick]
    levels = [NO_BID, *ex.CHOICES] if row.bid != ex.CONFLICT else [ex.CONFLICT]
    level = st.radio(
        "Your bid",
        levels,
        index=levels.index(row.bid or NO_BID),
        format_func=LEVEL_LABELS.__getitem__,
        horizontal=True,
        key=f"my_expertise.level.{pick}",
    )
    if level == ex.CONFLICT and row.bid != ex.CONFLICT:
        st.warning("A conflict of interest is final: it cannot be changed back here.", icon=":material/warning:")
    if st.button("Save bid", key="my_expertise.save_bid", disabled=row.bid == ex.CONFLICT):
        if pick not in seen_before:  # the list changed under the press (another tab, a new search)
            _refused(ex.BidError("The list changed meanwhile. Check the bid shown and save again."))
            return
        seen = seen_before[pick]
        try:
            with db.write() as session:
                ex.set_bids(session, viewer, {pick: (seen, None if level == NO_BID else level)})
        except (ex.BidError, AccessDenied) as exc:
            _refused(exc)
        else:
            st.session_state.pop(SEEN_BIDS, None)
            st.session_state[FLASH] = f"Saved your bid on {row.reference}: {LEVEL_LABELS[level]}."
            st.rerun()


def page(db: Database, viewer: Viewer, config: CallConfig) -> None:
    _flash()
    expertise_section(db, viewer, config)
    st.divider()
    bids_section(db, viewer, config)
