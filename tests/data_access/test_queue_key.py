"""The key of a reviewer's cached queue (`data_access.reviews.queue_key`, issue 21): it moves with every
change of what `reviewer_queue` shows that reviewer, and stays put when another reviewer saves, so
the queue is read again exactly when it would differ. A stale queue is a bug: each kind of change
is checked against the queue itself (the key moved, and the queue read now differs)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, update

from data_access.assignments import add_assignment, declare_conflict, remove_assignment, withdraw_conflict
from data_access.models import Submission, SubmissionCode
from data_access.reviews import ReviewDraft, get_own_review, queue_key, reopen_review, reviewer_queue, save_review
from tests.factories import assign, make_submission, make_user, submit_review


@pytest.fixture
def two(db, call_config):
    """Ann and Ben, both assigned CFE-0001..3; Ann's CFE-0001 submitted; CFE-0004 assigned to nobody."""
    with db.write() as s:
        ann, ben = make_user(s, name="Ann"), make_user(s, name="Ben")
        subs = [
            make_submission(s, call_config, reference=f"CFE-000{n}", title=f"Title {n}", themes=["sources_of_harm"])
            for n in (1, 2, 3, 4)
        ]
        for sid in subs[:3]:
            assign(s, sid, ann)
            assign(s, sid, ben)
        submit_review(s, call_config, subs[0], ann)
    return {"ann": ann, "ben": ben, "subs": subs}


def _state(db, reviewer):
    with db.read() as s:
        return queue_key(s, reviewer_id=reviewer.user_id), reviewer_queue(s, reviewer_id=reviewer.user_id)


def _draft(call_config, **scores):
    return ReviewDraft(scores=scores or {call_config.criterion_ids[0]: 2}, comment="x")


def _save(s, call_config, sid, who, *, expected=None):
    save_review(
        s,
        submission_id=sid,
        reviewer_id=who.user_id,
        actor=who.username,
        draft=_draft(call_config),
        submit=False,
        expected_version=expected,
        config=call_config,
    )


CHANGES = {
    "own draft saved": lambda s, t, c: _save(s, c, t["subs"][1], t["ann"]),
    "own draft saved again": lambda s, t, c: (
        _save(s, c, t["subs"][1], t["ann"]),
        _save(s, c, t["subs"][1], t["ann"], expected=1),
    ),
    "own review reopened": lambda s, t, c: reopen_review(
        s,
        submission_id=t["subs"][0],
        reviewer_id=t["ann"].user_id,
        actor="ann",
        expected_version=get_own_review(s, submission_id=t["subs"][0], reviewer_id=t["ann"].user_id).version,
    ),
    "assignment added": lambda s, t, c: add_assignment(
        s, submission_id=t["subs"][3], reviewer_id=t["ann"].user_id, actor="coordinator"
    ),
    "assignment removed": lambda s, t, c: remove_assignment(
        s, submission_id=t["subs"][2], reviewer_id=t["ann"].user_id, actor="coordinator"
    ),
    "conflict declared": lambda s, t, c: declare_conflict(
        s, submission_id=t["subs"][2], reviewer_id=t["ann"].user_id, actor="ann", source="reviewer"
    ),
    "conflict recorded by the admin on a submitted review": lambda s, t, c: declare_conflict(
        s, submission_id=t["subs"][0], reviewer_id=t["ann"].user_id, actor="admin", source="admin"
    ),
    "title changed": lambda s, t, c: s.execute(
        update(Submission).where(Submission.id == t["subs"][1]).values(title="A new title")
    ),
    "theme removed": lambda s, t, c: s.execute(
        delete(SubmissionCode).where(SubmissionCode.submission_id == t["subs"][1])
    ),
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_every_change_of_a_reviewers_queue_moves_its_key(db, call_config, two, change):
    key, queue = _state(db, two["ann"])
    with db.write() as s:
        CHANGES[change](s, two, call_config)
    new_key, new_queue = _state(db, two["ann"])
    assert not new_queue.equals(queue)  # the change shows in the queue...
    assert new_key != key  # ...so a queue cached under the old key is not used


def test_a_withdrawn_conflict_moves_the_key_and_shows_the_title_again(db, call_config, two):
    with db.write() as s:
        declare_conflict(s, submission_id=two["subs"][2], reviewer_id=two["ann"].user_id, actor="adm", source="admin")
    key, queue = _state(db, two["ann"])
    assert queue["title"].iat[2] == ""  # a conflicted submission's title stays hidden
    with db.write() as s:
        withdraw_conflict(s, submission_id=two["subs"][2], reviewer_id=two["ann"].user_id, actor="admin")
    new_key, new_queue = _state(db, two["ann"])
    assert new_key != key and new_queue["title"].iat[2] == "Title 3"


def test_another_reviewers_saves_leave_the_key_be(db, call_config, two):
    key, queue = _state(db, two["ann"])
    with db.write() as s:
        _save(s, call_config, two["subs"][1], two["ben"])
        submit_review(s, call_config, two["subs"][2], two["ben"])
    new_key, new_queue = _state(db, two["ann"])
    assert new_key == key and new_queue.equals(queue)
    assert _state(db, two["ben"])[0] != key  # each reviewer's key is their own
