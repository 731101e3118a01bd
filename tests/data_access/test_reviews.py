"""Reviews in the database: saving with optimistic locking, reopening, access,
who may read which review, and a reviewer's queue; on both backends."""

import threading

import pytest
from sqlalchemy import func, select

from data_access import audit
from data_access.assignments import declare_conflict
from data_access.call_state import set_reviewing_closed
from data_access.models import Review, ReviewScore
from data_access.reviews import (
    ReviewDraft,
    ReviewError,
    ReviewingClosed,
    StaleReview,
    get_own_review,
    reopen_review,
    reviewer_queue,
    reviews_of_submission,
    save_review,
)
from data_access.submissions import AccessDenied
from tests.factories import assign, make_submission, make_user

FULL = {"promise": 4, "evidence_strength": None, "survivor_involvement": 2}


@pytest.fixture
def setting(db, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001", title="Guardians for trafficked children")
        ann = make_user(s, name="Ann Reviewer")
        ben = make_user(s, name="Ben Reviewer")
        outsider = make_user(s)
        for person in (ann, ben):
            assign(s, sub, person)
    return {"sub": sub, "ann": ann, "ben": ben, "outsider": outsider}


def _save(db, config, sub, person, *, version, submit=False, scores=None, comment="Useful work.", **kw):
    with db.write() as s:
        return save_review(
            s,
            submission_id=sub,
            reviewer_id=person.user_id,
            actor=person.username,
            draft=ReviewDraft(
                scores=FULL if scores is None else scores,
                comment=comment,
                recommendation=kw.get("recommendation", "feature"),
                confidence=kw.get("confidence", "high"),
            ),
            submit=submit,
            expected_version=version,
            config=config,
        )


def test_draft_then_submit_keeps_cannot_judge_and_audits_old_and_new(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    first = _save(db, call_config, sub, ann, version=None, scores={"promise": 3})
    assert (first.status, first.version, first.scores) == ("draft", 1, {"promise": 3})
    second = _save(db, call_config, sub, ann, version=1, submit=True)
    assert (second.status, second.version, second.scores) == ("submitted", 2, FULL)
    assert second.submitted_at is not None
    with db.read() as s:
        stored = dict(s.execute(select(ReviewScore.criterion, ReviewScore.score)).all())
        assert stored == FULL  # "cannot judge" is stored as such (NULL), not as a low score
        entries = audit.list_entries(s, filters=audit.AuditFilter(entity="review"))
    assert list(entries["action"]) == ["review.submit", "review.save_draft"]
    assert entries.iloc[0]["old"]["scores"] == {"promise": 3}
    assert entries.iloc[0]["new"]["scores"] == {"promise": 4, "evidence_strength": None, "survivor_involvement": 2}
    assert entries.iloc[0]["actor"] == ann.username


def test_a_stale_save_is_refused_and_reports_the_stored_version(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _save(db, call_config, sub, ann, version=None, comment="Opened in both tabs.")
    _save(db, call_config, sub, ann, version=1, comment="Saved from tab one.")
    with pytest.raises(StaleReview) as caught:
        _save(db, call_config, sub, ann, version=1, comment="Saved from tab two.")
    assert caught.value.current.comment == "Saved from tab one."
    assert caught.value.current.version == 2
    with db.read() as s:
        assert get_own_review(s, submission_id=sub, reviewer_id=ann.user_id).comment == "Saved from tab one."
    # Knowing the stored version, the person may keep theirs deliberately.
    kept = _save(db, call_config, sub, ann, version=2, comment="Saved from tab two.")
    assert (kept.version, kept.comment) == (3, "Saved from tab two.")


def test_two_first_saves_of_the_same_review_cannot_both_win(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _save(db, call_config, sub, ann, version=None)
    with pytest.raises(StaleReview):
        _save(db, call_config, sub, ann, version=0, comment="Thought it was new.")


@pytest.mark.parametrize("first_save", [True, False], ids=["first-save", "update"])
def test_racing_saves_from_two_windows_never_both_succeed(db, call_config, setting, first_save):
    sub, ann = setting["sub"], setting["ann"]
    opened = None
    if not first_save:
        _save(db, call_config, sub, ann, version=None)
        opened = 1
    start = threading.Barrier(2)
    outcomes = []

    def window(comment):
        start.wait()
        try:
            outcomes.append(_save(db, call_config, sub, ann, version=opened, comment=comment).comment)
        except StaleReview:
            outcomes.append("stale")

    threads = [threading.Thread(target=window, args=(c,)) for c in ("left", "right")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and outcomes.count("stale") == 1
    winner = next(o for o in outcomes if o != "stale")
    with db.read() as s:
        stored = get_own_review(s, submission_id=sub, reviewer_id=ann.user_id)
        assert s.scalar(select(func.count(Review.id))) == 1
    assert (stored.comment, stored.version) == (winner, 1 if first_save else 2)


@pytest.mark.parametrize("score", [0, 6, -1, 2.5, True, "3"])
def test_scores_outside_the_scale_are_refused_and_nothing_is_saved(db, call_config, setting, score):
    with pytest.raises(ReviewError, match="1 to 5"):
        _save(db, call_config, setting["sub"], setting["ann"], version=None, scores={"promise": score})
    with db.read() as s:
        assert s.scalar(select(func.count(Review.id))) == 0


def test_a_comment_is_required_to_submit_a_score_of_one_or_five(db, call_config, setting):
    scores = {"promise": 5, "evidence_strength": 3, "survivor_involvement": 1}
    with pytest.raises(ReviewError, match=r"comment is required.*Promise, Survivor involvement"):
        _save(db, call_config, setting["sub"], setting["ann"], version=None, submit=True, scores=scores, comment=" ")
    assert _save(db, call_config, setting["sub"], setting["ann"], version=None, scores=scores, comment="").version == 1


def test_reopen_until_reviewing_closes(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _save(db, call_config, sub, ann, version=None, submit=True)
    with db.write() as s:
        reopened = reopen_review(s, submission_id=sub, reviewer_id=ann.user_id, actor="ann", expected_version=1)
    assert (reopened.status, reopened.version, reopened.submitted_at) == ("draft", 2, None)
    _save(db, call_config, sub, ann, version=2, submit=True)
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="admin")
    with pytest.raises(ReviewingClosed), db.write() as s:
        reopen_review(s, submission_id=sub, reviewer_id=ann.user_id, actor="ann", expected_version=3)
    with pytest.raises(ReviewingClosed):
        _save(db, call_config, sub, ann, version=3)
    with db.write() as s:
        set_reviewing_closed(s, closed=False, actor="admin")
    with db.write() as s:
        reopen_review(s, submission_id=sub, reviewer_id=ann.user_id, actor="ann", expected_version=3)


def test_only_an_assigned_reviewer_without_a_conflict_may_save(db, call_config, setting):
    with pytest.raises(AccessDenied):
        _save(db, call_config, setting["sub"], setting["outsider"], version=None)
    with db.write() as s:
        declare_conflict(
            s, submission_id=setting["sub"], reviewer_id=setting["ben"].user_id, actor="ben", source="reviewer"
        )
    with pytest.raises(AccessDenied):
        _save(db, call_config, setting["sub"], setting["ben"], version=None)


# --- who reads which review ----------------------------------------------------


def _read(db, sub, person, role="reviewer"):
    with db.read() as s:
        return reviews_of_submission(s, submission_id=sub, viewer_role=role, viewer_id=person.user_id)


def test_a_reviewer_reads_the_others_only_after_submitting_their_own(db, call_config, setting):
    sub, ann, ben = setting["sub"], setting["ann"], setting["ben"]
    _save(db, call_config, sub, ann, version=None, submit=True, comment="Ann's view.")
    assert _read(db, sub, ben) == []
    _save(db, call_config, sub, ben, version=None, comment="Ben's draft.")
    (own,) = _read(db, sub, ben)
    assert (own.comment, own.reviewer_name, own.own) == ("Ben's draft.", "Your review", True)
    # Ann, submitted, sees only submitted reviews: not Ben's draft.
    assert [r.comment for r in _read(db, sub, ann)] == ["Ann's view."]
    _save(db, call_config, sub, ben, version=1, submit=True, comment="Ben's view.")
    seen = {r.comment: r for r in _read(db, sub, ben)}
    assert set(seen) == {"Ann's view.", "Ben's view."}
    assert seen["Ann's view."].reviewer_name == "Reviewer A"
    assert seen["Ann's view."].reviewer_id == 0  # no other reviewer's identity leaves the data layer
    assert seen["Ben's view."].reviewer_name == "Your review" and seen["Ben's view."].own
    assert not seen["Ann's view."].own


def test_admin_and_office_read_every_submitted_review_with_names(db, call_config, setting):
    sub, ann, ben = setting["sub"], setting["ann"], setting["ben"]
    _save(db, call_config, sub, ann, version=None, submit=True)
    _save(db, call_config, sub, ben, version=None)
    with db.write() as s:
        admin, office = make_user(s, role="admin"), make_user(s, role="office")
    for person in (admin, office):
        reviews = _read(db, sub, person, role=person.role)
        assert [(r.reviewer_name, r.reviewer_id, r.status) for r in reviews] == [
            ("Ann Reviewer", ann.user_id, "submitted")
        ]


def test_a_conflicted_or_unassigned_reviewer_reads_no_review(db, call_config, setting):
    sub, ann, ben = setting["sub"], setting["ann"], setting["ben"]
    _save(db, call_config, sub, ann, version=None, submit=True)
    _save(db, call_config, sub, ben, version=None)
    with db.write() as s:
        declare_conflict(s, submission_id=sub, reviewer_id=ben.user_id, actor="ben", source="reviewer")
    assert _read(db, sub, ben) == []
    assert _read(db, sub, setting["outsider"]) == []


def test_the_queue_lists_only_own_assignments_with_their_status(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    with db.write() as s:
        second = make_submission(s, call_config, reference="CFE-0002", themes=["sources_of_harm", "support_responses"])
        third = make_submission(
            s, call_config, reference="CFE-0003", title="Secret title", themes=["support_responses"]
        )
        fourth = make_submission(s, call_config, reference="CFE-0004")
        make_submission(s, call_config, reference="CFE-0005")  # not Ann's
        for other in (second, third, fourth):
            assign(s, other, ann)
    _save(db, call_config, sub, ann, version=None, submit=True)
    _save(db, call_config, second, ann, version=None)
    with db.write() as s:
        declare_conflict(s, submission_id=third, reviewer_id=ann.user_id, actor="ann", source="reviewer")
    with db.read() as s:
        queue = reviewer_queue(s, reviewer_id=ann.user_id)
    assert list(queue["reference"]) == ["CFE-0001", "CFE-0002", "CFE-0003", "CFE-0004"]
    assert list(queue["status"]) == ["submitted", "draft", "conflict", "not_started"]
    assert queue.iloc[2]["title"] == ""  # nothing of a conflicted submission beyond its reference
    assert queue.iloc[0]["title"] == "Guardians for trafficked children"
    assert queue.iloc[1]["themes"] == ["sources_of_harm", "support_responses"]  # codes, in the order given
    assert queue.iloc[2]["themes"] == []  # nor its themes
