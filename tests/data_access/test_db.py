"""The database layer on both backends: constraints, transactions, migrations."""

import logging
import re

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError

from data_access.db import Database
from data_access.migrate import current_revision, head_revision
from data_access.models import Review, ReviewScore, utcnow
from tests.factories import make_submission, make_user
from tests.support.schema import schema_differences


def test_migrations_reach_head_and_match_the_models(db):
    assert current_revision(db) == head_revision(db)
    assert schema_differences(db.engine) == []  # tables, columns and indexes


def test_the_schema_comparison_sees_a_missing_index(db):
    with db.engine.begin() as conn:
        conn.execute(text("CREATE INDEX ix_extra_probe ON reviews (status)"))
        conn.execute(text("DROP INDEX ix_submissions_import_batch_id"))
    assert sorted(schema_differences(db.engine)) == [
        "index ('ix_extra_probe', ('status',), False) on reviews is only in the database",
        "index ('ix_submissions_import_batch_id', ('import_batch_id',), False) on submissions is missing from the database",
    ]


@pytest.mark.parametrize("score", [0, 6, -1, 100])
def test_database_refuses_scores_outside_the_scale(db, call_config, score):
    with db.write() as s:
        reviewer = make_user(s)
        sub = make_submission(s, call_config)
        review = Review(
            submission_id=sub,
            reviewer_id=reviewer.user_id,
            status="draft",
            comment="",
            version=1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        s.add(review)
        s.flush()
        review_id = review.id
    with pytest.raises(IntegrityError), db.write() as s:
        s.add(ReviewScore(review_id=review_id, criterion="promise", score=score))


def test_database_accepts_cannot_judge_and_scale_scores(db, call_config):
    with db.write() as s:
        reviewer = make_user(s)
        sub = make_submission(s, call_config)
        review = Review(
            submission_id=sub,
            reviewer_id=reviewer.user_id,
            status="draft",
            comment="",
            version=1,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        review.scores = [
            ReviewScore(criterion="promise", score=None),
            ReviewScore(criterion="evidence_strength", score=5),
        ]
        s.add(review)
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM review_scores")).scalar() == 2


def test_database_refuses_a_review_without_a_reviewer(db, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config)
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(
            text(
                "INSERT INTO reviews (submission_id, reviewer_id, status, comment, version, created_at, "
                "updated_at) VALUES (:s, NULL, 'draft', '', 1, :t, :t)"
            ),
            {"s": sub, "t": utcnow()},
        )


def test_database_refuses_a_review_of_no_submission(db):
    with db.write() as s:
        reviewer = make_user(s)
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(
            text(
                "INSERT INTO reviews (submission_id, reviewer_id, status, comment, version, created_at, "
                "updated_at) VALUES (999999, :r, 'draft', '', 1, :t, :t)"
            ),
            {"r": reviewer.user_id, "t": utcnow()},
        )


def test_database_refuses_an_unknown_role(db):
    with pytest.raises(IntegrityError), db.write() as s:
        s.execute(
            text(
                "INSERT INTO users (username, name, role, password_hash, active, sessions_valid_after, "
                "created_at, updated_at) VALUES ('x1', 'X', 'superuser', 'h', true, :t, :t, :t)"
            ),
            {"t": utcnow()},
        )


def test_a_failed_unit_of_work_writes_nothing(db, call_config):
    with pytest.raises(RuntimeError), db.write() as s:
        make_submission(s, call_config)
        raise RuntimeError("boom")
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM submissions")).scalar() == 0
        assert s.execute(text("SELECT count(*) FROM audit_log")).scalar() == 0


def test_read_units_never_commit(db, call_config):
    with db.read() as s:
        make_submission(s, call_config)
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM submissions")).scalar() == 0


def test_sqlite_uses_wal_busy_timeout_foreign_keys_and_immediate_writes(sqlite_url):
    db = Database(sqlite_url)
    statements = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, stmt, *a: statements.append(stmt))
    with db.write() as s:
        s.execute(text("SELECT 1"))
    with db.read() as s:
        assert s.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert s.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
        assert s.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert "BEGIN IMMEDIATE" in statements
    assert "BEGIN DEFERRED" in statements
    db.dispose()


def test_times_come_back_timezone_aware(db, call_config):
    with db.write() as s:
        user = make_user(s)
    with db.read() as s:
        from data_access.users import get_user

        assert get_user(s, user.user_id).created_at.tzinfo is not None


def test_a_read_only_sqlite_uri_reads_refuses_writes_plainly_and_makes_no_folders(sqlite_url, tmp_path, monkeypatch):
    from data_access.db import describe_operational_error, is_database_unavailable

    monkeypatch.chdir(tmp_path)
    path = sqlite_url.removeprefix("sqlite:///")
    db = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        with db.read() as s:
            assert s.execute(text("SELECT count(*) FROM users")).scalar() == 0
        with pytest.raises(Exception) as refused, db.write() as s:
            s.execute(text("INSERT INTO call_state (key, value, updated_by, updated_at) VALUES ('k', '1', 'x', '')"))
        assert is_database_unavailable(refused.value)
        assert "read-only" in describe_operational_error(refused.value)
    finally:
        db.dispose()
    assert not (tmp_path / "file:").exists()


MARKER = "access-needs-MARKER-7f3a"  # a value someone wrote, that no error or log may repeat
_INSERT_USER = (
    "INSERT INTO users (username, name, role, password_hash, active, sessions_valid_after, created_at, updated_at) "
    "VALUES (:username, :name, 'office', :hash, true, :t, :t, :t)"
)


def _failing_inserts(db):
    """A duplicate username (the row's values beside the key) and a missing column (PostgreSQL's DETAIL
    repeats the whole failing row), each carrying the marker in its bound parameters."""
    with db.write() as s:
        s.execute(text(_INSERT_USER), {"username": "taken", "name": "A", "hash": "h", "t": utcnow()})
    rows = [
        {"username": "taken", "name": MARKER, "hash": MARKER, "t": utcnow()},
        {"username": "fresh", "name": MARKER, "hash": None, "t": utcnow()},
    ]
    errors = []
    for row in rows:
        with pytest.raises(IntegrityError) as caught, db.write() as s:
            s.execute(text(_INSERT_USER), row)
        errors.append(caught.value)
    return errors


def test_a_database_error_and_the_statement_log_never_carry_the_values_written(db_url, caplog):
    # At INFO SQLAlchemy logs every statement with its parameters unless the engine hides them.
    with caplog.at_level(logging.INFO, logger="sqlalchemy.engine"):
        db = Database(db_url)
        try:
            errors = _failing_inserts(db)
        finally:
            db.dispose()
    assert "INSERT INTO users" in caplog.text  # the statements were logged
    assert MARKER not in caplog.text
    for error in errors:
        assert "INSERT INTO users" in str(error)
        # PostgreSQL's own DETAIL may repeat the row (the project's logger redacts that: below);
        # what SQLAlchemy adds, the bound parameters, is hidden.
        assert "SQL parameters hidden" in str(error)
        assert MARKER not in str(error).split("[SQL:", 1)[1]


def test_the_project_log_redacts_a_database_error_even_where_the_database_repeats_values(db, caplog):
    errors = _failing_inserts(db)
    log = logging.getLogger("evidence_review")
    with caplog.at_level(logging.ERROR, logger="evidence_review"):
        for error in errors:
            try:
                raise RuntimeError("the page failed") from error
            except RuntimeError as chained:
                log.error("page error [ref]", exc_info=chained)
    logged = caplog.text
    assert MARKER not in logged
    assert all(record.exc_info is None for record in caplog.records)
    # What is needed to find the fault is still there: where, which constraint, which statement.
    assert logged.count("Traceback (most recent call last)") == 6  # driver error, SQLAlchemy error, the page's
    assert "RuntimeError: the page failed" in logged
    assert re.search(r"uq_users_username|UNIQUE constraint failed: users\.username", logged)
    assert re.search(r"not-null constraint|NOT NULL constraint failed: users\.password_hash", logged)
    assert "[SQL: INSERT INTO users" in logged
    assert "_failing_inserts" in logged
