"""Issue 16, an attacker's review: the Messages page over a raw WebSocket.

A reviewer's or the office's own signed-in session speaks Streamlit's protocol
by hand (`tests.support.stream_client`): it asks for the Messages page, and
sends as clicked every widget the admin's page draws (the downloads of the
queued messages, the filters, a template's Preview and Save), by their ids,
which the admin's run shows. It gets no address, no subject, no file, and
nothing changes: no download is logged, no message moves, no template is saved. The admin's own session,
with the same protocol, sees the addresses (so the test would see them if they
leaked). The demo call's outbox (no SMTP server in demo mode)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data_access.db import Database
from data_access.models import AuditEntry, MessageTemplate, OutboxMessage
from tests.browser.test_security_access import COOKIE, issued_token
from tests.support.stream_client import open_stream, run_page


def outbox_state(db_url: str) -> tuple[list[tuple[int, str, str, str]], int, list[tuple[str, int]]]:
    """Every message's id, status, address and subject; how many downloads were logged; the saved templates."""
    db = Database(db_url)
    try:
        with db.read() as s:
            rows = s.execute(
                select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.recipient_email, OutboxMessage.subject)
            ).all()
            downloads = s.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action.like("export.outbox%")))
            saved = s.execute(select(MessageTemplate.purpose, MessageTemplate.version)).all()
    finally:
        db.dispose()
    return [tuple(r) for r in rows], int(downloads or 0), sorted(tuple(r) for r in saved)


@pytest.mark.parametrize("username", ["reviewer1", "office"])
def test_another_roles_session_gets_nothing_of_the_messages_page_even_sending_its_widgets(
    live_server, demo_db_url, username
):
    before = outbox_state(demo_db_url)
    messages, _downloads, _templates = before
    addresses = {address for _id, _status, address, _subject in messages}
    subjects = {subject for _id, _status, _address, subject in messages}
    assert addresses and subjects

    with open_stream(
        live_server.url, origin=live_server.url, cookies={COOKIE: issued_token(demo_db_url, "admin")}
    ) as ws:
        control = run_page(ws, "messages")
    assert "Messages" in control.headings()
    assert any(control.carries(address) for address in addresses)
    # Every widget of the page's own (the account's Sign out would only sign the attacker out).
    clicks = [c for c in control.widget_ids() if c.rpartition("-")[2].startswith(("messages.", "templates."))]
    assert any(c.endswith("messages.eml") for c in clicks) and any(c.endswith("messages.csv") for c in clicks)

    cookie = issued_token(demo_db_url, username)
    with open_stream(live_server.url, origin=live_server.url, cookies={COOKIE: cookie}) as ws:
        runs = [run_page(ws, "messages"), run_page(ws, "messages", clicks=clicks)]
    for run in runs:
        assert run.messages, "the server answered nothing"
        assert "Overview" in run.page_titles()  # signed in, as that person
        assert "Messages" not in run.headings() and "Messages" not in run.page_titles()
        leaked = [text for text in addresses | subjects if run.carries(text)]
        assert leaked == []
        assert not run.carries("outbox-queued-")  # no download's file name
    assert outbox_state(demo_db_url) == before
