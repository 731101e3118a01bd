"""Reviewers' expertise and bids (issue 18, `data_access.expertise`): tables
of the data model kept beside `data_access.models` (imported at its end, so
that `Base.metadata` holds them), with migration 0013.

A "conflict" bid is not stored here: it is a declared conflict of interest
(`conflicts_of_interest`), through `data_access.assignments.declare_conflict`.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import Base, UTCDateTime, _in, utcnow

BID_LEVELS = ("eager", "willing", "rather_not")


class ReviewerExpertise(Base):
    """One theme or focus area (a taxonomy key) a reviewer knows well."""

    __tablename__ = "reviewer_expertise"

    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class SubmissionBid(Base):
    """A reviewer's wish about reviewing one submission (eager, willing,
    rather not); theirs alone: nobody else reads it, the admin sees counts."""

    __tablename__ = "submission_bids"
    __table_args__ = (CheckConstraint(_in("level", BID_LEVELS), name="level_known"),)

    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    submission_id: Mapped[int] = mapped_column(
        ForeignKey("submissions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
