"""A submission's import history, for the admin (the Submissions page): each
import that added or updated it (file, who, when, its header row and how it
was chosen, the row of the file) and each cell of its row a person corrected
in place (column, the file's text, the new value, who, when).

The imports are found through the submission's own `import_batch_id` and its
`submission.update` audit entries written by imports ("import batch N, row
R"); only those batches' change lists are read."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import AuditEntry, ImportBatch, Submission

_BATCH = re.compile(r"^import batch (\d+)\b")


@dataclass(frozen=True)
class ImportStep:
    batch_id: int
    filename: str
    imported_by: str
    imported_at: dt.datetime
    action: str  # "added" or "updated"
    row: int | None
    header_row: int | None  # None for imports made before the header row was kept
    header_row_from: str | None  # "found", "guessed" or "picked"
    corrections: list[dict[str, Any]] = field(default_factory=list)  # field, column, original, new, by, at


def import_history(session: Session, *, submission_id: int) -> list[ImportStep]:
    """The imports that added or updated the submission, oldest first."""
    batch_ids = set(session.scalars(select(Submission.import_batch_id).where(Submission.id == submission_id))) - {None}
    for detail in session.scalars(
        select(AuditEntry.detail).where(
            AuditEntry.entity == "submission",
            AuditEntry.entity_id == str(submission_id),
            AuditEntry.action.in_(("submission.create", "submission.update")),
        )
    ):
        if match := _BATCH.match(detail or ""):
            batch_ids.add(int(match[1]))
    steps = []
    for batch in session.scalars(select(ImportBatch).where(ImportBatch.id.in_(batch_ids)).order_by(ImportBatch.id)):
        changes = batch.changes or []
        read = changes[0] if changes and changes[0].get("action") == "read" else {}
        mine = [c for c in changes if c.get("submission_id") == submission_id]
        done = next((c for c in mine if c.get("action") in ("added", "updated")), None)
        if done is None:
            continue
        corrected = next((c.get("corrections") for c in mine if c.get("action") == "corrected"), None)
        steps.append(
            ImportStep(
                batch_id=batch.id,
                filename=batch.filename,
                imported_by=batch.imported_by,
                imported_at=batch.imported_at,
                action=done["action"],
                row=done.get("row"),
                header_row=read.get("header_row"),
                header_row_from=read.get("header_row_from"),
                corrections=_corrections(corrected),
            )
        )
    return steps


def _corrections(corrected: Any) -> list[dict[str, Any]]:
    """The kept corrections as rows; one erased under the privacy rules shows as such."""
    if not isinstance(corrected, dict):
        return []
    out = []
    for name, c in corrected.items():
        if isinstance(c, dict):
            out.append({"field": name, **c})
        else:
            out.append({"field": name, "column": "", "original": c, "new": c, "by": "", "at": ""})
    return out
