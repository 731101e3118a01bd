"""The Programme page (office: read and sign off; admin: also invite and record
replies) and the presenter's reply page, without an account, through the real
app: the token leaves the address bar, only their own invitation is shown, the
contributor's text stays text, a link that does not work gets one sentence."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from data_access import invitations as inv
from data_access import outbox, signoff
from data_access.models import LineUp, LineUpMember, OutboxMessage, Submission, utcnow
from tests.data_access.test_invitations import link_token
from tests.data_access.test_tokens import settings_for
from tests.factories import make_submission, make_user
from tests.support.apptest import APP, rerun, run_app, texts
from tests.ui.test_deep_links import _asked
from ui import deep_links, presenter_reply
from ui import streamlit_adapter as adapter

PUBLIC = "https://evidence.example.org"
TRICKY = "**Bold** <script>alert(1)</script> [link](http://x.example)"
PROGRAMME = "pages/programme.py"


@pytest.fixture(autouse=True)
def public_address(monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", PUBLIC)


@pytest.fixture
def line_up(db, call_config):
    """A saved line-up of three submissions (one titled with Markdown and HTML); an admin and the office."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        ids = [
            make_submission(
                s,
                call_config,
                title=TRICKY if i == 0 else f"Evidence {i}",
                organisation=f"Secret Organisation {i}",
                contact_email=f"presenter{i}@example.org",
                presentation_preference="either",
            )
            for i in range(3)
        ]
        row = LineUp(name="Conference", rules={}, objective=1.0, notes="", created_by=admin.username, version=1)
        row.members = [
            LineUpMember(submission_id=sid, format="virtual" if i else "in_person", position=i + 1, pinned=False)
            for i, sid in enumerate(ids)
        ]
        s.add(row)
        s.flush()
        references = [s.get_one(Submission, sid).reference for sid in ids]
        return {"admin": admin, "office": office, "id": row.id, "ids": ids, "references": references}


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def invite(db, call_config, line_up) -> dict[str, str]:
    """Sign off and invite; {reference: reply token}, each minted as its message is sent."""
    with db.write() as s:
        signoff.sign_off(s, viewer=line_up["office"], line_up_id=line_up["id"], expected_version=1)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=line_up["admin"],
            line_up_id=line_up["id"],
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=settings_for(),
            config=call_config,
        )
    out = {}
    with db.write() as s:
        for message in s.scalars(select(OutboxMessage).where(OutboxMessage.purpose == inv.PURPOSE)):
            sent = inv.fill_link(s, record=outbox.as_record(message), settings=settings_for(), actor="test")
            [line] = [line for line in sent.body_text.splitlines() if "reply?reply=" in line]
            out[s.get_one(Submission, message.submission_id).reference] = link_token(line.strip())
    return out


