"""One-time links to set a password (data_access.tokens): single use (also two
uses at once), expiry, stored hashed, invitations through the outbox and a
real SMTP server, password resets (the same whether or not an account
matches; throttled). Both databases."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import io
import re
import threading
import time
import zipfile
from urllib.parse import parse_qs, urlsplit

import bcrypt
import pytest
from sqlalchemy import inspect, select, text

from data_access import auth, delivery, outbox, tokens, users
from data_access.audit import AuditFilter, list_entries
from data_access.models import OutboxMessage, PasswordToken, utcnow
from tests.data_access.test_delivery import mail_settings
from tests.factories import make_user
from tests.test_manage import manage

PUBLIC = "https://evidence.example.org"
NEW_PASSWORD = "copper kettle orchard lantern"
OTHER_PASSWORD = "violet harbour thimble engine"


def settings_for(server=None, **extra: str):
    return mail_settings(server, **({"EVIDENCE_PUBLIC_URL": PUBLIC} | extra))


def issue(db, user, *, purpose=tokens.INVITATION, hours=1.0, now=None) -> tokens.Issued:
    with db.write() as s:
        return tokens.issue(
            s, user_id=user.user_id, purpose=purpose, lifetime=dt.timedelta(hours=hours), actor="boss", now=now
        )


def set_with(db, token, password=NEW_PASSWORD, now=None) -> str:
    return tokens.set_password_with_link(db, token=token, password=password, rounds=4, now=now)


def signs_in(db, username, password) -> bool:
    with db.read() as s:
        stored = users.password_hash_for(s, username)
    return stored is not None and bcrypt.checkpw(password.encode(), stored.encode())


def link_token(link: str) -> str:
    [token] = parse_qs(urlsplit(link).query)["token"]
    return token


def all_stored_text(db) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    with db.read() as s:
        for table in inspect(s.get_bind()).get_table_names():
            for row in s.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 (names from the schema itself)
                parts.extend(str(value) for value in row)
    return "\n".join(parts)


def outbox_rows(db) -> list[outbox.OutboxRecord]:
    with db.read() as s:
        return [outbox.as_record(m) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_a_link_sets_the_password_once_and_ends_the_other_sign_ins(db):
    with db.write() as s:
        person = make_user(s, username="pshah", email="p.shah@example.org")
        signed_in = auth.start_session(s, user_id=person.user_id, expires_at=utcnow() + dt.timedelta(days=1))
    issued = issue(db, person)
    with db.read() as s:
        holder = tokens.check(s, token=issued.token)
    assert holder.username == "pshah" and holder.purpose == "invitation"
    assert set_with(db, issued.token) == "pshah"
    assert signs_in(db, "pshah", NEW_PASSWORD)
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=signed_in).viewer is None  # signed out everywhere
        assert tokens.check(s, token=issued.token) is None
        used = list_entries(s, filters=AuditFilter(action="password_link.use"))
    assert used["actor"].tolist() == ["pshah"]
    with pytest.raises(tokens.LinkInvalid) as refused:
        set_with(db, issued.token, OTHER_PASSWORD)
    assert str(refused.value) == tokens.INVALID_LINK
    assert signs_in(db, "pshah", NEW_PASSWORD) and not signs_in(db, "pshah", OTHER_PASSWORD)


def test_two_uses_of_one_link_at_the_same_moment_one_wins(db):
    with db.write() as s:
        person = make_user(s, username="racer")
    issued = issue(db, person)
    start = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def use(password: str) -> None:
        start.wait()
        try:
            set_with(db, issued.token, password)
            outcomes[password] = "set"
        except tokens.LinkInvalid:
            outcomes[password] = "refused"

    threads = [threading.Thread(target=use, args=(p,)) for p in (NEW_PASSWORD, OTHER_PASSWORD)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(outcomes.values()) == ["refused", "set"]
    [winner] = [p for p, outcome in outcomes.items() if outcome == "set"]
    [loser] = [p for p, outcome in outcomes.items() if outcome == "refused"]
    assert signs_in(db, "racer", winner) and not signs_in(db, "racer", loser)
    with db.read() as s:
        assert len(list_entries(s, filters=AuditFilter(action="password_link.use"))) == 1


def test_an_expired_link_changes_nothing_and_says_the_same_sentence(db):
    now = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
    with db.write() as s:
        person = make_user(s, username="late", password="an earlier quiet meadow")
    issued = issue(db, person, hours=1, now=now)
    with db.read() as s:
        assert tokens.check(s, token=issued.token, now=now + dt.timedelta(minutes=59)) is not None
        assert tokens.check(s, token=issued.token, now=now + dt.timedelta(hours=1)) is None
    with pytest.raises(tokens.LinkInvalid) as refused:
        set_with(db, issued.token, now=now + dt.timedelta(hours=1, seconds=1))
    assert str(refused.value) == tokens.INVALID_LINK
    assert signs_in(db, "late", "an earlier quiet meadow") and not signs_in(db, "late", NEW_PASSWORD)
    with pytest.raises(tokens.LinkInvalid) as wrong:
        set_with(db, issued.token[:-2] + "xx")
    assert str(wrong.value) == tokens.INVALID_LINK


def test_a_new_link_ends_the_earlier_one_and_a_deactivated_account_has_none(db):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        person = make_user(s, username="twice")
    first = issue(db, person)
    second = issue(db, person)
    with db.read() as s:
        assert tokens.check(s, token=first.token) is None
        assert tokens.check(s, token=second.token) is not None
    with db.write() as s:
        users.set_active(s, user_id=person.user_id, active=False, actor=admin.username)
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, second.token)


def test_a_password_the_policy_refuses_is_said_why_and_the_link_still_works(db):
    with db.write() as s:
        person = make_user(s, username="picky")
    issued = issue(db, person)
    for refused in ("short", "password123456", "picky-picky-picky-1"):
        with pytest.raises(users.UserError):
            set_with(db, issued.token, refused)
    assert set_with(db, issued.token) == "picky"


def minted_link(db, message: outbox.OutboxRecord, settings) -> str:
    """The link of `message` as it is sent (minted now, as delivery does)."""
    with db.write() as s:
        sent = tokens.fill_link(s, record=message, settings=settings, actor="test")
    [link] = [w for w in sent.body_text.split() if w.startswith(PUBLIC)]
    return link


def test_only_a_hash_of_the_token_is_stored_and_a_used_link_leaves_no_trace(db, call_config):
    settings = settings_for()
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        _person, message = tokens.create_and_invite(
            s,
            settings=settings,
            config=call_config,
            actor="boss",
            email="hashed@example.org",
            username="hashed",
            name="Hash Person",
            role="reviewer",
        )
    token = link_token(minted_link(db, message, settings))
    with db.read() as s:
        [stored_hash] = s.scalars(select(PasswordToken.token_sha256))
    assert stored_hash == tokens.digest(token) and len(token) >= 43  # 32 random bytes
    assert token not in all_stored_text(db)  # not in the outbox either: only in the message as sent
    set_with(db, token)
    assert token not in all_stored_text(db)


def test_the_outbox_holds_a_placeholder_and_only_the_message_sent_holds_a_working_link(db, call_config, smtp_server):
    settings = settings_for(smtp_server)
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        _person, queued = tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="placeholder@example.org",
            username="placeholder", name="Place Holder", role="reviewer",
        )  # fmt: skip
    # What an admin previewing the outbox, or a database backup, holds: no link to use, no token at all.
    assert "token=" not in all_stored_text(db)
    for body in (queued.body_text, queued.body_html or ""):
        assert "token=" not in body and PUBLIC not in body
        assert tokens.LINK_PLACEHOLDER in body and tokens.EXPIRY_PLACEHOLDER in body
    with db.read() as s:
        assert s.scalars(select(PasswordToken)).all() == []  # minted when sent
    assert delivery.send_due(db, settings, actor="test").sent == 1
    [mail] = smtp_server.messages
    text_part = mail.get_body(preferencelist=("plain",)).get_content()
    html_part = mail.get_body(preferencelist=("html",)).get_content()
    [link] = [w for w in text_part.split() if w.startswith(PUBLIC)]
    assert f'href="{link}"' in html_part and tokens.LINK_PLACEHOLDER not in text_part + html_part
    with db.read() as s:
        [(created_at, expires_at)] = s.execute(select(PasswordToken.created_at, PasswordToken.expires_at)).all()
    [row] = outbox_rows(db)
    expires = tokens._when(expires_at)
    assert expires in text_part and tokens.EXPIRY_PLACEHOLDER not in text_part
    assert expires_at - created_at == dt.timedelta(days=settings.invitation_link_days)
    assert row.status == "sent" and tokens.LINK_PLACEHOLDER in row.body_text  # the row kept its placeholder
    assert link_token(link) not in all_stored_text(db)
    assert set_with(db, link_token(link)) == "placeholder"


def test_a_link_that_cannot_be_made_at_send_time_fails_the_message_with_the_reason(db, call_config, smtp_server):
    settings = settings_for(smtp_server)
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        gone, _ = tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="gone@example.org", username="gone",
            name="Gone Person", role="reviewer",
        )  # fmt: skip
        tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="nourl@example.org", username="nourl",
            name="No Url", role="reviewer",
        )  # fmt: skip
        users.set_active(s, user_id=gone.id, active=False, actor="boss")
    report = delivery.send_due(db, settings_for(smtp_server, EVIDENCE_PUBLIC_URL=""), actor="test")
    assert (report.sent, report.failed, report.gave_up) == (0, 2, 2)
    reasons = dict(report.failures)
    assert "no longer active" in reasons[1] and "EVIDENCE_PUBLIC_URL" in reasons[2]
    assert smtp_server.messages == []
    with db.read() as s:
        assert s.scalars(select(PasswordToken)).all() == []


def test_a_download_to_send_by_hand_carries_a_new_link_and_an_earlier_download_stops_working(db, call_config):
    settings = settings_for()
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="byhand@example.org", username="byhand",
            name="By Hand", role="reviewer",
        )  # fmt: skip

    def downloaded_link(kind: str) -> str:
        with db.write() as s:
            if kind == "eml":
                archive = zipfile.ZipFile(io.BytesIO(delivery.eml_zip(s, viewer=admin, settings=settings).content))
                [name] = archive.namelist()
                text_body = email.message_from_bytes(archive.read(name), policy=email.policy.default)
                body = text_body.get_body(preferencelist=("plain",)).get_content()
            else:
                body = delivery.mail_merge_csv(s, viewer=admin, settings=settings).content.decode("utf-8-sig")
        [link] = re.findall(re.escape(PUBLIC) + r"/set_password\?token=[A-Za-z0-9_-]+", body)
        return link

    first = downloaded_link("eml")
    with db.read() as s:
        assert tokens.check(s, token=link_token(first)) is not None
    second = downloaded_link("csv")
    with db.read() as s:
        assert tokens.check(s, token=link_token(first)) is None  # the earlier download's link stops working
        assert tokens.check(s, token=link_token(second)).username == "byhand"
    assert link_token(second) not in all_stored_text(db)
    [row] = outbox_rows(db)
    assert row.status == "queued" and tokens.LINK_PLACEHOLDER in row.body_text  # a download changes no row


def test_an_invitation_is_queued_with_a_working_link_and_nothing_without_an_address(db, call_config):
    settings = settings_for()
    with db.write() as s:
        make_user(s, role="admin", username="boss")
    with db.write() as s:
        person, message = tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="Invitee@Example.org", username="invitee",
            name="New Invitee", role="reviewer",
        )  # fmt: skip
    assert message.purpose == "reviewer.invitation" and message.recipient_email == "Invitee@Example.org"
    assert message.recipient_user_id == person.id and "invitee" in message.body_text
    assert message.idempotency_key.startswith(f"reviewer.invitation:user-{person.id}:link-")
    with db.read() as s:
        assert users.password_hash_for(s, "invitee") is None  # no password: nobody signs in as them yet
        assert users.invited_user_ids(s) == {person.id}
    for refused in ({"email": ""}, {"email": "x@example.org", "settings": settings_for(EVIDENCE_PUBLIC_URL="")}):
        kwargs = {"settings": settings, "config": call_config, "actor": "boss", "email": "a@example.org"} | refused
        with pytest.raises(users.UserError), db.write() as s:
            tokens.create_and_invite(s, username="nobody", name="No Body", role="reviewer", **kwargs)
        with db.read() as s:
            assert users.get_user_by_username(s, "nobody") is None  # nothing added
    assert len(outbox_rows(db)) == 1
    with db.write() as s, pytest.raises(users.UserError, match="has a password already"):
        tokens.invite(s, user_id=make_user(s, email="has@example.org").user_id, settings=settings,
                      config=call_config, actor="boss")  # fmt: skip


def test_the_invitation_arrives_through_a_real_smtp_server_and_its_link_sets_the_password(db, call_config, smtp_server):
    settings = settings_for(smtp_server)
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        tokens.create_and_invite(
            s, settings=settings, config=call_config, actor="boss", email="arrives@example.org", username="arrives",
            name="Arriving Reviewer", role="reviewer",
        )  # fmt: skip
    report = delivery.send_due(db, settings, actor="test")
    assert report.sent == 1
    [mail] = smtp_server.messages
    assert mail["To"] == "arrives@example.org"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    [link] = [w for w in body.split() if w.startswith(PUBLIC)]
    assert link.startswith(f"{PUBLIC}/set_password?token=")
    assert set_with(db, link_token(link)) == "arrives"
    assert signs_in(db, "arrives", NEW_PASSWORD)


def reset(db, who, settings, call_config, client="203.0.113.7", seconds=0.0):
    tokens.request_reset(
        db, identifier=who, client=client, settings=settings, config=call_config, answer_seconds=seconds
    )


def test_a_reset_is_queued_for_an_existing_account_only_and_its_link_works(db, call_config):
    settings = settings_for()
    with db.write() as s:
        make_user(s, username="forgetful", email="Forgetful@Example.org", password="an earlier quiet meadow")
        make_user(s, username="noaddress")
    reset(db, "nobody-here", settings, call_config)
    reset(db, "noaddress", settings, call_config)
    assert outbox_rows(db) == []
    with db.read() as s:
        assert s.scalars(select(PasswordToken)).all() == []
    reset(db, "forgetful@example.ORG", settings, call_config)  # by address, in any case
    [message] = outbox_rows(db)
    assert message.purpose == "reviewer.reset" and message.recipient_email == "Forgetful@Example.org"
    link = minted_link(db, message, settings)
    with db.read() as s:
        [(created_at, expires_at)] = s.execute(select(PasswordToken.created_at, PasswordToken.expires_at)).all()
    assert expires_at - created_at == dt.timedelta(minutes=settings.reset_link_minutes)
    assert signs_in(db, "forgetful", "an earlier quiet meadow")  # asking changes nothing by itself
    assert set_with(db, link_token(link)) == "forgetful"
    assert signs_in(db, "forgetful", NEW_PASSWORD)


def test_a_reset_takes_as_long_for_an_account_as_for_none(db, call_config):
    settings = settings_for()
    with db.write() as s:
        make_user(s, username="timed", email="timed@example.org")
    spent = {}
    for who in ("timed", "not-an-account"):
        started = time.monotonic()
        reset(db, who, settings, call_config, seconds=0.4)
        spent[who] = time.monotonic() - started
    assert all(0.4 <= seconds < 1.5 for seconds in spent.values()), spent
    assert len(outbox_rows(db)) == 1


def test_resets_are_throttled_per_account_and_per_client(db, call_config):
    settings = settings_for()
    per_account, per_client = tokens.RESET_MAX_REQUESTS, tokens.RESET_MAX_CLIENT_REQUESTS
    with db.write() as s:
        for n in range(per_client):
            make_user(s, username=f"person{n}", email=f"person{n}@example.org")
    for _ in range(per_account + 1):
        reset(db, "person0", settings, call_config, client="198.51.100.1")
    assert len(outbox_rows(db)) == per_account  # the last one asks too often for that account
    for n in range(1, per_client - per_account):  # the client's other asks, up to its count: each queued
        reset(db, f"person{n}", settings, call_config, client="198.51.100.1")
    assert len(outbox_rows(db)) == per_client - 1
    last = f"person{per_client - per_account}"
    reset(db, last, settings, call_config, client="198.51.100.1")  # one too many from that client
    assert len(outbox_rows(db)) == per_client - 1
    reset(db, last, settings, call_config, client="198.51.100.2")  # another client
    assert [m.recipient_email for m in outbox_rows(db)][-1] == f"{last}@example.org"
    with db.read() as s:
        assert auth.locked_until(s, username=tokens.RESET_KEY + "person0") is not None
        assert auth.locked_until(s, username="person0") is None  # the sign-in throttle is another count


def test_without_a_public_address_no_reset_is_possible_for_anyone(db, call_config):
    settings = settings_for(EVIDENCE_PUBLIC_URL="")
    with db.write() as s:
        make_user(s, username="someone", email="someone@example.org")
    for who in ("someone", "nobody"):
        with pytest.raises(tokens.ResetUnavailable) as refused:
            reset(db, who, settings, call_config)
        assert str(refused.value) == tokens.RESET_UNAVAILABLE
    assert outbox_rows(db) == []


def test_manage_invite_queues_an_invitation_for_a_user_without_a_password(db, db_url):
    with db.write() as s:
        users.create_user(
            s, username="cli-invitee", name="Command Line", role="reviewer", password_hash=users.INVITED_HASH,
            email="cli@example.org", actor="test",
        )  # fmt: skip
        make_user(s, username="haspassword", email="has@example.org")
    env = {"EVIDENCE_PUBLIC_URL": PUBLIC}
    done = manage("invite", "cli-invitee", db_url=db_url, env=env)
    assert done.returncode == 0, done.stderr
    assert "queued an invitation to cli-invitee" in done.stdout
    [message] = outbox_rows(db)
    assert message.recipient_email == "cli@example.org" and tokens.LINK_PLACEHOLDER in message.body_text
    assert "token=" not in message.body_text  # minted when it is sent
    for who, why in (("nobody", "There is no user"), ("haspassword", "has a password already")):
        refused = manage("invite", who, db_url=db_url, env=env)
        assert refused.returncode == 1 and why in refused.stderr and "nothing was queued" in refused.stderr.lower()
    no_address = manage("invite", "cli-invitee", db_url=db_url, env={"EVIDENCE_PUBLIC_URL": ""})
    assert no_address.returncode == 1 and "EVIDENCE_PUBLIC_URL" in no_address.stderr
    assert len(outbox_rows(db)) == 1
