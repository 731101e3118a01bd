"""The models of the panel's judgement (issue 18): discussion posts, expertise and bids, decisions.

Part of the data model in `data_access.models` (same `Base`), imported there.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import Base, UTCDateTime, utcnow


class DiscussionPost(Base):
    """Issue 18: a post in the panel's discussion of a submission (`data_access.discussion`), append-only;
    `author_role` is the author's role when they posted (how reviewers see the post labelled)."""

    __tablename__ = "discussion_posts"
    __table_args__ = (CheckConstraint("length(body) >= 1", name="body_not_empty"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    author_role: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
