"""`manage.py backup` taken while reviewers keep saving restores to a
consistent database that reflects one moment.

Reviewer threads save and submit their reviews through
`data_access.reviews.save_review` (one unit of work each, as the pages do)
before, during and after the backup. The backup is restored into a fresh
database (SQLite: the file itself; PostgreSQL: `pg_restore` of the custom
format into a new database, which re-creates and so re-checks every foreign
key) and checked:

* the database's own checks pass (SQLite integrity and foreign-key checks);
* every score belongs to a review, every submitted review has its time;
* every review agrees with the audit log written in the same transaction:
  its version is the number of saves recorded for it, and its values, scores
  included, are those of the last one. A backup that copied the reviews at
  one moment and the audit log or the scores at another would fail here;
* the backup's audit entries are entries the database really had, and on
  SQLite (where commit order is id order) exactly its first N entries;
* saves were committed while the backup ran, and the saves after it are not
  in it.
"""

from __future__ import annotations

import secrets
import sqlite3
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import select

from data_access.db import Database
from data_access.models import Assignment, AuditEntry, ConflictOfInterest, ImportBatch, Review, ReviewScore, User
from data_access.reviews import ReviewDraft, save_review
from tests.test_manage import manage_process

SAVERS = 4
REVIEW_ACTIONS = ("review.save_draft", "review.submit", "review.reopen")
BLOB_BYTES = 6 * 1024 * 1024  # the stored original of an earlier large import: > 1,024 pages


class Savers:
    """Reviewer threads saving their reviews in a loop until stopped."""

    def __init__(self, db: Database, config, reviewers: dict[int, tuple[str, list[int]]]) -> None:
        self.db = db
        self.config = config
        self.stop = threading.Event()
        self.commits: list[float] = []  # monotonic time of each committed save
        self.errors: list[Exception] = []
        self.threads = [
            threading.Thread(target=self._run, args=(rid, name, subs), daemon=True)
            for rid, (name, subs) in reviewers.items()
        ]

    def _run(self, reviewer_id: int, username: str, submissions: list[int]) -> None:
        c = self.config
        versions: dict[int, int] = {}
        with self.db.read() as s:
            for sid, version in s.execute(
                select(Review.submission_id, Review.version).where(Review.reviewer_id == reviewer_id)
            ):
                versions[sid] = version
        i = 0
        try:
            while not self.stop.is_set():
                sid = submissions[i % len(submissions)]
                i += 1
                submit = i % 3 == 0
                draft = ReviewDraft(
                    scores={criterion: 1 + (i + k) % 5 for k, criterion in enumerate(c.criterion_ids)},
                    comment=f"{username}, save {i}: {secrets.token_hex(8)}",
                    recommendation=c.recommendations.ids[i % len(c.recommendations.ids)],
                    confidence=c.confidence_levels.ids[i % len(c.confidence_levels.ids)],
                )
                with self.db.write() as s:
                    record = save_review(
                        s,
                        submission_id=sid,
                        reviewer_id=reviewer_id,
                        actor=username,
                        draft=draft,
                        submit=submit,
                        expected_version=versions.get(sid, 0),
                        config=c,
                    )
                versions[sid] = record.version
                self.commits.append(time.monotonic())
                time.sleep(0.005)
        except Exception as exc:  # noqa: BLE001 - reported by the test (Savers.finish)
            self.errors.append(exc)

    def start(self) -> None:
        for t in self.threads:
            t.start()

    def wait_for(self, n: int, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while len(self.commits) < n:
            assert not self.errors, self.errors
            assert time.monotonic() < deadline, f"only {len(self.commits)} saves in {timeout} s"
            time.sleep(0.01)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=60)
        assert not self.errors, self.errors


def reviewers_with_work(db: Database) -> dict[int, tuple[str, list[int]]]:
    """The demo reviewers with the submissions they may review (assigned, no conflict)."""
    with db.read() as s:
        conflicts = set(s.execute(select(ConflictOfInterest.reviewer_id, ConflictOfInterest.submission_id)).all())
        names = dict(s.execute(select(User.id, User.username).where(User.role == "reviewer")).all())
        work: dict[int, list[int]] = defaultdict(list)
        for rid, sid in s.execute(
            select(Assignment.reviewer_id, Assignment.submission_id).order_by(Assignment.submission_id)
        ):
            if (rid, sid) not in conflicts:
                work[rid].append(sid)
    chosen = sorted(work, key=lambda rid: names[rid])[:SAVERS]
    return {rid: (names[rid], work[rid]) for rid in chosen}


