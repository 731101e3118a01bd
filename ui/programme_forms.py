"""What the Programme page's sections share (ui.programme, ui.programme_replacement,
ui.programme_sessions): an action's write with its refusals said, a refusal logged and said, and
the date box for a date to reply by."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TypeVar

import streamlit as st
from sqlalchemy.orm import Session

from access.visibility import Viewer
from data_access import audit
from data_access import invitations as inv
from data_access.db import Database
from data_access.errors import AccessDenied
from data_access.models import utcnow
from ui.render import notice

REPLY_BY_DAYS = 14  # the date to reply by offered at first
T = TypeVar("T")


def refused(db: Database, viewer: Viewer, attempted: str, entity_id: object, *, entity: str = "line_up") -> None:
    """The server refused an action to this account (AccessDenied): audited, and said in one sentence."""
    with db.write() as session:
        audit.record_denied(session, actor=viewer.username, attempted=attempted, entity=entity, entity_id=entity_id)
    st.error("Your role cannot do this.", icon=":material/block:")


def attempt(
    db: Database,
    viewer: Viewer,
    write: Callable[[Session], T],
    *,
    attempted: str,
    entity_id: object,
    lead: str,
    stale: tuple[type[Exception], ...] = (),
    refusals: tuple[type[Exception], ...] = (),
) -> T | None:
    """Run `write` in one unit of work; what it returned, or None when it was refused (nothing
    changed): AccessDenied logged and said (`refused`); a `stale` or `refusals` exception said under
    our `lead`, its message (which may name a line-up or a reference) as text."""
    try:
        with db.write() as session:
            return write(session)
    except AccessDenied:
        refused(db, viewer, attempted, entity_id)
    except stale as exc:
        notice("error", lead, str(exc), icon=":material/sync_problem:")
    except refusals as exc:
        notice("error", lead, str(exc), icon=":material/error:")
    return None


def reply_by_input(label: str, *, key: str) -> dt.date:
    """A date to reply by: from today to the latest the server accepts (`invitations.latest_reply_by`,
    checked again there), two weeks ahead at first. Each box on the page has its own label."""
    today = utcnow().date()
    return st.date_input(
        label,
        value=today + dt.timedelta(days=REPLY_BY_DAYS),
        min_value=today,
        max_value=inv.latest_reply_by(utcnow()),
        key=key,
    )
