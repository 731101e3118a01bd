"""Accounts get one-time links, never a password chosen by someone else
(data_access.account_links): adding a person with or without an address,
a new invitation link ending the old one, a reset queued or handed over, and
`manage.py create-user`. Both databases."""

from __future__ import annotations

import datetime as dt

import bcrypt
import pytest
from sqlalchemy import select

from data_access import account_links, auth, tokens, users
from data_access.audit import AuditFilter, list_entries
from data_access.models import PasswordToken, User, utcnow
from tests.data_access.test_tokens import (
    NEW_PASSWORD,
    OTHER_PASSWORD,
    PUBLIC,
    link_token,
    minted_link,
    outbox_rows,
    set_with,
    settings_for,
    signs_in,
)
from tests.factories import make_user
from tests.test_manage import manage

OLD_PASSWORD = "an earlier quiet meadow"
PERSON = {"username": "handed", "name": "Handed Over", "role": "reviewer"}


def stored_hash(db, username: str) -> str:
    with db.read() as s:
        return s.scalar(select(User.password_hash).where(User.username == username))


def works(db, token: str) -> bool:
    with db.read() as s:
        return tokens.check(s, token=token) is not None


def add(db, call_config, settings=None, **fields) -> account_links.LinkSent:
    with db.write() as s:
        return account_links.add_user(
            s, settings=settings or settings_for(), config=call_config, actor="boss", **(PERSON | fields)
        )


def test_a_person_added_without_an_address_has_no_password_and_a_link_that_works_once(db, call_config):
    sent = add(db, call_config, email="")
    assert sent.message is None and sent.link is not None
    assert outbox_rows(db) == []  # nothing to send: the link is for the admin to hand over
    assert stored_hash(db, "handed") == users.INVITED_HASH  # nobody chose a password: there is none
    link = sent.link
    assert link.url.startswith(f"{PUBLIC}/set_password?token=") and link.purpose == tokens.INVITATION
    expected = utcnow() + dt.timedelta(days=7)
    assert abs((link.expires_at.replace(tzinfo=dt.UTC) - expected.replace(tzinfo=dt.UTC)).total_seconds()) < 60
    token = link_token(link.url)
    with db.read() as s:
        [stored] = s.scalars(select(PasswordToken.token_sha256)).all()
    assert stored == tokens.digest(token) != token  # stored hashed only
    assert set_with(db, token) == "handed"
    assert signs_in(db, "handed", NEW_PASSWORD)
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, token, password=OTHER_PASSWORD)  # once only
    assert signs_in(db, "handed", NEW_PASSWORD)


def test_a_person_added_with_an_address_gets_their_invitation_in_the_outbox(db, call_config):
    sent = add(db, call_config, email="handed@example.org")
    assert sent.link is None and sent.message.purpose == "reviewer.invitation"
    [message] = outbox_rows(db)
    assert message.recipient_email == "handed@example.org" and message.recipient_user_id == sent.user.id
    assert stored_hash(db, "handed") == users.INVITED_HASH


def test_a_new_link_ends_the_one_made_before(db, call_config):
    first = add(db, call_config, email="").link
    with db.write() as s:
        person = users.get_user_by_username(s, "handed")
        second = account_links.new_invitation(
            s, user_id=person.id, settings=settings_for(), config=call_config, actor="boss"
        ).link
    assert second.url != first.url
    assert not works(db, link_token(first.url))
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, link_token(first.url))
    assert works(db, link_token(second.url))
    assert set_with(db, link_token(second.url)) == "handed"
    with db.read() as s:
        issued = list_entries(s, filters=AuditFilter(action="password_link.issue"))
        shown = list_entries(s, filters=AuditFilter(action="password_link.show"))
    assert issued["actor"].tolist() == ["boss", "boss"]
    assert shown["actor"].tolist() == ["boss", "boss"]  # each link the admin saw
    assert sorted(e["link"] for e in shown["new"]) == sorted(e["link"] for e in issued["new"])
    assert not any(link_token(link.url) in str(entry) for link in (first, second) for entry in shown.to_dict("records"))


def test_a_reset_without_an_address_keeps_the_password_until_the_link_is_used_then_ends_sign_ins(db, call_config):
    with db.write() as s:
        person = make_user(s, username="forgetful", password=OLD_PASSWORD)
        signed_in = auth.start_session(s, user_id=person.user_id, expires_at=utcnow() + dt.timedelta(days=1))
    before = stored_hash(db, "forgetful")
    with db.write() as s:
        sent = account_links.reset(s, user_id=person.user_id, settings=settings_for(), config=call_config, actor="boss")
    assert sent.message is None and sent.link.purpose == tokens.RESET
    expected = utcnow() + dt.timedelta(minutes=60)
    assert abs((sent.link.expires_at.replace(tzinfo=dt.UTC) - expected.replace(tzinfo=dt.UTC)).total_seconds()) < 60
    assert outbox_rows(db) == []
    assert stored_hash(db, "forgetful") == before and signs_in(db, "forgetful", OLD_PASSWORD)
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=signed_in).viewer is not None
    assert set_with(db, link_token(sent.link.url)) == "forgetful"
    assert signs_in(db, "forgetful", NEW_PASSWORD) and not signs_in(db, "forgetful", OLD_PASSWORD)
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=signed_in).viewer is None  # their sign-ins ended


