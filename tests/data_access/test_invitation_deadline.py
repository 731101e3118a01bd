"""The date to reply by ends at midnight UK time (Europe/London), not UTC midnight:
an hour earlier in summer (BST), the same in winter (GMT), on both sides of the
clock changes; the reply link expires then, the invitation shows "no reply by the
deadline" from then, and the email says so in words. Both databases."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from data_access import invitations as inv
from data_access import signoff
from data_access.models import PresenterInvitation, utcnow
from tests.data_access.test_invitations import REPLY_BY, call, invited, mint, saved  # noqa: F401 (fixtures)
from tests.data_access.test_tokens import settings_for
from tests.support.dbdump import table_contents

UTC = dt.UTC


@pytest.mark.parametrize(
    ("reply_by", "ends_utc"),
    [
        (dt.date(2027, 7, 1), dt.datetime(2027, 7, 1, 23, 0, tzinfo=UTC)),  # summer (BST): 23:00 UTC
        (dt.date(2027, 12, 1), dt.datetime(2027, 12, 2, 0, 0, tzinfo=UTC)),  # winter (GMT): UTC midnight
        (dt.date(2027, 3, 27), dt.datetime(2027, 3, 28, 0, 0, tzinfo=UTC)),  # the night the clocks go forward
        (dt.date(2027, 3, 28), dt.datetime(2027, 3, 28, 23, 0, tzinfo=UTC)),  # the first day of BST
        (dt.date(2027, 10, 30), dt.datetime(2027, 10, 30, 23, 0, tzinfo=UTC)),  # the night the clocks go back
        (dt.date(2027, 10, 31), dt.datetime(2027, 11, 1, 0, 0, tzinfo=UTC)),  # the first day of GMT again
    ],
)
def test_the_deadline_is_the_end_of_the_reply_by_day_in_uk_time(reply_by, ends_utc):
    end = inv.deadline_end(reply_by)
    assert end == ends_utc
    assert end.utcoffset() == dt.timedelta(0)  # stored and compared as UTC
    assert end.astimezone(inv.UK).time() == dt.time(0)  # midnight in London
    assert end.astimezone(inv.UK).date() == reply_by + dt.timedelta(days=1)
    before = end - dt.timedelta(seconds=1)
    assert inv.invitation_state("pending", None, reply_by, before) == "awaiting"
    assert inv.invitation_state("pending", None, reply_by, end) == "no_reply"


def test_in_summer_the_link_expires_and_no_reply_shows_at_midnight_uk_time(db, invited):  # noqa: F811
    reference = sorted(invited)[0]
    summer = dt.date(REPLY_BY.year + 1, 7, 1)
    with db.write() as s:
        s.execute(
            update(PresenterInvitation)
            .where(PresenterInvitation.outbox_message_id == invited[reference].id)
            .values(reply_by=summer)
        )
    token = mint(db, invited[reference])
    eleven_pm_utc = dt.datetime(summer.year, 7, 1, 23, 0, tzinfo=UTC)  # midnight in London
    with db.read() as s:
        assert inv.check_link(s, token=token, now=eleven_pm_utc - dt.timedelta(seconds=1)) is not None
        assert inv.check_link(s, token=token, now=eleven_pm_utc) is None
        states = {r.reference: r.state for r in inv.list_invitations(s, line_up_id=invited_line_up(s, invited))}
        late = inv.list_invitations(s, line_up_id=invited_line_up(s, invited), now=eleven_pm_utc)
    assert states[reference] == "awaiting"
    assert {r.reference: r.state for r in late}[reference] == "no_reply"


def invited_line_up(s, invited) -> int:  # noqa: F811
    record = next(iter(invited.values()))
    return s.scalar(select(PresenterInvitation.line_up_id).where(PresenterInvitation.outbox_message_id == record.id))


def test_the_email_says_the_end_of_the_day_in_uk_time(invited):  # noqa: F811
    words = f"by the end of {inv.long_date(REPLY_BY)} (UK time)"
    for record in invited.values():
        assert words in record.body_text
        assert words in (record.body_html or "")
    assert inv.reply_by_words(dt.date(2027, 7, 1)) == "the end of Thursday 1 July 2027 (UK time)"


@pytest.mark.parametrize("days_past_the_latest", [1, None])  # None: the last date there is
def test_a_reply_by_date_more_than_a_year_ahead_is_refused_in_words_and_nothing_changes(
    db,
    call_config,
    call,  # noqa: F811
    saved,  # noqa: F811
    days_past_the_latest,
):
    now = utcnow()
    latest = inv.latest_reply_by(now)
    assert latest == now.astimezone(inv.UK).date() + dt.timedelta(days=inv.REPLY_BY_MAX_DAYS)
    too_late = dt.date.max if days_past_the_latest is None else latest + dt.timedelta(days=days_past_the_latest)
    with db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=saved.version)
    before = table_contents(db)

    def invite(reply_by):
        with db.write() as s:
            return inv.invite_all(
                s,
                viewer=call["admin"],
                line_up_id=saved.id,
                reply_by=reply_by,
                settings=settings_for(),
                config=call_config,
                now=now,
            )

    with pytest.raises(inv.InvitationError, match=f"within a year: {inv.long_date(latest)} at the latest"):
        invite(too_late)
    assert table_contents(db) == before
    assert len(invite(latest).queued) == len(saved.members)  # the latest date itself is allowed
