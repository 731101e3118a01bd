"""submissions.redactions: versions of identity fields that name nobody.

The admin may publish, per submission, a version of an identity-bearing field
(organisation, contact, region, documents and links) for the reviewers who
may not see the real one (an anonymous submission, or blind review):
`{"region": "A city in the North West", "links": ["(the report, without its address)"]}`.
NULL: nothing published. See `access.visibility.shown_fields`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("redactions", JSON_TYPE, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_column("redactions")
