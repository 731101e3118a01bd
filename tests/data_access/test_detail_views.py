"""Every view of a submission's detail is in the audit log once per person,
submission and UTC day, on both databases, also when two views happen at once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from data_access import audit
from data_access.models import SubmissionDetailView
from data_access.submissions import get_submission, record_detail_view
from tests.factories import assign, make_submission, make_user

MORNING = dt.datetime(2026, 12, 6, 0, 5, tzinfo=dt.UTC)


@pytest.fixture
def two(db, call_config):
    with db.write() as s:
        people = {"office": make_user(s, role="office"), "reviewer": make_user(s, role="reviewer")}
        subs = [make_submission(s, call_config, anonymous=True), make_submission(s, call_config)]
        for sid in subs:
            assign(s, sid, people["reviewer"])
    return people, subs


def view(db, call_config, person, sid, at):
    with db.read() as s:
        detail = get_submission(s, submission_id=sid, viewer=person, config=call_config)
    with db.write() as s:
        return record_detail_view(s, viewer=person, view=detail, at=at)


def entries(db):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action="submission.view"))


def test_one_entry_per_person_submission_and_utc_day(db, call_config, two):
    people, (anon, named) = two
    office, reviewer = people["office"], people["reviewer"]
    late = MORNING.replace(hour=23, minute=59)
    in_london_still_the_6th = dt.datetime(2026, 12, 7, 0, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))  # 23:30 UTC
    assert view(db, call_config, reviewer, anon, MORNING) is True
    for at in (MORNING, late, in_london_still_the_6th):  # the same UTC day: nothing more
        assert view(db, call_config, reviewer, anon, at) is False
    assert view(db, call_config, reviewer, named, late) is True  # another submission
    assert view(db, call_config, office, anon, late) is True  # another person
    assert view(db, call_config, reviewer, anon, MORNING + dt.timedelta(days=1)) is True  # the next UTC day
    logged = entries(db)
    assert sorted(zip(logged["actor"], logged["entity_id"], strict=True)) == sorted(
        [
            (reviewer.username, str(anon)),
            (reviewer.username, str(anon)),
            (reviewer.username, str(named)),
            (office.username, str(anon)),
        ]
    )
    by_who = {(a, e): n for a, e, n in zip(logged["actor"], logged["entity_id"], logged["new"], strict=True)}
    assert by_who[(reviewer.username, str(anon))]["identity_shown"] is False  # anonymous: the reviewer saw none
    assert by_who[(office.username, str(anon))]["identity_shown"] is True
    assert by_who[(reviewer.username, str(named))]["identity_shown"] is True
    assert all(n["reference"].startswith("CFE-") for n in logged["new"])


def test_two_views_at_the_same_moment_write_one_entry(db, call_config, two):
    """The first view's unit of work is still open when the second one starts: a read-then-write
    check would find nothing in both and write two entries. (On PostgreSQL the second insert waits
    for the first on the primary key; on SQLite the second unit of work waits for the first.)"""
    people, (anon, _named) = two
    reviewer = people["reviewer"]
    with db.read() as s:
        detail = get_submission(s, submission_id=anon, viewer=reviewer, config=call_config)
    results: list[bool] = []
    errors: list[BaseException] = []

    def second() -> None:
        try:
            with db.write() as s:
                results.append(record_detail_view(s, viewer=reviewer, view=detail, at=MORNING))
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    thread = threading.Thread(target=second)
    with db.write() as s:
        results.append(record_detail_view(s, viewer=reviewer, view=detail, at=MORNING))
        thread.start()
        thread.join(timeout=1.5)  # give the second view every chance to write before the first commits
    thread.join(timeout=30)
    assert not thread.is_alive() and errors == []
    assert sorted(results) == [False, True]
    assert len(entries(db)) == 1
    with db.read() as s:
        assert s.query(SubmissionDetailView).count() == 1
