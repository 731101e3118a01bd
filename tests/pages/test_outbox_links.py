"""One-time links on the Messages page (AppTest, both databases): a queued invitation is previewed
with its placeholder and no link; downloaded to send by hand, it carries a working link, minted at
the click, and the page says beside the buttons that whoever holds the file holds that link."""

from __future__ import annotations

import io
import re
import zipfile
from email import message_from_bytes, policy

import pytest

from config import load_settings
from data_access import tokens
from tests.factories import make_user
from tests.support.apptest import download, rerun, run_app, texts

PAGE = "pages/messages.py"
PUBLIC = "https://evidence.example.org"


@pytest.fixture(autouse=True)
def public_address_and_no_smtp(monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", PUBLIC)
    for name in ("EVIDENCE_SMTP_HOST", "EVIDENCE_SMTP_PORT", "EVIDENCE_SMTP_SECURITY", "EVIDENCE_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)


def test_the_preview_shows_the_placeholder_and_the_download_carries_a_working_link(db, db_url, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        _person, message = tokens.create_and_invite(
            s, settings=load_settings(), config=call_config, actor="boss", email="newcomer@example.org",
            username="newcomer", name="New Comer", role="reviewer",
        )  # fmt: skip
    at = run_app(db_url, admin, page=PAGE)
    at.selectbox(key="messages.chosen").select(message.id)
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    shown = texts(at)
    assert "(one-time link, shown only in the message sent)" in shown
    assert re.findall(r"token=[A-Za-z0-9_-]{40,}", shown) == []  # no real token (the templates show EXAMPLE)
    captions = " ".join(c.value for c in at.caption)
    assert "carries its one-time link, made at the download" in captions
    assert "whoever holds the file can set that person's password" in captions
    buttons = {b.label: b for b in at.get("download_button")}
    _url, archive = download(buttons["Queued messages as .eml files (ZIP)"])
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        [mail] = [message_from_bytes(z.read(name), policy=policy.default) for name in z.namelist()]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    [token] = re.findall(re.escape(PUBLIC) + r"/set_password\?token=([A-Za-z0-9_-]+)", body)
    with db.read() as s:
        assert tokens.check(s, token=token).username == "newcomer"
