"""A submission's Documents section (`ui.documents`) on the Submissions page and in My reviews.

Reading inside the page (a PDF's page drawn on the server, text as text), downloads made and
checked at the click, the admin's attach / redact / remove, and what a reviewer never sees: the
sender's file name and the identifying metadata removed from their copy."""

from __future__ import annotations

import pytest

from config import load_settings
from data_access import audit, audit_view, users
from data_access.assignments import remove_assignment
from data_access.documents import COMMAND_LINE, attach_document, list_documents, safe_name
from documents import preview
from documents.generate import make_pdf
from tests.documents.builders import BODY, IDENTIFYING, NAME, every_text, identifying_pdf, make_png, plain_docx
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import MEDIA, download, rerun, run_app, texts
from ui import documents as ui_documents
from ui import streamlit_adapter
from ui.submission_url import NOT_AVAILABLE

PAGE = "pages/submissions.py"
REF = "CFE-0001"
PDF_NAME = "Jane Identifiable - Acme Housing Trust report.pdf"  # the sender's name names them
HOSTILE_NAME = "<img src=x onerror=alert(1)>[x](javascript:alert(1)).txt"
HOSTILE_TEXT = (
    "<script>alert('x')</script> <b>bold</b>\n"
    "**not bold** [a link](javascript:alert(1)) $x^2$ :red[colour]\n"
    '=HYPERLINK("http://evil.example","click")\n'
)


def _attach(db, submission_id: int, name: str, content: bytes) -> int:
    with db.write() as s:
        info = attach_document(
            s,
            submission_id=submission_id,
            name=name,
            content=content,
            actor=COMMAND_LINE,
            limits=load_settings().document_limits,
        )
    return info.id


@pytest.fixture
def call(db, call_config):
    """A submission with an identifying PDF and a hostile text file; who is who."""
    with db.write() as s:
        people = {
            "admin": make_user(s, role="admin"),
            "office": make_user(s, role="office"),
            "reviewer": make_user(s, role="reviewer"),
            "stranger": make_user(s, role="reviewer"),
        }
        sub_id = make_submission(s, call_config, reference=REF, title="Station outreach")
        assign(s, sub_id, people["reviewer"])
    people["sub_id"] = sub_id
    people["pdf_bytes"] = identifying_pdf()
    people["pdf"] = _attach(db, sub_id, PDF_NAME, people["pdf_bytes"])
    people["text"] = _attach(db, sub_id, HOSTILE_NAME, HOSTILE_TEXT.encode())
    people["png"] = _attach(db, sub_id, "photo.png", make_png(text_chunk=NAME.encode()))
    return people


def open_submission(db_url, viewer, page=PAGE, reference=REF):
    at = run_app(db_url, viewer, page=page)
    at.query_params["submission"] = reference
    return rerun(at, db_url)


def open_document(at, db_url, sub_id: int, doc_id: int):
    at.selectbox(key=f"documents.{sub_id}.open").set_value(doc_id)
    return rerun(at, db_url)


def entries(db, action: str):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action=action))


def download_button(at, doc_id: int, variant: str = "reviewer"):
    [button] = [b for b in at.get("download_button") if b.proto.id.endswith(f"documents.{doc_id}.download.{variant}")]
    return button


def served_name(url: str) -> str:
    """The name the browser saves a download under (the media file's name)."""
    return MEDIA.read_file(url.rsplit("/", 1)[-1].split(".", 1)[0]).filename


def no_identity(shown: str) -> None:
    for secret in (*IDENTIFYING, PDF_NAME, HOSTILE_NAME, safe_name(HOSTILE_NAME)):
        assert secret not in shown, secret


