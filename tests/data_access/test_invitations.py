"""From line-up to programme (data_access.signoff, data_access.invitations): sign-off (office or
admin, frozen: a change is a new version needing its own sign-off),
invitations through the outbox with the reply link minted at send time, and
replies through the link (once, until the deadline, only its own invitation;
two at once: one wins) or recorded by the admin. Both databases."""

from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from data_access import auth, delivery, outbox, signoff, tokens
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access.audit import AuditFilter, list_entries
from data_access.models import InvitationToken, OutboxMessage, PresenterInvitation, Submission, utcnow
from data_access.submissions import AccessDenied
from tests.data_access.test_lineups import eight_presentable, propose
from tests.data_access.test_tokens import all_stored_text, settings_for
from tests.factories import make_user, scores_frame_for
from tests.support.dbdump import table_contents
from tests.test_manage import manage

REPLY_BY = (utcnow() + dt.timedelta(days=14)).date()


@pytest.fixture
def call(db, call_config):
    """Eight scored submissions that can present, across both themes and sectors; an admin and the office."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        ids = eight_presentable(s, call_config, contact_email=lambda i: f"contact{i}@example.org")
    scores = scores_frame_for(call_config, {sid: 4.5 - 0.1 * n for n, sid in enumerate(ids)})
    return {"admin": admin, "office": office, "ids": ids, "scores": scores}


@pytest.fixture
def saved(db, call_config, call):
    """A saved line-up (version 1) of the `call` fixture's submissions."""
    result = propose(db, call_config, call["scores"])
    with db.write() as s:
        record = lineups_da.save_line_up(
            s, viewer=call["admin"], name="Conference", result=result, scores=call["scores"]
        )
    return record


def sign_off_and_invite(db, call_config, call, line_up_id: int, version: int = 1) -> dict[str, outbox.OutboxRecord]:
    """The line-up signed off by the `call` fixture's office and invited by its admin (reply by
    `REPLY_BY`); {reference: outbox record} of every invitation message."""
    with db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=line_up_id, expected_version=version)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=call["admin"],
            line_up_id=line_up_id,
            reply_by=REPLY_BY,
            settings=settings_for(),
            config=call_config,
        )
    with db.read() as s:
        rows = s.execute(
            select(Submission.reference, OutboxMessage)
            .join(OutboxMessage, OutboxMessage.submission_id == Submission.id)
            .where(OutboxMessage.purpose == inv.PURPOSE)
        ).all()
        return {reference: outbox.as_record(message) for reference, message in rows}


@pytest.fixture
def invited(db, call_config, call, saved):
    """The line-up signed off by the office and invited by the admin; {reference: outbox record}."""
    return sign_off_and_invite(db, call_config, call, saved.id, saved.version)


def link_token(link: str) -> str:
    [token] = parse_qs(urlsplit(link).query)[inv.REPLY_PARAM]
    return token


def mint(db, record, *, now=None) -> str:
    """The message as sent (its reply link minted now); the link's token."""
    with db.write() as s:
        sent = inv.fill_link(s, record=record, settings=settings_for(), actor="test", now=now)
    [line] = [line for line in sent.body_text.splitlines() if f"/{inv.REPLY_PAGE}?{inv.REPLY_PARAM}=" in line]
    return link_token(line.strip())


def invitation(db, reference) -> inv.InvitationRecord:
    with db.read() as s:
        [record] = [r for r in inv.list_invitations(s, line_up_id=_line_up(s)) if r.reference == reference]
    return record


def _line_up(s) -> int:
    return s.scalar(select(PresenterInvitation.line_up_id).limit(1))


def reply(db, token, choice="in_person", **kwargs) -> str:
    with db.write() as s:
        return inv.reply_by_link(s, token=token, choice=choice, **kwargs)


def actions(db, action) -> list:
    with db.read() as s:
        return list_entries(s, filters=AuditFilter(action=action)).to_dict("records")


# --- sign-off -------------------------------------------------------------------