def test_a_reset_with_an_address_is_queued_and_its_link_works(db, call_config):
    with db.write() as s:
        person = make_user(s, username="mailed", email="Mailed@Example.org", password=OLD_PASSWORD)
    with db.write() as s:
        sent = account_links.reset(s, user_id=person.user_id, settings=settings_for(), config=call_config, actor="boss")
    assert sent.link is None
    [message] = outbox_rows(db)
    assert (message.purpose, message.recipient_email, message.recipient_user_id) == (
        "reviewer.reset",
        "Mailed@Example.org",
        person.user_id,
    )
    assert tokens.LINK_PLACEHOLDER in message.body_text  # the link is made as the message is sent
    link = minted_link(db, message, settings_for())
    assert signs_in(db, "mailed", OLD_PASSWORD)
    assert set_with(db, link_token(link)) == "mailed"
    assert signs_in(db, "mailed", NEW_PASSWORD)


def test_refused_actions_write_nothing(db, call_config):
    no_public_address = settings_for(EVIDENCE_PUBLIC_URL="")
    with pytest.raises(users.UserError, match="EVIDENCE_PUBLIC_URL"):
        add(db, call_config, settings=no_public_address, email="")
    with db.read() as s:
        assert users.get_user_by_username(s, "handed") is None
        assert s.scalars(select(PasswordToken)).all() == []
    with db.write() as s:
        has_password = make_user(s, username="haspw", password=OLD_PASSWORD)
        leaver = make_user(s, username="leaver")
        invited = users.create_user(
            s, username="invited", name="In Vited", role="reviewer", password_hash=users.INVITED_HASH, actor="t"
        )
        users.set_active(s, user_id=leaver.user_id, active=False, actor="t")
    refusals = [
        (account_links.new_invitation, has_password.user_id, "has a password already"),
        (account_links.reset, invited.id, "has not set a password yet"),
        (account_links.reset, leaver.user_id, "Only an active account"),
        (account_links.new_invitation, leaver.user_id, "Only an active account"),
    ]
    for action, user_id, words in refusals:
        with pytest.raises(users.UserError, match=words), db.write() as s:
            action(s, user_id=user_id, settings=settings_for(), config=call_config, actor="boss")
    with db.read() as s:
        assert s.scalars(select(PasswordToken)).all() == []
    assert outbox_rows(db) == []
    assert signs_in(db, "haspw", OLD_PASSWORD)


def test_create_user_gives_office_and_reviewers_a_link_and_an_admin_a_password(db, db_url):
    env = {"EVIDENCE_PUBLIC_URL": PUBLIC}
    handed = manage("create-user", "cli-rev", "--name", "Cli Reviewer", "--role", "reviewer", db_url=db_url, env=env)
    assert handed.returncode == 0, handed.stderr
    [url] = [line for line in handed.stdout.splitlines() if line.startswith(PUBLIC)]
    assert "created reviewer cli-rev (Cli Reviewer) without a password" in handed.stdout
    assert "It works once, until" in handed.stdout
    assert stored_hash(db, "cli-rev") == users.INVITED_HASH
    assert set_with(db, link_token(url)) == "cli-rev" and signs_in(db, "cli-rev", NEW_PASSWORD)

    mailed = manage(
        "create-user", "cli-office", "--name", "Cli Office", "--role", "office", "--email", "office@example.org",
        db_url=db_url, env=env,
    )  # fmt: skip
    assert mailed.returncode == 0, mailed.stderr
    assert "queued their invitation" in mailed.stdout and PUBLIC not in mailed.stdout
    [message] = outbox_rows(db)
    assert message.recipient_email == "office@example.org" and message.purpose == "reviewer.invitation"

    chosen = manage(
        "create-user", "cli-chosen", "--name", "Cli Chosen", "--role", "reviewer", "--password-stdin",
        db_url=db_url, env=env, stdin=OLD_PASSWORD + "\n",
    )  # fmt: skip
    assert chosen.returncode == 0, chosen.stderr
    assert bcrypt.checkpw(OLD_PASSWORD.encode(), stored_hash(db, "cli-chosen").encode())

    admin = manage("create-user", "cli-admin", "--name", "Cli Admin", "--role", "admin", db_url=db_url, env=env,
                   stdin=OTHER_PASSWORD + "\n")  # fmt: skip
    assert admin.returncode == 0 and PUBLIC not in admin.stdout  # the first admin chooses their password
    assert signs_in(db, "cli-admin", OTHER_PASSWORD)

    stranded = manage("create-user", "cli-none", "--name", "N", "--role", "reviewer", db_url=db_url,
                      env={"EVIDENCE_PUBLIC_URL": ""})  # fmt: skip
    assert stranded.returncode == 1
    assert "EVIDENCE_PUBLIC_URL" in stranded.stderr and "--password-stdin" in stranded.stderr
    assert "Nothing was changed" in stranded.stderr
    with db.read() as s:
        assert users.get_user_by_username(s, "cli-none") is None
