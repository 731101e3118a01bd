"""The Documents section of a submission: the list, reading inside the page, downloads, and the admin's tools.

Drawn under a submission's detail on the Submissions page and in the My
reviews workspace's reading column (`section`). What anyone sees comes from
`data_access.documents`, which checks the viewer's rights on every call:

* the list (`list_documents`): labels ("Document 2 (PDF, 14 pages)"), never
  the sender's file name except to the admin;
* reading: a document is opened by choosing it, and every run that shows it
  reads it again through `read_document` / `document_text` (checked against
  the viewer's rights at that moment, and written to the audit log). Nothing
  of a document is cached across runs or sessions. A PDF is shown one page at
  a time, rendered on the server (`documents.preview`), with its text in an
  expander; a picture as a picture; anything else as its text, shown as text
  (`st.text`: never Markdown or HTML);
* a download (`ui.downloads`, through `ui.exports.checked`): nothing is made
  when the page is drawn; at the click the person's sign-in and role are read
  again from the database and `read_document(via="download")` checks their
  rights and writes the audit entry, in the same unit of work;
* the admin's tools (checked by role on every run, and again by the data
  layer): attach files, upload a redacted version, remove a document.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math

import streamlit as st
from sqlalchemy.orm import Session

from access.visibility import Viewer
from data_access import auth as auth_da
from data_access.db import Database
from data_access.documents import (
    DocumentDenied,
    DocumentInfo,
    attach_document,
    document_text,
    guarded,
    list_documents,
    may_still_read,
    read_document,
    record_refusal,
    remove_document,
    replace_with_redacted,
    reviewer_file_name,
    safe_name,
)
from data_access.errors import AccessDenied
from documents import preview
from documents.errors import DocumentRefused
from documents.kinds import KINDS
from documents.sniff import ACCEPTED_WORDS
from ui import auth, context, downloads, render
from ui.exports import checked, roles_for

TEXT_SHOWN = 200_000  # characters of a document's text drawn in the page; the download has it all
NOT_AVAILABLE = "That document is not available to you."
BODY_WARNING = (
    "Identifying metadata is removed from the copy reviewers see, but not the body: the pages, headers and "
    "footers, signatures, logos and comments may still name the organisation or a person. Read it, and if it "
    "does, upload a redacted version (the original stays visible to admins only)."
)
VIEWS_RECORDED = "documents.views_recorded"  # (user, document, what, day) recorded in this session
NOTICE = "documents.notice"  # the admin's outcome, kept across the rerun that clears the uploader


def section(db: Database, viewer: Viewer, sub, *, page: str) -> None:
    """The Documents section of submission `sub` (a `SubmissionView` the viewer may read), drawn on `page`."""
    if sub.restricted:
        return
    try:
        docs = guarded(db, viewer, list_documents, submission_id=sub.id)  # a refusal is logged by `guarded`
    except DocumentDenied:
        st.error(NOT_AVAILABLE, icon=":material/block:")
        return
    st.header("Documents", anchor=False)
    if viewer.is_admin:
        _show_notice(sub.id)
    if not docs:
        st.caption("No document is attached to this submission.")
    for doc in docs:
        _entry(db, viewer, sub.reference, doc, page=page)
    if docs:
        chosen = st.selectbox(
            "Read a document here",
            [d.id for d in docs],
            index=None,
            format_func={d.id: d.label for d in docs}.get,
            placeholder="Choose a document to read",
            key=f"documents.{sub.id}.open",
        )
        doc = next((d for d in docs if d.id == chosen), None)
        if doc is not None:
            with st.container(border=True):
                read(db, viewer, doc)
    if viewer.is_admin:
        attach_panel(db, viewer, sub)


# --- the list --------------------------------------------------------------------


def _entry(db: Database, viewer: Viewer, reference: str, doc: DocumentInfo, *, page: str) -> None:
    with st.container(border=True):
        left, right = st.columns([3, 2])
        with left:
            st.text(doc.label)
            if doc.original_name is not None:  # the admin only: the data layer leaves it out for anyone else
                render.field("Original file name (admins only)", doc.original_name)
            if doc.redacted:
                st.caption("Reviewers see the redacted version uploaded by an admin.")
            if doc.text_note:
                st.caption(doc.text_note)
        with right:
            _download(viewer, reference, doc, "reviewer", page=page)
            if viewer.is_admin:
                _download(viewer, reference, doc, "original", page=page)
        if viewer.is_admin:
            admin_tools(db, viewer, doc)


def file_name(reference: str, doc: DocumentInfo, variant: str) -> str:
    """The name a download is saved under (as `read_document` names it): the reviewer copy never
    carries the sender's name; the original (the admin's) its name made safe."""
    if variant == "original" and doc.original_name:
        return safe_name(doc.original_name)
    return reviewer_file_name(reference, doc.position, doc.kind)


def _download(viewer: Viewer, reference: str, doc: DocumentInfo, variant: str, *, page: str) -> None:
    # In the audit log if refused ("download document 2 of IASC-0042"): by its place in the submission, not its id.
    what = f"document {doc.position} of {reference}" + (" (original)" if variant == "original" else "")

    def build(session: Session, current: Viewer) -> bytes | None:
        try:
            return read_document(session, document_id=doc.id, viewer=current, variant=variant, via="download").content
        except DocumentDenied as exc:  # nothing was written before the refusal: log it in this unit
            record_refusal(session, viewer=current, error=exc)
            return None

    run = checked(
        context.database(),
        auth_session_id=st.session_state.get(auth.SESSION_KEY),
        actor=viewer.username,
        roles=roles_for(page),
        what=what,
        build=build,  # type: ignore[arg-type]  # None: refused, and `checked` serves nothing
    )
    label = "Download the original" if variant == "original" else "Download"
    if variant == "reviewer" and viewer.is_admin:
        label = "Download the reviewers' copy"
    downloads.button(
        label,
        run,
        file_name=file_name(reference, doc, variant),
        mime=doc.media_type if variant == "reviewer" else KINDS[doc.kind].media_type,
        key=f"documents.{doc.id}.download.{variant}",
        icon=":material/download:",
    )


# --- reading ----------------------------------------------------------------------


def read(db: Database, viewer: Viewer, doc: DocumentInfo) -> None:
    """Document `doc`, read now (checked and logged by the data layer), shown inside the page."""
    st.caption(doc.label)
    if doc.kind not in ("pdf", "png", "jpeg"):
        _text(db, viewer, doc)
        return
    try:
        content = _read_checked(db, viewer, read_document, doc.id, "page", variant="reviewer", via="page").content
    except DocumentDenied:
        st.error(NOT_AVAILABLE, icon=":material/block:")
        return
    still_allowed = functools.partial(
        _still_readable,
        db,
        viewer,
        st.session_state.get(auth.SESSION_KEY),
        doc.id,
        hashlib.sha256(content).hexdigest(),
    )
    try:
        if doc.kind == "pdf":
            _pdf_page(doc, content, still_allowed)
        else:
            downloads.image(preview.picture(content).png, still_allowed=still_allowed)
    except preview.PreviewError as exc:
        st.warning(str(exc), icon=":material/broken_image:")
    if doc.kind == "pdf":
        with st.expander("Text of the document", icon=":material/notes:"):
            _text(db, viewer, doc)


def _still_readable(db: Database, viewer: Viewer, auth_session_id: int | None, document_id: int, sha256: str) -> bool:
    """Asked by the server's gate at each request for a page's picture (`/media/`), long after
    the run that drew it: the sign-in still stands and the person may still read this copy
    (not after the assignment is removed, a conflict declared, the account deactivated, the
    document removed or replaced by a redacted version)."""
    with db.read() as session:
        if auth_session_id is not None:
            check = auth_da.check_session(session, auth_session_id=auth_session_id)
            if check.viewer is None or check.viewer.user_id != viewer.user_id:
                return False
        return may_still_read(session, document_id=document_id, viewer=viewer, sha256=sha256)


def _read_checked(db: Database, viewer: Viewer, call, document_id: int, what: str, **kwargs):
    """`call` (read_document or document_text), checked against the viewer's rights on
    every run; recorded in the audit log once per person, document, what and UTC day in
    this session (a score clicked beside an open document draws it again: no new entry)."""
    key = (viewer.user_id, document_id, what, dt.datetime.now(dt.UTC).date().isoformat())
    done = st.session_state.setdefault(VIEWS_RECORDED, set())
    result = guarded(db, viewer, call, document_id=document_id, record=key not in done, **kwargs)
    done.add(key)
    return result


def page_key(document_id: int) -> str:
    return f"documents.{document_id}.page"


def _step(key: str, by: int, count: int) -> None:
    st.session_state[key] = min(max(1, int(st.session_state.get(key, 1)) + by), count)


def _pdf_page(doc: DocumentInfo, content: bytes, still_allowed) -> None:
    """One page of the PDF, rendered on the server, with Previous / Next and the page number."""
    count = doc.pages or preview.page_count(content)  # counted at attach; `pdf_page` checks it again
    key = page_key(doc.id)
    if not 1 <= int(st.session_state.get(key, 1)) <= count:
        st.session_state[key] = 1
    back, number_at, forward = st.columns([1, 2, 1], vertical_alignment="bottom")
    back.button(
        "Previous",
        icon=":material/chevron_left:",
        key=f"{key}.previous",
        on_click=_step,
        args=(key, -1, count),
        disabled=int(st.session_state.get(key, 1)) <= 1,
    )
    number = int(number_at.number_input(f"Page (of {count})", min_value=1, max_value=count, step=1, key=key))
    forward.button(
        "Next",
        icon=":material/chevron_right:",
        key=f"{key}.next",
        on_click=_step,
        args=(key, 1, count),
        disabled=number >= count,
    )
    shown = preview.pdf_page(content, number)
    downloads.image(shown.png, caption=f"Page {shown.number} of {shown.count}", still_allowed=still_allowed)


def _text(db: Database, viewer: Viewer, doc: DocumentInfo) -> None:
    try:
        text = _read_checked(db, viewer, document_text, doc.id, "text")
    except DocumentDenied:
        st.error(NOT_AVAILABLE, icon=":material/block:")
        return
    if not text.strip():
        st.caption(doc.text_note or "This document holds no text to show.")
        return
    with st.container(height=480):
        st.text(text[:TEXT_SHOWN])
    if len(text) > TEXT_SHOWN or doc.text_truncated:
        st.caption("The text goes on beyond what is shown here: download the document to read all of it.")


# --- the admin's tools ---------------------------------------------------------------


def _notice(submission_id: int, kind: str, heading: str, name: str, *, removed=None, body: str | None = None) -> None:
    st.session_state.setdefault(NOTICE, {}).setdefault(submission_id, []).append((kind, heading, name, removed, body))


def _show_notice(submission_id: int) -> None:
    """What the admin's last action did (kept across the rerun that cleared the uploaders)."""
    for kind, heading, name, removed, body in st.session_state.get(NOTICE, {}).pop(submission_id, []):
        with st.container(border=True):
            {"success": st.success, "error": st.error}[kind](heading)
            if name:
                render.field("File", name)
            if removed is not None:
                st.caption("Removed from the copy reviewers see")
                st.text("\n".join(removed) if removed else "No identifying metadata was found in the file.")
            if body:
                st.warning(body, icon=":material/warning:")


