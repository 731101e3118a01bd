"""bench/server_visits.py's other user who submits a submitted review again (`Resubmitter`): each time the
submitted scores move (their key and their frame), with the first criterion's score changed and nothing else
of the review's; on SQLite and PostgreSQL."""

from __future__ import annotations

from bench.server_visits import Resubmitter
from data_access.reviews import get_own_review, scores_frame, submitted_key
from tests.factories import assign, make_submission, make_user, submit_review


def test_the_other_user_submits_a_submitted_review_again_with_another_score(db, db_url, call_config):
    with db.write() as s:
        ann = make_user(s, name="Ann")
        sid = make_submission(s, call_config)
        assign(s, sid, ann)
        submit_review(s, call_config, sid, ann, scores=dict.fromkeys(call_config.criterion_ids, 3))
    first, others = call_config.criterion_ids[0], call_config.criterion_ids[1:]
    other = Resubmitter(db_url, call_config)
    seen = []
    for expected in (4, 2, 4):
        with db.snapshot() as s:
            key, frame = submitted_key(s), scores_frame(s)
        other.submit()
        with db.snapshot() as s:
            assert submitted_key(s) != key and not scores_frame(s).equals(frame)
            own = get_own_review(s, submission_id=sid, reviewer_id=ann.user_id)
        assert own is not None and own.status == "submitted"
        assert own.scores[first] == expected and all(own.scores[c] == 3 for c in others)
        seen.append(own.version)
    other.db.dispose()
    assert seen == [2, 3, 4]
