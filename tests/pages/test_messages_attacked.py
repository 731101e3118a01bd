"""Issue 16, an attacker's review: the Messages page shows no working one-time link.

An invitation or reset queued before links were made at send time holds its
link's token in the outbox until the link is used. The page's preview showed
that body as it is: a working key to the reviewer's account on the admin's
screen (a screen share, a shoulder, a screenshot), and a way for whoever opens
the page to set a reviewer's password, sign in as them and score in their
name. The preview hides any such token; messages queued now hold a placeholder
instead of a link (the link is made as each is sent). Both databases."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from data_access import outbox, tokens
from data_access.models import OutboxMessage
from tests.data_access.test_tokens import settings_for
from tests.factories import make_user
from tests.pages.test_messages_page import PAGE, choose
from tests.support.apptest import run_app, texts
from ui import outbox_views


def queued_links(db) -> dict[int, str]:
    """Each link message's id and the token its text carries (None: none)."""
    with db.read() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.purpose.in_(tokens.LINK_PURPOSES)))
        found: dict[int, str | None] = {}
        for message in rows:
            links = [w for w in message.body_text.split() if "token=" in w]
            found[message.id] = parse_qs(urlsplit(links[0]).query)["token"][0] if links else None
        return found


def test_the_preview_of_an_invitation_or_a_reset_hides_the_links_token(db, db_url, call_config):
    settings = settings_for()
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="pshah", email="pshah@example.org")
        older = make_user(s, username="older", email="older@example.org")
        newcomer = {"username": "newcomer", "name": "New Comer", "role": "reviewer", "email": "new@example.org"}
        tokens.create_and_invite(s, settings=settings, config=call_config, actor="boss", **newcomer)
        # A reset queued the way it was before links were made at send time: the link in the body.
        issued = tokens.issue(
            s, user_id=older.user_id, purpose=tokens.RESET, lifetime=dt.timedelta(hours=1), actor="older"
        )
        outbox.queue_message(
            s,
            purpose="reviewer.reset",
            recipient_email="older@example.org",
            subject="Reset your password",
            body_text=f"Set a new password: {settings.public_url}/set_password?token={issued.token} (one hour)",
            idempotency_key="reviewer.reset:legacy",
            actor="older",
            recipient_user_id=older.user_id,
            template="reviewer.reset",
        )
    tokens.request_reset(
        db, identifier="pshah", client="203.0.113.9", settings=settings, config=call_config, answer_seconds=0
    )
    links = queued_links(db)
    assert sorted(links.values(), key=str) == sorted([issued.token, None, None], key=str)
    at = run_app(db_url, admin, page=PAGE)
    for message_id, token in links.items():
        at = choose(at, db_url, message_id)
        assert not at.exception, at.exception
        shown = texts(at) + "\n".join(str(c.value) for c in at.get("code"))
        assert "token=" + issued.token not in shown
        if token is None:
            assert tokens.LINK_PLACEHOLDER in shown
        else:
            assert f"set_password?token={outbox_views.HIDDEN_TOKEN}" in shown
    assert queued_links(db) == links  # the messages themselves are unchanged
