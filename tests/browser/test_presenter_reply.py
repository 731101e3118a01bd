"""A presenter's reply in a real browser: a signed-off line-up of the demo call
is invited, `manage.py send-queued` delivers the invitations to a real SMTP
server on this machine (aiosmtpd), and the browser, signed out, opens one
mailed link at its own address (`/reply?reply=...`): the token leaves the
address bar, only that presenter's invitation is shown, the reply is recorded
once, and the link then works no more."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from data_access import invitations as inv
from data_access.db import Database
from data_access.models import LineUp
from tests.browser.conftest import own_demo_server, screenshot
from tests.support.browser import wait_idle
from tests.support.line_ups import invited_line_up
from tests.support.live import LiveServer
from tests.test_manage import manage

LINE_UP = "Browser line-up"


@pytest.fixture(scope="module")
def replying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database, str, list[str]]]:
    """A server of its own whose demo call has a signed-off line-up of two presenters, invited (queued)."""
    folder = tmp_path_factory.mktemp("reply")
    references: list[str] = []

    def prepare(db: Database, public_url: str) -> None:
        references.extend(invited_line_up(db, LINE_UP, public_url)[1])

    with own_demo_server(folder, prepare=prepare) as (server, db):
        yield server, db, f"sqlite:///{folder / 'demo.db'}", references


def test_a_presenter_opens_the_mailed_link_signed_out_and_replies_once(page, replying, smtp_server):
    server, db, db_url, references = replying
    smtp = {
        "EVIDENCE_SMTP_HOST": "127.0.0.1",
        "EVIDENCE_SMTP_PORT": str(smtp_server.port),
        "EVIDENCE_SMTP_SECURITY": "none",
        "EVIDENCE_MAIL_FROM": "evidence@iasc.example.org",
        "EVIDENCE_PUBLIC_URL": server.url,
    }
    sent = manage("send-queued", db_url=db_url, env=smtp)
    assert sent.returncode == 0, sent.stderr
    links = {}
    for mail in smtp_server.messages:  # the demo's queued messages went too: the invitations are those with a link
        body = mail.get_body(preferencelist=("plain",)).get_content()
        for link in re.findall(r"http://127\.0\.0\.1:\d+/reply\?reply=[A-Za-z0-9_-]+", body):
            [reference] = [r for r in references if r in body]
            links[reference] = link
    assert sorted(links) == sorted(references)
    mine, other = references

    page.goto(links[mine])
    page.get_by_role("heading", name="Your invitation to present").first.wait_for()
    wait_idle(page)
    assert "reply=" not in page.url and page.url.startswith(server.url + "/reply")
    expect(page.get_by_text(re.compile(re.escape(mine) + ":"))).to_be_visible()
    content = page.content()
    assert other not in content and "Sign in" not in page.locator("h1, h2, h3").all_inner_texts()
    page.get_by_text("I accept, and will present virtually (online)").click()
    page.get_by_label(re.compile("Access needs")).fill("Captions, please")
    wait_idle(page)
    page.get_by_role("button", name="Send my reply").click()
    page.get_by_text("Thank you: your reply is recorded").wait_for()
    screenshot(page, "presenter-reply-recorded")
    with db.read() as s:
        records = {r.reference: r for r in inv.list_invitations(s, line_up_id=_line_up(s))}
    assert records[mine].state == "accepted_virtual" and records[mine].access_needs == "Captions, please"
    assert records[other].state == "awaiting"

    page.goto(links[mine])  # used: the one sentence
    page.get_by_text(inv.INVALID_REPLY_LINK).wait_for()
    expect(page.get_by_role("button", name="Send my reply")).to_have_count(0)


def _line_up(s) -> int:
    return s.scalar(select(LineUp.id).where(LineUp.name == LINE_UP))
