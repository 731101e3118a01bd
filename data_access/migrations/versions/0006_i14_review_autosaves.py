"""review_autosaves: a reviewer's unsaved input, kept on the server as they type.

One row per reviewer and submission: the form's values (scores, comment,
recommendation, confidence) and the version of the review they started from,
so that a later save still meets the changed-in-another-window check. A real
save or submit of the review deletes the row (`data_access.reviews.save_review`);
rankings, exports and other people's views read only `reviews`.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 17:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "review_autosaves",
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["reviewer_id"], ["users.id"], name=op.f("fk_review_autosaves_reviewer_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_review_autosaves_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("reviewer_id", "submission_id", name=op.f("pk_review_autosaves")),
    )
    with op.batch_alter_table("review_autosaves", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_autosaves_submission_id"), ["submission_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("review_autosaves", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_autosaves_submission_id"))
    op.drop_table("review_autosaves")
