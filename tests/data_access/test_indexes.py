"""The indexes of migration 0002 are used by the queries they are for, on both
databases (EXPLAIN), and without them those queries scan the whole table."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, insert, or_, select, text

from data_access.models import DuplicateFlag, ImportBatch, Submission

BATCHES = 20
PER_BATCH = 100


def populate(db) -> None:
    """2,000 imported submissions in 20 files, a duplicate flag on most of them."""
    now = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    with db.write() as s:
        s.execute(
            insert(ImportBatch.__table__),
            [
                {
                    "id": b,
                    "filename": f"file{b}.csv",
                    "sha256": f"{b:064x}",
                    "size_bytes": 1,
                    "imported_by": "manage.py",
                    "imported_at": now,
                    "counts": {},
                    "changes": [],
                }
                for b in range(1, BATCHES + 1)
            ],
        )
        s.execute(
            insert(Submission.__table__),
            [
                {
                    "id": i,
                    "reference": f"CFE-{i:05d}",
                    "title": f"Evidence {i}",
                    "summary": "",
                    "anonymous": False,
                    "import_batch_id": 1 + (i - 1) // PER_BATCH,
                    "created_at": now,
                    "updated_at": now,
                    "version": 1,
                }
                for i in range(1, BATCHES * PER_BATCH + 1)
            ],
        )
        s.execute(
            insert(DuplicateFlag.__table__),
            [
                {
                    "submission_id": i,
                    "other_submission_id": i + 1,
                    "reason": "same title",
                    "status": "open",
                    "created_at": now,
                }
                for i in range(1, BATCHES * PER_BATCH, 2)
            ],
        )
    with db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def plan(db, stmt) -> str:
    sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
    with db.engine.connect() as conn:
        if db.dialect == "sqlite":
            return "\n".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
        return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {sql}"))


# The import reads its new submissions back by batch; erasure counts (and
# cascades to) the duplicate flags naming a submission on either side.
QUERIES = {
    "ix_submissions_import_batch_id": select(Submission.reference, Submission.id).where(
        Submission.import_batch_id == 7
    ),
    "ix_duplicate_flags_other_submission_id": select(func.count(DuplicateFlag.id)).where(
        or_(DuplicateFlag.submission_id == 1234, DuplicateFlag.other_submission_id == 1234)
    ),
}


@pytest.mark.parametrize("index", sorted(QUERIES))
def test_the_query_uses_the_index_and_scans_without_it(db, index):
    populate(db)
    stmt = QUERIES[index]
    assert index in plan(db, stmt)
    with db.engine.begin() as conn:
        conn.execute(text(f"DROP INDEX {index}"))
    db.engine.dispose()  # SQLite connections keep prepared EXPLAINs, which do not see the change
    without = plan(db, stmt)
    assert index not in without
    assert ("SCAN" in without) if db.dialect == "sqlite" else ("Seq Scan" in without), without
