"""Evidence documents attached to submissions: storage and rights (issue 15).

Each document is two contents: the original as it came (admin-only) and the
copy reviewers see (metadata removed by `documents.prepare`, or the admin's
redacted version). Contents live in `document_contents`, keyed by their
SHA-256 and inserted with ON CONFLICT DO NOTHING, so the same bytes are stored
once, also when two attach at the same moment; a content no document refers to
any more is deleted with the last document that did.

Rights are checked in the caller's transaction at the moment of each call,
from the database (not from what the page was drawn with): the person must
still be an active account under the same username; the admin and the office
see every submission's documents, a reviewer those of submissions assigned to
them and not in conflict (`data_access.submissions.reviewer_access_to`, the rule
of a submission's detail), nobody those of an erased submission (its documents
are gone). The original is the admin's alone. A refusal raises
`DocumentDenied` (an `AccessDenied`); the caller records it with
`record_refusal` in a unit of its own (the refused unit is rolled back), or
lets `guarded` do both.

Labels ("Document 2 (PDF, 14 pages)") and reviewer-copy file names
("CFE-0007-document-2.pdf") never carry the sender's file name or anything of
the contributor's; the original name is handed to the admin only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

from sqlalchemy import delete, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from access.roles import STAFF, Role
from access.visibility import Viewer
from config.settings import DocumentLimits
from data_access import audit
from data_access.errors import AccessDenied
from data_access.models import DocumentContent, Submission, SubmissionDocument, User, utcnow
from data_access.search import forget_deleted_text
from data_access.submissions import reviewer_access_to
from data_access.users import require_role
from documents.errors import DocumentRefused
from documents.kinds import KINDS
from documents.prepare import Prepared, prepare


class _CommandLine(str):
    """The actor of `manage.py`: whoever runs it holds the database itself. A
    value of its own (checked by identity), so that no username, not even
    one spelt "manage.py", passes for it."""


COMMAND_LINE = _CommandLine("manage.py")
VARIANTS = ("reviewer", "original")
VIAS = ("page", "download", "cli")
NAME_MAX = 255
# The admin's warning after an attach: cleaning removes metadata, never the body.
BODY_WARNING = (
    "Check each document's body: removing metadata does not touch the text, pictures, headers or footers, "
    "which may still name the organisation. If one does, upload a redacted version on the Submissions "
    "page; reviewers then see that version and the original stays with the admin."
)

# What everyone calls each kind in a label.
KIND_LABELS = {
    "pdf": "PDF",
    "docx": "Word",
    "pptx": "PowerPoint",
    "xlsx": "Excel",
    "odt": "OpenDocument text",
    "text": "text",
    "png": "PNG image",
    "jpeg": "JPEG image",
}


@dataclass(frozen=True)
class DocumentInfo:
    """What a page lists about one document; never its bytes."""

    id: int
    submission_id: int
    position: int
    label: str  # "Document 2 (PDF, 14 pages)": never the original name
    original_name: str | None  # the admin only, else None
    kind: str
    media_type: str
    size: int
    pages: int | None
    redacted: bool
    removed: tuple[str, ...] | None  # the admin only, else None
    text_truncated: bool
    text_note: str | None
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class DocumentFile:
    """What a download or a view serves."""

    file_name: str
    media_type: str
    content: bytes


class DocumentDenied(AccessDenied):
    """The viewer may not reach this document (or these documents) now."""

    def __init__(self, message: str, *, attempted: str, entity: str, entity_id: object) -> None:
        super().__init__(message)
        self.attempted = attempted
        self.entity = entity
        self.entity_id = entity_id


# --- labels and names ------------------------------------------------------------


def document_label(position: int, kind: str, pages: int | None) -> str:
    """ "Document 2 (PDF, 14 pages)": what everyone but the admin calls a document."""
    what = KIND_LABELS.get(kind, kind)
    if pages:
        what += f", {pages} page{'s' if pages != 1 else ''}"
    return f"Document {position} ({what})"


def reviewer_file_name(reference: str, position: int, kind: str) -> str:
    """The reviewer copy's download name: the reference, the position and the kind's extension."""
    return f"{reference}-document-{position}{KINDS[kind].extensions[0]}"


def safe_name(name: str) -> str:
    """The sender's file name made safe to store and to offer as a download's
    name: its last path part, printable characters only (no control, format or
    bidi characters; quotes and the characters Windows refuses in names become
    "_"), at most 255 characters (keeping the extension)."""
    name = unicodedata.normalize("NFC", str(name)).replace("\\", "/").rsplit("/", 1)[-1]
    kept = "".join("_" if c in '"<>:|?*' else c for c in name if unicodedata.category(c)[0] not in "CZ" or c == " ")
    kept = kept.strip().strip(".") or "document"
    if len(kept) > NAME_MAX:
        dot = kept.rfind(".")
        ext = kept[dot:] if dot > 0 and len(kept) - dot <= 16 else ""
        kept = kept[: NAME_MAX - len(ext)] + ext
    return kept


# --- rights ----------------------------------------------------------------------


def _admin(session: Session, actor: Viewer | str, *, to: str, entity: str, entity_id: object) -> str:
    """The actor's name, once checked: a Viewer or a username of an active
    admin (read from the database now), or COMMAND_LINE."""
    if isinstance(actor, Viewer):
        try:
            require_role(session, actor, Role.ADMIN, to=to)
        except AccessDenied as error:
            raise DocumentDenied(str(error), attempted=to, entity=entity, entity_id=entity_id) from None
        return actor.username
    if actor is COMMAND_LINE:
        return str(actor)
    user = session.scalar(select(User).where(User.username == actor))  # a username: an active admin's, now
    if user is None or not user.active or user.role != Role.ADMIN:
        raise DocumentDenied(f"only an active admin may {to}", attempted=to, entity=entity, entity_id=entity_id)
    return user.username


def _role_now(session: Session, viewer: Viewer, *, attempted: str, entity: str, entity_id: object) -> str:
    """The viewer's role read from the database now; refused when the account is gone, inactive or renamed."""
    user = session.execute(  # the columns, not the whole row (issue 21: on every run of a review's page)
        select(User.active, User.role, User.username).where(User.id == viewer.user_id)
    ).first()
    if user is None or not user.active or user.username != viewer.username:
        raise DocumentDenied("account not active", attempted=attempted, entity=entity, entity_id=entity_id)
    return user.role