def test_an_assigned_reviewer_reads_the_first_page_and_the_text_and_never_a_name(db, db_url, call, monkeypatch):
    at = open_submission(db_url, call["reviewer"])
    assert not at.exception, at.exception
    shown = texts(at)
    assert "Document 1 (PDF, 2 pages)" in shown and "Document 2 (text)" in shown
    assert not at.get("image")  # nothing is opened (nor read, nor logged) until chosen
    assert entries(db, "document.view").empty
    no_identity(shown)

    open_document(at, db_url, call["sub_id"], call["pdf"])
    [image] = at.get("image")
    assert image.captions == ["Page 1 of 2"]
    [url] = image.value
    file_id = url.rsplit("/", 1)[-1].split(".", 1)[0]
    assert MEDIA.read_file(file_id) is not None
    # The page's picture is served to this session's sign-in alone (the gate: 404 without its cookie).
    assert file_id in streamlit_adapter._state().media_owners
    assert not streamlit_adapter.media_request_allowed({"type": "http", "path": url, "headers": []})
    assert any(BODY in t.value for t in at.text)  # the text, in its expander
    no_identity(texts(at))
    views = entries(db, "document.view")
    assert set(views["actor"]) == {call["reviewer"].username} and len(views) == 2  # the page, then the text

    at.button(key=f"{ui_documents.page_key(call['pdf'])}.next").click()
    rerun(at, db_url)
    assert [i.captions for i in at.get("image")] == [["Page 2 of 2"]]
    # Drawn again (another page, a score clicked beside it): checked again, not logged again.
    assert len(entries(db, "document.view")) == 2

    # A page PDFium cannot draw: a sentence, and the text is still there; no traceback.
    def damaged(content, number, **_options):
        raise preview.PreviewError(preview.DAMAGED_PAGE.format(number=number))

    monkeypatch.setattr(preview, "pdf_page", damaged)
    rerun(at, db_url)
    assert not at.exception and not at.get("image")
    assert [w.value for w in at.warning] == [preview.DAMAGED_PAGE.format(number=2)]
    assert any(BODY in t.value for t in at.text)
    monkeypatch.undo()

    open_document(at, db_url, call["sub_id"], call["text"])
    assert HOSTILE_TEXT.strip() in [t.value for t in at.text]  # exactly, as text
    for element in (*at.markdown, *at.caption, *at.get("html")):
        assert "alert" not in str(getattr(element, "value", "")) and "HYPERLINK" not in str(element.value)
    no_identity(texts(at))
    assert [b.proto.id.rsplit(".", 1)[-1] for b in at.get("download_button")] == ["reviewer"] * 3
    assert not at.file_uploader and not at.checkbox  # no admin's tools

    open_document(at, db_url, call["sub_id"], call["png"])  # a picture, as a picture
    [picture] = at.get("image")
    [url] = picture.value
    served = MEDIA.read_file(url.rsplit("/", 1)[-1].split(".", 1)[0]).content
    assert served.startswith(b"\x89PNG") and NAME.encode() not in served
    assert HOSTILE_TEXT.strip() not in [t.value for t in at.text]  # one document open at a time

    # The same section in the My reviews workspace's reading column.
    workspace = open_submission(db_url, call["reviewer"], page="pages/my_reviews.py")
    assert not workspace.exception, workspace.exception
    assert "Document 1 (PDF, 2 pages)" in texts(workspace)
    open_document(workspace, db_url, call["sub_id"], call["pdf"])
    assert not workspace.exception, workspace.exception
    assert [i.captions for i in workspace.get("image")] == [["Page 1 of 2"]]
    pdf_views = list(entries(db, "document.view")["entity_id"].astype(str))
    assert pdf_views.count(str(call["pdf"])) == 4  # another session's first view is logged
    no_identity(texts(workspace))


def test_a_reviewer_not_assigned_gets_nothing_and_a_removed_assignment_stops_the_download(db, db_url, call):
    at = open_submission(db_url, call["stranger"])
    assert [e.value for e in at.error] == [NOT_AVAILABLE]
    assert "Document 1" not in texts(at) and not at.get("image") and not at.get("download_button")
    assert list(entries(db, "access.denied")["actor"]) == [call["stranger"].username]

    # Drawn while assigned; the assignment is removed before the click: nothing is served, the refusal is logged.
    reviewer = open_submission(db_url, call["reviewer"])
    button = download_button(reviewer, call["pdf"])
    with db.write() as s:
        remove_assignment(s, submission_id=call["sub_id"], reviewer_id=call["reviewer"].user_id, actor="test")
    with pytest.raises(Exception, match="refused"):
        download(button)
    denied = entries(db, "access.denied")
    mine = denied[denied["actor"] == call["reviewer"].username]
    assert list(mine["entity"]) == ["document"] and list(mine["detail"]) == [
        "download document (reviewer); not assigned"
    ]
    assert entries(db, "document.download").empty


def test_a_download_refused_at_the_click_names_the_document_in_the_audit_log_by_its_place_not_its_id(
    db, db_url, call, call_config
):
    with db.write() as s:
        other = make_submission(s, call_config, reference="CFE-0777", title="Other evidence")
    doc_id = _attach(db, other, "notes.txt", b"Plain notes.")  # its id is not its place (document 1)
    assert doc_id != 1
    at = open_submission(db_url, call["office"], reference="CFE-0777")
    button = download_button(at, doc_id)
    with db.write() as s:
        users.set_active(s, user_id=call["office"].user_id, active=False, actor="admin")  # signed out at the click
    with pytest.raises(Exception, match="refused"):
        download(button)
    with db.read() as s:
        rows = audit_view.readable_page(s, filters=audit.AuditFilter(action="access.denied"), page=1, page_size=9).rows
    [row] = [r for r in rows if r["What"].startswith("Download")]
    assert row["What"] == "Download: document 1 of CFE-0777"
    assert row["Detail"].startswith("download document 1 of CFE-0777; ")
    assert f"document {doc_id}" not in row["What"] + row["Detail"]


