"""A reviewer's queue on the My reviews page: progress, the queue's table
(filtered by status, searched by reference or title, 50 rows a page, a row
opens its submission), and which submission is open, from the table, the
picker (the open one and the page's rows), Previous / Next, or a
`?submission=REF` link. The queue is kept for the session under its key
(`load`), not read at every run.

The open submission is UI state (`CURRENT`, a reference). A reference from the
URL that is not in the reviewer's own queue is refused and logged, and the
refusal stays on the page (across the reruns that a fresh page load brings)
until the person opens another submission; the data layer checks every read
and save again, so editing widget state reaches nothing either.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from config import CallConfig
from data_access.call_state import reviewing_closed
from data_access.db import Database
from data_access.reviews import queue_key, reviewer_queue
from scoring.review_queue import (
    CONFLICT,
    FILTER_LABELS,
    STATUS_LABELS,
    UNFINISHED,
    UNFINISHED_FILTER,
    neighbours,
    progress,
    shown,
)
from ui import paging, render
from ui.guard import refuse
from ui.review_changes import REVIEWER_COLUMN, marks
from ui.review_form import NOT_ASSIGNED, clear_outcome, unsaved_ids
from ui.submission_url import logged_reference

CURRENT = "my_reviews.current"
PICKER = "my_reviews.picker"
SHOW = "my_reviews.show"
SEARCH = "my_reviews.search"
TABLE = "my_reviews.table"
SEEN_PARAM = "my_reviews.seen_param"
REFUSED_LINK = "my_reviews.refused_link"
CACHED = "my_reviews.queue"  # (queue_key, the queue's frame): this session's, of the signed-in reviewer
PARAM = "submission"


def load(db: Database, viewer: Viewer) -> tuple[pd.DataFrame, bool]:
    """The viewer's queue (`data_access.reviews.reviewer_queue`) and whether reviewing is closed.

    The queue (600 rows with titles, statuses and themes at 10,000 submissions) is read again only
    when its key moved (`data_access.reviews.queue_key`: their assignments, their reviews, their
    conflicts, the submissions' titles and themes), not at every run of the page; it is kept in this
    session's state under the key, which starts with the reviewer's id, so a session never shows
    another person's queue (a sign-out and another sign-in in the same browser included). The key is
    read first, so a change between the two reads leaves the queue newer than its key, never older."""
    with db.read() as session:
        key = queue_key(session, reviewer_id=viewer.user_id)
        cached = st.session_state.get(CACHED)
        if cached is not None and cached[0] == key:
            queue = cached[1]
        else:
            queue = reviewer_queue(session, reviewer_id=viewer.user_id)
            st.session_state[CACHED] = (key, queue)
        closed = reviewing_closed(session)
    return queue.copy(), closed


def go(reference: str) -> None:
    """Open another submission (the person chose it, or Submit and next did)."""
    st.session_state[CURRENT] = reference
    _moved()


def _moved() -> None:
    """The person opened another submission: a refused link's message has been read."""
    st.session_state.pop(REFUSED_LINK, None)


def _moved_by_hand(reference: str) -> None:
    """The person opened another submission (picker, row, Previous / Next, a
    link): the last outcome under the buttons was about the one before."""
    clear_outcome()
    go(reference)


def _picked(current: str) -> None:
    """on_change of the picker. Streamlit hands over an option's label as text
    when no option has that label any more: the browser sent the label it drew
    before it changed (the status, with an autosave, say). The reference that
    begins it is what the person chose; the open one's own old label is no
    move (before, the label was taken for a reference outside the queue:
    refused, and the first unfinished opened instead, under the reviewer's
    typing). Anything else is opened as asked, and refused and logged there
    if it is not in the queue."""
    value = st.session_state[PICKER]
    reference = value.partition(" · ")[0] if isinstance(value, str) else value
    if reference != current:
        _moved_by_hand(reference)


def _row_chosen(key: str, references: list[str]) -> None:
    """on_select of the queue's table: open the submission of the row clicked."""
    rows = st.session_state[key]["selection"]["rows"]
    if rows and 0 <= rows[0] < len(references):
        _moved_by_hand(references[rows[0]])


def _refuse(db: Database, viewer: Viewer, reference: object, detail: str) -> None:
    refuse(
        db,
        viewer,
        attempted="open submission for review",
        entity="submission",
        entity_id=logged_reference(reference),
        detail=detail,
        message=NOT_ASSIGNED,
    )


def _open(db: Database, viewer: Viewer, refs: list[str], statuses: list[str]) -> str:
    """The reference to open: a link's, else the one open, else the first unfinished."""
    wanted = st.query_params.get(PARAM)
    if wanted and wanted != st.session_state.get(SEEN_PARAM):
        st.session_state[SEEN_PARAM] = wanted
        if wanted in refs and wanted != st.session_state.get(CURRENT):
            _moved_by_hand(wanted)
        elif wanted in refs:
            go(wanted)
        else:
            _refuse(db, viewer, wanted, "not in the reviewer's queue")
            st.session_state[REFUSED_LINK] = True
    elif st.session_state.get(REFUSED_LINK):
        # Shown again (not logged again) on the next runs, e.g. the one the
        # sign-in cookie's component starts right after a page load.
        st.error(NOT_ASSIGNED, icon=":material/block:")
    selected = st.session_state.get(CURRENT)
    if selected not in refs:
        if selected is not None:
            _refuse(
                db,
                viewer,
                selected,
                "not in the reviewer's queue (assignment removed meanwhile, or widget state edited)",
            )
        unfinished = [r for r, s in zip(refs, statuses, strict=True) if s in UNFINISHED]
        st.session_state[CURRENT] = unfinished[0] if unfinished else refs[0]  # not a move by the person
    return st.session_state[CURRENT]


def choose(
    db: Database,
    viewer: Viewer,
    queue: pd.DataFrame,
    config: CallConfig,
    *,
    changed: dict[int, list[str]] | None = None,
) -> str:
    """Draw the progress, the queue and the picker; return the reference of
    the submission to open (always one of the queue's). `changed`: the submissions
    changed since the reviewer's review (`ui.review_changes`), marked in the queue."""
    refs = queue["reference"].tolist()
    statuses = queue["status"].tolist()
    unsaved = unsaved_ids()
    current = _open(db, viewer, refs, statuses)
    done, due, drafts = progress(statuses)
    st.progress(
        done / due if due else 1.0,
        text=f"{done} of {due} submitted · {drafts} draft{'' if drafts == 1 else 's'} · "
        f"{due - done - drafts} not started",
    )
    on_page = table(queue, config, current, changed=changed or {}, unsaved=unsaved)
    # The picker offers the open submission and the rows of the table's page (not all 600 of a
    # reviewer's queue, 55 kB at every run: issue 21); the filter, the search (a reference or a
    # title) and the page reach every other one.
    options = ([] if current in on_page else [current]) + on_page
    row = {ref: i for i, ref in enumerate(refs)}
    titles, ids = queue["title"].tolist(), queue["submission_id"].tolist()
    labels = {
        ref: " · ".join(
            part for part in (ref, titles[row[ref]], _status(statuses[row[ref]], ids[row[ref]], unsaved)) if part
        )
        for ref in options
    }
    # The picker's options are the references and its state is set from
    # CURRENT on every run: Streamlit keeps a selectbox's state as the option's
    # label, so a label that changed with the status (a save) would otherwise
    # lose the selection.
    st.session_state[PICKER] = current
    pick, left, right = st.columns([3, 1, 1.3], vertical_alignment="bottom")
    pick.selectbox("Open submission", options, format_func=labels.get, key=PICKER, on_change=_picked, args=(current,))
    previous, following = neighbours(refs, statuses, current)
    left.button(
        "Previous",
        icon=":material/arrow_back:",
        disabled=previous is None,
        on_click=_moved_by_hand,
        args=(previous,),
        key="my_reviews.previous",
        width="stretch",
    )
    right.button(
        "Next unfinished",
        icon=":material/arrow_forward:",
        disabled=following is None,
        on_click=_moved_by_hand,
        args=(following,),
        key="my_reviews.next",
        width="stretch",
    )
    st.session_state[SEEN_PARAM] = current
    st.query_params[PARAM] = current
    return current


def next_unfinished(queue: pd.DataFrame, current: str) -> str | None:
    """The next unfinished submission after `current` (which was just submitted)."""
    return neighbours(queue["reference"].tolist(), queue["status"].tolist(), current)[1]


def _status(status: str, submission_id: int, unsaved: set[int]) -> str:
    """The status as shown; `unsaved`: the submissions with unsaved input (`ui.review_form.unsaved_ids`)."""
    return STATUS_LABELS[status] + (" · unsaved changes" if int(submission_id) in unsaved else "")


def _nothing_shown(show: str, search: str) -> str:
    label = FILTER_LABELS[show]
    if search:
        return f"No submission in your queue matches “{search}” ({label.lower()})."
    if show == UNFINISHED_FILTER:
        return "Nothing unfinished is left in your queue. Choose “All” to see every submission."
    return f"No submission in your queue has the status “{label}”."


def table(
    queue: pd.DataFrame,
    config: CallConfig,
    current: str,
    *,
    changed: dict[int, list[str]] | None = None,
    unsaved: set[int] | None = None,
) -> list[str]:
    """The queue, filtered by status (unfinished unless asked) and searched by
    reference or title, `ui.paging.PAGE_SIZE` rows a page; clicking a row opens
    its submission. Returns the references of the rows on the page."""
    show_col, search_col = st.columns([3, 2], vertical_alignment="bottom")
    show = show_col.radio(
        "Show",
        list(FILTER_LABELS),
        format_func=FILTER_LABELS.get,
        horizontal=True,
        key=SHOW,
        index=list(FILTER_LABELS).index(UNFINISHED_FILTER),
    )
    search = search_col.text_input(
        "Search by reference or title", key=SEARCH, placeholder="e.g. CFE-0042, or part of a title", max_chars=200
    )
    keep = [
        shown(status, title, show=show, search=search or "", reference=ref)
        for status, title, ref in zip(
            queue["status"].tolist(), queue["title"].tolist(), queue["reference"].tolist(), strict=True
        )
    ]
    matching = queue[keep]
    if matching.empty:
        st.info(_nothing_shown(show, (search or "").strip()), icon=":material/search_off:")
        return []
    rows, page_key = paging.page_of(matching, TABLE, show, (search or "").strip())
    theme_label = config.vocabulary("themes").label
    unsaved = unsaved_ids() if unsaved is None else unsaved
    frame = pd.DataFrame(
        {
            "Reference": rows["reference"],
            "Title": rows["title"],
            "Themes": ["; ".join(theme_label(code) for code in codes) for codes in rows["themes"]],
            "Status": [
                _status(s, i, unsaved)
                for s, i in zip(rows["status"].tolist(), rows["submission_id"].tolist(), strict=True)
            ],
            "Last saved": [render.format_when(v) if pd.notna(v) else render.EMPTY for v in rows["updated_at"]],
        }
    )
    if changed:  # field names only; a conflicted row shows nothing but its reference
        frame[REVIEWER_COLUMN] = [
            "" if status == CONFLICT else m
            for status, m in zip(rows["status"], marks(rows["submission_id"], changed), strict=True)
        ]
    key = f"{page_key}.{current}"  # a fresh table (no row highlighted) once another submission is open
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        height=min(36 * (len(frame) + 1) + 2, 300),
        column_config={
            "Reference": st.column_config.TextColumn(width="small"),
            "Title": st.column_config.TextColumn(width="medium"),
            "Themes": st.column_config.TextColumn(width="medium"),
        },
        on_select=partial(_row_chosen, key, list(rows["reference"])),
        selection_mode="single-row",
        key=key,
    )
    st.caption(f"{len(matching)} of {len(queue)} match. Click a row, or use the picker below, to open a submission.")
    return frame["Reference"].tolist()
