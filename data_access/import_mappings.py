"""Named column mappings, saved on the Import page for the next file."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from config import limits
from data_access import audit
from data_access.models import ImportMapping, utcnow
from importing import ColumnMapping

MAX_MAPPING_NAME = limits.MAPPING_NAME


class MappingError(ValueError):
    pass


def list_mappings(session: Session) -> dict[str, ColumnMapping]:
    return {
        name: ColumnMapping.from_json({"columns": columns, "values": values, "key": key})
        for name, columns, values, key in session.execute(
            select(ImportMapping.name, ImportMapping.columns, ImportMapping.values, ImportMapping.key_column).order_by(
                ImportMapping.name
            )
        )
    }


def save_mapping(session: Session, *, name: str, mapping: ColumnMapping, actor: str) -> None:
    """Save (or replace) a named mapping for the next file."""
    name = " ".join(name.split())
    if not name:
        raise MappingError("Give the mapping a name, for example \u201cOnline form 2021\u201d.")
    if len(name) > MAX_MAPPING_NAME:
        raise MappingError(f"A mapping's name has at most {MAX_MAPPING_NAME} characters.")
    data = mapping.to_json()
    record = session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    now = utcnow()
    old = None
    if record is None:
        record = ImportMapping(name=name, created_by=actor, created_at=now)
        session.add(record)
    else:
        old = {"columns": record.columns, "values": record.values, "key": record.key_column}
    record.columns = data["columns"]
    record.values = data["values"]
    record.key_column = mapping.key  # the source key's column, used again with the mapping
    record.updated_at = now
    session.flush()
    audit.record(
        session,
        actor=actor,
        action="import_mapping.save",
        entity="import_mapping",
        entity_id=record.id,
        old=old,
        new={"name": name, **data},
    )


def delete_mapping(session: Session, *, name: str, actor: str) -> None:
    record = session.scalar(select(ImportMapping).where(ImportMapping.name == name))
    if record is None:
        raise MappingError(f"There is no saved mapping called \u201c{name}\u201d.")
    old = {"name": record.name, "columns": record.columns, "values": record.values}
    session.delete(record)
    session.flush()
    audit.record(
        session, actor=actor, action="import_mapping.delete", entity="import_mapping", entity_id=record.id, old=old
    )
