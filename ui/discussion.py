"""The panel's discussion of a submission, as pages show it (issue 18).

`section` draws a submission's thread below its reviews (Submissions, My
reviews): every post's author and text with `st.text` (people's words are
text, never Markdown or HTML), and a post box for those who may post. What a
viewer may read and post is decided by `data_access.discussion` at the moment
of each call, posting included; a reviewer who has not submitted their own
review is told the thread opens once they have, and any other refusal is said
in words and logged (`ui.guard.refuse`).

`flagged_discussions` is Rankings' list of the open discussions of flagged
submissions, each opened through the Submissions page's URL
(`?submission=REF`), where the page and the thread check the viewer again.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd
import streamlit as st

from access.roles import Role
from access.visibility import Viewer
from data_access import discussion as disc
from data_access.db import Database
from data_access.errors import AccessDenied
from ui.guard import refuse
from ui.links import SUBMISSION_PARAM
from ui.render import flash, format_when, show_flash

NOT_YET = "The panel's discussion of this submission opens to you once you have submitted your review of it."
NOT_AVAILABLE = "The discussion of this submission is not available to you."
OFFICE_READS = "The office reads the discussion; the admin and the reviewers who have submitted their review post."
NO_POSTS = "No one has posted yet."
POSTED = "Your post was added to the discussion."
_FLASH = "discussion.flash"
_BOX = "discussion.box"  # session key: a counter per submission, so a post sent leaves an empty box


def _box_key(prefix: str, submission_id: int) -> str:
    counters = st.session_state.setdefault(_BOX, {})
    return f"{prefix}.discussion.{submission_id}.{counters.get(submission_id, 0)}"


def _refuse(db: Database, viewer: Viewer, submission_id: int, attempted: str, error: AccessDenied) -> None:
    refuse(
        db,
        viewer,
        attempted=attempted,
        entity="submission",
        entity_id=submission_id,
        detail=str(error),
        message=NOT_AVAILABLE,
    )


def _send(db: Database, viewer: Viewer, submission_id: int, body: str) -> None:
    """Add the post (checked again now); on success empty the box and show the thread with it."""
    try:
        with db.write() as session:
            disc.add_post(session, viewer=viewer, submission_id=submission_id, body=body)
    except disc.PostError as error:
        st.error(str(error), icon=":material/error:")
        return
    except AccessDenied as error:
        _refuse(db, viewer, submission_id, "post in discussion", error)
        return
    counters = st.session_state.setdefault(_BOX, {})
    counters[submission_id] = counters.get(submission_id, 0) + 1
    flash(_FLASH, "success", POSTED)
    st.rerun()


def posts(thread: disc.Thread) -> None:
    """The posts, oldest first: who (as this viewer may see it), when, and the text, all as text."""
    if not thread.posts:
        st.caption(NO_POSTS)
    for post in thread.posts:
        with st.container(border=True, key=f"discussion.post.{post.id}"):
            st.text(post.author)
            st.caption(format_when(post.created_at))
            st.text(post.body)


def section(db: Database, viewer: Viewer, submission_id: int, *, key: str) -> None:
    """A submission's discussion below its reviews; `key` names the page (widget keys)."""
    st.header("Discussion", anchor=False)
    try:
        with db.read() as session:
            thread = disc.thread(session, viewer=viewer, submission_id=submission_id)
    except disc.DiscussionNotYet:
        st.caption(NOT_YET)
        return
    except AccessDenied as error:
        _refuse(db, viewer, submission_id, "read discussion", error)
        return
    show_flash(_FLASH)
    posts(thread)
    if not thread.may_post:
        if viewer.role == Role.OFFICE:
            st.caption(OFFICE_READS)
        return
    with st.form(f"{key}.discussion_form.{submission_id}", border=False):
        body = st.text_area(
            "Your post to the panel",
            max_chars=disc.POST_MAX,
            key=_box_key(key, submission_id),
            placeholder="Seen by the admin, the office and the reviewers who have submitted their review.",
        )
        sent = st.form_submit_button("Post", icon=":material/send:")
    if sent:
        _send(db, viewer, submission_id, body)


def open_flagged(db: Database, viewer: Viewer, flagged_ids: Collection[int], *, closed_ids: Collection[int]) -> list:
    """The open discussions of the flagged submissions, latest post first."""
    with db.read() as session:
        found = disc.open_discussions(session, viewer=viewer, closed_ids=closed_ids)
    wanted = set(flagged_ids)
    return [d for d in found if d.open and d.submission_id in wanted]


def flagged_discussions(
    db: Database, viewer: Viewer, flagged_ids: Collection[int], *, closed_ids: Collection[int]
) -> None:
    """Rankings: the flagged submissions' open discussions (posts, last post) and a link to each thread."""
    st.header("Open discussions of flagged submissions", anchor=False)
    rows = open_flagged(db, viewer, flagged_ids, closed_ids=closed_ids)
    if not rows:
        st.caption("No flagged submission has an open discussion: its thread opens with its first post.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Reference": [d.reference for d in rows],
                "Posts": [d.posts for d in rows],
                "Last post": [format_when(d.last_post_at) for d in rows],
            }
        ),
        hide_index=True,
    )
    reference = st.selectbox("Discussion to open", [d.reference for d in rows], key="rankings.discussion_pick")
    st.page_link(
        "pages/submissions.py",
        label="Open its discussion on the Submissions page",
        icon=":material/forum:",
        query_params={SUBMISSION_PARAM: reference},
    )


def flagged_section(db: Database, viewer: Viewer, table: pd.DataFrame, *, closed: frozenset[int], listed: bool) -> None:
    """Rankings, below the table: with `listed`, the flagged submissions the panel has not decided ("Listed for
    discussion"); then the flagged submissions' open discussions."""
    flagged_ids = table.index[table["Discuss"]]
    if listed:
        st.header("Listed for discussion", anchor=False)
        decided = len(closed & set(flagged_ids))
        if decided:
            st.caption(f"Not listed: {decided} flagged, decided by the panel (see the Decision column).")
        number = st.column_config.NumberColumn
        st.dataframe(
            table[table["Discuss"] & ~table.index.isin(list(closed))][
                ["Reference", "Title", "Disagreement", "Calibrated score", "Reviews"]
            ],
            hide_index=True,
            column_config={"Disagreement": number(format="%.2f"), "Calibrated score": number(format="%.2f")},
        )
    flagged_discussions(db, viewer, flagged_ids, closed_ids=closed)
