"""data_version: one row whose number goes up with every unit of work that
changed shared data (`data_access.db.Database.write`), the key of the app's
caches of shared data (`data_access.audit.data_version`).

Before this, the key was the newest audit entry's id and the entries' count,
so that a download, a detail view or a refusal (audit entries that change no
data) also emptied every shared cache.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_data_version_one_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("data_version")
