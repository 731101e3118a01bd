"""manage.py attach: evidence documents for one submission, every file or none.

The first test runs the command as a person would (a new process); the
refusals call its `main` in this process, which is the same code without
a Python start-up for each case."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from config.settings import DocumentLimits
from data_access import documents as docs
from data_access import privacy
from data_access.db import Database
from data_access.models import DocumentContent, SubmissionDocument
from tests.conftest import unavailable
from tests.documents import builders as b
from tests.factories import make_submission, make_user
from tests.test_manage import manage


def run(*args: str, db_url: str, monkeypatch, capsys):
    """`python manage.py attach ...` in this process: (exit status, stdout, stderr)."""
    import manage as manage_py

    monkeypatch.setenv("DATABASE_URL", db_url)
    status = manage_py.main(["attach", *args])
    out, err = capsys.readouterr()
    return status, out, err


def _seed(db_url, call_config):
    db = Database(db_url)
    with db.write() as s:
        make_submission(s, call_config, reference="CFE-0001")
        gone = make_submission(s, call_config, reference="CFE-0002")
        privacy.erase_submission(s, submission_id=gone, actor="test", reason="request")
        admin = make_user(s, role="admin")
    return db, admin


def _stored(db) -> tuple[int, int]:
    with db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(SubmissionDocument))),
            int(s.scalar(select(func.count()).select_from(DocumentContent))),
        )


def test_attach_stores_every_file_says_what_metadata_went_and_warns_about_the_body(db_url, call_config, tmp_path):
    db, admin = _seed(db_url, call_config)
    report, toolkit = tmp_path / "Acme report.docx", tmp_path / "toolkit.pdf"
    report.write_bytes(b.identifying_docx())
    toolkit.write_bytes(b.plain_pdf())
    done = manage("attach", "CFE-0001", str(report), str(toolkit), db_url=db_url)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("attached Acme report.docx to CFE-0001 as Document 1 (Word), ")
    assert "Document property: creator" in lines[0]
    assert lines[1].startswith("attached toolkit.pdf to CFE-0001 as Document 2 (PDF, 2 pages), ")
    assert "may still name the organisation" in done.stdout
    with db.write() as s:
        listed = docs.list_documents(s, submission_id=1, viewer=admin)
        text = docs.document_text(s, document_id=listed[0].id, viewer=admin)
    assert [(d.original_name, d.kind) for d in listed] == [("Acme report.docx", "docx"), ("toolkit.pdf", "pdf")]
    assert b.BODY in text
    db.dispose()


def test_attach_refuses_all_the_files_when_one_is_refused_and_says_why(
    db_url, call_config, tmp_path, monkeypatch, capsys
):
    db, _admin = _seed(db_url, call_config)
    good, bad = tmp_path / "report.pdf", tmp_path / "report.docx"
    good.write_bytes(b.plain_pdf())
    bad.write_bytes(b.plain_pdf("Not a Word document"))
    cases = [
        ((str(good), str(bad)), "error: report.docx: This file's name ends in .docx"),
        ((str(good), str(good)), "already attached to this submission as document 1"),
        (
            (str(good), str(tmp_path / "nowhere.pdf")),
            "nowhere.pdf: the file could not be read (No such file or directory). Nothing was attached.",
        ),
    ]
    for files, expected in cases:
        status, out, err = run("CFE-0001", *files, db_url=db_url, monkeypatch=monkeypatch, capsys=capsys)
        assert (status, out) == (1, ""), err
        assert expected in err and err.rstrip().endswith(("Nothing was attached.", "nothing was attached.")), err
    _status, _out, err = run("CFE-0001", str(bad), db_url=db_url, monkeypatch=monkeypatch, capsys=capsys)
    assert "a PDF document" in err and ".pdf" in err  # what it really is, and the name to give it
    for reference, expected in (
        ("CFE-0999", "There is no submission 'CFE-0999'; nothing was attached."),
        ("CFE-0002", "Submission CFE-0002 was erased; nothing was attached."),
    ):
        status, _out, err = run(reference, str(good), db_url=db_url, monkeypatch=monkeypatch, capsys=capsys)
        assert status == 1 and expected in err
    # Erased between the look-up and the attach: said in words, not a traceback.
    monkeypatch.setattr("data_access.submissions.submission_id_for_reference", lambda session, reference: 999)
    status, _out, err = run("CFE-0001", str(good), db_url=db_url, monkeypatch=monkeypatch, capsys=capsys)
    assert status == 1 and "no such submission (it may have been erased); nothing was stored." in err
    assert _stored(db) == (0, 0)
    db.dispose()


def _attach_one(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        sub = make_submission(s, call_config, reference="CFE-0001")
    content = b.identifying_docx()
    with db.write() as s:
        info = docs.attach_document(
            s, submission_id=sub, name="Acme report.docx", content=content, actor=admin, limits=DocumentLimits()
        )
    return admin, info, content


def _read_back(db, admin, info, content) -> None:
    with db.write() as s:
        original = docs.read_document(s, document_id=info.id, viewer=admin, variant="original", via="cli")
        copy = docs.read_document(s, document_id=info.id, viewer=admin, via="cli")
        text = docs.document_text(s, document_id=info.id, viewer=admin)
    assert original.content == content and original.file_name == "Acme report.docx"
    assert copy.file_name == "CFE-0001-document-1.docx" and b.NAME.lower() not in b.every_text(copy.content)
    assert b.BODY in text


def test_a_backup_holds_the_documents_and_reads_back(sqlite_url, call_config, tmp_path):
    db = Database(sqlite_url)
    admin, info, content = _attach_one(db, call_config)
    db.dispose()
    target = tmp_path / "backup.db"
    result = manage("backup", str(target), db_url=sqlite_url)
    assert result.returncode == 0, result.stderr
    restored = Database(f"sqlite:///{target}")
    _read_back(restored, admin, info, content)
    restored.dispose()


@pytest.mark.postgres
def test_a_postgresql_backup_holds_the_documents_and_reads_back(pg_cluster, call_config, tmp_path):
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        unavailable("pg_dump and pg_restore are not installed (apt-get install -y postgresql-client)")
    name = pg_cluster.create_database()
    db = Database(pg_cluster.url(name))
    admin, info, content = _attach_one(db, call_config)
    db.dispose()
    target = tmp_path / "evidence.dump"
    result = manage("backup", str(target), db_url=pg_cluster.url(name))
    assert result.returncode == 0, result.stderr
    restored = pg_cluster.create_database(from_template=False)
    subprocess.run(
        ["pg_restore", "--no-owner", f"--dbname={pg_cluster.dsn(restored)}", str(target)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    restored_db = Database(pg_cluster.url(restored))
    _read_back(restored_db, admin, info, content)
    restored_db.dispose()
    pg_cluster.drop_database(restored)
    pg_cluster.drop_database(name)
