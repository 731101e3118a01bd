"""The server-side role check that every page makes before it renders."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.runtime.scriptrunner import get_script_run_ctx

from access.visibility import Viewer
from data_access import audit
from data_access.submissions import SubmissionView, record_detail_view
from ui import auth, context
from ui.navigation import PAGES_BY_KEY

FRONT_DOOR = Path(__file__).resolve().parent.parent / "app.py"
NO_ACCESS = "You do not have access to this page."


def through_front_door() -> None:
    """Make sure this run went through app.py.

    Until the first `st.navigation` call in a server process (and on every
    AppTest run), Streamlit treats a `pages/` folder as its older multipage
    app and runs a requested page file directly, skipping app.py's sign-in,
    sign-out and cookie handling, and listing every file in the sidebar.
    Switch that mode off and rerun: the rerun goes through app.py.

    The switch is process-wide, but runs that started before it was flipped
    (visitors arriving together at a fresh server) are still in the older
    mode; they are recognised by their navigation, which lists app.py itself
    as a page (app.py never does), and rerun as well. (app.py itself calls
    `front_door_first`.)
    """
    if PagesManager.uses_pages_directory or _front_door_listed_as_a_page():
        PagesManager.uses_pages_directory = False
        st.rerun()


def _front_door_listed_as_a_page() -> bool:
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    return any(
        info.get("script_path") and Path(info["script_path"]).resolve() == FRONT_DOOR
        for info in ctx.pages_manager.get_pages().values()
    )


def front_door_first() -> None:
    """app.py's part of `through_front_door`: in the older mode a visit to "/"
    runs app.py as the first of the listed files, after Streamlit has sent the
    browser its list of every file. Such a run is recognised by Streamlit's
    function for that mode on the call stack (the navigation of the previous
    run, still registered at this point, cannot tell), and rerun."""
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "_mpa_v1" and frame.f_code.co_filename.endswith("script_runner.py"):
            PagesManager.uses_pages_directory = False
            st.rerun()
        frame = frame.f_back


def require_page(key: str) -> Viewer:
    """The verified viewer if their role may open page `key`; otherwise stop.

    Runs on every run of the page, independently of the navigation menu, so a
    page's URL opened by the wrong role (or by nobody) shows nothing of it; a
    signed-in person's refusal is written to the audit log (`access.denied`).
    """
    through_front_door()
    spec = PAGES_BY_KEY[key]
    db = context.database()
    viewer = auth.current_viewer(db)
    if viewer is None or viewer.role not in spec.roles:
        if viewer is not None:
            with db.write() as session:
                audit.record_denied(
                    session,
                    actor=viewer.username,
                    attempted=f"open page {key}",
                    entity="page",
                    entity_id=key,
                    detail=f"role {viewer.role}",
                )
        st.error(NO_ACCESS, icon=":material/block:")
        st.stop()
    return viewer


def refuse(db, viewer: Viewer, *, attempted: str, entity: str, entity_id: object, detail: str, message: str) -> None:
    """Log a refused attempt (a URL, a query parameter or widget state naming
    something this person may not reach) and tell them, in our words."""
    with db.write() as session:
        audit.record_denied(
            session, actor=viewer.username, attempted=attempted, entity=entity, entity_id=entity_id, detail=detail
        )
    st.error(message, icon=":material/block:")


VIEWS_RECORDED = "guard.detail_views_recorded"


def log_detail_view(db, viewer: Viewer, sub: SubmissionView) -> None:
    """Record this view of a submission's detail (once per person, submission
    and UTC day, in the audit log: `data_access.submissions.record_detail_view`).
    A session remembers what it recorded today, so its reruns write nothing."""
    key = (viewer.user_id, sub.id, dt.datetime.now(dt.UTC).date().isoformat())
    done = st.session_state.setdefault(VIEWS_RECORDED, set())
    if key in done:
        return
    with db.write() as session:
        record_detail_view(session, viewer=viewer, view=sub)
    done.add(key)
