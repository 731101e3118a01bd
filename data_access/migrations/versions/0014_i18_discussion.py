"""The panel's discussion of a submission (issue 18, `data_access.discussion`):
discussion_posts, append-only (a post is never edited or deleted; it goes with
its submission when that is erased).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "discussion_posts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_role", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(body) >= 1", name=op.f("ck_discussion_posts_body_not_empty")),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_discussion_posts_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_discussion_posts_author_id_users"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discussion_posts")),
    )
    with op.batch_alter_table("discussion_posts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_discussion_posts_submission_id"), ["submission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_discussion_posts_author_id"), ["author_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("discussion_posts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_discussion_posts_author_id"))
        batch_op.drop_index(batch_op.f("ix_discussion_posts_submission_id"))
    op.drop_table("discussion_posts")
