"""The whole data model of one call for evidence (SQLAlchemy 2 declarative).

Database constraints guard what must never be stored: a score outside 1..5, a
review without a reviewer or submission, a role or status outside its list, two
reviews by one reviewer of one submission. Coded taxonomy values are validated
against the call's configuration by the functions that write them (another call
may use other codes), and multi-valued fields live in `submission_codes`, one
row per value, never as comma-joined text.

Times are stored in UTC. Schema changes are Alembic migrations in
`data_access/migrations/versions/`; `tests/data_access/test_db.py`
checks that the models and the migrations agree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeEngine

from access.roles import ROLES
from documents.kinds import KINDS

REVIEW_STATUSES = ("draft", "submitted")
CODE_FIELDS = ("themes", "focus_areas", "exploitation_types", "evidence_forms")
CONFLICT_SOURCES = ("reviewer", "admin")
PRESENTATION_FORMATS: tuple[str, ...] = ("in_person", "virtual")
OUTBOX_STATUSES = ("queued", "sending", "sent", "failed", "cancelled")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC times")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Any) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


JSONType: TypeEngine[Any] = JSON().with_variant(JSONB(), "postgresql")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(str(v)) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role_known"),
        CheckConstraint("username = lower(username) AND length(username) >= 2", name="username_lower"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    organisation: Mapped[str | None] = mapped_column(String(300))
    capacity: Mapped[int | None] = mapped_column(Integer)
    # Sessions and cookies issued before this moment are no longer accepted.
    sessions_valid_after: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuthSession(Base):
    """A server-side record of each sign-in, so that cookies can be revoked."""

    __tablename__ = "auth_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str | None] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))


class LoginThrottle(Base):
    """Failed sign-ins per username (existing or not), with a time-based lock."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    first_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


PASSWORD_TOKEN_PURPOSES = ("invitation", "reset")


