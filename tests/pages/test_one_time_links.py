"""The signed-out pages of one-time links (ui.one_time_links): "Set your
password" from a link, "Forgot your password?", and invitations from the
Users page."""

from __future__ import annotations

import datetime as dt

import bcrypt
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from config import load_settings
from data_access import outbox, tokens, users
from data_access.models import OutboxMessage
from tests.factories import make_user
from tests.support.apptest import APP, rerun, run_app, sign_in_state, texts
from ui import one_time_links

PUBLIC = "https://evidence.example.org"
NEW_PASSWORD = "copper kettle orchard lantern"


@pytest.fixture(autouse=True)
def public_address(monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", PUBLIC)


def issue(db, username, *, hours=1.0, email=None):
    with db.write() as s:
        person = make_user(s, username=username, email=email)
        return tokens.issue(
            s, user_id=person.user_id, purpose=tokens.INVITATION, lifetime=dt.timedelta(hours=hours), actor="boss"
        )


def open_link(db_url: str, token: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["token"] = token
    return rerun(at, db_url)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def set_password(at: AppTest, db_url: str, password: str, again: str | None = None) -> AppTest:
    at.text_input(key="one_time.password").input(password)
    at.text_input(key="one_time.again").input(password if again is None else again)
    button(at, "Set my password").click()
    return rerun(at, db_url)


def signs_in(db, username, password) -> bool:
    with db.read() as s:
        stored = users.password_hash_for(s, username)
    return stored is not None and bcrypt.checkpw(password.encode(), stored.encode())


def queued(db) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count(OutboxMessage.id))) or 0)


def test_a_link_opens_set_your_password_and_then_the_sign_in_form(db, db_url):
    issued = issue(db, "linked")
    at = open_link(db_url, issued.token)
    assert not at.exception
    assert [h.value for h in at.header] == [one_time_links.SET_TITLE]
    assert "token" not in at.query_params  # gone from the address bar
    assert issued.token not in texts(at)  # never shown
    assert "Your username: linked" in texts(at)
    at = set_password(at, db_url, NEW_PASSWORD)
    assert not at.exception and not at.error
    assert one_time_links.DONE.format(username="linked") in [s.value for s in at.success]
    assert at.text_input(key="sign_in.username").value == "linked"  # the sign-in form, ready
    assert signs_in(db, "linked", NEW_PASSWORD)


def test_wrong_expired_and_used_links_get_the_same_sentence_and_change_nothing(db, db_url):
    used = issue(db, "used")
    tokens.set_password_with_link(db, token=used.token, password=NEW_PASSWORD, rounds=4)
    expired = issue(db, "expired", hours=-1)
    seen = []
    for token in ("not-a-token", used.token, expired.token):
        at = open_link(db_url, token)
        assert not at.exception
        assert not at.text_input  # no form to fill
        seen.append([e.value for e in at.error])
    assert seen == [[tokens.INVALID_LINK]] * 3
    assert not signs_in(db, "expired", NEW_PASSWORD)


def test_a_refused_password_says_why_and_the_link_still_works(db, db_url):
    issued = issue(db, "careful")
    at = set_password(open_link(db_url, issued.token), db_url, "too short")
    assert "at least 12" in at.error[0].value
    at = set_password(at, db_url, NEW_PASSWORD, again="something else entirely")
    assert [e.value for e in at.error] == [one_time_links.DIFFERENT]
    assert not signs_in(db, "careful", NEW_PASSWORD)
    at = set_password(at, db_url, NEW_PASSWORD)
    assert not at.error and signs_in(db, "careful", NEW_PASSWORD)


