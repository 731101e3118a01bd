"""Switches of the running call, such as whether reviewing is closed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from data_access import audit
from data_access.models import CallState, utcnow

REVIEWING_CLOSED = "reviewing_closed"


def get_value(session: Session, key: str, default: Any = None) -> Any:
    row = session.get(CallState, key)
    return default if row is None else row.value


def set_value(session: Session, *, key: str, value: Any, actor: str) -> None:
    row = session.get(CallState, key)
    old = None if row is None else row.value
    if row is None:
        session.add(CallState(key=key, value=value, updated_by=actor, updated_at=utcnow()))
    else:
        row.value = value
        row.updated_by = actor
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="call.setting",
        entity="call_state",
        entity_id=key,
        old={key: old},
        new={key: value},
    )


def reviewing_closed(session: Session) -> bool:
    return bool(get_value(session, REVIEWING_CLOSED, False))


def set_reviewing_closed(session: Session, *, closed: bool, actor: str) -> None:
    """Close reviewing (no review can change any more) or reopen it."""
    if reviewing_closed(session) != closed:
        set_value(session, key=REVIEWING_CLOSED, value=closed, actor=actor)
