"""manage.py send-queued: sends what is due through the SMTP server, once."""

from sqlalchemy import select

from data_access import outbox
from data_access.db import Database
from data_access.models import OutboxMessage
from tests.test_manage import manage


def _queue(db_url, n=2):
    db = Database(db_url)
    with db.write() as s:
        for i in range(n):
            outbox.queue_message(
                s,
                purpose="reviewer.reminder",
                recipient_email=f"reviewer{i}@example.org",
                subject="Your reviews are due",
                body_text="Two submissions are waiting for you.",
                idempotency_key=f"reminder:{i}",
                actor="test",
            )
    return db


def _smtp_env(server):
    return {
        "EVIDENCE_SMTP_HOST": "127.0.0.1",
        "EVIDENCE_SMTP_PORT": str(server.port),
        "EVIDENCE_SMTP_SECURITY": "none",
        "EVIDENCE_MAIL_FROM": "evidence@iasc.example.org",
    }


def _statuses(db):
    with db.read() as s:
        return sorted(s.scalars(select(OutboxMessage.status)))


def test_send_queued_twice_sends_each_message_once(db_url, smtp_server):
    db = _queue(db_url)
    first = manage("send-queued", db_url=db_url, env=_smtp_env(smtp_server))
    assert first.returncode == 0, first.stderr
    assert "sent 2 messages; 0 failed" in first.stdout
    second = manage("send-queued", db_url=db_url, env=_smtp_env(smtp_server))
    assert second.returncode == 0, second.stderr
    assert "sent 0 messages; 0 failed" in second.stdout
    assert sorted(m["To"] for m in smtp_server.messages) == ["reviewer0@example.org", "reviewer1@example.org"]
    assert _statuses(db) == ["sent", "sent"]
    db.dispose()


def test_send_queued_reports_a_server_that_is_down_and_keeps_the_messages(db_url, smtp_server):
    db = _queue(db_url, n=1)
    smtp_server.stop()
    result = manage("send-queued", db_url=db_url, env=_smtp_env(smtp_server))
    assert result.returncode == 0, result.stderr
    assert "sent 0 messages; 1 failed" in result.stdout and "refused the connection" in result.stdout
    assert _statuses(db) == ["failed"]
    db.dispose()


def test_send_queued_without_a_server_or_with_bad_settings_stops_with_a_message(db_url, smtp_server):
    db = _queue(db_url, n=1)
    unset = manage("send-queued", db_url=db_url)
    assert unset.returncode == 1
    assert "No SMTP server is set (EVIDENCE_SMTP_HOST)" in unset.stderr and "Nothing was sent" in unset.stderr
    no_from = manage("send-queued", db_url=db_url, env=_smtp_env(smtp_server) | {"EVIDENCE_MAIL_FROM": ""})
    assert no_from.returncode == 1 and "EVIDENCE_MAIL_FROM" in no_from.stderr
    bad = manage("send-queued", db_url=db_url, env=_smtp_env(smtp_server) | {"EVIDENCE_SMTP_SECURITY": "ssl"})
    assert bad.returncode == 1 and "EVIDENCE_SMTP_SECURITY" in bad.stderr
    password = "s3cret-Password-never-shown"
    no_user = _smtp_env(smtp_server) | {"EVIDENCE_SMTP_USERNAME": "mailer", "EVIDENCE_SMTP_PASSWORD": password}
    login = manage("send-queued", db_url=db_url, env=no_user)
    assert password not in login.stdout + login.stderr
    assert smtp_server.messages == []
    db.dispose()


def test_check_config_names_the_mail_server_never_the_password(db_url, smtp_server):
    password = "s3cret-Password-never-shown"
    env = _smtp_env(smtp_server) | {"EVIDENCE_SMTP_USERNAME": "mailer", "EVIDENCE_SMTP_PASSWORD": password}
    shown = manage("check-config", db_url=db_url, env=env)
    assert shown.returncode == 0, shown.stderr
    assert f"mail: SMTP 127.0.0.1:{smtp_server.port} (none), login as mailer (password set)" in shown.stdout
    assert password not in shown.stdout + shown.stderr
    unset = manage("check-config", db_url=db_url)
    assert "mail: no SMTP server set; messages wait in the outbox" in unset.stdout
