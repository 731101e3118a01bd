"""Keeping in step with re-exports (issue 19, importing.source_key): submissions.source_key (the form's
response ID a submission was imported from; unique, NULL for those without one),
import_mappings.key_column (the key column remembered with a saved mapping), and submission_changes
(one row per submission an import changed: when, which fields by name, which batch), which says
"Changed since your review" to reviewers.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    # A unique index, not a constraint: on SQLite a new constraint rebuilds the table, and dropping the
    # old submissions table would cascade to every row that refers to it.
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source_key", sa.String(length=200), nullable=True))
        batch_op.create_index(batch_op.f("ix_submissions_source_key"), ["source_key"], unique=True)
    with op.batch_alter_table("import_mappings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key_column", sa.Text(), nullable=True))
    op.create_table(
        "submission_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.Column("fields", JSON_TYPE, nullable=False),
        sa.Column("changed_by", sa.String(length=64), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_changes_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["import_batch_id"],
            ["import_batches.id"],
            name=op.f("fk_submission_changes_import_batch_id_import_batches"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_changes")),
    )
    with op.batch_alter_table("submission_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_changes_submission_id"), ["submission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_changes_import_batch_id"), ["import_batch_id"], unique=False)


def downgrade() -> None:
    # Columns dropped in place (SQLite >= 3.35 and PostgreSQL both can): a batch rebuild of submissions would
    # drop the table under the rows that refer to it (and SQLite refuses it while the table is in use).
    op.drop_index("ix_submission_changes_import_batch_id", table_name="submission_changes")
    op.drop_index("ix_submission_changes_submission_id", table_name="submission_changes")
    op.drop_table("submission_changes")
    op.execute("ALTER TABLE import_mappings DROP COLUMN key_column")
    op.drop_index("ix_submissions_source_key", table_name="submissions")
    op.execute("ALTER TABLE submissions DROP COLUMN source_key")
