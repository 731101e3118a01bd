"""Indexes on two foreign keys that are looked up but had none:
submissions.import_batch_id and duplicate_flags.other_submission_id.

An import reads its new submissions back by `import_batch_id`; erasing a
submission deletes the duplicate flags that name it on either side (the
query, and the ON DELETE CASCADE, look up `other_submission_id`). Without
these indexes each of those is a scan of the whole table (SQLite scans the
child table for every parent row deleted). tests/data_access/test_indexes.py
checks with EXPLAIN that both databases use them.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 16:00:00
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submissions_import_batch_id"), ["import_batch_id"], unique=False)
    with op.batch_alter_table("duplicate_flags", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_flags_other_submission_id"), ["other_submission_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("duplicate_flags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_duplicate_flags_other_submission_id"))
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submissions_import_batch_id"))
