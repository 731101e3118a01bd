"""submission_views: one row per person, submission and UTC day that they
opened the submission's detail.

Every view of a submission's detail is recorded in the audit log once per
person, submission and day (`data_access.submissions.record_detail_view`).
This table's primary key is what makes it once: the row is inserted with ON
CONFLICT DO NOTHING and the audit entry written only when the row was new, so
two views at the same moment write one entry.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "submission_views",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("first_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_submission_views_user_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_views_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "submission_id", "day", name=op.f("pk_submission_views")),
    )
    with op.batch_alter_table("submission_views", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_views_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_views_submission_id"))
    op.drop_table("submission_views")
