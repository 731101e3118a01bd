"""Evidence documents in the database (data_access.documents) on both databases:
attach, deduplication, refusals that store nothing, the per-submission limit,
metadata removal reaching storage, redacted replacement, rights for each role
at the moment of each call, and their audit entries."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from config.settings import DocumentLimits
from data_access import audit
from data_access import documents as docs
from data_access.assignments import declare_conflict
from data_access.audit import AuditFilter
from data_access.errors import AccessDenied
from data_access.models import DocumentContent, SubmissionDocument
from data_access.users import set_active
from documents.errors import DocumentRefused
from tests.documents import builders as b
from tests.factories import assign, make_submission, make_user
from tests.support.dbdump import table_contents

LIMITS = DocumentLimits()


@pytest.fixture
def people(db, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        assigned = make_user(s, role="reviewer")
        other = make_user(s, role="reviewer")
        sub = make_submission(s, call_config)
        assign(s, sub, assigned)
    return {"admin": admin, "office": office, "assigned": assigned, "other": other, "sub": sub}


def attach(db, submission_id, name, content, actor, limits=LIMITS):
    with db.write() as s:
        return docs.attach_document(
            s, submission_id=submission_id, name=name, content=content, actor=actor, limits=limits
        )


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("Acme report.pdf", "Acme report.pdf"),
        ("C:\\Users\\jane\\Acme report.pdf", "Acme report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("evil\u202egpj.exe", "evilgpj.exe"),
        ('re"port\r\n<x>.pdf', "re_port_x_.pdf"),
        ("...", "document"),
        ("a" * 300 + ".docx", "a" * 250 + ".docx"),
    ],
)
def test_a_sent_file_name_is_made_safe_to_store_and_to_offer(sent, kept):
    assert docs.safe_name(sent) == kept


def contents_count(db) -> int:
    with db.read() as s:
        return int(s.scalar(select(func.count()).select_from(DocumentContent)))


def test_each_accepted_kind_is_stored_with_its_text_and_listed_in_order(db, people):
    files = [
        ("report.pdf", b.plain_pdf(), "pdf"),
        ("toolkit.docx", b.plain_docx(), "docx"),
        ("slides.pptx", b.plain_pptx(), "pptx"),
        ("figures.xlsx", b.plain_xlsx(), "xlsx"),
        ("notes.odt", b.make_odt(), "odt"),
        ("notes.txt", (b.BODY + "\n").encode(), "text"),
        ("photo.png", b.make_png(), "png"),
        ("photo.jpg", b.make_jpeg(), "jpeg"),
    ]
    for i, (name, content, kind) in enumerate(files, start=1):
        source = io.BytesIO(content) if i % 2 else content  # a stream or bytes
        info = attach(db, people["sub"], name, source, people["admin"])
        assert (info.position, info.kind, info.size, info.original_name) == (i, kind, len(content), name)
    with db.write() as s:
        listed = docs.list_documents(s, submission_id=people["sub"], viewer=people["admin"])
        texts = {d.kind: docs.document_text(s, document_id=d.id, viewer=people["admin"]) for d in listed}
        stored = {d.original_sha256 for d in s.scalars(select(SubmissionDocument))}
    assert [d.kind for d in listed] == [kind for _, _, kind in files]
    assert listed[0].label == "Document 1 (PDF, 2 pages)" and listed[0].pages == 2
    assert listed[1].label == "Document 2 (Word)"
    assert {k for k, t in texts.items() if b.BODY in t} == {"pdf", "docx", "pptx", "xlsx", "odt", "text"}
    assert texts["png"] == "" and texts["jpeg"] == ""
    assert stored == {hashlib.sha256(content).hexdigest() for _, content, _ in files}
    with db.read() as s:
        assert docs.submission_documents_bytes(s, submission_id=people["sub"]) == sum(len(c) for _, c, _ in files)


def test_the_same_file_twice_on_one_submission_is_refused_and_on_two_is_stored_once(db, people, call_config):
    content = b.plain_pdf("A report sent twice")
    first = attach(db, people["sub"], "report.pdf", content, people["admin"])
    before = table_contents(db)
    with pytest.raises(DocumentRefused) as caught:
        attach(db, people["sub"], "copy of report.pdf", content, people["admin"])
    assert caught.value.reason == "already_attached"
    assert f"already attached to this submission as document {first.position}" in caught.value.message
    assert table_contents(db) == before
    with db.write() as s:
        other = make_submission(s, call_config)
    stored = contents_count(db)
    second = attach(db, other, "report.pdf", content, people["admin"])
    assert second.position == 1
    assert contents_count(db) == stored  # the same original and the same cleaned copy: no new content
    # Removing one keeps the bytes the other still holds; removing both deletes them.
    with db.write() as s:
        docs.remove_document(s, document_id=first.id, actor=people["admin"])
    assert contents_count(db) == stored
    with db.write() as s:
        assert docs.read_document(s, document_id=second.id, viewer=people["admin"], via="page").content
        docs.remove_document(s, document_id=second.id, actor=people["admin"])
    assert contents_count(db) == 0


DANGEROUS = [
    ("program.pdf", lambda: b"MZ\x90\x00" + b"\x00" * 200, "executable"),
    ("macros.docx", lambda: b.rezip(b.plain_docx(), {}, add={"word/vbaProject.bin": b"\x00" * 64}), "macros"),
    ("bomb.docx", lambda: b.zip_bomb(), "archive_bomb"),
    ("old.doc", lambda: b.ole_file("WordDocument"), "legacy_office"),
    ("empty.txt", lambda: b"", "empty"),
    ("report.docx", b.plain_pdf, "name_mismatch"),
]


def test_every_refusal_stores_nothing(db, people):
    before = table_contents(db)
    reasons = []
    for name, build, _reason in DANGEROUS:
        with pytest.raises(DocumentRefused) as caught:
            attach(db, people["sub"], name, build(), people["admin"])
        reasons.append(caught.value.reason)
        assert caught.value.message
    assert reasons == [reason for _, _, reason in DANGEROUS]
    assert table_contents(db) == before


def test_the_per_submission_limit_counts_what_is_stored(db, people):
    first, second = b.plain_pdf("First"), b.plain_pdf("Second")
    limits = DocumentLimits(max_per_submission_bytes=len(first) + len(second) - 1)
    attach(db, people["sub"], "first.pdf", first, people["admin"], limits)
    before = table_contents(db)
    with pytest.raises(DocumentRefused) as caught:
        attach(db, people["sub"], "second.pdf", second, people["admin"], limits)
    assert caught.value.reason == "too_large_total"
    assert table_contents(db) == before


def test_identifying_metadata_never_reaches_the_reviewer_copy_and_the_original_stays_for_the_admin(db, people):
    builders = (
        ("Acme report.docx", b.identifying_docx),
        ("Acme report.pdf", b.identifying_pdf),
        ("Acme slides.pptx", b.identifying_pptx),
        ("Acme figures.xlsx", b.identifying_xlsx),
        ("Acme notes.odt", b.identifying_odt),
        ("Acme photo.png", lambda: b.make_png(text_chunk=b.NAME.encode())),
        ("Acme photo.jpg", lambda: b.make_jpeg(comment=b.NAME.encode())),
    )
    for name, build in builders:
        content = build()
        info = attach(db, people["sub"], name, content, people["admin"])
        assert info.removed  # the admin's notice
        with db.write() as s:
            listed = docs.list_documents(s, submission_id=people["sub"], viewer=people["assigned"])
            reviewer = docs.read_document(s, document_id=info.id, viewer=people["assigned"], via="download")
            text = docs.document_text(s, document_id=info.id, viewer=people["assigned"])
            original = docs.read_document(
                s, document_id=info.id, viewer=people["admin"], variant="original", via="download"
            )
        seen = b.every_text(reviewer.content) + text + repr(listed) + reviewer.file_name
        assert [x for x in b.IDENTIFYING if x.lower() in seen.lower()] == []
        if name.endswith((".png", ".jpg")):
            assert text == ""  # the app reads no text in pictures
        else:
            assert b.BODY in text
        assert original.content == content and original.file_name == name
        assert b.NAME.lower() in b.every_text(original.content)
        assert all(d.original_name is None and d.removed is None for d in listed)


def test_a_redacted_version_replaces_what_reviewers_see_and_the_original_stays(db, people):
    info = attach(db, people["sub"], "report.pdf", b.plain_pdf("Written by Acme Housing Trust staff"), people["admin"])
    redacted = b.plain_pdf("Written by [redacted] staff")
    with db.write() as s:
        after = docs.replace_with_redacted(
            s, document_id=info.id, name="redacted.pdf", content=redacted, actor=people["admin"], limits=LIMITS
        )
    assert after.redacted and after.position == info.position
    with db.write() as s:
        seen = docs.read_document(s, document_id=info.id, viewer=people["assigned"], via="page")
        text = docs.document_text(s, document_id=info.id, viewer=people["office"])
        original = docs.read_document(s, document_id=info.id, viewer=people["admin"], variant="original", via="page")
    assert "acme" not in b.every_text(seen.content) and "[redacted]" in text and "Acme" not in text
    assert "acme" in b.every_text(original.content)  # every_text lower-cases
    before = table_contents(db)
    with pytest.raises(DocumentRefused) as caught, db.write() as s:
        docs.replace_with_redacted(
            s, document_id=info.id, name="redacted.docx", content=b.plain_docx(), actor=people["admin"], limits=LIMITS
        )
    assert caught.value.reason == "wrong_kind" and "a Word document" in caught.value.message
    assert table_contents(db) == before


def test_rights_for_each_role_are_checked_at_the_moment_of_each_call(db, people, call_config):
    info = attach(db, people["sub"], "Acme report.pdf", b.plain_pdf(), people["admin"])
    allowed = [people["admin"], people["office"], people["assigned"]]
    for viewer in allowed:
        with db.write() as s:
            assert [d.id for d in docs.list_documents(s, submission_id=people["sub"], viewer=viewer)] == [info.id]
            file = docs.read_document(s, document_id=info.id, viewer=viewer, via="download")
        assert file.file_name.endswith("-document-1.pdf") and "Acme" not in file.file_name
    for viewer in (people["office"], people["assigned"]):
        with pytest.raises(AccessDenied), db.write() as s:
            docs.read_document(s, document_id=info.id, viewer=viewer, variant="original", via="download")
    # Unassigned, conflicted, deactivated, demoted: nothing by any route.
    with db.write() as s:
        conflicted = make_user(s, role="reviewer")
        assign(s, people["sub"], conflicted)
        declare_conflict(
            s, submission_id=people["sub"], reviewer_id=conflicted.user_id, actor=conflicted.username, source="reviewer"
        )
        set_active(s, user_id=people["office"].user_id, active=False, actor="test")
    demoted = replace(people["other"], role="admin")  # a page drawn for an admin: the database says reviewer
    for viewer in (people["other"], conflicted, people["office"], demoted):
        for route, kwargs in (
            (docs.list_documents, {"submission_id": people["sub"]}),
            (docs.read_document, {"document_id": info.id, "via": "page"}),
            (docs.document_text, {"document_id": info.id}),
        ):
            with pytest.raises(docs.DocumentDenied), db.write() as s:
                route(s, viewer=viewer, **kwargs)
    # The actor as a username is checked too; the command line's name spelt as text is just a name.
    with db.write() as s:
        by_name = docs.attach_document(
            s,
            submission_id=people["sub"],
            name="y.txt",
            content=b"other words",
            actor=people["admin"].username,
            limits=LIMITS,
        )
    assert by_name.position == 2
    for actor in (people["assigned"], demoted, people["assigned"].username, "manage.py", "nobody"):
        with pytest.raises(docs.DocumentDenied), db.write() as s:
            docs.attach_document(
                s, submission_id=people["sub"], name="x.txt", content=b"words", actor=actor, limits=LIMITS
            )
        with pytest.raises(docs.DocumentDenied), db.write() as s:
            docs.remove_document(s, document_id=info.id, actor=actor)


def test_views_downloads_changes_and_refusals_are_audited(db, people):
    info = attach(db, people["sub"], "Acme report.pdf", b.plain_pdf(), people["admin"])
    with db.write() as s:
        docs.read_document(s, document_id=info.id, viewer=people["assigned"], via="page")
        docs.read_document(s, document_id=info.id, viewer=people["office"], via="download")
    with pytest.raises(docs.DocumentDenied):
        docs.guarded(db, people["other"], docs.read_document, document_id=info.id, via="download")
    with db.write() as s:
        docs.remove_document(s, document_id=info.id, actor=people["admin"])
    with db.read() as s:
        entries = audit.list_entries(s, filters=AuditFilter(entity="document", entity_id=str(info.id)))
    got = list(zip(entries["action"], entries["actor"], strict=True))[::-1]
    assert got == [
        ("document.attach", people["admin"].username),
        ("document.view", people["assigned"].username),
        ("document.download", people["office"].username),
        ("access.denied", people["other"].username),
        ("document.remove", people["admin"].username),
    ]
    denied = entries[entries["action"] == "access.denied"].iloc[0]
    assert "download document" in denied["detail"] and "not assigned" in denied["detail"]
    attached = entries[entries["action"] == "document.attach"].iloc[0]["new"]
    assert attached["original_name"] == "Acme report.pdf" and attached["reference"]
