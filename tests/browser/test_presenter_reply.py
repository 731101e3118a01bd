"""A presenter's reply in a real browser: a signed-off line-up of the demo call
is invited, `manage.py send-queued` delivers the invitations to a real SMTP
server on this machine (aiosmtpd), and the browser, signed out, opens one
mailed link at its own address (`/reply?reply=...`): the token leaves the
address bar, only that presenter's invitation is shown, the reply is recorded
once, and the link then works no more."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from access.visibility import Viewer
from config import load_call_config
from data_access import invitations as inv
from data_access import signoff
from data_access.db import Database
from data_access.models import LineUp, LineUpMember, Submission, User, utcnow
from tests.browser.conftest import demo_database, screenshot
from tests.data_access.test_delivery import mail_settings
from tests.support.browser import wait_idle
from tests.support.live import LiveServer
from tests.support.postgres import free_port
from tests.test_manage import manage


def _viewer(session, role: str) -> Viewer:
    user = session.scalars(select(User).where(User.role == role, User.active.is_(True)).order_by(User.id)).first()
    return Viewer(user.id, user.username, user.name, user.role)


@pytest.fixture(scope="module")
def replying(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database, str, list[str]]]:
    folder = tmp_path_factory.mktemp("reply")
    db = demo_database(folder / "demo.db")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{folder / 'demo.db'}"
    with db.write() as s:
        admin, office = _viewer(s, "admin"), _viewer(s, "office")
        subs = list(
            s.scalars(
                select(Submission)
                .where(Submission.anonymous.is_(False), Submission.contact_email.is_not(None))
                .order_by(Submission.id)
                .limit(2)
            )
        )
        line_up = LineUp(name="Browser line-up", rules={}, objective=1.0, notes="", created_by=admin.username)
        line_up.members = [
            LineUpMember(submission_id=sub.id, format="in_person", position=i + 1, pinned=False)
            for i, sub in enumerate(subs)
        ]
        s.add(line_up)
        s.flush()
        line_up_id, references = line_up.id, [sub.reference for sub in subs]
    with db.write() as s:
        signoff.sign_off(s, viewer=office, line_up_id=line_up_id, expected_version=1)
    with db.write() as s:
        inv.invite_all(
            s,
            viewer=admin,
            line_up_id=line_up_id,
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=mail_settings(None, EVIDENCE_PUBLIC_URL=public),
            config=load_call_config(),
        )
    server = LiveServer.start(url, folder, extra_env={"EVIDENCE_PUBLIC_URL": public}, port=port)
    try:
        yield server, db, url, references
    finally:
        server.stop()
        db.dispose()


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
    return s.scalar(select(LineUp.id).where(LineUp.name == "Browser line-up"))
