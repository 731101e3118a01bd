"""The Users page (ui.user_admin): the admin never types or sees a password.
Adding a person without an address, and resetting a password, show a
one-time link once; with an address, the message is queued and no link is
shown; a new link ends the old one; what was typed renders as plain text."""

from __future__ import annotations

import bcrypt
import pytest
from sqlalchemy import select, update
from streamlit.testing.v1 import AppTest

from data_access import auth, tokens, users
from data_access.models import OutboxMessage, User, utcnow
from tests.data_access.test_account_links import stored_hash, works
from tests.data_access.test_tokens import NEW_PASSWORD, link_token
from tests.factories import TEST_PASSWORD, make_user
from tests.support.apptest import rerun, run_app, texts
from ui import user_admin

PUBLIC = "https://evidence.example.org"
HOSTILE_ADDRESS = "[click here](https://evil.example/x) **now** <b>bold</b>"


@pytest.fixture(autouse=True)
def public_address(monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", PUBLIC)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def state_text(at: AppTest) -> str:
    """Every value this session keeps, as text."""
    return "\n".join(f"{key}={at.session_state[key]!r}" for key in at.session_state)


def add(at: AppTest, db_url: str, **values: str) -> AppTest:
    for label, value in values.items():
        next(t for t in at.text_input if t.label.startswith(label)).input(value)
    button(at, "Add user").click()
    return rerun(at, db_url)


def choose(at: AppTest, db_url: str, username: str) -> AppTest:
    at.selectbox(key="users.edit.username").select(username)
    return rerun(at, db_url)


def shown_link(at: AppTest) -> str:
    """The one link on the page: in a code block, under our words; nowhere else, and not kept."""
    [code] = at.code
    link = code.value
    assert link.startswith(f"{PUBLIC}/set_password?token=")
    assert user_admin.LINK_HEADING in [w.value for w in at.warning]
    assert "It works once, until" in texts(at)
    token = link_token(link)
    assert token not in texts(at)  # only in the code block
    assert token not in state_text(at)  # shown, then forgotten
    return link


@pytest.fixture
def admin(db):
    with db.write() as s:
        return make_user(s, role="admin", username="boss")


def test_adding_a_person_without_an_address_shows_a_one_time_link_once_and_no_password(db, db_url, admin):
    at = run_app(db_url, admin, page="pages/users.py")
    at = add(at, db_url, Username="handed", **{"Full name": "Handed Over"})
    assert not at.exception and not at.error
    link = shown_link(at)
    # Nobody chose a password for them: the account has none, so none can be on the page or in the state.
    assert stored_hash(db, "handed") == users.INVITED_HASH
    assert "Password for" not in texts(at) + state_text(at)
    assert at.dataframe[0].value.set_index("Username").loc["handed", "Password"] == "invited, not set yet"
    with db.read() as s:
        assert s.scalars(select(OutboxMessage)).all() == []
    at = rerun(at, db_url)
    assert not at.code and link_token(link) not in texts(at) + state_text(at)  # shown once
    assert tokens.set_password_with_link(db, token=link_token(link), password=NEW_PASSWORD, rounds=4) == "handed"
    assert not works(db, link_token(link))  # and it works once


def test_a_new_link_for_a_person_without_an_address_ends_the_one_before(db, db_url, admin):
    at = run_app(db_url, admin, page="pages/users.py")
    at = add(at, db_url, Username="handed", **{"Full name": "Handed Over"})
    first = shown_link(at)
    at = choose(at, db_url, "handed")
    button(at, "Make a new link").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error
    second = shown_link(at)
    assert second != first
    assert not works(db, link_token(first)) and works(db, link_token(second))


def test_resetting_a_password_without_an_address_shows_a_link_and_the_password_stands_until_it_is_used(
    db, db_url, admin
):
    with db.write() as s:
        person = make_user(s, username="forgetful")
        signed_in = auth.start_session(s, user_id=person.user_id, expires_at=utcnow().replace(year=2099))
    before = stored_hash(db, "forgetful")
    at = run_app(db_url, admin, page="pages/users.py")
    at = choose(at, db_url, "forgetful")
    button(at, "Reset password").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error
    link = shown_link(at)
    assert "a password reset" in texts(at)
    assert stored_hash(db, "forgetful") == before  # no password was chosen for them
    assert bcrypt.checkpw(TEST_PASSWORD.encode(), before.encode())
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=signed_in).viewer is not None
    tokens.set_password_with_link(db, token=link_token(link), password=NEW_PASSWORD, rounds=4)
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=signed_in).viewer is None  # their sign-ins ended
    assert bcrypt.checkpw(NEW_PASSWORD.encode(), stored_hash(db, "forgetful").encode())


