"""The Overview's counts and next steps."""

from data_access.assignments import declare_conflict
from data_access.overview import build_overview
from data_access.reviews import ReviewDraft, save_review
from tests.factories import assign, make_submission, make_user, submit_review


def test_a_reviewers_own_counts_leave_out_conflicted_submissions(db, call_config):
    with db.write() as s:
        me = make_user(s, role="reviewer")
        subs = [make_submission(s, call_config) for _ in range(3)]
        for sid in subs:
            assign(s, sid, me)
        submit_review(s, call_config, subs[0], me)
        for sid in subs[1:]:
            save_review(
                s,
                submission_id=sid,
                reviewer_id=me.user_id,
                actor=me.username,
                submit=False,
                expected_version=None,
                config=call_config,
                draft=ReviewDraft(scores={"promise": 3}),
            )
        declare_conflict(s, submission_id=subs[2], reviewer_id=me.user_id, actor=me.username, source="reviewer")
    with db.read() as s:
        ov = build_overview(s, viewer=me, config=call_config)
    assert (ov.own_due, ov.own_draft, ov.own_submitted) == (2, 1, 1)
    assert any("Review 1 more submission (1 saved as drafts)" in step.text for step in ov.next_steps)


def test_counts_for_the_office(db, call_config):
    with db.write() as s:
        office = make_user(s, role="office")
        reviewers = [make_user(s, role="reviewer") for _ in range(3)]
        first = make_submission(s, call_config, themes=["sources_of_harm"], focus_areas=[])
        make_submission(s, call_config, themes=["sources_of_harm", "support_responses"], focus_areas=[])
        for r in reviewers:
            assign(s, first, r)
            submit_review(s, call_config, first, r)
    with db.read() as s:
        ov = build_overview(s, viewer=office, config=call_config)
    assert ov.submissions == 2
    assert ov.by_theme == {"sources_of_harm": 2, "support_responses": 1}
    assert (ov.reviews_submitted, ov.assignments_due, ov.fully_reviewed) == (3, 3, 1)
    assert ov.percent_done == 100.0


def test_the_deadline_has_passed_with_reviewing_open_only_after_the_deadline_and_while_open(db, call_config):
    import datetime as dt

    from data_access.call_state import set_reviewing_closed

    with db.write() as s:
        office = make_user(s, role="office")
    after = call_config.review_deadline + dt.timedelta(days=1)
    with db.read() as s:
        assert build_overview(s, viewer=office, config=call_config, today=after).deadline_passed_open
        assert not build_overview(
            s, viewer=office, config=call_config, today=call_config.review_deadline
        ).deadline_passed_open
    with db.write() as s:
        set_reviewing_closed(s, closed=True, actor="test")
    with db.read() as s:
        assert not build_overview(s, viewer=office, config=call_config, today=after).deadline_passed_open
