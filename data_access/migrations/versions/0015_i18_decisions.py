"""The panel's decisions (issue 18, `data_access.decisions`): panel_decisions,
one row per decision recorded on a submission (shortlisted, not shortlisted,
needs more reviews) with its reason, who recorded it and when. A submission's
rows are numbered 1, 2, ... (`version`, unique per submission: the optimistic
lock); the highest is the current decision, the others its history.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "panel_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('shortlisted', 'not_shortlisted', 'needs_more_reviews')",
            name=op.f("ck_panel_decisions_decision_known"),
        ),
        sa.CheckConstraint("length(trim(reason)) > 0", name=op.f("ck_panel_decisions_reason_present")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_panel_decisions_version_positive")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_panel_decisions_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_decisions")),
        sa.UniqueConstraint("submission_id", "version", name="uq_panel_decisions_version"),
    )
    with op.batch_alter_table("panel_decisions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_decisions_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("panel_decisions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_decisions_submission_id"))
    op.drop_table("panel_decisions")
