"""The models of the programme: sign-offs, sessions, invitations and reply links (issue 17).

Part of the data model in `data_access.models` (same `Base`), imported there.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import PRESENTATION_FORMATS, Base, JSONType, UTCDateTime, _in, utcnow

INVITATION_STATUSES = ("pending", "accepted", "declined")


class LineUpSignOff(Base):
    """One version of a saved line-up, signed off by the office or the admin
    (`data_access.invitations.sign_off`). The members are kept as they were
    signed off (submission id and format), so the signed-off line-up is frozen:
    a later save of the line-up is a new version, which needs its own sign-off."""

    __tablename__ = "line_up_signoffs"
    __table_args__ = (
        UniqueConstraint("line_up_id", "version", name="uq_line_up_signoffs_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_up_id: Mapped[int] = mapped_column(ForeignKey("line_ups.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    members: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    signed_off_by: Mapped[str] = mapped_column(String(64))
    signed_off_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ProgrammeSession(Base):
    """A session of the conference programme (title, time, format, places, room
    and/or online link, chair, optional theme: `scoring.programme.ProgrammeSession`);
    presenters are placed in sessions through `presenter_invitations.session_id`."""

    __tablename__ = "programme_sessions"
    __table_args__ = (
        CheckConstraint("length(trim(title)) > 0", name="title_present"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("format IN ('in_person', 'online', 'hybrid')", name="format_known"),
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    format: Mapped[str] = mapped_column(String(16))  # "in_person", "online" or "hybrid"
    capacity: Mapped[int] = mapped_column(Integer)  # the most presenters
    room: Mapped[str] = mapped_column(String(200), default="")  # in person and hybrid
    online_link: Mapped[str] = mapped_column(String(500), default="")  # online and hybrid: https://
    theme: Mapped[str | None] = mapped_column(String(64), nullable=True)  # a taxonomy theme key, set by hand
    chair: Mapped[str] = mapped_column(String(200), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)


class PresenterInvitation(Base):
    """An invitation to present, for one submission of a signed-off line-up
    (`data_access.invitations`): the format offered, the date to reply by, and
    the reply (accepted in person or virtually, or declined; access needs, a
    note, when and by whom). `version` goes up with every change (optimistic
    lock). `session_id` and `session_position` place the presenter in the programme."""

    __tablename__ = "presenter_invitations"
    __table_args__ = (
        UniqueConstraint("line_up_id", "submission_id", name="uq_presenter_invitations_submission"),
        CheckConstraint(_in("status", INVITATION_STATUSES), name="status_known"),
        CheckConstraint(_in("format_offered", PRESENTATION_FORMATS), name="format_offered_known"),
        CheckConstraint(
            "reply_format IS NULL OR " + _in("reply_format", PRESENTATION_FORMATS), name="reply_format_known"
        ),
        CheckConstraint("(status = 'accepted') = (reply_format IS NOT NULL)", name="accepted_has_format"),
        CheckConstraint("status = 'pending' OR replied_at IS NOT NULL", name="reply_has_time"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_up_id: Mapped[int] = mapped_column(ForeignKey("line_ups.id", ondelete="CASCADE"), index=True)
    signoff_id: Mapped[int] = mapped_column(ForeignKey("line_up_signoffs.id", ondelete="CASCADE"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    format_offered: Mapped[str] = mapped_column(String(16))
    reply_by: Mapped[dt.date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    reply_format: Mapped[str | None] = mapped_column(String(16))
    access_needs: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    replied_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    replied_by: Mapped[str | None] = mapped_column(String(64))
    outbox_message_id: Mapped[int | None] = mapped_column(
        ForeignKey("outbox_messages.id", ondelete="SET NULL"), index=True
    )
    invited_by: Mapped[str] = mapped_column(String(64))
    invited_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    session_id: Mapped[int | None] = mapped_column(ForeignKey("programme_sessions.id", ondelete="SET NULL"), index=True)
    session_position: Mapped[int | None] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer, default=1)


class InvitationToken(Base):
    """A presenter's personal reply link (`data_access.invitations`): only the
    SHA-256 of its random token is stored; it works once (`used_at`), until
    `expires_at` (the end of the invitation's reply-by day)."""

    __tablename__ = "invitation_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    invitation_id: Mapped[int] = mapped_column(ForeignKey("presenter_invitations.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(64))
