"""The audit log's bulk writer and the reviewing switch, on both backends."""

from data_access import audit
from data_access.assignments import declare_conflict, submissions_short, submissions_to_reassign
from data_access.call_state import reviewing_closed, set_reviewing_closed
from tests.factories import assign, make_submission, make_user


def test_record_many_writes_every_entry_with_its_values(db):
    with db.write() as s:
        before = audit.data_version(s)
        audit.record_many(
            s,
            actor="admin",
            entries=[
                {"action": "assignment.add", "entity": "assignment", "entity_id": 7, "new": {"reviewer_id": 3}},
                {"action": "assignment.add", "entity": "assignment", "entity_id": 8, "new": {"reviewer_id": 4}},
            ],
        )
        audit.record_many(s, actor="admin", entries=[])
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="assignment.add"))
        assert audit.data_version(s) != before
    assert list(entries["entity_id"]) == ["8", "7"]
    assert list(entries["new"]) == [{"reviewer_id": 4}, {"reviewer_id": 3}]
    assert set(entries["actor"]) == {"admin"}


def test_closing_and_reopening_reviewing_is_audited_once_per_change(db):
    with db.write() as s:
        assert not reviewing_closed(s)
        set_reviewing_closed(s, closed=True, actor="admin")
        set_reviewing_closed(s, closed=True, actor="admin")  # no change, no entry
    with db.write() as s:
        assert reviewing_closed(s)
        set_reviewing_closed(s, closed=False, actor="admin")
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="call.setting"))
        assert not reviewing_closed(s)
    assert [e["reviewing_closed"] for e in entries["new"]] == [False, True]
    assert [e["reviewing_closed"] for e in entries["old"]] == [True, None]


def test_submissions_short_of_k_count_conflicts_as_missing(db, call_config):
    with db.write() as s:
        subs = [make_submission(s, call_config) for _ in range(3)]
        people = [make_user(s) for _ in range(2)]
        for p in people:
            assign(s, subs[0], p)
        assign(s, subs[1], people[0])
        assign(s, subs[1], people[1])
        declare_conflict(s, submission_id=subs[1], reviewer_id=people[1].user_id, actor="x", source="reviewer")
    with db.read() as s:
        assert submissions_short(s, k=2) == 2  # the second has a conflict, the third nobody
        assert submissions_short(s, k=1) == 1
        assert submissions_to_reassign(s, k=2) == 1  # only the one that lost a reviewer
        assert submissions_to_reassign(s, k=1) == 0  # it still has one


def test_a_deactivated_reviewers_unfinished_assignment_leaves_the_submission_short(db, call_config):
    from data_access.users import set_active
    from tests.factories import submit_review

    with db.write() as s:
        subs = [make_submission(s, call_config) for _ in range(2)]
        stays, leaves = make_user(s), make_user(s)
        for sub in subs:
            assign(s, sub, stays)
            assign(s, sub, leaves)
        submit_review(s, call_config, subs[0], leaves)  # finished before leaving: still counts
    with db.read() as s:
        assert submissions_short(s, k=2) == 0
    with db.write() as s:
        set_active(s, user_id=leaves.user_id, active=False, actor="admin")
    with db.read() as s:
        assert submissions_short(s, k=2) == 1  # the second: its review will never come