def open_reply(db_url: str, token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params[inv.REPLY_PARAM] = token
    return rerun(at, db_url)


def test_the_reply_page_shows_only_the_presenters_own_invitation_and_records_one_reply(
    db, db_url, call_config, line_up
):
    links = invite(db, call_config, line_up)
    mine, *others = line_up["references"]
    at = open_reply(db_url, links[mine])
    assert not at.exception
    assert inv.REPLY_PARAM not in at.query_params  # gone from the address bar
    shown = texts(at)
    assert links[mine] not in shown
    assert [h.value for h in at.header] == [presenter_reply.TITLE]
    assert f"{mine}: {TRICKY}" in [t.value for t in at.text]  # the contributor's text, as text
    assert "<script>" not in "".join(m.value for m in at.markdown)
    assert "in person" in shown and mine in shown
    for other in others:
        assert other not in shown
    assert "Secret Organisation" not in shown and "score" not in shown.lower()
    at.radio(key="reply.choice").set_value("virtual")
    at.text_area(key="reply.access_needs").input("A quiet room before the session")
    button(at, "Send my reply").click()
    at = rerun(at, db_url)
    assert [s.value for s in at.success] == [presenter_reply.DONE.format(choice=inv.CHOICE_WORDS["virtual"].lower())]
    with db.read() as s:
        [record] = [r for r in inv.list_invitations(s, line_up_id=line_up["id"]) if r.reference == mine]
    assert record.state == "accepted_virtual" and record.access_needs == "A quiet room before the session"
    again = open_reply(db_url, links[mine])  # used: the one sentence
    assert [e.value for e in again.error] == [inv.INVALID_REPLY_LINK]
    assert not again.radio


def test_a_reply_without_a_choice_is_refused_and_changes_nothing(db, db_url, call_config, line_up):
    links = invite(db, call_config, line_up)
    mine = line_up["references"][0]
    at = open_reply(db_url, links[mine])
    button(at, "Send my reply").click()
    at = rerun(at, db_url)
    assert any("Choose whether" in e.value for e in at.error)
    with db.read() as s:
        assert inv.check_link(s, token=links[mine]) is not None  # still unused


def test_a_link_that_does_not_work_gets_one_sentence(db, db_url):
    at = open_reply(db_url, "not-a-token")
    assert not at.exception
    assert [e.value for e in at.error] == [inv.INVALID_REPLY_LINK]
    assert "not-a-token" not in texts(at)


def test_signed_in_a_reply_link_is_dropped_unused(db, db_url, call_config, line_up):
    links = invite(db, call_config, line_up)
    mine = line_up["references"][0]
    at = run_app(db_url, line_up["admin"])
    at.query_params[inv.REPLY_PARAM] = links[mine]
    at = rerun(at, db_url)
    assert presenter_reply.SIGNED_IN in [i.value for i in at.info]
    with db.read() as s:
        assert inv.check_link(s, token=links[mine]) is not None


def test_the_office_signs_off_and_the_admin_invites_and_records_a_reply(db, db_url, line_up):
    office = run_app(db_url, line_up["office"], page=PROGRAMME)
    assert not office.exception
    assert "Queue invitations" not in [b.label for b in office.button]
    button(office, "Sign off version 1").click()
    office = rerun(office, db_url)
    assert any(s.value == "Version 1 signed off." for s in office.success)
    assert "Queue invitations" not in [b.label for b in office.button]  # the office does not invite
    assert "Record reply" not in [b.label for b in office.button]

    admin = run_app(db_url, line_up["admin"], page=PROGRAMME)
    button(admin, "Queue invitations").click()
    admin = rerun(admin, db_url)
    assert not admin.exception
    assert any("3 invitation(s) queued" in s.value for s in admin.success)
    assert [m.value for m in admin.metric][:5] == ["0", "0", "0", "3", "0"]
    first = line_up["references"][0]
    [choice] = [r for r in admin.radio if r.label == "Reply"]
    choice.set_value("declined")
    admin.text_area[-1].input("Phoned: away that week")
    button(admin, "Record reply").click()
    admin = rerun(admin, db_url)
    assert "Reply recorded." in [s.value for s in admin.success]
    assert f"{first}: Declined." in [t.value for t in admin.text]  # the reference as text
    with db.read() as s:
        records = {r.reference: r for r in inv.list_invitations(s, line_up_id=line_up["id"])}
        assert s.scalar(select(LineUp.version)) == 1
    assert records[first].state == "declined" and records[first].note == "Phoned: away that week"
    assert records[first].replied_by == line_up["admin"].username


def test_the_reply_page_is_ours_signed_out_and_left_signed_in(monkeypatch):
    forgotten = _asked(monkeypatch, "", inv.REPLY_PAGE)
    assert deep_links.unknown_address() is False  # no "no page here" for a reply link
    assert deep_links.link_page() == inv.REPLY_PAGE and deep_links.at_link_page() is True
    deep_links.leave_link_page()
    assert forgotten == [True]
    _asked(monkeypatch, adapter.page_hash(inv.REPLY_PAGE), "")
    assert deep_links.link_page() == inv.REPLY_PAGE
    _asked(monkeypatch, "", "replies")
    assert deep_links.link_page() is None and deep_links.unknown_address() is True


def test_a_reply_that_came_in_after_the_page_was_drawn_is_not_overwritten(db, db_url, call_config, line_up):
    links = invite(db, call_config, line_up)
    first = line_up["references"][0]
    admin = run_app(db_url, line_up["admin"], page=PROGRAMME)
    with db.write() as s:  # the presenter accepts while the admin's page is open
        inv.reply_by_link(s, token=links[first], choice="in_person")
    [choice] = [r for r in admin.radio if r.label == "Reply"]
    choice.set_value("declined")
    button(admin, "Record reply").click()
    admin = rerun(admin, db_url)
    assert [e.value for e in admin.error] == ["The reply was not recorded:"]
    assert "changed since you opened it" in texts(admin)
    with db.read() as s:
        [record] = [r for r in inv.list_invitations(s, line_up_id=line_up["id"]) if r.reference == first]
    assert record.state == "accepted_in_person" and record.replied_by == inv.LINK_ACTOR


def test_the_page_offers_and_stores_no_reply_by_date_past_the_latest(db, db_url, line_up):
    """The date box ends at the latest date (`invitations.latest_reply_by`, a year ahead). A later
    date sent anyway (an edited request) is not taken: Streamlit puts a date outside the box's bounds
    back to its default, and the server refuses one past the latest (tests/data_access/
    test_invitation_deadline.py), so no invitation carries it."""
    with db.write() as s:
        signoff.sign_off(s, viewer=line_up["office"], line_up_id=line_up["id"], expected_version=1)
    at = run_app(db_url, line_up["admin"], page=PROGRAMME)
    latest = inv.latest_reply_by(utcnow())
    box = at.date_input(key="prog.reply_by")
    assert box.max == latest
    box.set_value(latest + dt.timedelta(days=366))
    button(at, "Queue invitations").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    with db.read() as s:
        dates = [r.reply_by for r in inv.list_invitations(s, line_up_id=line_up["id"])]
    assert dates and max(dates) <= latest