def add_large_stored_file(db: Database) -> None:
    with db.write() as s:
        s.add(
            ImportBatch(
                filename="large-earlier-import.csv",
                sha256="0" * 64,
                size_bytes=BLOB_BYTES,
                content=secrets.token_bytes(BLOB_BYTES),
                imported_by="manage.py",
                counts={},
                changes=[],
            )
        )


def audit_entries(db: Database) -> dict[int, tuple]:
    with db.read() as s:
        return {
            row.id: (row.action, row.entity, row.entity_id, row.new)
            for row in s.execute(
                select(AuditEntry.id, AuditEntry.action, AuditEntry.entity, AuditEntry.entity_id, AuditEntry.new)
            )
        }


def check_consistent(backup: Database, source_audit: dict[int, tuple], *, commit_ordered: bool) -> int:
    """The checks of the module docstring on a restored backup; returns its number of audit entries."""
    with backup.read() as s:
        review_ids = {r[0] for r in s.execute(select(Review.id))}
        orphans = [r for r in s.execute(select(ReviewScore.review_id)) if r[0] not in review_ids]
        assert not orphans, f"scores without their review: {orphans[:5]}"
        reviews = {
            r.id: r
            for r in s.execute(
                select(
                    Review.id,
                    Review.status,
                    Review.comment,
                    Review.recommendation,
                    Review.confidence,
                    Review.version,
                    Review.submitted_at,
                )
            )
        }
        scores: dict[int, dict] = defaultdict(dict)
        for rid, criterion, score in s.execute(select(ReviewScore.review_id, ReviewScore.criterion, ReviewScore.score)):
            scores[rid][criterion] = score
    audit = audit_entries(backup)
    # nothing invented: every entry is one the database had, unchanged
    assert all(source_audit.get(i) == entry for i, entry in audit.items())
    if commit_ordered:
        assert sorted(audit) == list(range(1, len(audit) + 1)), "the backup's audit log is not a prefix"
    saves: dict[int, list[tuple]] = defaultdict(list)
    for i in sorted(audit):
        action, entity, entity_id, new = audit[i]
        if entity == "review" and action in REVIEW_ACTIONS:
            saves[int(entity_id)].append((action, new))
    assert set(saves) == set(reviews)
    for rid, row in reviews.items():
        assert (row.status == "submitted") == (row.submitted_at is not None), rid
        assert row.version == len(saves[rid]), (rid, row.version, len(saves[rid]))
        action, new = saves[rid][-1]
        if action != "review.reopen":
            assert new["status"] == row.status and new["comment"] == row.comment, rid
            assert (new["recommendation"], new["confidence"]) == (row.recommendation, row.confidence), rid
            assert new["scores"] == scores.get(rid, {}), rid
    return len(audit)


def run_backup_during_saves(populated, call_config, target: Path, db_url: str) -> tuple[Savers, float, float]:
    savers = Savers(populated, call_config, reviewers_with_work(populated))
    savers.start()
    savers.wait_for(20)
    started = time.monotonic()
    # A real `python manage.py backup` process, as an operator runs it beside the app: not a thread of the savers' process.
    result = manage_process("backup", str(target), db_url=db_url)
    ended = time.monotonic()
    assert result.returncode == 0, result.stderr
    at_end = len(savers.commits)
    savers.wait_for(at_end + 10)  # and they go on saving after it
    savers.finish()
    during = sum(started <= t <= ended for t in savers.commits)
    assert during > 0, "no save was committed while the backup ran"
    return savers, started, ended


def test_a_backup_taken_while_reviewers_save_restores_to_one_consistent_moment(
    populated, call_config, tmp_path, request
):
    db = populated
    add_large_stored_file(db)
    target = tmp_path / ("backup.db" if db.dialect == "sqlite" else "backup.dump")
    run_backup_during_saves(db, call_config, target, db.url)
    source_audit = audit_entries(db)

    if db.dialect == "sqlite":
        with sqlite3.connect(target) as raw:
            assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
        restored = Database(f"sqlite:///{target}")
    else:
        cluster = request.getfixturevalue("pg_cluster")
        name = cluster.create_database(from_template=False)
        request.addfinalizer(lambda: cluster.drop_database(name))
        result = subprocess.run(
            ["pg_restore", "--exit-on-error", "--no-owner", f"--dbname={cluster.dsn(name)}", str(target)],
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr
        restored = Database(cluster.url(name))
    try:
        in_backup = check_consistent(restored, source_audit, commit_ordered=db.dialect == "sqlite")
        with restored.read() as s:
            assert s.scalar(select(ImportBatch.size_bytes).where(ImportBatch.filename.like("large%"))) == BLOB_BYTES
    finally:
        restored.dispose()
    assert in_backup < len(source_audit), "the saves made after the backup should not be in it"
