"""Plain messages instead of tracebacks.

`run_safely` wraps a page (and app.py's sign-in checks): a database that
cannot be reached or written becomes a sentence for people, and any other
error is logged on the server with a reference shown to the person, never the
traceback or SQL (`client.showErrorDetails` is off outside demo mode).

Either way the run then stops (`st.stop`), which leaves every widget's state as
it was: Streamlit drops the state of widgets a run did not draw only when the
run ends normally, so input on the page survives a failed run on the server.
The browser, though, forgets what the widgets it no longer shows held, and
would show (and send back) their defaults: a form whose input matters keys its
widgets with `renewed(...)` or `kept(...)`, or seeds them from its own store when
`failed_since_drawn`, as the review form does, so that after a failed run they
show that input again.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access.db import DatabaseUnavailable, describe_operational_error, is_database_unavailable

log = logging.getLogger("evidence_review")
FAILED_RUNS = "errors.failed_runs"  # how many runs of this session failed
DRAWN_AT = "errors.drawn_at"  # widget key or group -> FAILED_RUNS when it was last drawn
DRAWING = "errors.drawing"  # the same for this run, moved to DRAWN_AT when the page ends normally
INPUT_KEPT = (
    "What you entered is kept in this window: keep it open and try again in a while, by opening the page again "
    "in the menu (reloading the browser page would lose it). If it lasts, tell the call's administrator."
)


def run_safely(page: Callable[[], None], *, on_database_down: Callable[[], None] | None = None) -> None:
    """Run `page`; on failure show a sentence and stop the run. `on_database_down`
    is called first when the database is unavailable (app.py declares the
    navigation there, so that the person stays on their page)."""
    try:
        page()
    except DatabaseUnavailable as exc:
        _count_failure()
        if on_database_down:
            on_database_down()
        st.error(f"{exc} {INPUT_KEPT}", icon=":material/cloud_off:")
        st.stop()
    except DBAPIError as exc:
        _count_failure()
        if not is_database_unavailable(exc):
            _unexpected(_logged("page error", exc))
        if on_database_down:
            on_database_down()
        reference = _logged("database error", exc)
        st.error(f"{describe_operational_error(exc)} {INPUT_KEPT} (reference {reference})", icon=":material/cloud_off:")
        st.stop()
    except Exception as exc:
        _count_failure()
        reference = secrets.token_hex(4)
        log.error("page error [%s]", reference, exc_info=exc)
        _unexpected(reference)
    else:
        st.session_state.setdefault(DRAWN_AT, {}).update(st.session_state.pop(DRAWING, {}))


def _logged(what: str, exc: BaseException) -> str:
    reference = secrets.token_hex(4)
    log.error("%s [%s]", what, reference, exc_info=exc)
    return reference


def _unexpected(reference: str) -> None:
    st.error(
        "Something went wrong on this page and nothing more was done. "
        f"If it happens again, tell the call's administrator the reference {reference}.",
        icon=":material/error:",
    )
    st.stop()


def _count_failure() -> None:
    st.session_state[FAILED_RUNS] = st.session_state.get(FAILED_RUNS, 0) + 1


def failed_runs() -> int:
    """How many runs of this session have failed so far."""
    return st.session_state.get(FAILED_RUNS, 0)


def failed_since_drawn(name: str) -> bool:
    """Whether a run failed since the widget (or group of widgets) `name` was
    last drawn. If so, the browser shows it empty (and sends that back on the
    next action) while the server still holds what the person entered.

    It counts as drawn once a page run ends normally: a run cut short (by a
    rerun, say) may not have reached the browser. (Setting widgets through
    session state on every run instead would race with the person's clicks: a
    value sent by a run that started before a click can undo that click.)"""
    failures = st.session_state.get(FAILED_RUNS, 0)
    st.session_state.setdefault(DRAWING, {})[name] = failures
    return st.session_state.get(DRAWN_AT, {}).get(name, failures) != failures


def renewed(name: str, fields: tuple[str, ...]) -> tuple[str, dict]:
    """A key prefix for a group of widgets (a form) that changes after each
    failed run, and what the person had entered in them before it.

    Draw the widgets under the prefix with those values as their defaults
    (`value=`, `index=`): new keys make new widgets in the browser, drawn with
    what the server kept. Sturdier than setting the old widgets again through
    session state (`kept`), which a selectbox in a form can ignore, showing
    one value and sending another."""
    prefix = f"{name}.{st.session_state.get(FAILED_RUNS, 0)}."
    store = f"errors.renewed.{name}"
    previous = st.session_state.get(store)
    if previous is None or previous[0] != prefix:
        carried = dict(previous[1]) if previous is not None else {}
        if previous is not None:
            carried |= {f: st.session_state[previous[0] + f] for f in fields if previous[0] + f in st.session_state}
        st.session_state[store] = (prefix, carried)
    return st.session_state[store]


def kept(key: str) -> str:
    """A widget key whose input survives a failed run on screen too:
    `st.text_input(..., key=kept("users.add.name"))`. After a failed run, the
    value the server kept is set again through session state, which sends it
    to the browser. For widgets without an explicit default (`value=`, `index=`)."""
    if failed_since_drawn(key) and key in st.session_state:
        st.session_state[key] = st.session_state[key]
    return key
