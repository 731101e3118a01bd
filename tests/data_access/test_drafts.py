"""Autosaved review input (data_access.drafts): kept and restored, refused like
a save, never a review, ended by a real save, one audit entry per draft
session, and invisible to the office's caches; on both backends."""

import pytest
from sqlalchemy import func, select, update

from config import limits
from data_access import audit
from data_access.assignments import declare_conflict, remove_assignment
from data_access.call_state import set_reviewing_closed
from data_access.drafts import autosave_review, clear_autosave, get_autosave
from data_access.models import Review, ReviewAutosave, utcnow
from data_access.privacy import erase_submission
from data_access.reviews import (
    ReviewDraft,
    ReviewError,
    ReviewingClosed,
    StaleReview,
    get_own_review,
    reviews_of_submission,
    save_review,
    scores_frame,
)
from data_access.submissions import AccessDenied
from tests.factories import assign, make_submission, make_user

TYPED = ReviewDraft(
    scores={"promise": 5, "evidence_strength": None},
    comment="Half a thought about the guardians' <b>training</b> =SUM(A1)",
    recommendation="feature",
    confidence=None,
)


@pytest.fixture
def setting(db, call_config):
    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001", title="Guardians for trafficked children")
        other = make_submission(s, call_config, reference="CFE-0002", title="Not Ann's")
        ann = make_user(s, name="Ann Reviewer")
        admin = make_user(s, name="Ada Admin", role="admin")
        outsider = make_user(s, name="Olly Outsider")
        assign(s, sub, ann)
    return {"sub": sub, "other": other, "ann": ann, "admin": admin, "outsider": outsider}


def _autosave(db, config, sub, person, draft=TYPED, *, base=0):
    with db.write() as s:
        return autosave_review(
            s,
            submission_id=sub,
            reviewer_id=person.user_id,
            actor=person.username,
            draft=draft,
            base_version=base,
            config=config,
        )


def _save(db, config, sub, person, *, version, submit=False):
    with db.write() as s:
        return save_review(
            s,
            submission_id=sub,
            reviewer_id=person.user_id,
            actor=person.username,
            draft=ReviewDraft(
                scores={"promise": 4, "evidence_strength": 3, "survivor_involvement": 2},
                comment="Saved for real.",
                recommendation="feature",
                confidence="high",
            ),
            submit=submit,
            expected_version=version,
            config=config,
        )


def _restored(db, sub, person):
    with db.read() as s:
        return get_autosave(s, submission_id=sub, reviewer_id=person.user_id)


def _rows(db):
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(ReviewAutosave))


def _autosave_entries(db):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action="review.autosave"))