def _may_see(
    session: Session, viewer: Viewer, submission_id: int, *, attempted: str, entity: str, entity_id: object
) -> str:
    """The viewer's role now, when they may see this submission's documents; else DocumentDenied."""
    role = _role_now(session, viewer, attempted=attempted, entity=entity, entity_id=entity_id)
    if session.scalar(select(Submission.id).where(Submission.id == submission_id)) is None:
        raise DocumentDenied("no such submission", attempted=attempted, entity=entity, entity_id=entity_id)
    if role in STAFF:
        return role
    if role == Role.REVIEWER:
        allowed, conflicted = reviewer_access_to(session, reviewer_id=viewer.user_id, submission_id=submission_id)
        if allowed:
            return role
        reason = "conflict of interest declared" if conflicted else "not assigned"
        raise DocumentDenied(reason, attempted=attempted, entity=entity, entity_id=entity_id)
    raise DocumentDenied("unknown role", attempted=attempted, entity=entity, entity_id=entity_id)


def record_refusal(session: Session, *, viewer: Viewer, error: DocumentDenied) -> None:
    """Record a refused attempt in the audit log (`access.denied`), in a unit of its own."""
    audit.record_denied(
        session,
        actor=viewer.username,
        attempted=error.attempted,
        entity=error.entity,
        entity_id=error.entity_id,
        detail=str(error),
    )


T = TypeVar("T")


def guarded(db, viewer: Viewer, call: Callable[..., T], /, **kwargs: object) -> T:
    """Run `call(session, viewer=viewer, **kwargs)` in one unit of work; when it
    is refused, record the refusal in a unit of its own and raise it again."""
    try:
        with db.write() as session:
            return call(session, viewer=viewer, **kwargs)
    except DocumentDenied as error:
        with db.write() as session:
            record_refusal(session, viewer=viewer, error=error)
        raise


