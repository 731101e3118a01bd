"""Issue 16, an attacker's review: the Messages page shows no working one-time link.

A queued or sent invitation or reset holds its link's token until the link is
used (the outbox keeps the message as it goes out). The page's preview showed
that body as it is: a working key to the reviewer's account on the admin's
screen (a screen share, a shoulder, a screenshot), and a way for whoever opens
the page to set a reviewer's password, sign in as them and score in their
name, after asking for a reset on the sign-in page and cancelling the message
before it is sent. The preview now hides the token; the message itself, and
the downloads made to send it by hand, keep it. Both databases."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from data_access import tokens
from data_access.models import OutboxMessage
from tests.data_access.test_tokens import settings_for
from tests.factories import make_user
from tests.pages.test_messages_page import PAGE, choose
from tests.support.apptest import run_app, texts
from ui import outbox_views


def queued_links(db) -> dict[int, str]:
    """Each link message's id and the token its text carries."""
    with db.read() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.in_(tokens.LINK_PURPOSES)))
        found = {}
        for message in rows:
            [link] = [w for w in message.body_text.split() if "token=" in w]
            [found[message.id]] = parse_qs(urlsplit(link).query)["token"]
        return found


def test_the_preview_of_an_invitation_or_a_reset_hides_the_links_token(db, db_url, call_config):
    settings = settings_for()
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="pshah", email="pshah@example.org")
        newcomer = {"username": "newcomer", "name": "New Comer", "role": "reviewer", "email": "new@example.org"}
        tokens.create_and_invite(s, settings=settings, config=call_config, actor="boss", **newcomer)
    tokens.request_reset(
        db, identifier="pshah", client="203.0.113.9", settings=settings, config=call_config, answer_seconds=0
    )
    links = queued_links(db)
    assert len(links) == 2
    at = run_app(db_url, admin, page=PAGE)
    for message_id, token in links.items():
        at = choose(at, db_url, message_id)
        assert not at.exception, at.exception
        shown = texts(at) + "\n".join(str(c.value) for c in at.get("code"))
        assert token not in shown
        assert f"set_password?token={outbox_views.HIDDEN_TOKEN}" in shown
    assert queued_links(db) == links  # the message itself still carries its link
