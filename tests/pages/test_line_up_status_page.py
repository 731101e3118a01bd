"""The Line-up status page through the real app: the office and the admin see a signed-off
line-up's replies as metrics, the presenters (an anonymous submission's organisation not
shown, contributor text as text) and the balance against each rule; a reviewer is refused
on the server and sees nothing of it. Both databases."""

from __future__ import annotations

from sqlalchemy import select, update

from data_access import invitations as inv
from data_access.models import PresenterInvitation, Submission
from tests.data_access.test_invitations import call, invited, saved  # noqa: F401 (fixtures)
from tests.factories import make_user
from tests.support.apptest import run_app, texts
from ui import line_up_status as page_ui
from ui.guard import wrong_role_message

PAGE = "pages/line_up_status.py"
TRICKY = "**Bold** <script>alert(1)</script> [link](http://x.example)"


def _prepare(db, call, saved) -> dict[str, str]:  # noqa: F811
    """One accepted in person, one declined, one anonymous with a title in Markdown and HTML."""
    refs = sorted(m.reference for m in saved.members)
    with db.write() as s:
        rows = {
            ref: s.scalars(
                select(PresenterInvitation)
                .join(Submission, Submission.id == PresenterInvitation.submission_id)
                .where(Submission.reference == ref)
            ).one()
            for ref in refs[:2]
        }
        inv.record_reply(
            s, viewer=call["admin"], invitation_id=rows[refs[0]].id, choice="in_person", expected_version=1
        )
        inv.record_reply(s, viewer=call["admin"], invitation_id=rows[refs[1]].id, choice="declined", expected_version=1)
        s.execute(update(Submission).where(Submission.reference == refs[2]).values(anonymous=True, title=TRICKY))
        secret = s.scalar(select(Submission.organisation).where(Submission.reference == refs[2]))
    return {"accepted": refs[0], "declined": refs[1], "anonymous": refs[2], "secret": secret}


def test_the_office_sees_the_replies_presenters_and_balance(db, db_url, call, saved, invited):  # noqa: F811
    shown = _prepare(db, call, saved)
    n = len(saved.members)
    at = run_app(db_url, call["office"], page=PAGE)
    assert not at.exception
    assert [m.label for m in at.metric] == [label for label, _ in page_ui.METRICS]
    assert [m.value for m in at.metric] == [str(n), "1", "0", "1", str(n - 2), "0"]
    [presenters, balance] = at.dataframe
    table = presenters.value.set_index("Reference")
    assert table.loc[shown["accepted"], "Reply"] == inv.STATE_WORDS["accepted_in_person"]  # as on the Programme page
    assert table.loc[shown["declined"], "Reply"] == inv.STATE_WORDS["declined"]
    assert set(table["Reply"]) == {inv.STATE_WORDS[s] for s in ("accepted_in_person", "declined", "awaiting")}
    assert table.loc[shown["anonymous"], "Organisation"] == "(anonymous)"
    assert table.loc[shown["anonymous"], "Title"] == TRICKY  # a cell: characters, not Markdown or HTML
    assert table.loc[shown["accepted"], "Organisation"].startswith("Organisation ")
    assert shown["secret"] not in texts(at)
    assert "<script>" not in "".join(m.value for m in at.markdown)
    assert set(balance.value["Balance"]) <= set(page_ui.STATUS_WORDS.values())
    assert "exactly 6 presenters" in set(balance.value["Rule"])


def test_the_admin_sees_it_and_a_reviewer_is_refused(db, db_url, call, saved, invited):  # noqa: F811
    admin = run_app(db_url, call["admin"], page=PAGE)
    assert not admin.exception and len(admin.metric) == len(page_ui.METRICS)
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
    at = run_app(db_url, reviewer, page=PAGE)
    assert not at.exception
    assert wrong_role_message("reviewer", "line_up_status") in [e.value for e in at.error]
    assert not at.metric and not at.dataframe
    assert saved.members[0].reference not in texts(at)


def test_with_no_sign_off_the_page_says_where_to_sign_off(db, db_url, call, saved):  # noqa: F811
    at = run_app(db_url, call["office"], page=PAGE)
    assert not at.exception
    assert [i.value for i in at.info] == [page_ui.NO_SIGN_OFF]
    assert not at.metric


def test_the_sign_off_line_names_the_account_as_text(db, db_url, call, saved, invited):  # noqa: F811
    at = run_app(db_url, call["admin"], page=PAGE)
    office = call["office"].username
    assert any(t.value.startswith("Version 1 signed off by " + office + " on ") for t in at.text)
    assert not any(office in m.value for m in [*at.markdown, *at.caption])