# --- contents --------------------------------------------------------------------


def _store_content(session: Session, sha256: str, content: bytes) -> None:
    """Insert the bytes under their SHA-256 unless they are there already (one row however often)."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(DocumentContent)
        .values(sha256=sha256, size=len(content), content=content)
        .on_conflict_do_nothing(index_elements=["sha256"])
    )


def _delete_orphans(session: Session, shas: Iterable[str]) -> int:
    """Delete the contents among `shas` that no document refers to any more; how many were."""
    shas = sorted(set(shas))
    if not shas:
        return 0
    referenced = exists().where(
        or_(
            SubmissionDocument.original_sha256 == DocumentContent.sha256,
            SubmissionDocument.reviewer_sha256 == DocumentContent.sha256,
        )
    )
    result = session.execute(
        delete(DocumentContent)
        .where(DocumentContent.sha256.in_(shas), ~referenced)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's CursorResult has rowcount


def _read_bytes(content: bytes | BinaryIO) -> bytes:
    """The original's bytes, read once (`prepare` has read the stream in place before)."""
    if isinstance(content, bytes | bytearray | memoryview):
        return bytes(content)
    content.seek(0)
    return content.read()


def _pdf_pages(content: bytes) -> int | None:
    from pypdf import PdfReader

    try:
        return len(PdfReader(io.BytesIO(content)).pages)
    except Exception:  # noqa: BLE001 - `prepare` read it already; a count is a nicety, never a refusal
        return None


def _text(prepared: Prepared) -> str:
    return prepared.text.text.replace("\x00", "")  # PostgreSQL's text holds no NUL


# --- reading ---------------------------------------------------------------------


def _info(doc: SubmissionDocument, *, admin: bool) -> DocumentInfo:
    return DocumentInfo(
        id=doc.id,
        submission_id=doc.submission_id,
        position=doc.position,
        label=document_label(doc.position, doc.kind, doc.pages),
        original_name=doc.original_name if admin else None,
        kind=doc.kind,
        media_type=doc.media_type,
        size=doc.size,
        pages=doc.pages,
        redacted=bool(doc.redacted),
        removed=tuple(doc.removed or ()) if admin else None,
        text_truncated=bool(doc.text_truncated),
        text_note=doc.text_note,
        uploaded_at=doc.uploaded_at,
    )


def submission_documents_bytes(session: Session, *, submission_id: int) -> int:
    """What a submission's documents hold (their originals' sizes): the stored total for the limits."""
    total = session.scalar(
        select(func.coalesce(func.sum(SubmissionDocument.size), 0)).where(
            SubmissionDocument.submission_id == submission_id
        )
    )
    return int(total or 0)


def list_documents(session: Session, *, submission_id: int, viewer: Viewer) -> list[DocumentInfo]:
    """The submission's documents in attach order, as this viewer may see them; DocumentDenied if not at all."""
    role = _may_see(
        session, viewer, submission_id, attempted="list documents", entity="submission", entity_id=submission_id
    )
    docs = session.scalars(
        select(SubmissionDocument)
        .where(SubmissionDocument.submission_id == submission_id)
        .order_by(SubmissionDocument.position, SubmissionDocument.id)
    )
    return [_info(doc, admin=role == Role.ADMIN) for doc in docs]


def _document(session: Session, document_id: int, *, attempted: str) -> SubmissionDocument:
    doc = session.get(SubmissionDocument, document_id)
    if doc is None:
        raise DocumentDenied("no such document", attempted=attempted, entity="document", entity_id=document_id)
    return doc


