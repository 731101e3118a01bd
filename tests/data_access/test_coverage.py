"""What the coverage page reads: codes without identities, review times, the newest line-up, masked cell lists."""

from __future__ import annotations

import datetime as dt

import pytest

from data_access import assignments, audit
from data_access import coverage as coverage_da
from data_access.models import LineUp, LineUpMember
from data_access.reviews import ReviewDraft, save_review
from data_access.submissions import AccessDenied
from scoring.coverage import CODE_COLUMNS
from tests.factories import assign, make_submission, make_user, submit_review


def save_line_up(session, name: str, members: list[int], updated_at: dt.datetime) -> int:
    """A saved line-up as `data_access.lineups.save_line_up` leaves it (without solving one first)."""
    line_up = LineUp(name=name, rules={}, created_by="test", created_at=updated_at, updated_at=updated_at, version=1)
    line_up.members = [
        LineUpMember(submission_id=sid, format="in_person", position=i + 1) for i, sid in enumerate(members)
    ]
    session.add(line_up)
    session.flush()
    audit.record(session, actor="test", action="line_up.save", entity="line_up", entity_id=line_up.id)
    return line_up.id


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        office = make_user(s, role="office")
        admin = make_user(s, role="admin")
        r1, r2 = make_user(s), make_user(s)
        named = make_submission(
            s,
            call_config,
            title="Named work",
            organisation="Larkfield Trust",
            exploitation_types=["forced_labour", "sexual_exploitation"],
            nation="scotland",
        )
        anonymous = make_submission(
            s, call_config, title="Anonymous evaluation", anonymous=True, organisation="Hidden Org"
        )
        for sid in (named, anonymous):
            assign(s, sid, r1)
            assign(s, sid, r2)
        submit_review(s, call_config, named, r1)
        save_review(  # a draft: not a score yet
            s,
            submission_id=named,
            reviewer_id=r2.user_id,
            actor=r2.username,
            draft=ReviewDraft(scores={"promise": 4}),
            submit=False,
            expected_version=None,
            config=call_config,
        )
        assignments.declare_conflict(
            s, submission_id=anonymous, reviewer_id=r2.user_id, actor=r2.username, source="reviewer"
        )
    return {"office": office, "admin": admin, "reviewer": r1, "named": named, "anonymous": anonymous}


def test_inputs_hold_codes_and_submitted_scores_only(db, call):
    with db.read() as s:
        inputs = coverage_da.coverage_inputs(s)
    subs = inputs.submissions.set_index("id")
    assert list(inputs.submissions.columns) == ["id", *CODE_COLUMNS]  # no title, summary or identity
    assert subs.loc[call["named"], "exploitation_types"] == ["forced_labour", "sexual_exploitation"]
    assert subs.loc[call["named"], "nation"] == "scotland"
    assert set(inputs.scores["submission_id"]) == {call["named"]}
    assert len(inputs.scores) == 3  # one submitted review, three criteria; the draft is not there
    assert len(inputs.review_times) == 1 and inputs.review_times[0].tzinfo is not None
    assert inputs.reviews_due == 3  # four assignments, one ended in a conflict
    assert inputs.line_ups == []


def test_saved_line_ups_newest_first_with_their_members_in_order(db, call):
    now = dt.datetime(2021, 10, 1, 12, tzinfo=dt.UTC)
    with db.write() as s:
        first = save_line_up(s, "First draft", [call["named"]], now)
        newest = save_line_up(
            s, "Final <b>line-up</b>", [call["anonymous"], call["named"]], now + dt.timedelta(hours=1)
        )
    with db.read() as s:
        found = coverage_da.saved_line_ups(s)
        inputs = coverage_da.coverage_inputs(s)
    assert [(f.id, f.name, f.version) for f in found] == [
        (newest, "Final <b>line-up</b>", 1),
        (first, "First draft", 1),
    ]
    assert found[0].submission_ids == (call["anonymous"], call["named"])
    assert inputs.line_ups == found


@pytest.mark.parametrize("role", ["office", "admin"])
def test_cell_submissions_are_masked_like_the_submissions_page(db, call, call_config, role):
    with db.read() as s:
        frame = coverage_da.cell_submissions(
            s, submission_ids=[call["anonymous"]], viewer=call[role], config=call_config
        )
    assert list(frame["id"]) == [call["anonymous"]]
    row = frame.iloc[0]
    # The office and the admin keep an anonymous contributor's contact details, flagged as anonymous.
    assert (row["organisation"], bool(row["anonymous"]), bool(row["identity_visible"])) == ("Hidden Org", True, True)


def test_cell_submissions_refuse_a_reviewer(db, call, call_config):
    with db.read() as s, pytest.raises(AccessDenied):
        coverage_da.cell_submissions(s, submission_ids=[call["named"]], viewer=call["reviewer"], config=call_config)
