"""Plain messages instead of tracebacks.

`run_safely` wraps a page: database outages become a sentence for people, and
any other error is logged on the server with a reference shown to the person,
never the traceback or SQL (`client.showErrorDetails` is off outside demo mode).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import streamlit as st
from sqlalchemy.exc import InterfaceError, OperationalError

from data_access.db import DatabaseUnavailable, describe_operational_error

log = logging.getLogger("evidence_review")


def run_safely(page: Callable[[], None]) -> None:
    try:
        page()
    except DatabaseUnavailable as exc:
        st.error(str(exc), icon=":material/cloud_off:")
    except (OperationalError, InterfaceError) as exc:
        reference = secrets.token_hex(4)
        log.error("database error [%s]", reference, exc_info=exc)
        st.error(f"{describe_operational_error(exc)} (reference {reference})", icon=":material/cloud_off:")
    except Exception as exc:
        reference = secrets.token_hex(4)
        log.error("page error [%s]", reference, exc_info=exc)
        st.error(
            "Something went wrong on this page and nothing more was done. "
            f"If it happens again, tell the call's administrator the reference {reference}.",
            icon=":material/error:",
        )
