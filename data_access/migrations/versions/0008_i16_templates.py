"""message_templates: the message templates the admin edited (issue 16).

A purpose without a row uses its default wording from `messages.templates`;
`version` guards against two admins overwriting each other's edits.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_message_templates_version_positive")),
        sa.CheckConstraint("length(trim(subject)) > 0", name=op.f("ck_message_templates_subject_present")),
        sa.CheckConstraint("length(trim(body_text)) > 0", name=op.f("ck_message_templates_body_text_present")),
        sa.PrimaryKeyConstraint("purpose", name=op.f("pk_message_templates")),
    )


def downgrade() -> None:
    op.drop_table("message_templates")
