"""document_contents and submission_documents: evidence documents attached to
submissions (issue 15, `data_access.documents`). Contents are stored once per
SHA-256; a document row points at its original (admin-only) and at the copy
reviewers see (metadata removed, or the admin's redacted version), and holds
that copy's text for reading and search.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KINDS = ("pdf", "docx", "pptx", "xlsx", "odt", "text", "png", "jpeg")  # documents.kinds.KINDS when written


def upgrade() -> None:
    op.create_table(
        "document_contents",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint("length(sha256) = 64", name=op.f("ck_document_contents_sha256_length")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_document_contents_size_not_negative")),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_document_contents")),
    )
    op.create_table(
        "submission_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("reviewer_sha256", sa.String(length=64), nullable=False),
        sa.Column("redacted", sa.Boolean(), nullable=False),
        sa.Column("removed", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_truncated", sa.Boolean(), nullable=False),
        sa.Column("text_note", sa.Text(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("uploaded_by", sa.String(length=200), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("redacted_by", sa.String(length=200), nullable=True),
        sa.Column("redacted_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("position >= 1", name=op.f("ck_submission_documents_position_positive")),
        sa.CheckConstraint("size >= 0", name=op.f("ck_submission_documents_size_not_negative")),
        sa.CheckConstraint(
            "kind IN (" + ", ".join(repr(k) for k in KINDS) + ")", name=op.f("ck_submission_documents_kind_known")
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_submission_documents_submission_id_submissions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["original_sha256"],
            ["document_contents.sha256"],
            name=op.f("fk_submission_documents_original_sha256_document_contents"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_sha256"],
            ["document_contents.sha256"],
            name=op.f("fk_submission_documents_reviewer_sha256_document_contents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_submission_documents")),
        sa.UniqueConstraint("submission_id", "original_sha256", name="uq_submission_documents_original"),
    )
    with op.batch_alter_table("submission_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_documents_submission_id"), ["submission_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_documents_original_sha256"), ["original_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_submission_documents_reviewer_sha256"), ["reviewer_sha256"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submission_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_documents_reviewer_sha256"))
        batch_op.drop_index(batch_op.f("ix_submission_documents_original_sha256"))
        batch_op.drop_index(batch_op.f("ix_submission_documents_submission_id"))
    op.drop_table("submission_documents")
    op.drop_table("document_contents")
