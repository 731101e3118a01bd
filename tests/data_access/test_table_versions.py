"""Per-table versions (`audit.tables_version`), the keys of caches read from a few tables: moved by the
write unit for every table whose rows it may have changed (its statements' tables and the rows their
foreign keys change), by nothing else. On both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import delete, text, update

from data_access import audit
from data_access.auth import start_session
from data_access.db import tables_changed
from data_access.models import Submission
from tests.factories import assign, make_submission, make_user, submit_review

SUBMISSIONS = ("submissions", "submission_codes")
SCORES = ("reviews", "review_scores")


def key(db, *tables: str) -> tuple[int, ...]:
    with db.read() as s:
        return audit.tables_version(s, *tables)


@pytest.fixture
def reviewed(db, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer", username="rita.tables")
        office = make_user(s, role="office", username="office.tables")
        sid = make_submission(s, call_config)
        other = make_submission(s, call_config)
        assign(s, sid, reviewer)
        assign(s, other, reviewer)
    return reviewer, office, sid, other


def test_a_review_saved_moves_the_scores_key_and_not_the_submissions(db, call_config, reviewed):
    reviewer, _office, sid, _other = reviewed
    subs, scores, overall = key(db, *SUBMISSIONS), key(db, *SCORES), key(db, "reviews")
    with db.write() as s:
        submit_review(s, call_config, sid, reviewer)
    assert key(db, *SUBMISSIONS) == subs
    assert key(db, *SCORES) != scores
    assert key(db, "reviews")[0] == overall[0] + 1  # one unit, one step, however many statements


def test_a_submission_changed_moves_its_key_and_not_the_scores(db, reviewed):
    _reviewer, _office, sid, _other = reviewed
    subs, scores = key(db, *SUBMISSIONS), key(db, *SCORES)
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == sid).values(title="changed"))
    assert key(db, *SUBMISSIONS) != subs
    assert key(db, *SCORES) == scores


def test_deleting_a_submission_moves_the_tables_its_foreign_keys_empty(db, call_config, reviewed):
    """The database deletes the reviews and scores of a deleted submission (ON DELETE CASCADE) without a
    statement of theirs: their key moves all the same, or a cache would keep the scores of a gone submission."""
    reviewer, _office, sid, _other = reviewed
    with db.write() as s:
        submit_review(s, call_config, sid, reviewer)
    scores = key(db, *SCORES)
    with db.write() as s:
        s.execute(delete(Submission).where(Submission.id == sid))
    assert key(db, *SCORES) != scores


def test_a_rolled_back_unit_a_sign_in_and_an_update_of_no_row_move_nothing(db, call_config, reviewed):
    _reviewer, office, sid, _other = reviewed
    before = key(db, *SUBMISSIONS, *SCORES, "users", "auth_sessions")
    with pytest.raises(RuntimeError), db.write() as s:
        s.execute(update(Submission).where(Submission.id == sid).values(title="half"))
        raise RuntimeError("the action failed half way")
    with db.write() as s:
        start_session(s, user_id=office.user_id, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == -1).values(title="nobody"))
    assert key(db, *SUBMISSIONS, *SCORES, "users", "auth_sessions") == before


def test_a_statement_whose_table_cannot_be_told_moves_every_key(db, reviewed):
    _reviewer, _office, sid, _other = reviewed
    subs, scores = key(db, *SUBMISSIONS), key(db, *SCORES)
    with db.write() as s:
        s.execute(
            text(
                "WITH one AS (SELECT :sid AS id) UPDATE submissions SET title = 'cte' WHERE id IN (SELECT id FROM one)"
            ),
            {"sid": sid},
        )
    assert key(db, *SUBMISSIONS) != subs
    assert key(db, *SCORES) != scores


def test_concurrent_writers_of_one_table_both_count(db, reviewed):
    """Two units writing `submissions` at once (on PostgreSQL both open before either commits; the table's
    row is inserted by the first): both steps are counted, neither fails."""
    _reviewer, _office, sid, other = reviewed
    before = key(db, "submissions")[0]
    ready = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def write(submission_id: int) -> None:
        try:
            with db.write() as s:
                s.execute(update(Submission).where(Submission.id == submission_id).values(title=f"t{submission_id}"))
                if db.dialect == "postgresql":
                    ready.wait()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    if db.dialect == "postgresql":  # a first write: no row for the table yet, so both would insert it
        with db.write() as s:
            s.execute(text("DELETE FROM table_versions WHERE table_name = 'submissions'"))
        before = 0
    threads = [threading.Thread(target=write, args=(i,)) for i in (sid, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert key(db, "submissions")[0] == before + 2


@pytest.mark.parametrize(
    ("statement", "tables"),
    [
        ("INSERT INTO submissions (title) VALUES (?)", {"submissions"}),
        ('UPDATE "reviews" SET version=2', {"reviews"}),
        ("DELETE FROM reviews WHERE id = ?", {"reviews", "review_scores"}),
        ("UPDATE users SET name = ?", {"users"}),
        ("WITH gone AS (SELECT 1) DELETE FROM line_ups", {"*"}),
    ],
)
def test_which_tables_a_statement_may_change(statement, tables):
    assert tables_changed(statement) == tables
