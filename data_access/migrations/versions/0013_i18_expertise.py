"""Expertise and bids (issue 18, `data_access.expertise`): reviewer_expertise
(a reviewer's themes and focus areas, by taxonomy key) and submission_bids
(eager, willing or rather not, per reviewer and submission; a conflict bid is
a declared conflict of interest, stored as one).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 06:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reviewer_expertise",
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_reviewer_expertise_reviewer_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "key", name=op.f("pk_reviewer_expertise")),
    )
    op.create_table(
        "submission_bids",
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("level IN ('eager', 'willing', 'rather_not')", name=op.f("ck_submission_bids_level_known")),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_submission_bids_reviewer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_bids_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "submission_id", name=op.f("pk_submission_bids")),
    )
    with op.batch_alter_table("submission_bids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_bids_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission_bids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_bids_submission_id"))
    op.drop_table("submission_bids")
    op.drop_table("reviewer_expertise")
