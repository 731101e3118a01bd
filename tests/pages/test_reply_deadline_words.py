"""The presenter's reply page says the deadline as the email does: "by the end of <date> (UK time)"."""

from __future__ import annotations

from data_access import invitations as inv
from data_access.models import PresenterInvitation
from tests.pages.test_programme_page import invite, line_up, open_reply, public_address  # noqa: F401 (fixtures)


def test_the_reply_page_says_the_end_of_the_reply_by_day_in_uk_time(db, db_url, call_config, line_up):  # noqa: F811
    links = invite(db, call_config, line_up)
    mine = line_up["references"][0]
    with db.read() as s:
        reply_by = s.query(PresenterInvitation.reply_by).filter_by(submission_id=line_up["ids"][0]).scalar()
    at = open_reply(db_url, links[mine])
    assert not at.exception
    shown = [t.value for t in at.text]
    assert any(f"Please reply by the end of {inv.long_date(reply_by)} (UK time)." in t for t in shown), shown
