"""The data version, the key of the shared caches, is moved by the write unit
itself: by every unit that changed shared data, by nothing else. On both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import update

from data_access import audit, audit_actions
from data_access.auth import start_session
from data_access.db import changes_shared_data
from data_access.models import Submission, User, utcnow
from data_access.submissions import get_submission, record_detail_view
from tests.factories import make_submission, make_user


def version(db) -> int:
    with db.read() as s:
        return audit.data_version(s)


@pytest.fixture
def office_and_submission(db, call_config):
    with db.write() as s:
        office = make_user(s, role="office", username="office.one")
        sid = make_submission(s, call_config)
    return office, sid


def test_a_data_change_moves_the_version_by_one(db, call_config, office_and_submission):
    before = version(db)
    with db.write() as s:
        make_submission(s, call_config)
        make_submission(s, call_config)
    assert version(db) == before + 1


def test_a_view_a_download_a_refusal_and_a_sign_in_leave_the_version_be(db, call_config, office_and_submission):
    office, sid = office_and_submission
    before = version(db)
    with db.read() as s:
        detail = get_submission(s, submission_id=sid, viewer=office, config=call_config)
    with db.write() as s:
        assert record_detail_view(s, viewer=office, view=detail)
    with db.write() as s:
        audit.record(s, actor="office.one", action=audit_actions.export_action("scores"), entity="export")
        audit.record(s, actor="office.one", action="import.download_original", entity="import_batch", entity_id=1)
    with db.write() as s:
        audit.record_denied(s, actor="office.one", attempted="open page audit_log", entity="page")
    with db.write() as s:
        start_session(s, user_id=office.user_id, expires_at=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    with db.read() as s:
        assert len(audit.list_entries(s)) >= 4  # they were all written
    assert version(db) == before


def test_a_rolled_back_unit_leaves_the_version_be(db, call_config, office_and_submission):
    before = version(db)
    with pytest.raises(RuntimeError), db.write() as s:
        make_submission(s, call_config)
        s.execute(update(Submission).values(title="changed"))
        raise RuntimeError("the action failed half way")
    assert version(db) == before
    with db.write() as s:  # the next unit on the same pooled connection starts clean
        audit.record_denied(s, actor="x", attempted="y", entity="page")
    assert version(db) == before


def test_bulk_and_core_statements_move_it_and_an_update_of_no_row_does_not(db, office_and_submission):
    _office, sid = office_and_submission
    before = version(db)
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == sid).values(title="bulk"))
    assert version(db) == before + 1
    with db.write() as s:
        s.connection().execute(update(User).where(User.username == "office.one").values(name="Core"))
    assert version(db) == before + 2
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == -1).values(title="nobody"))
    assert version(db) == before + 2


def test_concurrent_writers_both_count(db, call_config, office_and_submission):
    _office, sid = office_and_submission
    before = version(db)
    ready = threading.Barrier(2, timeout=30)
    errors: list[BaseException] = []

    def write(title: str) -> None:
        try:
            with db.write() as s:
                s.execute(update(User).where(User.username == "office.one").values(name=title))
                if db.dialect == "postgresql":
                    ready.wait()  # both transactions are open before either bumps
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    if db.dialect == "postgresql":
        # Different rows, so that neither waits on the other before the version's row.
        threads = [
            threading.Thread(target=write, args=("one",)),
            threading.Thread(target=lambda: _bump_submission(db, sid, ready, errors)),
        ]
    else:
        threads = [threading.Thread(target=write, args=(t,)) for t in ("one", "two")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert version(db) == before + 2


def _bump_submission(db, sid, ready, errors) -> None:
    try:
        with db.write() as s:
            s.execute(update(Submission).where(Submission.id == sid).values(title="two"))
            ready.wait()
    except BaseException as exc:  # noqa: BLE001 - reported by the test
        errors.append(exc)


@pytest.mark.parametrize(
    ("statement", "rowcount", "changed"),
    [
        ("INSERT INTO submissions (title) VALUES (?)", 1, True),
        ('UPDATE "reviews" SET version=2', 3, True),
        ("DELETE FROM assignments WHERE id = ?", -1, True),
        ("UPDATE reviews SET x = 1 WHERE version = 3", 0, False),
        ("INSERT INTO audit_log (action) VALUES (?)", 1, False),
        ("INSERT INTO submission_views (day) VALUES (?) ON CONFLICT DO NOTHING", 1, False),
        ("UPDATE auth_sessions SET revoked_at = ?", 1, False),
        ("SELECT * FROM submissions", 5, False),
        ("WITH gone AS (SELECT 1) DELETE FROM line_ups", 1, True),
        # SQLite says 0 rows for a RETURNING statement until its rows are read.
        ("INSERT INTO reviews (version) VALUES (?) ON CONFLICT DO NOTHING RETURNING id", 0, True),
        ("INSERT INTO submission_views (day) VALUES (?) ON CONFLICT DO NOTHING RETURNING day", 0, False),
    ],
)
def test_which_statements_change_shared_data(statement, rowcount, changed):
    assert changes_shared_data(statement, rowcount) is changed


def test_a_first_draft_saved_alone_moves_the_version(db, call_config):
    """The review's insert uses RETURNING (reviews._INSERT_REVIEW); measured
    without the audit entry that also marks the change."""
    from data_access import reviews
    from tests.factories import assign

    with db.write() as s:
        reviewer = make_user(s, role="reviewer", username="rita.first")
        sid = make_submission(s, call_config)
        assign(s, sid, reviewer)
    before = version(db)
    with db.write() as s:
        s.execute(
            reviews._INSERT_REVIEW[s.get_bind().dialect.name],
            {
                "submission_id": sid,
                "reviewer_id": reviewer.user_id,
                "version": 1,
                "created_at": utcnow(),
                "status": "draft",
            },
        ).scalar_one_or_none()
    assert version(db) == before + 1


def test_an_audit_entry_of_a_change_moves_it_and_one_of_a_view_does_not(db):
    before = version(db)
    with db.write() as s:
        audit.record(s, actor="admin", action="submission.view", entity="submission", entity_id=1)
    assert version(db) == before
    with db.write() as s:
        audit.record_many(
            s,
            actor="admin",
            entries=[
                {"action": "access.denied", "entity": "page"},
                {"action": "call.setting", "entity": "call_state", "entity_id": "reviewing_closed"},
            ],
        )
    assert version(db) == before + 1
