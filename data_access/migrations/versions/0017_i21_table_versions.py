"""table_versions: one row per table whose number goes up with every unit of work that wrote the table
(`data_access.db.Database.write`), the key of caches of data read from a few tables
(`data_access.audit.tables_version`): a reviewer's save moves the versions of `reviews` and
`review_scores`, not of `submissions`, so the submissions' codes stay cached.

Rows appear with each table's first write after this revision (none means 0), so the table starts empty.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 12:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "table_versions",
        sa.Column("table_name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("table_name", name=op.f("pk_table_versions")),
    )


def downgrade() -> None:
    op.drop_table("table_versions")
