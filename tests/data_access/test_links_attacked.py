"""Issue 16, an attacker's review: one-time links outlive what they were for.

A link is a key to an account for whoever holds the address it went to. When
the address is corrected (an invitation sent to a typo, a former employer's
mailbox), the account is deactivated, or the password is changed another way,
the links already sent must stop working: otherwise the wrong mailbox keeps a
key, and a reactivated account comes back with every link it had. Both
databases (the `db` fixture).
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from data_access import tokens, users
from data_access.models import MessageTemplate, PasswordToken, utcnow
from tests.data_access.test_tokens import NEW_PASSWORD, issue, outbox_rows, reset, set_with, settings_for, signs_in
from tests.factories import make_user, password_hash

OLD_PASSWORD = "an earlier quiet meadow"


def unused_links(db, person) -> int:
    with db.read() as s:
        rows = s.scalars(
            select(PasswordToken).where(PasswordToken.user_id == person.user_id, PasswordToken.used_at.is_(None))
        )
        return len(list(rows))


@pytest.mark.parametrize("purpose", [tokens.INVITATION, tokens.RESET])
def test_a_link_sent_to_an_address_that_was_then_corrected_no_longer_works(db, purpose):
    with db.write() as s:
        person = make_user(s, username="typo", email="typo@exmaple.org", password=OLD_PASSWORD)
    issued = issue(db, person, purpose=purpose)
    with db.write() as s:
        users.update_details(s, user_id=person.user_id, actor="boss", email="typo@example.org")
    assert unused_links(db, person) == 0
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, issued.token)
    assert signs_in(db, "typo", OLD_PASSWORD) and not signs_in(db, "typo", NEW_PASSWORD)


def test_a_change_that_keeps_the_address_keeps_the_link(db):
    with db.write() as s:
        person = make_user(s, username="renamed", email="renamed@example.org")
    issued = issue(db, person)
    with db.write() as s:
        users.update_details(s, user_id=person.user_id, actor="boss", name="A New Name", email="Renamed@example.org ")
    assert set_with(db, issued.token) == "renamed"


def test_a_deactivated_account_comes_back_without_the_links_it_had(db):
    with db.write() as s:
        person = make_user(s, username="leaver", email="leaver@example.org", password=OLD_PASSWORD)
    issued = issue(db, person, purpose=tokens.RESET)
    with db.write() as s:
        users.set_active(s, user_id=person.user_id, active=False, actor="boss")
    with db.write() as s:
        users.set_active(s, user_id=person.user_id, active=True, actor="boss")
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, issued.token)
    assert signs_in(db, "leaver", OLD_PASSWORD)


def test_a_password_changed_another_way_ends_the_links_already_sent(db):
    with db.write() as s:
        person = make_user(s, username="changer", email="changer@example.org", password=OLD_PASSWORD)
    issued = issue(db, person, purpose=tokens.RESET)
    with db.write() as s:
        users.set_password(
            s, user_id=person.user_id, password_hash=password_hash("violet harbour", username="changer"), actor="x"
        )
    with pytest.raises(tokens.LinkInvalid):
        set_with(db, issued.token)
    assert signs_in(db, "changer", "violet harbour")


def test_resets_for_one_account_are_counted_together_whatever_names_it(db, call_config):
    """The count per username or address let one account be asked for by its username and
    by its address: twice the messages the limit means. Each account now has a count of
    its own too."""
    settings = settings_for()
    with db.write() as s:
        make_user(s, username="flooded", email="flooded@example.org")
    for who in ("flooded", "flooded@example.org", "FLOODED@example.org", "flooded"):
        for client in ("198.51.100.1", "198.51.100.2"):
            reset(db, who, settings, call_config, client=client)
    assert len(outbox_rows(db)) == tokens.RESET_MAX_REQUESTS


def test_a_reset_template_that_no_longer_renders_answers_the_same_for_an_account_and_for_none(db, call_config):
    """A reset template saved before a check was added (or written around the editor) that
    now fails to render: for an account the failure was caught and logged, for no account
    it escaped to the page as an error: an oracle for which usernames and addresses exist."""
    settings = settings_for()
    with db.write() as s:
        make_user(s, username="exists", email="exists@example.org")
        s.add(
            MessageTemplate(
                purpose="reviewer.reset",
                subject="Reset",
                body_text="Dear {{ recipient_name }}: {{ reset_link }}",
                body_html='<p title={{ recipient_name }}>Reset: <a href="{{ reset_link }}">link</a></p>',
                version=1,
                updated_by="former-admin",
                updated_at=utcnow(),
            )
        )
    answers = {}
    for who in ("exists", "nobody-by-this-name"):
        try:
            answers[who] = reset(db, who, settings, call_config)
        except Exception as exc:  # noqa: BLE001 (what escapes is the oracle)
            answers[who] = type(exc).__name__
    assert answers == {"exists": None, "nobody-by-this-name": None}
    assert outbox_rows(db) == []