def test_the_office_signs_off_the_current_version_and_it_is_audited(db, call, saved):
    with db.write() as s:
        signed = signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=1)
    assert signed.version == 1 and signed.signed_off_by == call["office"].username
    assert list(signed.members) == [(m.submission_id, m.format) for m in saved.members]
    with db.read() as s:
        assert signoff.current_sign_off(s, line_up_id=saved.id) == signed
    [entry] = actions(db, "line_up.sign_off")
    assert entry["actor"] == call["office"].username and entry["entity_id"] == str(saved.id)
    assert [m["reference"] for m in entry["new"]["members"]] == [m.reference for m in saved.members]
    assert "Organisation" not in str(entry["new"])  # references, not people
    before = table_contents(db)
    with pytest.raises(signoff.SignOffError, match="signed off already"), db.write() as s:
        signoff.sign_off(s, viewer=call["admin"], line_up_id=saved.id, expected_version=1)
    assert table_contents(db) == before


def test_sign_off_is_refused_to_a_reviewer_and_for_a_version_no_longer_current(db, call, saved):
    before = table_contents(db)
    with db.write() as s:
        reviewer = make_user(s, role="reviewer")
    with pytest.raises(AccessDenied), db.write() as s:
        signoff.sign_off(s, viewer=reviewer, line_up_id=saved.id, expected_version=1)
    with pytest.raises(signoff.SignOffError, match="changed since you opened it"), db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=2)
    with pytest.raises(signoff.SignOffError, match="no such saved line-up"), db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id + 99, expected_version=1)
    after = table_contents(db)
    assert after["line_up_signoffs"] == before["line_up_signoffs"] == []
    assert [e["action"] for e in actions(db, "line_up.sign_off")] == []


