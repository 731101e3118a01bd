"""How a live database's schema differs from the models (data_access.models):
tables, columns and indexes. Used to check that migrations and models agree."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

from data_access.models import Base
from data_access.search import FTS_TABLE, PG_COLUMN, PG_INDEX


def model_indexes(table_name: str) -> set[tuple[str, tuple[str, ...], bool]]:
    table = Base.metadata.tables[table_name]
    return {(str(ix.name), tuple(c.name for c in ix.columns), bool(ix.unique)) for ix in table.indexes}


def live_indexes(engine: Engine, table_name: str) -> set[tuple[str, tuple[str, ...], bool]]:
    """The table's indexes, without those that back a unique or primary key constraint."""
    return {
        (ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
        for ix in inspect(engine).get_indexes(table_name)
        if not ix.get("duplicates_constraint") and ix["name"] != PG_INDEX  # search's index: not a model
    }


def schema_differences(engine: Engine) -> list[str]:
    """Plain sentences, one per difference; empty when the database matches the models."""
    inspector = inspect(engine)
    problems = []
    # Search's FTS5 table and its shadow tables (migration 0010) are not models.
    live_tables = {t for t in inspector.get_table_names() if not t.startswith(FTS_TABLE)} - {"alembic_version"}
    for name in sorted(live_tables ^ set(Base.metadata.tables)):
        problems.append(f"table {name} is {'only in the database' if name in live_tables else 'missing'}")
    for table in Base.metadata.sorted_tables:
        if table.name not in live_tables:
            continue
        live = {c["name"] for c in inspector.get_columns(table.name)}
        if table.name == "submission_documents":
            live.discard(PG_COLUMN)  # search's stored tsvector (PostgreSQL, migration 0010): not a model
        for column in sorted(live ^ {c.name for c in table.columns}):
            problems.append(
                f"column {table.name}.{column} is {'only in the database' if column in live else 'missing'}"
            )
        have, want = live_indexes(engine, table.name), model_indexes(table.name)
        for ix in sorted(have - want):
            problems.append(f"index {ix} on {table.name} is only in the database")
        for ix in sorted(want - have):
            problems.append(f"index {ix} on {table.name} is missing from the database")
    return problems
