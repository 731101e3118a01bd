"""Evidence documents in a real browser (issue 15): an assigned reviewer reads
a PDF's first page inside the page (its picture drawn, its text in the text
view); an office user downloads a Word document that opens and carries none of
the identifying metadata it was sent with; a reviewer without the assignment
gets nothing by any route (the Submissions page and My reviews with
?submission=REF, the assigned reviewer's page picture and download URLs
replayed with their own cookies), and their browser's network log holds no
document bytes.

Runs on the session's demo server (the demo call carries documents); the one
document it adds (the identifying Word file) is removed again afterwards.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from access.visibility import Viewer
from config.settings import DocumentLimits
from data_access import documents
from data_access.db import Database
from data_access.demo import DEMO_USERS
from data_access.models import Assignment, ConflictOfInterest, Submission, SubmissionDocument, User
from documents.generate import NOTICE
from tests.browser.conftest import screenshot
from tests.conftest import ROOT
from tests.documents.builders import IDENTIFYING, NAME, ORGANISATION, every_text, identifying_docx
from tests.support.browser import choose, wait_idle
from tests.support.returning import arrive_signed_in
from ui.review_form import NOT_ASSIGNED

pytestmark = pytest.mark.browser
DOCS_IMG = ROOT / "docs" / "img"
READ_HERE = "Read a document here"
FILE_URL = re.compile(r"(?<!static)/media/[0-9a-f]{16,}")
DOCUMENT_TYPES = ("application/pdf", "application/vnd.openxmlformats", "image/png", "image/jpeg", "text/plain")
# The first page's picture: a stored picture (/media/...) loaded, with a width, and the run finished.
PAGE_DRAWN = """() => {
    if (document.querySelector('[data-testid="stStatusWidget"]')) return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const img = [...document.images].find(i => i.src.includes('/media/'));
    return !!img && img.complete && img.naturalWidth > 0;
}"""


@dataclass(frozen=True)
class Cast:
    reviewer: str  # assigned to `reference`, no conflict
    outsider: str  # a reviewer neither assigned to `reference` nor in conflict with it
    reference: str  # carries a demo PDF
    pdf_label: str
    pdf_first_line: str  # the first line of that PDF's first page
    docx_reference: str  # carries the identifying Word document this module attached


@pytest.fixture(scope="module")
def cast(demo_db_url: str) -> Iterator[Cast]:
    db = Database(demo_db_url)
    try:
        with db.write() as s:
            reviewer = s.scalar(select(User).where(User.username == "reviewer1"))
            conflicts = select(ConflictOfInterest.submission_id).where(ConflictOfInterest.reviewer_id == reviewer.id)
            submission_id, reference = s.execute(
                select(Submission.id, Submission.reference)
                .join(Assignment, Assignment.submission_id == Submission.id)
                .join(SubmissionDocument, SubmissionDocument.submission_id == Submission.id)
                .where(Assignment.reviewer_id == reviewer.id, SubmissionDocument.kind == "pdf")
                .where(Submission.id.not_in(conflicts))
                .order_by(Submission.reference)
                .limit(1)
            ).one()
            involved = select(Assignment.reviewer_id).where(Assignment.submission_id == submission_id)
            involved = involved.union(
                select(ConflictOfInterest.reviewer_id).where(ConflictOfInterest.submission_id == submission_id)
            )
            outsider = s.scalar(
                # A demo account (its test password is known) that is active: other modules on this server add
                # reviewers of their own, some deactivated or with another password, and one may sort first.
                select(User.username)
                .where(User.role == "reviewer", User.id.not_in(involved), User.active.is_(True))
                .where(User.username.in_([u.username for u in DEMO_USERS]))
                .order_by(User.username)
            )
            as_reviewer = Viewer(reviewer.id, reviewer.username, reviewer.name, reviewer.role)
            pdf = next(
                d
                for d in documents.list_documents(s, submission_id=submission_id, viewer=as_reviewer)
                if d.kind == "pdf"
            )
            first_line = documents.document_text(s, document_id=pdf.id, viewer=as_reviewer).strip().splitlines()[0]
            without = select(SubmissionDocument.submission_id)
            docx_id, docx_reference = s.execute(
                select(Submission.id, Submission.reference)
                .where(Submission.id.not_in(without), Submission.anonymous.is_(False))
                .order_by(Submission.reference)
                .limit(1)
            ).one()
            admin = s.scalar(select(User).where(User.role == "admin").order_by(User.id).limit(1))
            as_admin = Viewer(admin.id, admin.username, admin.name, admin.role)
            attached = documents.attach_document(
                s,
                submission_id=docx_id,
                name=f"{ORGANISATION} - {NAME}.docx",
                content=identifying_docx(),
                actor=as_admin,
                limits=DocumentLimits(),
            )
        yield Cast(reviewer.username, outsider, reference, pdf.label, first_line, docx_reference)
        with db.write() as s:
            documents.remove_document(s, document_id=attached.id, actor=as_admin)
    finally:
        db.dispose()


def responses_of(page) -> list[tuple[str, int, str]]:
    """(url, status, content type) of every response the page receives from now on."""
    seen: list[tuple[str, int, str]] = []
    page.on("response", lambda r: seen.append((r.url, r.status, r.headers.get("content-type", ""))))
    return seen


def frames_of(page) -> list[str]:
    """Every WebSocket frame the page receives from now on (the app's page data), as text."""
    frames: list[str] = []

    def keep(payload) -> None:
        frames.append(payload.decode("latin-1") if isinstance(payload, bytes) else payload)

    page.on("websocket", lambda ws: ws.on("framereceived", keep))
    return frames


def test_an_assigned_reviewer_reads_a_pdf_inside_the_page_and_an_outsider_gets_nothing_by_any_route(
    chromium, live_server, demo_db_url, cast
):
    reader = chromium.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    reader.set_default_timeout(30_000)
    requests: list[str] = []
    reader.on("request", lambda r: requests.append(r.url))
    arrive_signed_in(reader, live_server.url, demo_db_url, cast.reviewer)
    reader.goto(f"{live_server.url}/my_reviews?submission={cast.reference}")
    reader.get_by_text(f"Submission {cast.reference}").wait_for()
    wait_idle(reader)
    reader.get_by_text(cast.pdf_label, exact=True).first.wait_for()

    choose(reader, READ_HERE, cast.pdf_label).click()
    reader.wait_for_function(PAGE_DRAWN)
    picture = reader.locator("img[src*='/media/']").first
    assert picture.is_visible() and picture.evaluate("i => i.naturalWidth") > 500
    reader.get_by_text("Page 1 of ", exact=False).first.wait_for()
    reader.get_by_text("Text of the document").click()
    text_view = reader.get_by_text(cast.pdf_first_line, exact=False).first
    text_view.wait_for()
    assert NOTICE.split(":")[0] in reader.locator("body").inner_text()  # "Synthetic demo document"
    screenshot(reader, "documents-reviewer")
    # For docs/reviewing.md: what the reviewer sees, the page picture in view beside the form.
    reader.set_viewport_size({"width": 1400, "height": 1000})
    picture.scroll_into_view_if_needed()
    wait_idle(reader)
    reader.screenshot(path=str(DOCS_IMG / "documents-reviewer.png"))

    page_url = picture.get_attribute("src")
    page_url = page_url if page_url.startswith("http") else live_server.url + page_url
    own = reader.context.request.get(page_url)
    assert own.status == 200 and own.body().startswith(b"\x89PNG")
    with reader.expect_download() as download:
        reader.get_by_role("button", name="Download", exact=True).first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF-") and download.value.suggested_filename.startswith(cast.reference)
    [download_url] = {r for r in requests if FILE_URL.search(r) and r != page_url}

    # The outsider, signed in in a browser of their own, while the reviewer's page still shows both.
    outsider = chromium.new_context(viewport={"width": 1400, "height": 1800}).new_page()
    outsider.set_default_timeout(30_000)
    seen, frames = responses_of(outsider), frames_of(outsider)
    arrive_signed_in(outsider, live_server.url, demo_db_url, cast.outsider)
    outsider.goto(f"{live_server.url}/submissions?submission={cast.reference}")
    wait_idle(outsider)
    outsider.get_by_role("alert").first.wait_for()  # refused in words (the page, or the submission)
    assert outsider.get_by_text(cast.pdf_label).count() == 0
    outsider.goto(f"{live_server.url}/my_reviews?submission={cast.reference}")
    outsider.get_by_text(NOT_ASSIGNED).wait_for()
    wait_idle(outsider)
    assert outsider.get_by_text(f"Submission {cast.reference}").count() == 0
    assert outsider.get_by_text(cast.pdf_label).count() == 0
    for url in (page_url, download_url):
        replayed = outsider.context.request.get(url)  # the outsider's own cookies
        assert replayed.status == 404 and pdf not in replayed.body() and not replayed.body().startswith(b"\x89PNG")
    # The reviewer still gets the page picture: the refusals above were for the outsider, not a URL gone stale.
    assert reader.context.request.get(page_url).status == 200

    fetched = [(url, status, kind) for url, status, kind in seen if status == 200 and FILE_URL.search(url)]
    assert fetched == []
    # Nor anything else served with a document's type, but the app's own assets (its icon, the health check).
    app_assets = tuple(live_server.url + path for path in ("/_stcore/", "/static/", "/favicon.png"))
    assert not [
        (url, kind)
        for url, status, kind in seen
        if status == 200 and kind.startswith(DOCUMENT_TYPES) and not url.startswith(app_assets)
    ]
    page_data = "".join(frames)
    assert cast.pdf_label not in page_data and cast.pdf_first_line not in page_data
    reader.context.close()
    outsider.context.close()


def test_an_office_user_downloads_a_word_document_that_carries_no_identifying_metadata(
    page, live_server, demo_db_url, cast
):
    import docx

    arrive_signed_in(page, live_server.url, demo_db_url, "office")
    page.goto(f"{live_server.url}/submissions?submission={cast.docx_reference}")
    page.get_by_text("Document 1 (Word", exact=False).first.wait_for()
    wait_idle(page)
    assert NAME not in page.content() and ORGANISATION not in page.content()  # the sender's file name stays admin-only

    with page.expect_download() as download:
        page.get_by_role("button", name="Download", exact=True).first.click()
    content = Path(download.value.path()).read_bytes()
    assert download.value.suggested_filename == f"{cast.docx_reference}-document-1.docx"

    opened = docx.Document(io.BytesIO(content))
    assert "Outreach workers met young people" in "\n".join(p.text for p in opened.paragraphs)
    props = opened.core_properties
    assert (props.author, props.last_modified_by, props.comments, props.title, props.keywords) == ("",) * 5
    searchable = every_text(content)
    assert not [s for s in IDENTIFYING if s.lower() in searchable]