def test_resetting_a_password_with_an_address_queues_a_message_and_shows_no_link(db, db_url, admin):
    with db.write() as s:
        make_user(s, username="mailed", email="mailed@example.org")
    before = stored_hash(db, "mailed")
    at = run_app(db_url, admin, page="pages/users.py")
    at = choose(at, db_url, "mailed")
    button(at, "Reset password").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error and not at.code
    assert [m.value for m in at.success] == [user_admin.RESET_QUEUED]
    with db.read() as s:
        [message] = s.scalars(select(OutboxMessage)).all()
        assert (message.purpose, message.recipient_email) == ("reviewer.reset", "mailed@example.org")
        assert tokens.LINK_PLACEHOLDER in message.body_text  # the link is made as the message is sent
        assert "token=" not in message.body_text
    assert "token=" not in texts(at) + state_text(at)
    assert stored_hash(db, "mailed") == before


def test_what_was_typed_and_a_stored_username_render_as_plain_text(db, db_url, admin):
    at = run_app(db_url, admin, page="pages/users.py")
    at = add(at, db_url, Username="hostile", **{"Full name": "Hostile Input", "Email": HOSTILE_ADDRESS})
    assert [e.value for e in at.error] == ["Nobody was added:"]
    assert f"{HOSTILE_ADDRESS!r} is not an email address." in [t.value for t in at.text]
    rich = [*at.error, *at.success, *at.markdown, *at.warning, *at.info, *at.caption]
    assert not any("evil.example" in el.value for el in rich)
    with db.read() as s:
        assert users.get_user_by_username(s, "hostile") is None

    # A username written around today's checks (an older row) is shown as text too.
    with db.write() as s:
        person = make_user(s, username="legacy")
        s.execute(update(User).where(User.id == person.user_id).values(username="x_[a](https://evil.example/y)_"))
    at = run_app(db_url, admin, page="pages/users.py")
    at = choose(at, db_url, "x_[a](https://evil.example/y)_")
    at.button(key="users.toggle").click()
    at = rerun(at, db_url)
    assert not at.exception
    assert [m.value for m in at.success] == ["Deactivated: signed out everywhere at their next action."]
    assert "x_[a](https://evil.example/y)_" in [t.value for t in at.text]
    rich = [*at.error, *at.success, *at.markdown, *at.warning, *at.info, *at.caption]
    assert not any("evil.example" in el.value for el in rich)


def test_an_address_given_later_turns_the_new_link_into_a_mailed_invitation(db, db_url, admin):
    at = run_app(db_url, admin, page="pages/users.py")
    at = add(at, db_url, Username="handed", **{"Full name": "Handed Over"})
    first = shown_link(at)
    at = choose(at, db_url, "handed")
    with db.read() as s:
        user_id = users.get_user_by_username(s, "handed").id
    at.text_input(key=f"users.email.{user_id}").input("handed@example.org")
    at.button(key="users.save").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error
    with db.read() as s:
        assert users.get_user_by_username(s, "handed").email == "handed@example.org"
    button(at, "Send a new invitation").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error and not at.code
    assert [m.value for m in at.success] == [user_admin.RESENT]
    assert "handed: to handed@example.org" in [t.value for t in at.text]
    with db.read() as s:
        [message] = s.scalars(select(OutboxMessage)).all()
        assert (message.purpose, message.recipient_email) == ("reviewer.invitation", "handed@example.org")
    assert not works(db, link_token(first))  # the link shown before ends


def test_without_a_public_address_the_page_says_no_link_can_be_made_and_adds_nobody(db, db_url, admin, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", "")
    at = run_app(db_url, admin, page="pages/users.py")
    assert user_admin.NO_PUBLIC_ADDRESS in [w.value for w in at.warning]
    at = add(at, db_url, Username="stranded", **{"Full name": "Strand Ed"})
    assert [e.value for e in at.error] == ["Nobody was added:"] and not at.code
    assert "No public address is set (EVIDENCE_PUBLIC_URL), so no link can be made." in [t.value for t in at.text]
    with db.read() as s:
        assert users.get_user_by_username(s, "stranded") is None
