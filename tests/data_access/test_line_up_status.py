"""The office's view of a signed-off line-up (data_access.line_up_status): the replies
counted as scoring.replies counts them, each rule's balance on the confirmed line-up,
the presenters with their reply and session, no organisation for an anonymous
submission, and the role checked on the server. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data_access import invitations as inv
from data_access import line_up_status as status_da
from data_access.errors import AccessDenied
from data_access.models import PresenterInvitation, ProgrammeSession, Submission, User, utcnow
from data_access.users import set_active
from scoring import replies
from tests.data_access.test_invitations import call, invited, saved  # noqa: F401 (fixtures)
from tests.factories import make_user


def _status(db, call_config, call, saved, viewer=None, now=None):  # noqa: F811
    with db.read() as s:
        return status_da.line_up_status(
            s,
            viewer=viewer or call["office"],
            line_up_id=saved.id,
            config=call_config,
            scores=call["scores"],
            now=now,
        )


def _reply(db, call, reference: str, choice: str) -> None:  # noqa: F811
    with db.write() as s:
        row = s.scalars(
            select(PresenterInvitation)
            .join(Submission, Submission.id == PresenterInvitation.submission_id)
            .where(Submission.reference == reference)
        ).one()
        inv.record_reply(s, viewer=call["admin"], invitation_id=row.id, choice=choice, expected_version=row.version)


def test_before_any_reply_every_rule_waits_on_the_awaiting_and_nothing_is_confirmed(
    db,
    call_config,
    call,  # noqa: F811
    saved,  # noqa: F811
    invited,  # noqa: F811
):
    shown = _status(db, call_config, call, saved)
    assert shown.line_up.name == "Conference" and shown.line_up.current_is_signed_off
    n = len(saved.members)
    assert shown.counts == replies.ReplyCounts(invited=n, awaiting=n)
    assert [p.reference for p in shown.presenters] == sorted(m.reference for m in saved.members)
    assert {p.reply for p in shown.presenters} == {replies.AWAITING}
    assert shown.balance.confirmed == {}
    # Nobody has accepted: the slots are not filled now, and would be if everyone accepts.
    statuses = {r.family: r.status for r in shown.balance.rules}
    assert statuses["slots"] == replies.WAITING
    assert replies.BROKEN not in statuses.values() and replies.AT_RISK not in statuses.values()


def test_replies_are_counted_and_a_declined_survivor_led_place_breaks_the_rule(
    db,
    call_config,
    call,  # noqa: F811
    saved,  # noqa: F811
    invited,  # noqa: F811
):
    by_ref = {m.reference: m for m in saved.members}
    with db.read() as s:
        survivor_led = s.scalar(select(Submission.reference).where(Submission.id == call["ids"][7]))
    assert survivor_led in by_ref  # the only survivor-led submission is in the line-up (min_survivor_involved 1)
    others = [r for r in sorted(by_ref) if r != survivor_led]
    _reply(db, call, others[0], "in_person")
    _reply(db, call, others[1], "virtual")
    _reply(db, call, survivor_led, "declined")
    late = others[2]
    with db.write() as s:  # one reply-by date already past
        s.execute(
            update(PresenterInvitation)
            .where(PresenterInvitation.submission_id == by_ref[late].submission_id)
            .values(reply_by=(utcnow() - dt.timedelta(days=2)).date())
        )
    shown = _status(db, call_config, call, saved)
    n = len(saved.members)
    assert shown.counts == replies.ReplyCounts(
        invited=n, accepted_in_person=1, accepted_virtual=1, declined=1, awaiting=n - 4, no_reply_by_deadline=1
    )
    replies_of = {p.reference: p.reply for p in shown.presenters}
    assert replies_of[others[0]] == replies.ACCEPTED_IN_PERSON
    assert replies_of[others[1]] == replies.ACCEPTED_VIRTUAL
    assert replies_of[survivor_led] == replies.DECLINED
    assert replies_of[late] == replies.NO_REPLY_BY_DEADLINE
    labels = {p.reference: p.reply_label for p in shown.presenters}
    with db.read() as s:  # the same words as the Programme page's list of invitations
        assert labels == {r.reference: r.state_words for r in inv.list_invitations(s, line_up_id=saved.id)}
    assert shown.balance.confirmed == {
        by_ref[others[0]].submission_id: "in_person",
        by_ref[others[1]].submission_id: "virtual",
    }
    rules = {r.family: r for r in shown.balance.rules}
    assert rules["survivor"].status == replies.BROKEN  # broken even if every awaiting presenter accepts
    assert rules["survivor"].if_awaiting_accept  # with the rule's own words
    assert rules["slots"].status == replies.BROKEN  # a declined and a lapsed place: six can no longer be reached


def test_presenters_show_their_session_and_no_organisation_when_anonymous(
    db,
    call_config,
    call,  # noqa: F811
    saved,  # noqa: F811
    invited,  # noqa: F811
):
    first, second = sorted(m.reference for m in saved.members)[:2]
    ids = {m.reference: m.submission_id for m in saved.members}
    starts = dt.datetime(2027, 3, 4, 10, tzinfo=dt.UTC)
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == ids[second]).values(anonymous=True))
        room = ProgrammeSession(
            title="Morning: support",
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=1),
            format="in_person",
            capacity=3,
            room="Room 1",
            created_by="test",
        )
        s.add(room)
        s.flush()
        s.execute(
            update(PresenterInvitation)
            .where(PresenterInvitation.submission_id == ids[first])
            .values(session_id=room.id, session_position=1)
        )
    by_ref = {p.reference: p for p in _status(db, call_config, call, saved).presenters}
    assert (by_ref[first].session, by_ref[first].session_starts_at) == ("Morning: support", starts)
    assert by_ref[second].session is None
    assert by_ref[second].anonymous and by_ref[second].organisation is None
    assert by_ref[first].organisation is not None and by_ref[first].organisation.startswith("Organisation ")


def test_only_signed_off_line_ups_are_listed(db, call_config, call, saved):  # noqa: F811
    with db.read() as s:
        assert status_da.signed_off_line_ups(s, viewer=call["office"]) == []
        with pytest.raises(status_da.LineUpStatusError):
            status_da.line_up_status(s, viewer=call["office"], line_up_id=saved.id, config=call_config)


@pytest.mark.parametrize("who", ["reviewer", "deactivated office", "office turned reviewer"])
def test_the_role_is_checked_on_the_server(db, call_config, call, saved, invited, who):  # noqa: F811
    office = call["office"]
    with db.write() as s:
        if who == "reviewer":
            viewer = make_user(s, role="reviewer")
        elif who == "deactivated office":
            viewer = office
            set_active(s, user_id=office.user_id, active=False, actor=call["admin"].username)
        else:
            viewer = office
            s.execute(update(User).where(User.id == office.user_id).values(role="reviewer"))
    with db.read() as s, pytest.raises(AccessDenied):
        status_da.line_up_status(s, viewer=viewer, line_up_id=saved.id, config=call_config, scores=call["scores"])
    with db.read() as s, pytest.raises(AccessDenied):
        status_da.signed_off_line_ups(s, viewer=viewer)


def test_the_admin_sees_it_too(db, call_config, call, saved, invited):  # noqa: F811
    shown = _status(db, call_config, call, saved, viewer=call["admin"])
    assert shown.counts.invited == len(saved.members)