def test_typed_input_is_kept_and_restored_with_the_version_it_started_from(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    first = _autosave(db, call_config, sub, ann)
    later = _autosave(db, call_config, sub, ann, ReviewDraft(scores={"promise": 2}, comment="More words"))
    kept = _restored(db, sub, ann)
    assert kept is not None and kept.base_version == 0
    assert kept.as_values() == {"scores": {"promise": 2}, "comment": "More words", "recommendation": None,
                                "confidence": None}  # fmt: skip
    assert kept.saved_at == later and kept.started_at == first
    _autosave(db, call_config, sub, ann)
    assert _restored(db, sub, ann).draft == TYPED  # "cannot judge" (None) comes back as such, the text as typed
    with db.read() as s:
        assert get_own_review(s, submission_id=sub, reviewer_id=ann.user_id) is None  # no review was made


def test_a_submission_not_assigned_is_refused_and_nothing_is_kept(db, call_config, setting):
    with pytest.raises(AccessDenied):
        _autosave(db, call_config, setting["other"], setting["ann"])
    with pytest.raises(AccessDenied):
        _autosave(db, call_config, setting["sub"], setting["outsider"])
    with pytest.raises(AccessDenied):
        _autosave(db, call_config, setting["sub"], setting["admin"])
    assert _rows(db) == 0
    assert _autosave_entries(db).empty


def test_a_conflict_stops_autosave_and_drops_what_was_kept(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    with db.write() as s:
        declare_conflict(s, submission_id=sub, reviewer_id=ann.user_id, actor=ann.username, source="reviewer")
    assert _rows(db) == 0
    assert _restored(db, sub, ann) is None
    with pytest.raises(AccessDenied):
        _autosave(db, call_config, sub, ann)
    assert _rows(db) == 0


def test_removing_the_assignment_drops_the_kept_input(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    with db.write() as s:
        remove_assignment(s, submission_id=sub, reviewer_id=ann.user_id, actor="coordinator")
    assert _rows(db) == 0
    assert _restored(db, sub, ann) is None


def test_closed_reviewing_stops_autosave(db, call_config, setting):
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="admin")
    with pytest.raises(ReviewingClosed):
        _autosave(db, call_config, setting["sub"], setting["ann"])
    assert _rows(db) == 0


def test_a_submitted_review_is_never_changed_by_an_autosave(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    submitted = _save(db, call_config, sub, ann, version=None, submit=True)
    with pytest.raises(StaleReview) as refused:
        _autosave(db, call_config, sub, ann, base=submitted.version)
    assert refused.value.current.status == "submitted"
    with db.read() as s:
        assert get_own_review(s, submission_id=sub, reviewer_id=ann.user_id) == submitted
    assert _rows(db) == 0


def test_a_real_save_or_submit_ends_the_draft_session(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    draft = _save(db, call_config, sub, ann, version=0)
    assert _restored(db, sub, ann) is None
    _autosave(db, call_config, sub, ann, base=draft.version)
    assert _restored(db, sub, ann).base_version == draft.version
    _save(db, call_config, sub, ann, version=draft.version, submit=True)
    assert _restored(db, sub, ann) is None
    assert _rows(db) == 0


def test_a_refused_save_keeps_the_autosaved_input(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    with pytest.raises(ReviewError), db.write() as s:
        save_review(
            s,
            submission_id=sub,
            reviewer_id=ann.user_id,
            actor=ann.username,
            draft=TYPED,
            submit=True,  # incomplete: refused, the unit rolled back
            expected_version=0,
            config=call_config,
        )
    assert _restored(db, sub, ann).draft == TYPED


def test_input_started_from_an_older_version_is_kept_and_still_meets_the_stale_check(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _save(db, call_config, sub, ann, version=None)  # version 1, e.g. saved on another device
    _autosave(db, call_config, sub, ann, base=0)  # this tab opened before that save
    kept = _restored(db, sub, ann)
    assert kept.base_version == 0
    with pytest.raises(StaleReview):
        _save(db, call_config, sub, ann, version=kept.base_version)


def test_one_audit_entry_per_draft_session_not_per_keystroke(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    for n in range(5):
        _autosave(db, call_config, sub, ann, ReviewDraft(comment="word " * n))
    entries = _autosave_entries(db)
    assert len(entries) == 1
    assert entries.iloc[0]["actor"] == ann.username
    assert entries.iloc[0]["new"] == {"submission_id": sub, "base_version": 0}
    draft = _save(db, call_config, sub, ann, version=0)
    for _ in range(3):
        _autosave(db, call_config, sub, ann, base=draft.version)
    assert len(_autosave_entries(db)) == 2  # a new session after the save


def test_autosave_leaves_the_data_version_and_the_reviews_be(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    draft = _save(db, call_config, sub, ann, version=None)
    with db.read() as s:
        before = audit.data_version(s)
        frame_before = scores_frame(s, submitted_only=False)
    _autosave(db, call_config, sub, ann, base=draft.version)  # starts a session (audit entry)
    _autosave(db, call_config, sub, ann, base=draft.version)  # updates it
    with db.read() as s:
        assert audit.data_version(s) == before
        assert scores_frame(s, submitted_only=False).equals(frame_before)
        for viewer in (setting["admin"], ann):
            seen = reviews_of_submission(s, submission_id=sub, viewer_role=viewer.role, viewer_id=viewer.user_id)
            assert all(r.comment != TYPED.comment for r in seen)
        assert get_own_review(s, submission_id=sub, reviewer_id=ann.user_id) == draft


@pytest.mark.parametrize(
    "draft",
    [
        ReviewDraft(comment="x" * (limits.REVIEW_COMMENT + 1)),
        ReviewDraft(scores={"promise": 9}),
        ReviewDraft(scores={"not_a_criterion": 3}),
        ReviewDraft(recommendation="<script>"),
    ],
    ids=["comment-too-long", "score-out-of-scale", "unknown-criterion", "unknown-recommendation"],
)
def test_values_a_draft_may_not_hold_are_refused_and_change_nothing(db, call_config, setting, draft):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    with pytest.raises(ReviewError):
        _autosave(db, call_config, sub, ann, draft)
    assert _restored(db, sub, ann).draft == TYPED


@pytest.mark.parametrize("base", [-1, True, "1", None])
def test_a_base_version_that_is_not_one_is_refused(db, call_config, setting, base):
    with pytest.raises(ReviewError):
        _autosave(db, call_config, setting["sub"], setting["ann"], base=base)
    assert _rows(db) == 0


def test_clearing_forgets_only_that_reviewers_input(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    with db.write() as s:
        ben = make_user(s, name="Ben Reviewer")
        assign(s, sub, ben)
    _autosave(db, call_config, sub, ann)
    _autosave(db, call_config, sub, ben)
    with db.write() as s:
        clear_autosave(s, submission_id=sub, reviewer_id=ann.user_id)
    assert _restored(db, sub, ann) is None
    assert _restored(db, sub, ben).draft == TYPED


def test_erasing_the_submission_erases_the_kept_input(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    _autosave(db, call_config, sub, ann)
    with db.write() as s:
        erase_submission(s, submission_id=sub, actor="admin", reason="request")
    assert _rows(db) == 0


def test_input_that_outlived_a_submit_is_not_brought_back(db, call_config, setting):
    sub, ann = setting["sub"], setting["ann"]
    draft = _save(db, call_config, sub, ann, version=None)
    _autosave(db, call_config, sub, ann, base=draft.version)
    with db.write() as s:  # as if a submit on another server committed between the autosave's check and its write
        s.execute(
            update(Review)
            .where(Review.id == draft.id)
            .values(status="submitted", submitted_at=utcnow(), version=Review.version + 1)
        )
    assert _rows(db) == 1
    assert _restored(db, sub, ann) is None
