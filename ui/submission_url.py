"""Which submission the Submissions page opens: `?submission=REF`.

The URL names the open submission, so a link from another page (a Rankings
row, a gap-map cell's list, a Selection pick: `ui.links.open_submission`),
a reload and back/forward all open it. The page opens it only if the viewer
may see it (`data_access.submissions.get_submission` decides); a reference
that is unknown, not theirs, or not a reference at all (too long, control or
invisible characters) is refused in words and logged (`ui.guard.refuse`),
without reading anything of it.
"""

from __future__ import annotations

import unicodedata

import streamlit as st

from access.visibility import Viewer
from data_access.db import Database
from ui.guard import refuse
from ui.links import SUBMISSION_PARAM, hidden_characters

LEGACY_PARAM = "ref"  # the parameter's older name, still read
REFERENCE_MAX = 64  # the longest reference the database holds
NOT_AVAILABLE = "That submission is not available to you."
_REFUSED = "links.refused_references"
_TABLE_PICK = "links.table_pick"


def plausible_reference(value: str) -> bool:
    """Whether `value` could be a reference at all (else it is refused unread)."""
    return 0 < len(value) <= REFERENCE_MAX and not hidden_characters(value)


def logged_reference(value: object) -> str:
    """A refused reference as the audit log keeps it: printable (control and
    invisible characters as `?`: no forged line, no reordered text) and cut to the column's length."""
    return "".join("?" if unicodedata.category(ch)[0] == "C" else ch for ch in str(value))[:REFERENCE_MAX]


def open_reference(table_pick: str | None) -> str | None:
    """The submission to open: a row the person has just picked in the table,
    else the one named in the URL (`?submission=REF`, or the older `?ref=REF`).
    The URL is kept in step, so reload and back/forward open the same one."""
    params = st.query_params
    wanted = params.get(SUBMISSION_PARAM) or params.get(LEGACY_PARAM)
    if table_pick is not None and table_pick != st.session_state.get(_TABLE_PICK):
        wanted = table_pick
    st.session_state[_TABLE_PICK] = table_pick
    if LEGACY_PARAM in params:
        del params[LEGACY_PARAM]
    if wanted:
        params[SUBMISSION_PARAM] = wanted
    return wanted or None


def close_reference() -> None:
    """No submission open any more: drop it from the URL."""
    for name in (SUBMISSION_PARAM, LEGACY_PARAM):
        st.query_params.pop(name, None)


def refuse_reference(db: Database, viewer: Viewer, reference: str, detail: str) -> None:
    """Tell the person, in words, that `reference` is not available to them and
    log it (`access.denied`) once per session and value, so the reruns a page
    load brings log nothing more. The value is logged printable and cut to the
    column's length, control and invisible characters as `?`."""
    refused = st.session_state.setdefault(_REFUSED, set())
    if reference in refused:
        st.error(NOT_AVAILABLE, icon=":material/block:")
        return
    shown = logged_reference(reference)
    refuse(
        db,
        viewer,
        attempted="open submission",
        entity="submission",
        entity_id=shown,
        detail=detail,
        message=NOT_AVAILABLE,
    )
    refused.add(reference)