def test_office_downloads_the_reviewers_copy_checked_and_logged_at_the_click(db, db_url, call):
    at = open_submission(db_url, call["office"])
    assert not at.exception, at.exception
    assert entries(db, "document.download").empty  # drawing the button makes nothing
    assert not any(b.proto.id.endswith("download.original") for b in at.get("download_button"))
    assert not at.file_uploader and not at.checkbox  # no admin's tools
    url, content = download(download_button(at, call["pdf"]))
    assert served_name(url) == f"{REF}-document-1.pdf"
    found = every_text(content)  # every stream decompressed, lower case
    assert content.startswith(b"%PDF-") and BODY.lower() in found
    for secret in IDENTIFYING:
        assert secret.lower() not in found, secret
    [entry] = entries(db, "document.download").to_dict("records")
    assert entry["actor"] == call["office"].username and entry["entity_id"] == str(call["pdf"])


def test_the_admin_attaches_redacts_and_removes_and_bad_files_change_nothing(db, db_url, call):
    at = open_submission(db_url, call["admin"])
    assert not at.exception, at.exception
    shown = [t.value for t in at.text]
    assert PDF_NAME in shown and safe_name(HOSTILE_NAME) in shown  # admins see names (as stored: made safe)
    sub_id, pdf = call["sub_id"], call["pdf"]
    url, content = download(download_button(at, pdf, "original"))  # the admin alone has the original
    assert content == call["pdf_bytes"] and served_name(url) == PDF_NAME
    [entry] = entries(db, "document.download").to_dict("records")
    assert entry["actor"] == call["admin"].username and "original" in entry["detail"]
    at.file_uploader(key=f"documents.{sub_id}.attach.0").set_value(
        [
            ("good.docx", plain_docx(), "application/octet-stream"),
            ("<b>evil</b>.pdf", b"MZ\x90\x00" + b"\x00" * 200, "application/pdf"),
        ]
    )
    rerun(at, db_url)
    at.button(key=f"documents.{sub_id}.attach.go").click()
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Attached as Document 4 (Word)."]
    [error] = at.error
    assert error.value.startswith("Not attached: ") and "Nothing was stored." in error.value
    assert "<b>evil</b>.pdf" in [t.value for t in at.text] and "evil" not in error.value  # the name, as text
    assert ui_documents.BODY_WARNING in [w.value for w in at.warning]
    assert "Document property: revision" in "\n".join(t.value for t in at.text)  # what was removed
    with db.read() as s:
        assert [d.label for d in list_documents(s, submission_id=sub_id, viewer=call["admin"])] == [
            "Document 1 (PDF, 2 pages)",
            "Document 2 (text)",
            "Document 3 (PNG image)",
            "Document 4 (Word)",
        ]

    # A redacted version of the wrong kind is refused, changing nothing; the right one replaces the reviewers' copy.
    def redact(round_: int, name: str, content: bytes) -> None:
        at.file_uploader(key=f"documents.{pdf}.redact.{round_}").set_value((name, content, "application/octet-stream"))
        rerun(at, db_url)
        at.button(key=f"documents.{pdf}.redact.go").click()
        rerun(at, db_url)
        assert not at.exception, at.exception

    redact(0, "redacted.docx", plain_docx("[REDACTED]"))
    [error] = at.error
    assert error.value.startswith("Not used: ") and "nothing was changed" in error.value.lower()
    assert entries(db, "document.redact").empty
    redact(1, "redacted.pdf", make_pdf(["[REDACTED] met young people at the station"]))
    assert [s.value for s in at.success] == ["Reviewers now see the redacted version of Document 1 (PDF, 1 page)."]
    assert entries(db, "document.redact")["entity_id"].tolist() == [str(pdf)]
    reviewer = open_document(open_submission(db_url, call["reviewer"]), db_url, sub_id, pdf)
    shown = [t.value for t in reviewer.text]
    assert any("[REDACTED]" in t for t in shown) and not any(BODY in t for t in shown)
    assert "Document 1 (PDF, 1 page)" in texts(reviewer)

    at.checkbox(key=f"documents.{pdf}.remove.sure").check()
    rerun(at, db_url)
    at.button(key=f"documents.{pdf}.remove.go").click()
    rerun(at, db_url)
    assert [s.value for s in at.success] == ["Document 1 (PDF, 1 page) was removed."]
    with db.read() as s:
        assert [d.label for d in list_documents(s, submission_id=sub_id, viewer=call["admin"])] == [
            "Document 2 (text)",
            "Document 3 (PNG image)",
            "Document 4 (Word)",
        ]
    assert entries(db, "document.remove")["entity_id"].tolist() == [str(pdf)]
    rerun(reviewer, db_url)  # the reviewer still had it open: gone at their next run
    assert not reviewer.exception, reviewer.exception
    assert not reviewer.get("image") and "Document 1" not in texts(reviewer)