def _limits():
    return context.settings().document_limits


def _mb(size: int) -> int:
    return max(1, math.ceil(size / (1024 * 1024)))


def _round(key: str) -> int:
    return int(st.session_state.get(key, 0))


def _next_round(key: str) -> None:
    st.session_state[key] = _round(key) + 1


def _admin_write(db: Database, viewer: Viewer, call, /, **kwargs):
    """`call(session, actor=viewer, **kwargs)` in one unit of work; a refusal of the
    person's rights is logged in a unit of its own (the refused one is rolled back)."""
    try:
        with db.write() as session:
            return call(session, actor=viewer, **kwargs)
    except DocumentDenied as error:
        with db.write() as session:
            record_refusal(session, viewer=viewer, error=error)
        raise


def _refusal(exc: DocumentRefused, nothing: str) -> str:
    return exc.message if "nothing was" in exc.message.lower() else f"{exc.message} {nothing}"


def _denial(exc: AccessDenied, what: str, nothing: str) -> str:
    if isinstance(exc, DocumentDenied):
        return f"Only an admin may {what}; {nothing.lower()}"
    return str(exc)  # the document or submission is gone: the data layer says so in words


def attach_panel(db: Database, viewer: Viewer, sub) -> None:
    """Attach files (the admin only: checked here on every run, and by `attach_document`)."""
    if not viewer.is_admin:
        return
    limits = _limits()
    round_key = f"documents.{sub.id}.attach.round"
    with st.expander("Attach documents", icon=":material/attach_file:"):
        st.caption(
            f"Accepted: {ACCEPTED_WORDS}; at most {_mb(limits.max_bytes)} MB each and "
            f"{_mb(limits.max_per_submission_bytes)} MB for the submission's documents together. The type is read "
            "from the content. Identifying metadata is removed from the copy reviewers see."
        )
        files = st.file_uploader(
            "Files to attach",
            accept_multiple_files=True,
            key=f"documents.{sub.id}.attach.{_round(round_key)}",
            max_upload_size=_mb(limits.max_bytes),
        )
        if not st.button("Attach", type="primary", key=f"documents.{sub.id}.attach.go", disabled=not files):
            return
        for upload in files or []:
            nothing = "Nothing was stored."
            try:
                info = _admin_write(
                    db, viewer, attach_document, submission_id=sub.id, name=upload.name, content=upload, limits=limits
                )
            except DocumentRefused as exc:
                _notice(sub.id, "error", f"Not attached: {_refusal(exc, nothing)}", upload.name)
            except AccessDenied as exc:
                _notice(sub.id, "error", _denial(exc, "attach documents", nothing), upload.name)
            else:
                removed = list(info.removed or ())
                _notice(
                    sub.id, "success", f"Attached as {info.label}.", upload.name, removed=removed, body=BODY_WARNING
                )
        _next_round(round_key)
        st.rerun()