class PasswordToken(Base):
    """A one-time link to set a password (`data_access.tokens`): an invitation
    or a reset. Only the SHA-256 of the link's random token is stored; the
    link works once (`used_at`), until `expires_at`."""

    __tablename__ = "password_tokens"
    __table_args__ = (CheckConstraint(_in("purpose", PASSWORD_TOKEN_PURPOSES), name="purpose_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))


class ImportBatch(Base):
    __tablename__ = "import_batches"
    __table_args__ = (CheckConstraint("length(sha256) = 64", name="sha256_length"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(Integer)
    # The original file; emptied (and noted) only when a submission in it is erased.
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    content_removed_reason: Mapped[str | None] = mapped_column(Text)
    sheet: Mapped[str | None] = mapped_column(String(200))
    mapping_name: Mapped[str | None] = mapped_column(String(200))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    imported_by: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    counts: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    changes: Mapped[list[Any]] = mapped_column(JSONType, default=list)


class ImportMapping(Base):
    """A confirmed column mapping (and value mappings) saved for the next file."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    columns: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    key_column: Mapped[str | None] = mapped_column(Text)  # the source key's header (importing.source_key)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (
        CheckConstraint("length(trim(title)) > 0", name="title_present"),
        CheckConstraint("length(reference) > 0", name="reference_present"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(Text)
    received_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    organisation: Mapped[str | None] = mapped_column(Text)
    contact_name: Mapped[str | None] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    evidence_source: Mapped[str | None] = mapped_column(String(64))
    sector: Mapped[str | None] = mapped_column(String(64))
    nation: Mapped[str | None] = mapped_column(String(64))
    stage: Mapped[str | None] = mapped_column(String(64))
    reported_impact: Mapped[str | None] = mapped_column(String(64))
    presentation_preference: Mapped[str | None] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    # Versions of identity fields that name nobody, published by the admin for
    # reviewers who may not see the real ones ({field: text, "links": [text]}).
    redactions: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    contact_purged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # The form's response ID (or another key column) it was imported from: a re-export's row with the
    # same key updates it (importing.source_key). Unique: one response, one submission.
    source_key: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    codes: Mapped[list[SubmissionCode]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SubmissionCode.position"
    )
    links: Mapped[list[SubmissionLink]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="SubmissionLink.position"
    )


class SubmissionCode(Base):
    """One value of a multi-valued coded field (themes, focus areas, ...)."""

    __tablename__ = "submission_codes"
    __table_args__ = (
        CheckConstraint(_in("field", CODE_FIELDS), name="field_known"),
        Index("ix_submission_codes_field_code", "field", "code"),
    )

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    field: Mapped[str] = mapped_column(String(32), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class SubmissionLink(Base):
    __tablename__ = "submission_links"

    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    url: Mapped[str] = mapped_column(Text)


class SubmissionDetailView(Base):
    """Who opened a submission's detail on which (UTC) day: one row per person,
    submission and day, so that the audit log has one entry for them (the
    primary key makes two views at once write one)."""

    __tablename__ = "submission_views"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    first_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class DuplicateFlag(Base):
    """A likely duplicate found on import, left for a person to decide."""

    __tablename__ = "duplicate_flags"
    __table_args__ = (
        UniqueConstraint("submission_id", "other_submission_id", name="uq_duplicate_flags_pair"),
        CheckConstraint("submission_id <> other_submission_id", name="distinct_pair"),
        CheckConstraint(_in("status", ("open", "not_duplicate", "duplicate")), name="status_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    other_submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(20), default="open")
    import_batch_id: Mapped[int | None] = mapped_column(ForeignKey("import_batches.id", ondelete="SET NULL"))
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", name="uq_assignments_pair"),
        CheckConstraint(_in("source", ("auto", "manual")), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(10), default="manual")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ConflictOfInterest(Base):
    __tablename__ = "conflicts_of_interest"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", name="uq_conflicts_of_interest_pair"),
        CheckConstraint(_in("source", CONFLICT_SOURCES), name="source_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("submission_id", "reviewer_id", name="uq_reviews_pair"),
        CheckConstraint(_in("status", REVIEW_STATUSES), name="status_known"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("status <> 'submitted' OR submitted_at IS NOT NULL", name="submitted_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), index=True, nullable=False
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True, nullable=False)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    comment: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[str | None] = mapped_column(String(32))
    confidence: Mapped[str | None] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    scores: Mapped[list[ReviewScore]] = relationship(cascade="all, delete-orphan", passive_deletes=True)


class ReviewAutosave(Base):
    """A reviewer's input as they typed it, kept between saves (ui.autosave):
    one row per reviewer and submission, holding the form's values and the
    version of the review they started from. Never a review: nothing that
    ranks, exports or shows reviews reads it; a real save or submit deletes it."""

    __tablename__ = "review_autosaves"

    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    base_version: Mapped[int] = mapped_column(Integer, default=0)
    values: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    saved_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ReviewScore(Base):
    """One criterion of one review. `score` NULL means "cannot judge"."""

    __tablename__ = "review_scores"
    __table_args__ = (CheckConstraint("score IS NULL OR (score >= 1 AND score <= 5)", name="score_in_scale"),)

    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), primary_key=True)
    criterion: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[int | None] = mapped_column(Integer)


class LineUp(Base):
    """A saved presenter line-up with the rules it was solved under."""

    __tablename__ = "line_ups"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    rules: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    objective: Mapped[float | None] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    members: Mapped[list[LineUpMember]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="LineUpMember.position"
    )


class LineUpMember(Base):
    __tablename__ = "line_up_members"
    __table_args__ = (CheckConstraint(_in("format", PRESENTATION_FORMATS), name="format_known"),)

    line_up_id: Mapped[int] = mapped_column(ForeignKey("line_ups.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    format: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer, default=0)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)


class CallState(Base):
    """Small switches of the running call, e.g. whether reviewing is closed."""

    __tablename__ = "call_state"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AuditEntry(Base):
    """Who did what, when, with old and new values. Never updated in place,
    except to strip personal data when a submission is erased."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    old: Mapped[Any | None] = mapped_column(JSONType)
    new: Mapped[Any | None] = mapped_column(JSONType)
    detail: Mapped[str] = mapped_column(Text, default="")


class DataVersion(Base):
    """One row: a number that goes up, in the same transaction, with every
    unit of work (`Database.write`) that changed data people share. Caches of
    shared data are keyed by it (`audit.data_version`)."""

    __tablename__ = "data_version"
    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class TableVersion(Base):
    """One row per table: a number that goes up, in the same transaction, with every unit of work
    (`Database.write`) that wrote that table (or, through a foreign key's ON DELETE, changed its rows).
    Caches of data read from a few tables are keyed by those tables' numbers (`audit.tables_version`),
    so that a save elsewhere leaves them be. A row appears with the table's first write; none means 0.
    `table_name` "*" counts writes whose table could not be told (a WITH ... statement)."""

    __tablename__ = "table_versions"

    table_name: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, default=0)


class OutboxMessage(Base):
    """One message the app sends, stored before it is sent (`data_access.outbox`).

    Personal data: the recipient's address and the rendered bodies. Erasing a
    submission deletes its messages, and the retention purge deletes messages
    older than the retention period (`data_access.privacy`). The idempotency
    key (purpose and recipient, chosen by whoever queues) is unique, so the
    same message is queued once however often it is asked for."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("length(idempotency_key) > 0", name="key_present"),
        CheckConstraint("status <> 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), index=True)
    recipient_email: Mapped[str] = mapped_column(String(320))
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    submission_id: Mapped[int | None] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    template: Mapped[str | None] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(12), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    cancelled_by: Mapped[str | None] = mapped_column(String(64))


class MessageTemplate(Base):
    """A message template the admin edited (`data_access.templates`); a purpose
    with no row uses its default from `messages.templates`."""

    __tablename__ = "message_templates"
    __table_args__ = (
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint("length(trim(subject)) > 0", name="subject_present"),
        CheckConstraint("length(trim(body_text)) > 0", name="body_text_present"),
    )

    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class DocumentContent(Base):
    """The bytes of a document, stored once however many documents hold them
    (the key is their SHA-256). A row no `submission_documents` row refers to
    is deleted with the last document that did (`data_access.documents`)."""

    __tablename__ = "document_contents"
    __table_args__ = (
        CheckConstraint("length(sha256) = 64", name="sha256_length"),
        CheckConstraint("size >= 0", name="size_not_negative"),
    )

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class SubmissionDocument(Base):
    """One evidence document attached to a submission (issue 15, `data_access.documents`).

    The original (admin-only) and the copy reviewers see (metadata removed, or
    the admin's redacted version) are `document_contents` rows. `original_name`
    is the sender's text: shown to the admin only, never to a reviewer. `text`
    is the reviewer copy's text, for reading and search."""

    __tablename__ = "submission_documents"
    __table_args__ = (
        UniqueConstraint("submission_id", "original_sha256", name="uq_submission_documents_original"),
        CheckConstraint("position >= 1", name="position_positive"),
        CheckConstraint("size >= 0", name="size_not_negative"),
        CheckConstraint(_in("kind", tuple(KINDS)), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    original_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    original_sha256: Mapped[str] = mapped_column(ForeignKey("document_contents.sha256"), index=True)
    reviewer_sha256: Mapped[str] = mapped_column(ForeignKey("document_contents.sha256"), index=True)
    redacted: Mapped[bool] = mapped_column(Boolean, default=False)
    removed: Mapped[list[str] | None] = mapped_column(JSONType)
    text: Mapped[str] = mapped_column(Text, default="")
    text_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    text_note: Mapped[str | None] = mapped_column(Text)
    pages: Mapped[int | None] = mapped_column(Integer)
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    redacted_by: Mapped[str | None] = mapped_column(String(200))
    redacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


# The models of later issues live in their own modules (one declarative Base, one metadata); they are
# imported here so that `data_access.models` names every table and `Base.metadata` holds them all.
from data_access.bid_models import BID_LEVELS, ReviewerExpertise, SubmissionBid  # noqa: E402
from data_access.decision_models import PANEL_DECISIONS, PanelDecision  # noqa: E402
from data_access.models_panel import DiscussionPost  # noqa: E402
from data_access.models_programme import (  # noqa: E402
    INVITATION_STATUSES,
    InvitationToken,
    LineUpSignOff,
    PresenterInvitation,
    ProgrammeSession,
)
from data_access.models_sync import SubmissionChange  # noqa: E402

__all__ = [
    "BID_LEVELS",
    "INVITATION_STATUSES",
    "PANEL_DECISIONS",
    "DiscussionPost",
    "InvitationToken",
    "LineUpSignOff",
    "PanelDecision",
    "PresenterInvitation",
    "ProgrammeSession",
    "ReviewerExpertise",
    "SubmissionBid",
    "SubmissionChange",
]