def read_document(
    session: Session, *, document_id: int, viewer: Viewer, variant: str = "reviewer", via: str, record: bool = True
) -> DocumentFile:
    """The document's bytes for this viewer, checked now and recorded: `document.view`
    when shown in the page (via="page"), `document.download` when it leaves the app
    (via="download" or "cli"). The original is the admin's alone. `record=False` only
    for a page drawing again what this person's session has opened and recorded
    already (the check is made all the same); a download is always recorded."""
    if not record and via != "page":
        raise ValueError("a download is always recorded")
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}")
    if via not in VIAS:
        raise ValueError(f"via must be one of {VIAS}")
    attempted = f"{'open' if via == 'page' else 'download'} document ({variant})"
    doc = _document(session, document_id, attempted=attempted)
    role = _may_see(session, viewer, doc.submission_id, attempted=attempted, entity="document", entity_id=document_id)
    if variant == "original" and role != Role.ADMIN:
        raise DocumentDenied(
            "the original is the admin's alone", attempted=attempted, entity="document", entity_id=document_id
        )
    reference = session.scalar(select(Submission.reference).where(Submission.id == doc.submission_id)) or ""
    sha = doc.original_sha256 if variant == "original" else doc.reviewer_sha256
    content = session.scalar(select(DocumentContent.content).where(DocumentContent.sha256 == sha))
    if content is None:  # a foreign key keeps it; never expected
        raise DocumentDenied("content missing", attempted=attempted, entity="document", entity_id=document_id)
    name = (
        safe_name(doc.original_name) if variant == "original" else reviewer_file_name(reference, doc.position, doc.kind)
    )
    if record:
        _record_read(session, viewer, doc, reference=reference, variant=variant, sha=sha, via=via)
    return DocumentFile(file_name=name, media_type=doc.media_type, content=bytes(content))


def _record_read(
    session: Session, viewer: Viewer, doc: SubmissionDocument, *, reference: str, variant: str, sha: str, via: str
) -> None:
    audit.record(
        session,
        actor=viewer.username,
        action="document.view" if via == "page" else "document.download",
        entity="document",
        entity_id=doc.id,
        new={
            "submission_id": doc.submission_id,
            "reference": reference,
            "position": doc.position,
            "variant": variant,
            "redacted": bool(doc.redacted),
            "sha256": sha,
        },
        detail=f"{document_label(doc.position, doc.kind, doc.pages)} of {reference}, {variant} copy, via {via}",
    )


def may_still_read(session: Session, *, document_id: int, viewer: Viewer, sha256: str) -> bool:
    """Whether the viewer may read, now, the reviewer copy of this document whose
    bytes hash to `sha256` (False once a redacted version has replaced it, the
    document is removed, or the viewer's rights or account are gone). Records
    nothing: the gate asks it at each request for a page already shown."""
    doc = session.get(SubmissionDocument, document_id)
    if doc is None or doc.reviewer_sha256 != sha256:
        return False
    try:
        _may_see(
            session, viewer, doc.submission_id, attempted="open document", entity="document", entity_id=document_id
        )
    except DocumentDenied:
        return False
    return True


def document_text(session: Session, *, document_id: int, viewer: Viewer, record: bool = True) -> str:
    """The reviewer copy's text, checked now and recorded (`document.view`; `record` as for `read_document`)."""
    attempted = "read document text"
    doc = _document(session, document_id, attempted=attempted)
    _may_see(session, viewer, doc.submission_id, attempted=attempted, entity="document", entity_id=document_id)
    if not record:
        return doc.text
    reference = session.scalar(select(Submission.reference).where(Submission.id == doc.submission_id)) or ""
    audit.record(
        session,
        actor=viewer.username,
        action="document.view",
        entity="document",
        entity_id=doc.id,
        new={"submission_id": doc.submission_id, "reference": reference, "position": doc.position, "variant": "text"},
        detail=f"{document_label(doc.position, doc.kind, doc.pages)} of {reference}, its text",
    )
    return doc.text


# --- changing --------------------------------------------------------------------