def test_a_change_to_a_signed_off_line_up_is_a_new_version_that_needs_its_own_sign_off(db, call_config, call, saved):
    with db.write() as s:
        first = signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=1)
    dropped = saved.members[0].submission_id
    changed = propose(db, call_config, call["scores"], excluded=(dropped,))
    with db.write() as s:
        lineups_da.save_line_up(
            s, viewer=call["admin"], name="Conference", result=changed, scores=call["scores"], expected_version=1
        )
    with db.read() as s:
        assert signoff.current_sign_off(s, line_up_id=saved.id) is None
        [kept] = signoff.sign_offs(s, line_up_id=saved.id)
    assert kept == first and dropped in {sid for sid, _ in kept.members}  # version 1 stays as it was signed off
    with pytest.raises(inv.InvitationError, match="sign off its current version"), db.write() as s:
        inv.invite_all(
            s, viewer=call["admin"], line_up_id=saved.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    with db.write() as s:
        second = signoff.sign_off(s, viewer=call["admin"], line_up_id=saved.id, expected_version=2)
    assert second.version == 2 and dropped not in {sid for sid, _ in second.members}


# --- invitations ------------------------------------------------------------------


def test_invite_all_queues_one_message_per_presenter_with_a_placeholder_never_a_token(db, call, saved, invited):
    assert sorted(invited) == sorted(m.reference for m in saved.members)
    for reference, record in invited.items():
        assert record.template == inv.PURPOSE and record.status == "queued"
        assert inv.REPLY_PLACEHOLDER in record.body_text and "token=" not in record.body_text
        assert reference in record.body_text
    with db.read() as s:
        assert s.scalar(select(InvitationToken.id)) is None  # no link exists before a message is sent
        records = inv.list_invitations(s, line_up_id=saved.id)
    assert {r.state for r in records} == {"awaiting"}
    assert {(r.reference, r.format_offered) for r in records} == {(m.reference, m.format) for m in saved.members}
    assert len(actions(db, "invitation.create")) == len(saved.members)


def test_inviting_again_queues_nothing_new_and_only_the_admin_may_invite(db, call_config, call, saved, invited):
    before = table_contents(db)
    with db.write() as s:
        again = inv.invite_all(
            s, viewer=call["admin"], line_up_id=saved.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    assert again.queued == [] and sorted(again.already) == sorted(invited)
    assert table_contents(db)["outbox_messages"] == before["outbox_messages"]
    with pytest.raises(AccessDenied), db.write() as s:
        inv.invite_all(
            s,
            viewer=call["office"],
            line_up_id=saved.id,
            reply_by=REPLY_BY,
            settings=settings_for(),
            config=call_config,
        )


def test_a_presenter_without_an_address_is_invited_without_a_message(db, call_config, call, saved):
    member = saved.members[0]
    with db.write() as s:
        s.get_one(Submission, member.submission_id).contact_email = None
        signoff.sign_off(s, viewer=call["admin"], line_up_id=saved.id, expected_version=1)
    with db.write() as s:
        report = inv.invite_all(
            s, viewer=call["admin"], line_up_id=saved.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    assert report.no_address == [member.reference]
    assert member.reference not in report.queued and len(report.queued) == len(saved.members) - 1
    assert invitation(db, member.reference).message_status is None


@pytest.mark.parametrize(
    ("reply_by", "public_url", "words"),
    [
        (utcnow().date(), "https://evidence.example.org", "at least a day away"),
        (REPLY_BY, "", "Reply links cannot be made"),
    ],
)
def test_invitations_that_cannot_be_made_change_nothing(db, call_config, call, saved, reply_by, public_url, words):
    with db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=1)
    before = table_contents(db)
    with pytest.raises(inv.InvitationError, match=words), db.write() as s:
        inv.invite_all(
            s,
            viewer=call["admin"],
            line_up_id=saved.id,
            reply_by=reply_by,
            settings=settings_for(EVIDENCE_PUBLIC_URL=public_url),
            config=call_config,
        )
    assert table_contents(db) == before


def test_the_message_sent_carries_a_working_link_and_the_outbox_keeps_the_placeholder(db, invited, smtp_server):
    report = delivery.send_due(db, settings_for(smtp_server), actor="test")
    assert report.sent == len(invited)
    assert len(smtp_server.messages) == len(invited)
    body = smtp_server.messages[0].get_body(("plain",)).get_content()
    [line] = [line for line in body.splitlines() if "https://evidence.example.org/reply?reply=" in line]
    token = link_token(line.strip())
    with db.read() as s:
        view = inv.check_link(s, token=token)
        stored = [outbox.as_record(m) for m in s.scalars(select(OutboxMessage))]
    assert view is not None and view.reference in body and view.title in body
    assert all(inv.REPLY_PLACEHOLDER in m.body_text and m.status == "sent" for m in stored)
    assert token not in all_stored_text(db)  # only its hash is stored


def test_a_download_to_send_by_hand_carries_a_working_reply_link_and_changes_no_row(db, call, invited):
    with db.write() as s:
        body = delivery.mail_merge_csv(s, viewer=call["admin"], settings=settings_for()).content.decode("utf-8-sig")
    links = re.findall(r"https://evidence\.example\.org/reply\?reply=[A-Za-z0-9_-]+", body)
    assert len(links) == len(invited)
    with db.read() as s:
        shown = {inv.check_link(s, token=link_token(link)).reference for link in links}
        stored = [outbox.as_record(m) for m in s.scalars(select(OutboxMessage))]
    assert shown == set(invited)
    assert all(m.status == "queued" and inv.REPLY_PLACEHOLDER in m.body_text for m in stored)


# --- replies ------------------------------------------------------------------------


def test_a_reply_through_the_link_is_recorded_once_and_audited_without_its_text(db, invited):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    assert reply(db, token, "virtual", access_needs="Step-free access, please", note="Happy to") == reference
    record = invitation(db, reference)
    assert record.state == "accepted_virtual" and record.replied_by == inv.LINK_ACTOR
    assert (record.access_needs, record.note) == ("Step-free access, please", "Happy to")
    [entry] = actions(db, "invitation.reply")
    assert entry["new"]["status"] == "accepted" and entry["new"]["access_needs_given"] is True
    assert "Step-free" not in str(entry) and "Happy to" not in str(entry)
    # Used twice: refused, nothing changed.
    before = table_contents(db)
    with pytest.raises(inv.ReplyLinkInvalid) as refused:
        reply(db, token, "declined")
    assert str(refused.value) == inv.INVALID_REPLY_LINK
    assert table_contents(db) == before
    with db.read() as s:
        assert inv.check_link(s, token=token) is None


def test_an_expired_link_changes_nothing_and_no_reply_by_the_deadline_is_shown_as_such(db, invited):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    end = inv.deadline_end(REPLY_BY)
    with db.read() as s:
        assert inv.check_link(s, token=token, now=end - dt.timedelta(seconds=1)) is not None
        assert inv.check_link(s, token=token, now=end) is None
        states = {r.reference: r.state for r in inv.list_invitations(s, line_up_id=_line_up(s), now=end)}
        assert inv.state_counts(inv.list_invitations(s, line_up_id=_line_up(s), now=end))["no_reply"] == len(invited)
        assert inv.state_counts(inv.list_invitations(s, line_up_id=_line_up(s)))["awaiting"] == len(invited)
    assert set(states.values()) == {"no_reply"}
    before = table_contents(db)
    with pytest.raises(inv.ReplyLinkInvalid), db.write() as s:
        inv.reply_by_link(s, token=token, choice="in_person", now=end + dt.timedelta(seconds=1))
    assert table_contents(db) == before
    # And no link is made for a message sent after the deadline.
    with pytest.raises(tokens.LinkUnavailable, match="date to reply by has passed"), db.write() as s:
        inv.fill_link(s, record=invited[reference], settings=settings_for(), actor="test", now=end)


def test_a_link_answers_only_its_own_invitation_and_a_password_link_is_not_a_reply_link(db, call, invited):
    first, second = sorted(invited)[:2]
    token = mint(db, invited[first])
    other = mint(db, invited[second])
    reply(db, token, "declined")
    assert invitation(db, first).state == "declined" and invitation(db, second).state == "awaiting"
    with db.read() as s:
        assert inv.check_link(s, token=other).reference == second
    with db.write() as s:
        password_link = tokens.issue(
            s, user_id=call["office"].user_id, purpose=tokens.RESET, lifetime=dt.timedelta(hours=1), actor="test"
        )
    before = table_contents(db)
    with pytest.raises(inv.ReplyLinkInvalid):
        reply(db, password_link.token, "in_person")
    with db.read() as s:
        assert tokens.check(s, token=other) is None  # nor the other way round
    assert table_contents(db) == before


def test_a_new_message_makes_a_new_link_and_the_earlier_one_stops_working(db, invited):
    reference = sorted(invited)[0]
    earlier = mint(db, invited[reference])
    later = mint(db, invited[reference])
    with pytest.raises(inv.ReplyLinkInvalid):
        reply(db, earlier)
    assert reply(db, later) == reference


def test_two_replies_at_the_same_moment_one_wins(db, invited):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def use(choice: str) -> None:
        start.wait()
        try:
            reply(db, token, choice)
            outcomes[choice] = "recorded"
        except inv.ReplyLinkInvalid:
            outcomes[choice] = "refused"

    threads = [threading.Thread(target=use, args=(c,)) for c in ("in_person", "declined")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["recorded", "refused"]
    [winner] = [c for c, outcome in outcomes.items() if outcome == "recorded"]
    state = invitation(db, reference).state
    assert state == ("declined" if winner == "declined" else "accepted_in_person")
    assert len(actions(db, "invitation.reply")) == 1


@pytest.mark.parametrize(
    ("choice", "access_needs", "words"),
    [("maybe", "", "Choose whether"), ("in_person", "x" * (inv.ACCESS_NEEDS_MAX + 1), "most allowed")],
)
def test_a_reply_that_cannot_be_changes_nothing_and_the_link_still_works(db, invited, choice, access_needs, words):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    before = table_contents(db)
    with pytest.raises(inv.InvitationError, match=words):
        reply(db, token, choice, access_needs=access_needs)
    assert table_contents(db) == before
    assert reply(db, token, "in_person") == reference


def test_the_admin_records_a_reply_received_another_way_and_the_link_stops_working(db, call, invited):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    record = invitation(db, reference)
    with db.write() as s:
        recorded = inv.record_reply(
            s,
            viewer=call["admin"],
            invitation_id=record.id,
            choice="declined",
            note="Phoned: away that week",
            expected_version=record.version,
        )
    assert recorded.state == "declined" and recorded.replied_by == call["admin"].username
    assert recorded.version == record.version + 1
    [entry] = actions(db, "invitation.record_reply")
    assert entry["old"]["status"] == "pending" and entry["new"]["status"] == "declined"
    assert "Phoned" not in str(entry)
    with pytest.raises(inv.ReplyLinkInvalid):
        reply(db, token, "in_person")
    assert invitation(db, reference).state == "declined"
    before = table_contents(db)
    with pytest.raises(inv.StaleInvitation), db.write() as s:  # a tab still showing the old version
        inv.record_reply(s, viewer=call["admin"], invitation_id=record.id, choice="virtual", expected_version=1)
    with pytest.raises(AccessDenied), db.write() as s:
        inv.record_reply(
            s, viewer=call["office"], invitation_id=record.id, choice="virtual", expected_version=recorded.version
        )
    assert table_contents(db) == before


def test_a_reply_recorded_while_a_link_is_open_refuses_the_link_and_keeps_it_unused(db, call, invited):
    reference = sorted(invited)[0]
    token = mint(db, invited[reference])
    record = invitation(db, reference)
    with db.write() as s:
        # The admin's reply lands between the page showing the invitation and the presenter's press.
        s.get_one(PresenterInvitation, record.id).status = "declined"
        s.get_one(PresenterInvitation, record.id).replied_at = utcnow()
    with pytest.raises(inv.ReplyLinkInvalid):
        reply(db, token, "in_person")
    with db.read() as s:
        assert s.scalar(select(InvitationToken.used_at).where(InvitationToken.invitation_id == record.id)) is None
    assert invitation(db, reference).state == "declined"


def test_no_link_is_made_for_an_invitation_that_has_a_reply(db, call, invited):
    reference = sorted(invited)[0]
    record = invitation(db, reference)
    with db.write() as s:
        inv.record_reply(s, viewer=call["admin"], invitation_id=record.id, choice="virtual", expected_version=1)
    with pytest.raises(tokens.LinkUnavailable, match="has a reply already"), db.write() as s:
        inv.fill_link(s, record=invited[reference], settings=settings_for(), actor="test")


def test_purge_removes_used_and_expired_reply_links_only_and_is_audited(db, db_url, invited):
    first, second, third = sorted(invited)[:3]
    used = mint(db, invited[first])
    reply(db, used)
    expired = mint(db, invited[second], now=inv.deadline_end(REPLY_BY) - dt.timedelta(days=20))
    working = mint(db, invited[third])
    with db.write() as s:
        s.execute(
            InvitationToken.__table__.update()
            .where(InvitationToken.token_sha256 == auth.token_digest(expired))
            .values(expires_at=utcnow() - dt.timedelta(minutes=1))
        )
    with db.write() as s:
        assert inv.purge_old_links(s, actor="manage.py", dry_run=True) == 2
    assert len(table_contents(db)["invitation_tokens"]) == 3  # a dry run removes nothing
    result = manage("purge-expired", db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert "reply links: removed 2 links" in result.stdout
    with db.read() as s:
        assert [link.invitation_id for link in s.scalars(select(InvitationToken))] == [invitation(db, third).id]
        assert inv.check_link(s, token=working) is not None
    [entry] = actions(db, "invitation_link.purge")
    assert entry["new"]["removed"] == 2 and working not in str(entry)


def test_a_presenter_erased_after_the_sign_off_is_not_invited_and_the_rest_are(db, call_config, call, saved):
    with db.write() as s:
        signoff.sign_off(s, viewer=call["office"], line_up_id=saved.id, expected_version=1)
    gone = saved.members[0]
    with db.write() as s:
        s.delete(s.get_one(Submission, gone.submission_id))  # as an erasure does (its rows go with it)
    with db.write() as s:
        report = inv.invite_all(
            s, viewer=call["admin"], line_up_id=saved.id, reply_by=REPLY_BY, settings=settings_for(), config=call_config
        )
    assert report.erased == 1 and gone.reference not in report.queued
    assert sorted(report.queued) == sorted(m.reference for m in saved.members[1:])
    assert any("erased since" in line for line in report.lines())
