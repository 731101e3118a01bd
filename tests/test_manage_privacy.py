"""manage.py erase-submission and purge-expired (retention, and sign-in housekeeping)."""

import datetime as dt

from sqlalchemy import select

from data_access import auth
from data_access.db import Database
from data_access.models import LoginThrottle, Submission, utcnow
from data_access.submissions import submission_id_for_reference
from tests.factories import make_submission, make_user
from tests.test_manage import manage


def _seed(db_url, call_config):
    db = Database(db_url)
    with db.write() as s:
        make_submission(
            s,
            call_config,
            reference="CFE-0001",
            contact_name="Old Person",
            received_at=dt.datetime(2021, 7, 10, tzinfo=dt.UTC),
        )
        make_submission(
            s,
            call_config,
            reference="CFE-0002",
            contact_name="New Person",
            received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=30),
        )
    return db


def test_erase_submission_needs_confirmation_then_erases(db_url, call_config):
    db = _seed(db_url, call_config)
    refused = manage("erase-submission", "CFE-0001", "--reason", "request", db_url=db_url, stdin="")
    assert refused.returncode == 1 and "--yes" in refused.stderr
    unknown = manage("erase-submission", "CFE-9999", "--reason", "request", "--yes", db_url=db_url)
    assert unknown.returncode == 1 and "nothing was erased" in unknown.stderr
    bad_reason = manage("erase-submission", "CFE-0001", "--reason", "whim", "--yes", db_url=db_url)
    assert bad_reason.returncode == 2
    with db.read() as s:
        assert submission_id_for_reference(s, "CFE-0001") is not None
    done = manage("erase-submission", "CFE-0001", "--reason", "request", "--yes", db_url=db_url)
    assert done.returncode == 0, done.stderr
    assert "erased CFE-0001" in done.stdout
    with db.read() as s:
        assert submission_id_for_reference(s, "CFE-0001") is None
        assert submission_id_for_reference(s, "CFE-0002") is not None
    db.dispose()


def test_purge_expired_dry_run_then_for_real(db_url, call_config):
    db = _seed(db_url, call_config)
    dry = manage("purge-expired", "--dry-run", db_url=db_url)
    assert dry.returncode == 0 and "would remove the contact details of 1 submissions" in dry.stdout
    with db.read() as s:
        assert s.query(Submission).filter_by(reference="CFE-0001").one().contact_name == "Old Person"
    real = manage("purge-expired", db_url=db_url)
    assert real.returncode == 0 and "removed the contact details of 1 submissions" in real.stdout
    with db.read() as s:
        assert s.query(Submission).filter_by(reference="CFE-0001").one().contact_name is None
        assert s.query(Submission).filter_by(reference="CFE-0002").one().contact_name == "New Person"
    db.dispose()


def test_purge_expired_also_removes_expired_sign_ins_and_old_throttle_rows(db_url):
    db = Database(db_url)
    now = utcnow()
    with db.write() as s:
        person = make_user(s)
        for token, expires in [("live", now + dt.timedelta(hours=8)), ("stale", now - dt.timedelta(days=3))]:
            auth.start_session(s, user_id=person.user_id, expires_at=expires, token=token)
        auth.reserve_attempt(s, username="fresh", max_failures=5, lock_minutes=15, now=now)
        auth.reserve_attempt(s, username="stale", max_failures=5, lock_minutes=15, now=now - dt.timedelta(hours=2))

    def left():
        with db.read() as s:
            tokens = {t for t in ("live", "stale") if auth.check_token(s, token=t)[0] is not None}
            return tokens, set(s.scalars(select(LoginThrottle.username)))

    dry = manage("purge-expired", "--dry-run", db_url=db_url)
    assert dry.returncode == 0, dry.stderr
    assert "would remove 1 sessions that expired more than a day ago and 1 sign-in throttle rows" in dry.stdout
    assert left() == ({"live", "stale"}, {"fresh", "stale"})
    real = manage("purge-expired", db_url=db_url)
    assert real.returncode == 0, real.stderr
    assert "removed 1 sessions that expired more than a day ago and 1 sign-in throttle rows" in real.stdout
    assert left() == ({"live"}, {"fresh"})
    db.dispose()
