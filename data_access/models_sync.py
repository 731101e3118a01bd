"""Keeping in step with re-exports (issue 19, `data_access.submission_changes`): one table,
`submission_changes`, one row per submission an import changed: when, which fields (names only,
never values), by which import batch. It says "Changed since your review" to a reviewer whose
review was last saved before it, and marks the submission for the admin.

Part of the data model (`data_access.models` imports it at its end; import it from there). Kept in
a module of its own only so that models.py stays within the size a source file may have.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from data_access.models import Base, JSONType, UTCDateTime, utcnow


class SubmissionChange(Base):
    """An import changed a submission's `fields` (template field names) at `changed_at`."""

    __tablename__ = "submission_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    import_batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL"), index=True
    )
    fields: Mapped[list[Any]] = mapped_column(JSONType, default=list)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