def _page_picture_sign_in(at, db_url, call, doc_id: int):
    """The reviewer opens `doc_id`; its picture's URL, with the sign-in of the session it was drawn for
    registered as a real server's sign-in would be (a cookie the test holds)."""
    import hashlib

    open_document(at, db_url, call["sub_id"], doc_id)
    [image] = at.get("image")
    [url] = image.value
    file_id = url.rsplit("/", 1)[-1].split(".", 1)[0]
    [sid] = streamlit_adapter._state().media_owners[file_id]
    sign_in = streamlit_adapter.SignIn(
        cookie_name="evidence_review_auth", token_sha256=hashlib.sha256(b"the-token").hexdigest(), may_upload=bool
    )
    with streamlit_adapter._state().lock:
        streamlit_adapter._state().sign_ins[sid] = sign_in
    return url, sign_in


def _fetch(url: str) -> bool:
    scope = {"type": "http", "method": "GET", "path": url, "headers": [(b"cookie", b"evidence_review_auth=the-token")]}
    return streamlit_adapter.media_request_allowed(scope)


@pytest.mark.parametrize("change", ["assignment removed", "conflict declared", "account deactivated", "redacted"])
def test_a_page_picture_already_shown_is_refused_once_its_reader_may_no_longer_see_it(db, db_url, call, change):
    """The gate asks again at each request for a page's picture: a URL learnt while assigned gives
    nothing after the assignment goes, a conflict, a deactivation, or once a redacted version
    replaced the copy it shows (the picture of the unredacted page would name them)."""
    from data_access.assignments import declare_conflict
    from data_access.documents import replace_with_redacted
    from data_access.models import User

    at = open_submission(db_url, call["reviewer"])
    url, sign_in = _page_picture_sign_in(at, db_url, call, call["pdf"])
    assert _fetch(url)  # the reader, with their cookie, now
    reviewer_id = call["reviewer"].user_id
    with db.write() as s:
        if change == "assignment removed":
            remove_assignment(s, submission_id=call["sub_id"], reviewer_id=reviewer_id, actor="test")
        elif change == "conflict declared":
            declare_conflict(s, submission_id=call["sub_id"], reviewer_id=reviewer_id, actor="test", source="admin")
        elif change == "account deactivated":
            s.get(User, reviewer_id).active = False
        else:
            replace_with_redacted(
                s,
                document_id=call["pdf"],
                name="redacted.pdf",
                content=make_pdf(["[REDACTED] met young people at the station"]),
                actor=COMMAND_LINE,
                limits=load_settings().document_limits,
            )
    assert not _fetch(url), change
    assert sign_in is not None  # the gate's sign-in entry lives as long as this


def test_a_picture_shown_is_refused_once_the_document_is_removed(db, db_url, call):
    from data_access.documents import remove_document

    at = open_submission(db_url, call["reviewer"])
    url, sign_in = _page_picture_sign_in(at, db_url, call, call["png"])
    assert _fetch(url)
    with db.write() as s:
        remove_document(s, document_id=call["png"], actor=COMMAND_LINE)
    assert not _fetch(url)
    assert sign_in is not None


def test_the_gates_check_of_a_page_picture_follows_the_sign_in_record(db, call):
    """What the gate asks for a page's picture (`ui.documents._still_readable`): the sign-in record
    the picture was drawn under still valid for the same person (not once signed out, even when
    another sign-in of theirs stands), and the same reviewers' copy."""
    import datetime as dt
    import hashlib

    from data_access import auth as auth_da
    from data_access.models import SubmissionDocument, utcnow

    reviewer = call["reviewer"]
    with db.write() as s:
        sha = s.get(SubmissionDocument, call["pdf"]).reviewer_sha256
        first = auth_da.start_session(s, user_id=reviewer.user_id, expires_at=utcnow() + dt.timedelta(hours=1))
        auth_da.start_session(s, user_id=reviewer.user_id, expires_at=utcnow() + dt.timedelta(hours=1))
        stranger = auth_da.start_session(
            s, user_id=call["stranger"].user_id, expires_at=utcnow() + dt.timedelta(hours=1)
        )
    assert ui_documents._still_readable(db, reviewer, first, call["pdf"], sha)
    assert not ui_documents._still_readable(db, reviewer, first, call["pdf"], hashlib.sha256(b"other").hexdigest())
    assert not ui_documents._still_readable(db, reviewer, stranger, call["pdf"], sha)  # someone else's record
    assert not ui_documents._still_readable(db, call["stranger"], stranger, call["pdf"], sha)  # not assigned
    with db.write() as s:
        auth_da.revoke_session(s, auth_session_id=first)
    assert not ui_documents._still_readable(db, reviewer, first, call["pdf"], sha)
