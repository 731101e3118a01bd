"""Alembic environment: runs migrations on the connection the caller gives,
or on the URL in the Alembic config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from data_access.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise SystemExit("no database to migrate: give a connection or set sqlalchemy.url in the Alembic config")
    engine = create_engine(url, hide_parameters=True)  # values stay out of errors (data_access.db)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `python manage.py migrate`")
run_migrations()
