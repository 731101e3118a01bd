"""Evidence documents across the call's life, on both databases: erasure and the
retention purge remove them (their bytes unless another submission's document
holds them, their text, their file names in the audit log); exports never
carry them; concurrent attaches of the same bytes store them once."""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import func, select

from config.settings import DocumentLimits
from data_access import audit, privacy
from data_access import documents as docs
from data_access import exports as exports_da
from data_access.models import Base, DocumentContent, SubmissionDocument
from tests.documents import builders as b
from tests.factories import make_submission, make_user, scores_frame_for

LIMITS = DocumentLimits()
SECRET_NAME = "Kestrel Refuge Partnership evaluation.pdf"
SECRET_TEXT = "Zanzibar-quokka outreach ledger"


def attach(db, submission_id, name, content, actor):
    with db.write() as s:
        return docs.attach_document(
            s, submission_id=submission_id, name=name, content=content, actor=actor, limits=LIMITS
        )


def everything(db) -> str:
    """Every row of every table as text, bytes decoded as Latin-1 (so a PDF's plain text shows)."""
    parts = []
    with db.read() as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(select(table)).all():
                values = [bytes(v).decode("latin-1") if isinstance(v, bytes | memoryview) else v for v in row]
                parts.append(json.dumps(values, default=str, ensure_ascii=False))
    return "\n".join(parts)


def counts(db) -> tuple[int, int]:
    with db.read() as s:
        return (
            int(s.scalar(select(func.count()).select_from(SubmissionDocument))),
            int(s.scalar(select(func.count()).select_from(DocumentContent))),
        )


@pytest.fixture
def two(db, call_config):
    """A submission with its own document and one it shares with a bystander."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        target = make_submission(s, call_config, received_at=dt.datetime(2020, 1, 10, tzinfo=dt.UTC))
        bystander = make_submission(s, call_config, received_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=3))
    own = attach(db, target, SECRET_NAME, b.plain_pdf(SECRET_TEXT), admin)
    shared = b.plain_pdf("A toolkit both agencies sent")
    attach(db, target, "toolkit.pdf", shared, admin)
    kept = attach(db, bystander, "our toolkit.pdf", shared, admin)
    return {"admin": admin, "target": target, "bystander": bystander, "own": own, "kept": kept}


def test_erasure_removes_documents_their_text_names_and_unshared_bytes(db, two):
    assert SECRET_NAME in everything(db) and SECRET_TEXT in everything(db)
    with db.write() as s:
        report = privacy.erase_submission(s, submission_id=two["target"], actor="boss", reason="request")
    assert report.documents == 2
    after = everything(db)
    assert SECRET_NAME not in after and SECRET_TEXT not in after
    assert counts(db) == (1, 2)  # the bystander's document: its original and its cleaned copy
    with db.write() as s:
        kept = docs.read_document(s, document_id=two["kept"].id, viewer=two["admin"], via="page")
        assert b"A toolkit both agencies sent" in kept.content
        for route, kwargs in (
            (docs.list_documents, {"submission_id": two["target"]}),
            (docs.read_document, {"document_id": two["own"].id, "via": "page"}),
            (docs.document_text, {"document_id": two["own"].id}),
        ):
            with pytest.raises(docs.DocumentDenied):
                route(s, viewer=two["admin"], **kwargs)


def test_the_retention_purge_removes_the_documents_of_submissions_received_before_the_cut_off(db, two, call_config):
    now = dt.datetime.now(dt.UTC)
    with db.write() as s:
        dry = privacy.purge_expired(s, config=call_config, actor="boss", now=now, dry_run=True)
    assert dry.documents == 2 and counts(db) == (3, 4)
    with db.write() as s:
        real = privacy.purge_expired(s, config=call_config, actor="boss", now=now)
    assert real.documents == 2
    after = everything(db)
    assert SECRET_NAME not in after and SECRET_TEXT not in after
    assert counts(db) == (1, 2)
    with db.read() as s:
        listed = docs.list_documents(s, submission_id=two["bystander"], viewer=two["admin"])
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="retention.purge")).iloc[0]
    assert [d.id for d in listed] == [two["kept"].id]
    assert entry["new"]["documents"] == 2


def test_exports_never_carry_documents_or_their_text(db, two, call_config):
    scores = scores_frame_for(call_config, {two["target"]: 4.0, two["bystander"]: 3.0})
    with db.read() as s:
        table = exports_da.scores_table(s, config=call_config, scores=scores)
    text = table.to_csv().decode("utf-8-sig")
    assert len(table.rows) == 2
    for marker in (SECRET_NAME, SECRET_TEXT, "A toolkit both agencies sent", "Document 1", "%PDF"):
        assert marker not in text


def test_the_same_bytes_attached_at_the_same_moment_are_stored_once(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        subs = [make_submission(s, call_config) for _ in range(2)]
    content = b.plain_pdf("Sent by two agencies at once")
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(submission_id: int) -> None:
        try:
            barrier.wait(timeout=10)
            attach(db, submission_id, "report.pdf", content, admin)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(sub,)) for sub in subs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert counts(db) == (2, 2)  # two documents, one original and one cleaned copy
