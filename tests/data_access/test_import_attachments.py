"""A ZIP of documents beside an import, on both databases: matched by folder
and by the file-name column, unmatched files and rows without files as
warnings, a re-import leaving attached files as they are, and all or nothing:
an ambiguous entry, a refused document or a refused person writes nothing at
all (no submission, no document, no audit entry)."""

import random
import tracemalloc

import pytest
from sqlalchemy import select

from config.settings import DocumentLimits
from data_access import documents as documents_da
from data_access import import_attachments as attachments
from data_access.errors import AccessDenied
from data_access.models import AuditEntry, Submission, SubmissionDocument
from documents.bundle_reader import Bundle
from tests.data_access.test_imports import LIMIT, mapping_for
from tests.documents import builders as b
from tests.documents.test_bundle_reader import zip_of
from tests.factories import make_user
from tests.support.dbdump import table_contents
from tests.support.spreadsheets import template_csv, valid_row

LIMITS = DocumentLimits()


def rows_csv():
    return template_csv([valid_row(1), valid_row(2, links="toolkit.docx; https://example.org/toolkit"), valid_row(3)])


def import_args(content, config):
    return {
        "content": content,
        "filename": "f.csv",
        "mapping": mapping_for(content, config),
        "config": config,
        "max_bytes": LIMIT,
    }


def preview(db, content, config, entries):
    from data_access import imports

    with db.read() as session, Bundle(zip_of(entries)) as bundle:
        plan = imports.preview_import(session, **import_args(content, config))
        return attachments.preview_attachments(session, plan, bundle, limits=LIMITS)


def run(db, content, config, entries, *, attach_as=documents_da.COMMAND_LINE, **kwargs):
    with db.write() as session, Bundle(zip_of(entries)) as bundle:
        return attachments.apply_import_with_attachments(
            session,
            bundle=bundle,
            document_limits=LIMITS,
            actor="admin",
            attach_as=attach_as,
            **import_args(content, config),
            **kwargs,
        )


def stored_documents(db):
    with db.read() as session:
        return session.execute(
            select(
                Submission.reference,
                SubmissionDocument.position,
                SubmissionDocument.original_name,
                SubmissionDocument.kind,
            )
            .join(Submission, Submission.id == SubmissionDocument.submission_id)
            .order_by(Submission.reference, SubmissionDocument.position)
        ).all()


GOOD = {
    "CFE-0001/evaluation.pdf": b.plain_pdf(),
    "misc/toolkit.docx": b.plain_docx(),
    "stray.txt": b"A note nobody listed.\n",
}


def test_documents_come_in_with_their_rows_by_folder_and_by_column(db, call_config):
    content = rows_csv()
    before = table_contents(db)
    report = preview(db, content, call_config, GOOD)
    assert table_contents(db) == before  # a preview writes nothing
    # The rows' references and file names come from the plan (the lists themselves: tests/documents).
    assert report.ok and [d.reference for d in report.documents] == ["CFE-0001", "CFE-0002"]
    assert report.match.unmatched_files == ("stray.txt",) and report.match.rows_without_files == ("CFE-0003",)

    steps = []
    result, done = run(db, content, call_config, GOOD, progress=lambda f, m: steps.append((f, m)))
    assert result.counts["added"] == 3 and done.counts()["documents"] == 2
    assert steps[-2:] == [(0.5, "Attaching document 1 of 2"), (0.75, "Attaching document 2 of 2")]
    assert max(f for f, m in steps if not m.startswith("Attaching")) == 0.5  # the rows: the first half
    assert stored_documents(db) == [("CFE-0001", 1, "evaluation.pdf", "pdf"), ("CFE-0002", 1, "toolkit.docx", "docx")]
    with db.read() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action == "document.attach")).all()
    assert len(actions) == 2

    # The same file and ZIP again, plus a file for the third row: only the new file is attached,
    # to the submission the import leaves unchanged.
    again = {**GOOD, "CFE-0003/notes.txt": b"Notes on the third project.\n"}
    result, done = run(db, content, call_config, again)
    assert result.batch_id is None and result.counts["unchanged"] == 3
    assert done.counts() == {"documents": 1, "documents_bytes": 28, "documents_already_attached": 2}
    assert stored_documents(db)[-1] == ("CFE-0003", 1, "notes.txt", "text")


@pytest.mark.parametrize(
    "bad",
    [
        {"CFE-0003/report.pdf": b"MZ\x90\x00" + b"\x00" * 200},  # a program renamed .pdf
        {"CFE-0003/report.docx": b.rezip(b.plain_docx(), {}, add={"word/vbaProject.bin": b"VBA"})},  # macros
        {"CFE-0001/toolkit.docx": b.plain_docx("another")},  # its folder says CFE-0001, the column CFE-0002
    ],
    ids=["exe-renamed-pdf", "macro-docx", "ambiguous"],
)
def test_one_refused_entry_refuses_the_whole_import_and_nothing_is_stored(db, call_config, bad):
    content = rows_csv()
    entries = {**GOOD, **bad}
    report = preview(db, content, call_config, entries)
    assert not report.ok and len(report.reasons()) == 1
    [name] = bad
    assert report.reasons()[0].startswith(name)
    before = table_contents(db)
    with pytest.raises(attachments.AttachmentsRefused) as caught:
        run(db, content, call_config, entries)
    assert caught.value.report.reasons() == report.reasons()
    assert "nothing was imported" in str(caught.value)
    assert table_contents(db) == before  # no submission, no document, no audit entry


def test_documents_are_attached_only_for_an_active_admin_checked_now(db, call_config):
    with db.write() as session:
        reviewer = make_user(session, role="reviewer")
        admin = make_user(session, role="admin")
    content = rows_csv()
    before = table_contents(db)
    with pytest.raises(AccessDenied):
        run(db, content, call_config, GOOD, attach_as=reviewer)
    assert table_contents(db) == before
    run(db, content, call_config, GOOD, attach_as=admin)
    assert len(stored_documents(db)) == 2


def test_the_import_attaches_one_document_at_a_time_not_the_bundle(db, call_config):
    # 16 text files of 512 KB: held together (as read, cleaned or stored) they would take 8 MB and more;
    # one at a time, the peak is that of one file's checks plus the import's own (about 5 MB here).
    rng = random.Random(15)
    words = ["outreach", "station", "referral", "survivor", "housing", "evening", "support", "worker"]
    base = (" ".join(rng.choice(words) for _ in range(64_000)) + "\n").encode()
    entries = {f"CFE-{n:04d}/notes.txt": f"Notes {n}\n".encode() + base for n in range(1, 17)}
    total = sum(len(data) for data in entries.values())
    content = template_csv([valid_row(n) for n in range(1, 17)])
    tracemalloc.start()
    try:
        _result, report = run(db, content, call_config, entries)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.counts()["documents"] == 16 and len(stored_documents(db)) == 16
    assert peak < 0.75 * total, f"peak {peak / 1e6:.1f} MB for {total / 1e6:.1f} MB of documents"