def attach_document(
    session: Session,
    *,
    submission_id: int,
    name: str,
    content: bytes | BinaryIO,
    actor: Viewer | str,
    limits: DocumentLimits,
) -> DocumentInfo:
    """Attach one file to a submission (admin only; `actor` is the signed-in
    Viewer or their username, checked now, or COMMAND_LINE). The file goes through
    `documents.prepare` with the submission's stored total; `DocumentRefused`
    (nothing stored) when it is refused or already attached."""
    who = _admin(session, actor, to="attach documents", entity="submission", entity_id=submission_id)
    dialect = session.get_bind().dialect.name
    sub = session.get(Submission, submission_id, with_for_update=dialect == "postgresql")  # positions in turn
    if sub is None:
        raise AccessDenied("There is no such submission (it may have been erased); nothing was stored.")
    original_name = safe_name(name)
    prepared = prepare(
        content,
        original_name,
        existing_bytes=submission_documents_bytes(session, submission_id=submission_id),
        limits=limits,
    )
    found = prepared.sniffed
    _refuse_if_attached(session, submission_id, found.sha256)
    original = _read_bytes(content)
    _store_content(session, found.sha256, original)
    del original
    reviewer_sha = hashlib.sha256(prepared.cleaned).hexdigest()
    if reviewer_sha != found.sha256:
        _store_content(session, reviewer_sha, prepared.cleaned)
    position = 1 + int(
        session.scalar(
            select(func.coalesce(func.max(SubmissionDocument.position), 0)).where(
                SubmissionDocument.submission_id == submission_id
            )
        )
        or 0
    )
    doc = SubmissionDocument(
        submission_id=submission_id,
        position=position,
        original_name=original_name,
        kind=found.kind,
        media_type=found.media_type,
        size=found.size,
        original_sha256=found.sha256,
        reviewer_sha256=reviewer_sha,
        redacted=False,
        removed=list(prepared.removed),
        text=_text(prepared),
        text_truncated=prepared.text.truncated,
        text_note=prepared.text.note,
        pages=_pdf_pages(prepared.cleaned) if found.kind == "pdf" else None,
        uploaded_by=who,
        uploaded_at=utcnow(),
    )
    try:
        with session.begin_nested():  # the same file attached at the same moment elsewhere: one wins
            session.add(doc)
            session.flush()
    except IntegrityError:
        _refuse_if_attached(session, submission_id, found.sha256)
        raise
    audit.record(
        session,
        actor=who,
        action="document.attach",
        entity="document",
        entity_id=doc.id,
        new={
            "submission_id": submission_id,
            "reference": sub.reference,
            "position": position,
            "kind": found.kind,
            "size": found.size,
            "sha256": found.sha256,
            "reviewer_sha256": reviewer_sha,
            "original_name": original_name,
            "removed": list(prepared.removed),
        },
        detail=f"{document_label(position, found.kind, doc.pages)} attached to {sub.reference}",
    )
    return _info(doc, admin=True)


def attach_files(
    session: Session, *, submission_id: int, paths: Sequence[Path], limits: DocumentLimits
) -> list[DocumentInfo]:
    """Attach files from the disk for the command line (`manage.py attach`), in
    the caller's unit of work: all, or `DocumentRefused` naming the file (the
    caller's unit then rolls back, so none is stored). Each file is read in
    place by the checks, then once into the database."""
    stored = []
    for path in paths:
        label = safe_name(path.name)
        try:
            with path.open("rb") as stream:
                stored.append(
                    attach_document(
                        session,
                        submission_id=submission_id,
                        name=path.name,
                        content=stream,
                        actor=COMMAND_LINE,
                        limits=limits,
                    )
                )
        except DocumentRefused as error:
            raise DocumentRefused(error.reason, f"{label}: {error.message}") from None
        except OSError as error:
            raise DocumentRefused(
                "unreadable", f"{label}: the file could not be read ({error.strerror or error})."
            ) from None
    return stored


def _refuse_if_attached(session: Session, submission_id: int, sha256: str) -> None:
    position = session.scalar(
        select(SubmissionDocument.position).where(
            SubmissionDocument.submission_id == submission_id, SubmissionDocument.original_sha256 == sha256
        )
    )
    if position is not None:
        raise DocumentRefused(
            "already_attached",
            f"This file is already attached to this submission as document {position}; nothing was stored.",
        )


