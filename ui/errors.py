"""Plain messages instead of tracebacks.

`run_safely` wraps a page (and app.py's sign-in checks): a database that
cannot be reached or written becomes a sentence for people, and any other
error is logged on the server with a reference shown to the person, never the
traceback or SQL (`client.showErrorDetails` is off outside demo mode).

Either way the run then stops (`st.stop`), which leaves every widget's state as
it was: Streamlit drops the state of widgets a run did not draw only when the
run ends normally, so input on the page survives a failed run and is there
again, unsaved, on the next one.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import DBAPIError

from data_access.db import DatabaseUnavailable, describe_operational_error, is_database_unavailable

log = logging.getLogger("evidence_review")


def run_safely(page: Callable[[], None], *, on_database_down: Callable[[], None] | None = None) -> None:
    """Run `page`; on failure show a sentence and stop the run. `on_database_down`
    is called first when the database is unavailable (app.py declares the
    navigation there, so that the person stays on their page)."""
    try:
        page()
    except DatabaseUnavailable as exc:
        if on_database_down:
            on_database_down()
        st.error(str(exc), icon=":material/cloud_off:")
        st.stop()
    except DBAPIError as exc:
        if not is_database_unavailable(exc):
            _unexpected(_logged("page error", exc))
        if on_database_down:
            on_database_down()
        reference = _logged("database error", exc)
        st.error(f"{describe_operational_error(exc)} (reference {reference})", icon=":material/cloud_off:")
        st.stop()
    except Exception as exc:
        reference = secrets.token_hex(4)
        log.error("page error [%s]", reference, exc_info=exc)
        _unexpected(reference)


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
