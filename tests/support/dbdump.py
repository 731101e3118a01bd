"""The whole content of a database as plain data, to show that a refused
import changed nothing at all."""

from __future__ import annotations

from sqlalchemy import select

from data_access.db import Database
from data_access.models import Base


def table_contents(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order (both backends)."""
    out = {}
    with db.read() as session:
        for table in Base.metadata.sorted_tables:
            stmt = select(table).order_by(*table.primary_key.columns)
            out[table.name] = [tuple(row) for row in session.execute(stmt)]
    return out


def sqlite_dump(db: Database) -> str:
    """SQLite's own dump of schema and data, as text."""
    raw = db.engine.raw_connection()
    try:
        return "\n".join(raw.driver_connection.iterdump())
    finally:
        raw.close()