def ask_for_reset(db_url: str, who: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at = rerun(at, db_url)
    button(at, one_time_links.RESET_TITLE).click()
    at = rerun(at, db_url)
    at.text_input(key="one_time.who").input(who)
    button(at, "Send me a link").click()
    return rerun(at, db_url)


def test_forgot_your_password_shows_the_same_page_whether_or_not_the_account_exists(db, db_url):
    with db.write() as s:
        make_user(s, username="known", email="known@example.org")
    pages = []
    for who in ("nobody-at-all", "known"):
        at = ask_for_reset(db_url, who)
        assert not at.exception and not at.error
        pages.append(texts(at))
    assert pages[0] == pages[1]
    assert "If an account matches, a message is on its way" in pages[1]
    with db.read() as s:
        [message] = s.execute(select(OutboxMessage.purpose, OutboxMessage.recipient_email)).all()
    assert tuple(message) == ("reviewer.reset", "known@example.org")


def test_the_users_page_adds_a_person_with_an_invitation_and_sends_a_new_one(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
    at = run_app(db_url, admin, page="pages/users.py")
    fields = {"Username": "newcomer", "Full name": "New Comer", "Email": "newcomer@example.org"}
    for label, value in fields.items():
        next(t for t in at.text_input if t.label.startswith(label)).input(value)
    button(at, "Add user").click()
    at = rerun(at, db_url)
    assert not at.exception and not at.error
    assert any("queued their invitation" in s.value for s in at.success)
    assert not any("Password for" in s.value for s in at.success)  # nobody chose a password for them
    with db.read() as s:
        person = users.get_user_by_username(s, "newcomer")
        assert users.password_hash_for(s, "newcomer") is None
    assert queued(db) == 1
    first = sent_link(db, person.id)  # the first invitation goes out with its link
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["newcomer", "Password"] == "invited, not set yet"
    at.selectbox(key="users.edit.username").select("newcomer")
    at = rerun(at, db_url)
    button(at, "Send a new invitation").click()
    at = rerun(at, db_url)
    assert not at.exception and queued(db) == 2
    at = open_link(db_url, first.split("token=")[1])
    assert [e.value for e in at.error] == [tokens.INVALID_LINK]  # the earlier link no longer works
    second = sent_link(db, person.id)
    assert second != first and open_link(db_url, second.split("token=")[1]).header[0].value == (
        one_time_links.SET_TITLE
    )


def sent_link(db, user_id: int) -> str:
    """The link of the user's newest message, as it is sent (minted now, as delivery does)."""
    with db.write() as s:
        row = s.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient_user_id == user_id).order_by(OutboxMessage.id.desc())
        ).first()
        sent = tokens.fill_link(s, record=outbox.as_record(row), settings=load_settings(), actor="test")
    return next(w for w in sent.body_text.split() if w.startswith(PUBLIC))


def test_the_users_page_refuses_an_invitation_without_a_public_address_and_adds_nobody(db, db_url, monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", "")
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
    at = run_app(db_url, admin, page="pages/users.py")
    for label, value in {"Username": "stranded", "Full name": "Strand Ed", "Email": "s@example.org"}.items():
        next(t for t in at.text_input if t.label.startswith(label)).input(value)
    button(at, "Add user").click()
    at = rerun(at, db_url)
    assert at.error[0].value == "Nobody was added:" and "EVIDENCE_PUBLIC_URL" in texts(at)
    with db.read() as s:
        assert users.get_user_by_username(s, "stranded") is None
    assert queued(db) == 0


def test_a_link_opened_while_signed_in_is_not_used_and_says_so(db, db_url):
    issued = issue(db, "waiting")
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
    at = AppTest.from_file(APP, default_timeout=30)
    sign_in_state(at, admin)
    at.query_params["token"] = issued.token
    at = rerun(at, db_url)
    assert not at.exception
    assert one_time_links.SIGNED_IN_LINK in [i.value for i in at.info]
    assert "token" not in at.query_params and issued.token not in texts(at)
    assert [t.value for t in at.title] == ["Overview"]
    with db.read() as s:
        assert tokens.check(s, token=issued.token) is not None  # still unused, for its owner