def admin_tools(db: Database, viewer: Viewer, doc: DocumentInfo) -> None:
    """Upload a redacted version of `doc`, or remove it (the admin only, checked on every run)."""
    if not viewer.is_admin:
        return
    round_key = f"documents.{doc.id}.redact.round"
    with st.expander("Redact or remove", icon=":material/edit_document:"):
        st.caption(
            "A redacted version replaces what reviewers see (read and downloaded); it must be the same kind of "
            "file. The original stays, for admins only."
        )
        upload = st.file_uploader(
            "Redacted version",
            key=f"documents.{doc.id}.redact.{_round(round_key)}",
            max_upload_size=_mb(_limits().max_bytes),
        )
        if st.button("Upload the redacted version", key=f"documents.{doc.id}.redact.go", disabled=upload is None):
            _redact(db, viewer, doc, upload)
            _next_round(round_key)
            st.rerun()
        st.divider()
        sure = st.checkbox(
            "Remove this document for good (reviewers' copy and original)", key=f"documents.{doc.id}.remove.sure"
        )
        if st.button("Remove the document", key=f"documents.{doc.id}.remove.go", disabled=not sure):
            try:
                _admin_write(db, viewer, remove_document, document_id=doc.id)
            except AccessDenied as exc:
                _notice(doc.submission_id, "error", _denial(exc, "remove documents", "Nothing was removed."), "")
            else:
                _notice(doc.submission_id, "success", f"{doc.label} was removed.", "")
            st.rerun()


def _redact(db: Database, viewer: Viewer, doc: DocumentInfo, upload) -> None:
    if upload is None:
        return
    nothing = "Nothing was changed."
    try:
        info = _admin_write(
            db, viewer, replace_with_redacted, document_id=doc.id, name=upload.name, content=upload, limits=_limits()
        )
    except DocumentRefused as exc:
        _notice(doc.submission_id, "error", f"Not used: {_refusal(exc, nothing)}", upload.name)
    except AccessDenied as exc:
        _notice(doc.submission_id, "error", _denial(exc, "upload a redacted version", nothing), upload.name)
    else:
        removed = list(info.removed or ())
        _notice(
            doc.submission_id,
            "success",
            f"Reviewers now see the redacted version of {info.label}.",
            upload.name,
            removed=removed,
        )
