"""manage.py send-reminders (for a scheduler: twice a day queues once) and
import-submissions --acknowledge, in-process like tests/test_manage_import.py."""

import pytest
from sqlalchemy import select

import manage
from data_access.models import OutboxMessage, Submission
from tests.factories import assign, make_submission, make_user
from tests.support.spreadsheets import template_csv, valid_row


@pytest.fixture
def cli(db, db_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", "https://evidence.example.org")

    def run(*args: str):
        code = manage.main(list(args))
        out = capsys.readouterr()
        return code, out.out, out.err

    return run


def messages(db):
    with db.read() as s:
        return [(m.purpose, m.recipient_email) for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))]


def test_send_reminders_twice_queues_once_and_lists_the_unreachable(db, call_config, cli):
    with db.write() as s:
        sub = make_submission(s, call_config, reference="CFE-0001")
        for name, email in (("Ann Reviewer", "ann@panel.example.org"), ("Cat Noaddress", None)):
            assign(s, sub, make_user(s, name=name, email=email))
    code, out, err = cli("send-reminders")
    assert code == 0, err
    # The test call's review deadline (2021) has passed: the overdue notice.
    assert out.splitlines()[:3] == [
        "reviewer.overdue: 1 queued, 0 already queued",
        "  queued for Ann Reviewer",
        "  not reachable: Cat Noaddress (no email address)",
    ]
    code, out, err = cli("send-reminders")
    assert code == 0, err
    assert out.splitlines()[:2] == ["reviewer.overdue: 0 queued, 1 already queued", "  already queued for Ann Reviewer"]
    assert messages(db) == [("reviewer.overdue", "ann@panel.example.org")]


def test_send_reminders_without_the_public_address_queues_nothing(db, call_config, cli, monkeypatch):
    monkeypatch.delenv("EVIDENCE_PUBLIC_URL")
    with db.write() as s:
        assign(s, make_submission(s, call_config), make_user(s, email="ann@panel.example.org"))
    code, _out, err = cli("send-reminders")
    assert code == 1 and "EVIDENCE_PUBLIC_URL" in err
    assert messages(db) == []


def test_import_with_acknowledge_queues_receipts_and_lists_bad_addresses(db, cli, tmp_path):
    path = tmp_path / "subs.csv"
    path.write_bytes(
        template_csv(
            [
                valid_row(1, contact_email="one@contributor.example.org"),
                valid_row(2, contact_email="two..two@contributor.example.org"),
            ]
        )
    )
    code, out, err = cli("import-submissions", str(path), "--acknowledge")
    assert code == 0, err
    assert "acknowledgements: 1 queued, 0 already queued" in out
    assert "not queued, CFE-0002: " in out and "two..two" not in out.split("acknowledgements:")[1]
    assert messages(db) == [("contributor.acknowledgement", "one@contributor.example.org")]
    with db.read() as s:
        assert len(list(s.scalars(select(Submission.id)))) == 2


def test_import_without_acknowledge_queues_nothing(db, cli, tmp_path):
    path = tmp_path / "subs.csv"
    path.write_bytes(template_csv([valid_row(1)]))
    code, out, err = cli("import-submissions", str(path))
    assert code == 0, err
    assert "acknowledgements" not in out and messages(db) == []
