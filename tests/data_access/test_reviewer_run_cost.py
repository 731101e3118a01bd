"""What a reviewer's run of My reviews asks of the database does not grow with the call (issue 21).

A reviewer at 10,000 submissions has hundreds of assignments and the call tens
of thousands of codes: opening one submission, its documents and the queue's
themes must not read every assignment of the reviewer, nor walk every
submission's themes. Measured here as what the database returns (every SELECT
the function ran, run again and counted) and, for SQLite's planner, the plan.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import event, select

from access.roles import Role
from data_access.assignments import declare_conflict
from data_access.db import Database
from data_access.documents import list_documents
from data_access.models import Submission
from data_access.reviews import reviewer_queue
from data_access.submissions import AccessDenied, get_submission, reviewer_access, reviewer_access_to
from data_access.users import require_role
from tests.factories import assign, make_submission, make_user


def statements_of(db: Database, fn: Callable[[], object]) -> list[tuple[str, object]]:
    """The SELECT statements `fn` sent to the database, with their parameters."""
    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def rows_returned(db: Database, fn: Callable[[], object]) -> int:
    """How many rows the SELECTs `fn` ran return (each run again on its own connection)."""
    total = 0
    statements = statements_of(db, fn)
    with db.engine.connect() as conn:
        for statement, parameters in statements:
            total += len(conn.exec_driver_sql(statement, parameters).all())
    return total


def _call(db, call_config, assigned: int, name: str = "Rhea Reader", first: int = 1):
    """A reviewer with `assigned` submissions (the first one opened), one conflicted, one not theirs."""
    with db.write() as s:
        reviewer = make_user(s, name=name)
        numbers = range(first, first + assigned + 2)
        ids = [make_submission(s, call_config, reference=f"CFE-{n:04d}") for n in numbers]
        for sid in ids[:-1]:
            assign(s, sid, reviewer)
        declare_conflict(s, submission_id=ids[-2], reviewer_id=reviewer.user_id, actor="rhea", source="reviewer")
    return reviewer, ids


def _opening(db, call_config, reviewer, sid) -> Callable[[], object]:
    def run():
        with db.read() as s:
            get_submission(s, submission_id=sid, viewer=reviewer, config=call_config)
            list_documents(s, submission_id=sid, viewer=reviewer)

    return run


def test_opening_a_submission_reads_as_much_for_a_long_queue_as_for_a_short_one(db, call_config):
    short_reviewer, short_ids = _call(db, call_config, assigned=2)
    long_reviewer, long_ids = _call(db, call_config, assigned=30, name="Lena Long", first=100)
    short = rows_returned(db, _opening(db, call_config, short_reviewer, short_ids[0]))
    long = rows_returned(db, _opening(db, call_config, long_reviewer, long_ids[0]))
    assert long == short  # before: every assignment and conflict of the reviewer, twice (30 rows more, twice)


def test_one_submissions_access_follows_the_reviewers_rule(db, call_config):
    reviewer, ids = _call(db, call_config, assigned=3)
    with db.write() as s:
        other = make_user(s, name="Otto Other")
        assign(s, ids[0], other)
    with db.read() as s:
        allowed, conflicted = reviewer_access(s, reviewer_id=reviewer.user_id)
        every = list(s.scalars(select(Submission.id)))
        for sid in every:
            got = reviewer_access_to(s, reviewer_id=reviewer.user_id, submission_id=sid)
            assert got == (sid in allowed, sid in conflicted), sid
        assert reviewer_access_to(s, reviewer_id=reviewer.user_id, submission_id=ids[-1]) == (False, False)
        assert reviewer_access_to(s, reviewer_id=reviewer.user_id, submission_id=ids[-2]) == (False, True)
        assert reviewer_access_to(s, reviewer_id=reviewer.user_id, submission_id=ids[0]) == (True, False)
        assert reviewer_access_to(s, reviewer_id=other.user_id, submission_id=ids[1]) == (False, False)
        # and what the pages see of it
        assert get_submission(s, submission_id=ids[-2], viewer=reviewer, config=call_config).restricted
        try:
            get_submission(s, submission_id=ids[-1], viewer=reviewer, config=call_config)
        except AccessDenied as exc:
            assert str(exc) == "not assigned"
        else:
            raise AssertionError("a submission not assigned was shown")


def test_the_queues_themes_are_read_through_the_reviewers_assignments_on_sqlite(sqlite_url, call_config):
    # SQLite's planner took the (field, code) index for the join: every submission's themes, each
    # looked up in the assignments (13 ms per run of My reviews at 10,000 submissions). PostgreSQL
    # plans by its statistics; the rows returned are the same on both (the test above).
    db = Database(sqlite_url)
    try:
        reviewer, _ids = _call(db, call_config, assigned=3)
        statements = statements_of(db, lambda: _queue(db, reviewer))
        with db.engine.connect() as conn:
            plans = {
                statement: [row[-1] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)]
                for statement, parameters in statements
            }
    finally:
        db.dispose()
    themes = [plan for statement, plan in plans.items() if "submission_codes" in statement]
    assert themes, plans
    for plan in themes:
        assert not any("ix_submission_codes_field_code" in step for step in plan), plan
        assert any("submission_codes" in step and "submission_id=?" in step for step in plan), plan


def _queue(db, reviewer):
    with db.read() as s:
        return reviewer_queue(s, reviewer_id=reviewer.user_id)


def test_the_access_checks_on_every_run_read_columns_not_whole_rows(db, call_config):
    """The documents' and a reviewer's role checks (on every run of a review's page, issue 21) read the
    account's and the submission's few columns; neither the password's hash nor a submission's text."""
    reviewer, ids = _call(db, call_config, assigned=1)

    def checks():
        with db.read() as s:
            list_documents(s, submission_id=ids[0], viewer=reviewer)
            require_role(s, reviewer, Role.REVIEWER, to="review")

    sent = " ".join(statement for statement, _ in statements_of(db, checks))
    assert "users.role" in sent and "submissions.id" in sent
    assert "password_hash" not in sent and "submissions.summary" not in sent