def replace_with_redacted(
    session: Session,
    *,
    document_id: int,
    name: str,
    content: bytes | BinaryIO,
    actor: Viewer | str,
    limits: DocumentLimits,
) -> DocumentInfo:
    """The admin's redacted version becomes what reviewers see (its own metadata
    removed too, its text extracted); the original stays, admin-only. It goes
    through `documents.prepare` (the same refusals) and must be of the
    document's kind. The submission's total counts it in place of the document."""
    who = _admin(session, actor, to="upload a redacted version", entity="document", entity_id=document_id)
    doc = session.get(SubmissionDocument, document_id)
    if doc is None:
        raise AccessDenied("There is no such document (it may have been removed); nothing was changed.")
    total = submission_documents_bytes(session, submission_id=doc.submission_id)
    prepared = prepare(content, safe_name(name), existing_bytes=max(0, total - doc.size), limits=limits)
    if prepared.sniffed.kind != doc.kind:
        raise DocumentRefused(
            "wrong_kind",
            f"The redacted version is {KINDS[prepared.sniffed.kind].words}, but document {doc.position} is "
            f"{KINDS[doc.kind].words}: save the redacted version as the same kind; nothing was changed.",
        )
    new_sha = hashlib.sha256(prepared.cleaned).hexdigest()
    _store_content(session, new_sha, prepared.cleaned)
    old_sha, old_redacted = doc.reviewer_sha256, doc.redacted
    doc.reviewer_sha256 = new_sha
    doc.redacted = True
    doc.removed = list(prepared.removed)
    doc.text = _text(prepared)
    doc.text_truncated = prepared.text.truncated
    doc.text_note = prepared.text.note
    doc.pages = _pdf_pages(prepared.cleaned) if doc.kind == "pdf" else None
    doc.redacted_by = who
    doc.redacted_at = utcnow()
    session.flush()
    _delete_orphans(session, [old_sha])
    forget_deleted_text(session)
    reference = session.scalar(select(Submission.reference).where(Submission.id == doc.submission_id)) or ""
    audit.record(
        session,
        actor=who,
        action="document.redact",
        entity="document",
        entity_id=doc.id,
        old={"reviewer_sha256": old_sha, "redacted": bool(old_redacted)},
        new={
            "submission_id": doc.submission_id,
            "reference": reference,
            "position": doc.position,
            "reviewer_sha256": new_sha,
            "redacted": True,
            "removed": list(prepared.removed),
        },
        detail=f"{document_label(doc.position, doc.kind, doc.pages)} of {reference}: reviewers now see a redacted version",
    )
    return _info(doc, admin=True)


def remove_document(session: Session, *, document_id: int, actor: Viewer | str) -> None:
    """Remove one document (admin only); its contents go unless another document holds the same bytes."""
    who = _admin(session, actor, to="remove documents", entity="document", entity_id=document_id)
    doc = session.get(SubmissionDocument, document_id)
    if doc is None:
        raise AccessDenied("There is no such document (it may have been removed already).")
    reference = session.scalar(select(Submission.reference).where(Submission.id == doc.submission_id)) or ""
    old = {
        "submission_id": doc.submission_id,
        "reference": reference,
        "position": doc.position,
        "kind": doc.kind,
        "sha256": doc.original_sha256,
        "reviewer_sha256": doc.reviewer_sha256,
        "original_name": doc.original_name,
    }
    label = document_label(doc.position, doc.kind, doc.pages)
    shas = [doc.original_sha256, doc.reviewer_sha256]
    session.delete(doc)
    session.flush()
    _delete_orphans(session, shas)
    forget_deleted_text(session)
    audit.record(
        session,
        actor=who,
        action="document.remove",
        entity="document",
        entity_id=document_id,
        old=old,
        detail=f"{label} removed from {reference}",
    )


def delete_submissions_documents(session: Session, *, submission_ids: Iterable[int]) -> int:
    """Delete the documents of these submissions, their text and the contents no
    other document holds (erasure and retention, `data_access.privacy`); how many documents."""
    ids = sorted(set(submission_ids))
    if not ids:
        return 0
    rows = session.execute(
        select(SubmissionDocument.id, SubmissionDocument.original_sha256, SubmissionDocument.reviewer_sha256).where(
            SubmissionDocument.submission_id.in_(ids)
        )
    ).all()
    if not rows:
        return 0
    session.execute(
        delete(SubmissionDocument)
        .where(SubmissionDocument.submission_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    _delete_orphans(session, [sha for row in rows for sha in (row.original_sha256, row.reviewer_sha256)])
    forget_deleted_text(session)
    return len(rows)
