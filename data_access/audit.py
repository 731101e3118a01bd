"""The audit log: who did what, when, with old and new values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from data_access import audit_actions
from data_access.db import UNKNOWN_TABLE
from data_access.models import AuditEntry, DataVersion, TableVersion, utcnow


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: Any = None,
    old: Any = None,
    new: Any = None,
    detail: str = "",
) -> None:
    """Add one audit entry to the caller's unit of work (written at once).

    `action` is a code declared in `data_access.audit_actions`; any other
    raises `UnknownAuditAction` before anything is written."""
    record_many(
        session,
        actor=actor,
        entries=[
            {"action": action, "entity": entity, "entity_id": entity_id, "old": old, "new": new, "detail": detail}
        ],
    )


# Entries of a change move the data version; entries of views, downloads and refusals do not.
_INSERT = {changes: insert(AuditEntry).execution_options(shared_data=changes) for changes in (True, False)}


def record_many(session: Session, *, actor: str, entries: list[dict[str, Any]]) -> None:
    """Add many audit entries at once (one INSERT), e.g. for a bulk assignment.

    Each entry is a dict with `action`, `entity` and optionally `entity_id`,
    `old`, `new` and `detail`, as for `record`."""
    if not entries:
        return
    # Raises for an action nobody declared; an entry of a change moves the data version (`data_access.db`).
    declared = [audit_actions.lookup(e["action"]) for e in entries]  # every one checked before any is written
    changes = any(action.changes_data for action in declared)
    at = utcnow()
    session.connection().execute(
        _INSERT[changes],
        [
            {
                "at": at,
                "actor": actor,
                "action": e["action"],
                "entity": e["entity"],
                "entity_id": None if e.get("entity_id") is None else str(e["entity_id"]),
                "old": jsonable(e.get("old")),
                "new": jsonable(e.get("new")),
                "detail": e.get("detail", ""),
            }
            for e in entries
        ],
    )


def record_denied(
    session: Session, *, actor: str, attempted: str, entity: str, entity_id: Any = None, detail: str = ""
) -> None:
    """Log a refused attempt (a page, a submission, a save) in the audit log."""
    record(
        session,
        actor=actor,
        action="access.denied",
        entity=entity,
        entity_id=entity_id,
        detail=f"{attempted}; {detail}" if detail else attempted,
    )


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None  # exclusive
    limit: int = 500
    offset: int = 0  # entries skipped, newest first (a page of the log)


def _filtered(stmt: Any, filters: AuditFilter) -> Any:
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.actor:
        stmt = stmt.where(AuditEntry.actor == filters.actor)
    if filters.entity:
        stmt = stmt.where(AuditEntry.entity == filters.entity)
    if filters.entity_id:
        stmt = stmt.where(AuditEntry.entity_id == filters.entity_id)
    if filters.since:
        stmt = stmt.where(AuditEntry.at >= filters.since)
    if filters.until:
        stmt = stmt.where(AuditEntry.at < filters.until)
    return stmt


def count_entries(session: Session, *, filters: AuditFilter = AuditFilter()) -> int:
    """How many entries the filters match (`limit` and `offset` aside)."""
    return int(session.scalar(_filtered(select(func.count(AuditEntry.id)), filters)) or 0)


def select_entries(session: Session, *, filters: AuditFilter = AuditFilter()) -> list[AuditEntry]:
    """The entries the filters match, newest first: `limit` of them after skipping `offset`."""
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc()).offset(filters.offset).limit(filters.limit)
    return list(session.scalars(_filtered(stmt, filters)))


def list_entries(session: Session, *, filters: AuditFilter = AuditFilter()) -> pd.DataFrame:
    rows = [
        {
            "id": e.id,
            "at": e.at,
            "actor": e.actor,
            "action": e.action,
            "entity": e.entity,
            "entity_id": e.entity_id,
            "old": e.old,
            "new": e.new,
            "detail": e.detail,
        }
        for e in select_entries(session, filters=filters)
    ]
    return pd.DataFrame(rows, columns=["id", "at", "actor", "action", "entity", "entity_id", "old", "new", "detail"])


def distinct_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def data_version(session: Session) -> int:
    """Goes up with every unit of work that changed shared data: the key for caches of shared data.

    `Database.write` adds one to it in the unit's own transaction when the unit
    changed data or recorded an action that changes data (not when it wrote
    only a view, a download, a refusal or a sign-in), so a cache keyed by it
    is never older than the data it holds.
    """
    return int(session.scalar(select(DataVersion.version).where(DataVersion.id == 1)) or 0)


def tables_version(session: Session, *tables: str) -> tuple[int, ...]:
    """The key for a cache of data read from `tables` only: their versions (0 for a table never written),
    then that of writes whose table could not be told. It moves with every unit of work that wrote one of
    them, or changed their rows through a foreign key (deleting a submission moves `reviews`), and with
    nothing else, so a reviewer's save leaves a cache of the submissions' codes be (`db.ROWS_CHANGED_WITH`)."""
    names = (*tables, UNKNOWN_TABLE)
    rows = session.execute(
        select(TableVersion.table_name, TableVersion.version).where(TableVersion.table_name.in_(names))
    ).all()
    found = {name: int(number) for name, number in rows}
    return tuple(found.get(name, 0) for name in names)
