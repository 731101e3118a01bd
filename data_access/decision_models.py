"""The panel's decisions (issue 18, `data_access.decisions`): one table, `panel_decisions`.

Part of the data model (`data_access.models` imports it at its end; import it from there). Kept in
a module of its own only so that models.py stays within the size a source file may have.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import Base, UTCDateTime, _in, utcnow

PANEL_DECISIONS = ("shortlisted", "not_shortlisted", "needs_more_reviews")


class PanelDecision(Base):
    """One decision of the panel on a submission, recorded by the admin with a reason
    (`data_access.decisions`). A submission's rows are numbered 1, 2, ... (`version`,
    unique per submission: the optimistic lock); the highest is the current decision,
    the earlier ones its history (a change is a new row, never an edit)."""

    __tablename__ = "panel_decisions"
    __table_args__ = (
        UniqueConstraint("submission_id", "version", name="uq_panel_decisions_version"),
        CheckConstraint(_in("decision", PANEL_DECISIONS), name="decision_known"),
        CheckConstraint("length(trim(reason)) > 0", name="reason_present"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    decision: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
