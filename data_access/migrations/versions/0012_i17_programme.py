"""From line-up to programme (issue 17, `data_access.invitations`):
line_up_signoffs (a version of a line-up signed off, its members frozen),
programme_sessions (for placing presenters), presenter_invitations (one per
submission of a signed-off line-up: format offered, reply-by date, the reply,
and the session it is placed in) and invitation_tokens (each presenter's
reply link: only the SHA-256 of its token, used once, until it expires).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 01:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "line_up_signoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_up_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("members", JSON_TYPE, nullable=False),
        sa.Column("signed_off_by", sa.String(length=64), nullable=False),
        sa.Column("signed_off_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("version >= 1", name=op.f("ck_line_up_signoffs_version_positive")),
        sa.ForeignKeyConstraint(
            ["line_up_id"], ["line_ups.id"], name=op.f("fk_line_up_signoffs_line_up_id_line_ups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_up_signoffs")),
        sa.UniqueConstraint("line_up_id", "version", name="uq_line_up_signoffs_version"),
    )
    with op.batch_alter_table("line_up_signoffs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_line_up_signoffs_line_up_id"), ["line_up_id"], unique=False)

    op.create_table(
        "programme_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("format", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        sa.Column("room", sa.String(length=200), nullable=False),
        sa.Column("online_link", sa.String(length=500), nullable=False),
        sa.Column("theme", sa.String(length=64), nullable=True),
        sa.Column("chair", sa.String(length=200), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint("length(trim(title)) > 0", name=op.f("ck_programme_sessions_title_present")),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_programme_sessions_ends_after_start")),
        sa.CheckConstraint(
            "format IN ('in_person', 'online', 'hybrid')", name=op.f("ck_programme_sessions_format_known")
        ),
        sa.CheckConstraint("capacity >= 1", name=op.f("ck_programme_sessions_capacity_positive")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_programme_sessions_version_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_sessions")),
    )

    op.create_table(
        "presenter_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_up_id", sa.Integer(), nullable=False),
        sa.Column("signoff_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("format_offered", sa.String(length=16), nullable=False),
        sa.Column("reply_by", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("reply_format", sa.String(length=16), nullable=True),
        sa.Column("access_needs", sa.Text(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("replied_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("replied_by", sa.String(length=64), nullable=True),
        sa.Column("outbox_message_id", sa.Integer(), nullable=True),
        sa.Column("invited_by", sa.String(length=64), nullable=False),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("session_position", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined')", name=op.f("ck_presenter_invitations_status_known")
        ),
        sa.CheckConstraint(
            "format_offered IN ('in_person', 'virtual')", name=op.f("ck_presenter_invitations_format_offered_known")
        ),
        sa.CheckConstraint(
            "reply_format IS NULL OR reply_format IN ('in_person', 'virtual')",
            name=op.f("ck_presenter_invitations_reply_format_known"),
        ),
        sa.CheckConstraint(
            "(status = 'accepted') = (reply_format IS NOT NULL)",
            name=op.f("ck_presenter_invitations_accepted_has_format"),
        ),
        sa.CheckConstraint(
            "status = 'pending' OR replied_at IS NOT NULL", name=op.f("ck_presenter_invitations_reply_has_time")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_presenter_invitations_version_positive")),
        sa.ForeignKeyConstraint(
            ["line_up_id"],
            ["line_ups.id"],
            name=op.f("fk_presenter_invitations_line_up_id_line_ups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["signoff_id"],
            ["line_up_signoffs.id"],
            name=op.f("fk_presenter_invitations_signoff_id_line_up_signoffs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_presenter_invitations_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_messages.id"],
            name=op.f("fk_presenter_invitations_outbox_message_id_outbox_messages"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_presenter_invitations_session_id_programme_sessions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_presenter_invitations")),
        sa.UniqueConstraint("line_up_id", "submission_id", name="uq_presenter_invitations_submission"),
    )
    with op.batch_alter_table("presenter_invitations", schema=None) as batch_op:
        for column in ("line_up_id", "signoff_id", "submission_id", "outbox_message_id", "session_id"):
            batch_op.create_index(batch_op.f(f"ix_presenter_invitations_{column}"), [column], unique=False)

    op.create_table(
        "invitation_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("invitation_id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["invitation_id"],
            ["presenter_invitations.id"],
            name=op.f("fk_invitation_tokens_invitation_id_presenter_invitations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_tokens")),
        sa.UniqueConstraint("token_sha256", name=op.f("uq_invitation_tokens_token_sha256")),
    )
    with op.batch_alter_table("invitation_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_invitation_tokens_invitation_id"), ["invitation_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("invitation_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_invitation_tokens_invitation_id"))
    op.drop_table("invitation_tokens")
    with op.batch_alter_table("presenter_invitations", schema=None) as batch_op:
        for column in ("session_id", "outbox_message_id", "submission_id", "signoff_id", "line_up_id"):
            batch_op.drop_index(batch_op.f(f"ix_presenter_invitations_{column}"))
    op.drop_table("presenter_invitations")
    op.drop_table("programme_sessions")
    with op.batch_alter_table("line_up_signoffs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_line_up_signoffs_line_up_id"))
    op.drop_table("line_up_signoffs")
