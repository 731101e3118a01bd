"""A reviewer's queue on the My reviews page: which submission is open, from
the queue, Previous / Next, or a `?submission=REF` link.

The open submission is UI state (`CURRENT`, a reference). A reference from the
URL that is not in the reviewer's own queue is refused and logged, and the
refusal stays on the page (across the reruns that a fresh page load brings)
until the person opens another submission; the data layer checks every read
and save again, so editing widget state reaches nothing either.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from access.visibility import Viewer
from data_access.db import Database
from scoring.review_queue import STATUS_LABELS, UNFINISHED, neighbours
from ui import render
from ui.errors import kept
from ui.guard import refuse
from ui.review_form import NOT_ASSIGNED, has_unsaved

CURRENT = "my_reviews.current"
SEEN_PARAM = "my_reviews.seen_param"
REFUSED_LINK = "my_reviews.refused_link"
PARAM = "submission"


def _go(reference: str) -> None:
    st.session_state[CURRENT] = reference
    _moved()


def _moved() -> None:
    """The person opened another submission: a refused link's message has been read."""
    st.session_state.pop(REFUSED_LINK, None)


def _refuse(db: Database, viewer: Viewer, reference: object, detail: str) -> None:
    refuse(
        db,
        viewer,
        attempted="open submission for review",
        entity="submission",
        entity_id=str(reference)[:64],
        detail=detail,
        message=NOT_ASSIGNED,
    )


def choose(db: Database, viewer: Viewer, queue: pd.DataFrame) -> str:
    """The reference of the submission to open (always one of the queue's)."""
    refs = list(queue["reference"])
    statuses = list(queue["status"])
    wanted = st.query_params.get(PARAM)
    if wanted and wanted != st.session_state.get(SEEN_PARAM):
        st.session_state[SEEN_PARAM] = wanted
        if wanted in refs:
            _go(wanted)
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
    # The options are the references alone: Streamlit keeps a selectbox's
    # state as the option's label, so a label that changed with the status
    # would lose the selection when the review is saved elsewhere.
    current = st.selectbox("Submission", refs, key=kept(CURRENT), on_change=_moved)
    if current not in refs:  # widget state edited to name something else
        _refuse(db, viewer, current, "widget state outside the reviewer's queue")
        st.stop()
    status = statuses[refs.index(current)]
    previous, following = neighbours(refs, statuses, current)
    left, right, note = st.columns([1, 1, 4], vertical_alignment="center")
    note.caption(f"{STATUS_LABELS[status]}" + (" · unsaved changes here" if has_unsaved(_id(queue, current)) else ""))
    left.button(
        "Previous",
        icon=":material/arrow_back:",
        disabled=previous is None,
        on_click=_go,
        args=(previous,),
        key="my_reviews.previous",
    )
    right.button(
        "Next unfinished",
        icon=":material/arrow_forward:",
        disabled=following is None,
        on_click=_go,
        args=(following,),
        key="my_reviews.next",
    )
    st.session_state[SEEN_PARAM] = current
    st.query_params[PARAM] = current
    return current


def _id(queue: pd.DataFrame, reference: str) -> int:
    return int(queue.loc[queue["reference"] == reference, "submission_id"].iloc[0])


def table(queue: pd.DataFrame) -> None:
    """The whole queue with each review's status (and unsaved input here)."""
    shown = pd.DataFrame(
        {
            "Reference": queue["reference"],
            "Title": queue["title"],
            "Status": [
                STATUS_LABELS[s] + (" · unsaved changes" if has_unsaved(int(i)) else "")
                for s, i in zip(queue["status"], queue["submission_id"], strict=True)
            ],
            "Last saved": [render.format_when(v) if pd.notna(v) else render.EMPTY for v in queue["updated_at"]],
        }
    )
    done = int((queue["status"] == "submitted").sum())
    due = int((queue["status"] != "conflict").sum())
    st.caption(f"{done} of {due} submitted.")
    st.dataframe(shown, hide_index=True, width="stretch")
