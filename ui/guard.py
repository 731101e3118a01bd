"""The server-side role check that every page makes before it renders."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable

import streamlit as st

from access.visibility import Viewer
from data_access import audit
from data_access.submissions import SubmissionView, record_detail_view
from ui import auth, context, streamlit_adapter
from ui.errors import run_safely
from ui.navigation import PAGES_BY_KEY
from ui.render import ROLE_LABELS

NO_ACCESS = "You do not have access to this page."
WRONG_ROLE = "Your role ({role}) cannot open the {title} page."


def wrong_role_message(role: str, key: str) -> str:
    """The refusal of page `key` to a signed-in person of `role`, in words."""
    return WRONG_ROLE.format(role=ROLE_LABELS.get(role, role).lower(), title=PAGES_BY_KEY[key].title)


def through_front_door() -> None:
    """Make sure this run went through app.py.

    A server started with `streamlit run serve.py` never runs a page file
    directly: serve.py switches Streamlit's older `pages/` mode off before the
    first session (`streamlit_adapter.no_pages_directory_mode`, which says why
    no supported switch exists). Should a process still be in that mode (a
    server started some other way), switch it off and rerun: the rerun goes
    through app.py, which refuses such a server."""
    if streamlit_adapter.pages_directory_mode():
        streamlit_adapter.no_pages_directory_mode()
        st.rerun()


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
        st.error(NO_ACCESS if viewer is None else wrong_role_message(viewer.role, key), icon=":material/block:")
        st.stop()
    return viewer


def page_fragment(key: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """`st.fragment` for a part of page `key` that a widget inside it reruns alone (a toggle, a chart's
    selection): every run of it, the page's and its own reruns, checks the role again from the database first
    (`require_page`), so a fragment's rerun after the person's role changed or their session ended shows
    nothing of it."""

    def wrap(body: Callable[..., None]) -> Callable[..., None]:
        @functools.wraps(body)
        def gated(*args, **kwargs) -> None:
            require_page(key)
            body(*args, **kwargs)

        return safe_fragment(gated)

    return wrap


def safe_fragment(body: Callable[..., None]) -> Callable[..., None]:
    """`st.fragment(body)` that fails as a page's run does: Streamlit catches an error raised inside a
    fragment itself (in a run of the whole page too) and draws its own "This app has encountered an
    error", so app.py's `run_safely` never sees it; here the fragment's body runs inside `run_safely`, and
    an error in it (the database down or read-only) shows the sentence that says what happened and that
    what was entered is kept, and stops the run."""

    @functools.wraps(body)
    def safely(*args, **kwargs) -> None:
        run_safely(lambda: body(*args, **kwargs))

    return st.fragment(safely)


def recheck_in_fragment(key: str, viewer: Viewer, still: Callable[[], bool]) -> None:
    """A fragment's own run (`st.fragment`: a click inside it reruns only it)
    does not pass through the page's gate, so the fragment asks again before
    it reads or saves anything: the session still signed in and not revoked,
    the same person, their role still allowed on page `key`, and `still` (the
    page's own conditions) true. Otherwise the whole app runs again, where
    the page's gate refuses and says why. Nothing in a run of the whole page."""
    if not streamlit_adapter.fragment_run():
        return
    current = auth.current_viewer(context.database())
    if (
        current is None
        or current.user_id != viewer.user_id
        or current.role not in PAGES_BY_KEY[key].roles
        or not still()
    ):
        st.rerun(scope="app")


def refuse(db, viewer: Viewer, *, attempted: str, entity: str, entity_id: object, detail: str, message: str) -> None:
    """Log a refused attempt (a URL, a query parameter or widget state naming
    something this person may not reach) and tell them, in our words."""
    record_refusal(db, viewer, attempted=attempted, entity=entity, entity_id=entity_id, detail=detail)
    st.error(message, icon=":material/block:")


def record_refusal(db, viewer: Viewer, *, attempted: str, entity: str, entity_id: object, detail: str) -> None:
    """`refuse`'s log entry alone, for a refusal said later in the same run (`ui.review_form.attempt_save`)."""
    with db.write() as session:
        audit.record_denied(
            session, actor=viewer.username, attempted=attempted, entity=entity, entity_id=entity_id, detail=detail
        )


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
