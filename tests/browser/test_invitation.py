"""An invitation in a real browser, end to end: the admin adds a reviewer with
an email address on the Users page; `manage.py send-queued` delivers the
invitation to a real SMTP server on this machine (aiosmtpd); the browser opens
the link from the mail as it arrived, sets a password, and signs in with it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from data_access.db import Database
from data_access.users import password_hash_for
from tests.browser.conftest import demo_database, screenshot
from tests.support.accounts import password_of
from tests.support.browser import go_to, sign_in, sign_out, wait_idle
from tests.support.live import LiveServer
from tests.support.postgres import free_port
from tests.test_manage import manage

NEW_PASSWORD = "copper kettle orchard lantern"


@pytest.fixture(scope="module")
def inviting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Database, str]]:
    folder = tmp_path_factory.mktemp("invitation")
    db = demo_database(folder / "demo.db")
    port = free_port()
    public = f"http://127.0.0.1:{port}"
    url = f"sqlite:///{folder / 'demo.db'}"
    server = LiveServer.start(url, folder, extra_env={"EVIDENCE_PUBLIC_URL": public}, port=port)
    try:
        yield server, db, url
    finally:
        server.stop()
        db.dispose()


def test_an_invited_reviewer_follows_the_mailed_link_sets_a_password_and_signs_in(page, inviting, smtp_server):
    server, db, db_url = inviting
    sign_in(page, server.url, "admin", password_of("admin"))
    go_to(page, "Users")
    fields = {"Username": "invitee", "Full name": "Ivy Invitee", "Email (optional)": "ivy@example.org"}
    for label, value in fields.items():
        page.get_by_label(label).fill(value)
    wait_idle(page)
    page.get_by_role("button", name="Add user").click()
    page.get_by_text("queued their invitation").wait_for()
    sign_out(page)

    smtp = {
        "EVIDENCE_SMTP_HOST": "127.0.0.1",
        "EVIDENCE_SMTP_PORT": str(smtp_server.port),
        "EVIDENCE_SMTP_SECURITY": "none",
        "EVIDENCE_MAIL_FROM": "evidence@iasc.example.org",
        "EVIDENCE_PUBLIC_URL": server.url,  # the link is minted as the message is sent, from the same settings
    }
    sent = manage("send-queued", db_url=db_url, env=smtp)
    assert sent.returncode == 0, sent.stderr
    [mail] = [m for m in smtp_server.messages if m["To"] == "ivy@example.org"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    [link] = re.findall(r"http://127\.0\.0\.1:\d+/set_password\?token=[A-Za-z0-9_-]+", body)
    assert link.startswith(server.url + "/set_password?token=")

    page.goto(link)
    page.get_by_role("heading", name="Set your password").first.wait_for()
    wait_idle(page)
    assert "token=" not in page.url  # taken out of the address bar
    expect(page.get_by_text("Your username: invitee")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("The new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set my password").click()
    page.get_by_text("Your password is set").wait_for()
    screenshot(page, "invitation-password-set")
    with db.read() as s:
        assert password_hash_for(s, "invitee") is not None

    expect(page.get_by_label("Username")).to_have_value("invitee")
    page.get_by_role("textbox", name="Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Overview").first.wait_for()  # a redraw may hold two a moment
    expect(page.get_by_test_id("stSidebarNavItems").get_by_role("link", name="My reviews")).to_be_visible()

    # The link worked once: opened again (signed out), it says so and offers no form.
    sign_out(page)
    page.goto(link)
    page.get_by_text("This link does not work").wait_for()
    expect(page.get_by_label("New password", exact=True)).to_have_count(0)
