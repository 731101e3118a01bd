"""The Messages page in a real browser, as the coordinator uses it.

With an SMTP server set (a real aiosmtpd server on this machine): the admin
reads the demo call's outbox, previews a message whose contributor's name is
HTML and Markdown (it stays characters), cancels a queued one, sends the
queued ones from the page and sees them arrive, then sends with the mail
server down (failed, with the reason), starts it again and sends the failed
message again: it arrives once. On the Templates tab a wording that cannot be
rendered is refused with the reason and nothing is saved; a good edit is
previewed with real data, saved, and used by the next message (a reminder
queued from the Assignments page, sent from the Messages page).

With none set (as in demo mode): the queued messages download as a ZIP of
.eml files and a formula-safe mail-merge CSV, by the button; the file's URL
serves nobody else and dies after the click's window.

The office and reviewers: no Messages in their navigation, and its address
says they cannot open it, with nothing of the outbox in the page or on the
WebSocket. Every view of the page passes an axe-core check with no serious
or critical violation; pictures for docs/messages.md go to docs/img/.
"""

from __future__ import annotations

import csv
import io
import re
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect
from sqlalchemy import select

from access.visibility import Viewer
from config import load_call_config
from data_access import notify, outbox, users
from data_access import templates as templates_da
from data_access.db import Database
from data_access.models import OutboxMessage, Submission
from messages.sandbox import render
from messages.templates import spec_for
from tests.browser.conftest import demo_database, screenshot
from tests.conftest import ROOT
from tests.support.accounts import password_of
from tests.support.browser import choose, go_to, nav_links, sign_in, wait_idle
from tests.support.live import LiveServer
from tests.support.postgres import free_port
from tests.support.returning import arrive_signed_in
from tests.support.smtp import SmtpServer
from ui.guard import wrong_role_message
from ui.outbox_views import STATUS_WORDS

pytestmark = pytest.mark.browser
DOCS_IMG = ROOT / "docs" / "img"
MAIL_FROM = "evidence@iasc.example.org"
# A contributor's name that is a spreadsheet formula, HTML and Markdown at once.
HOSTILE_NAME = '=HYPERLINK("http://evil.example/") <b>Ruth</b> **Strong** [call me](javascript:alert(1))'
# An acknowledgement whose subject begins with the contributor's name, as an admin might word it.
SUBJECT = "{{ recipient_name }}: we have received your evidence ({{ reference }})"
HOSTILE_TO = "ruth.hostile@larkfield.example"
FILE_URL = re.compile(r"(?<!static)/media/[0-9a-f]{16,}")
SERIOUS = {"serious", "critical"}
# The sidebar's list of pages is Streamlit's own markup (st.navigation with sections puts each section's
# heading, a div, straight inside its <ul>: axe's "list" and "listitem"), the same on every page; the
# check covers everything else: the page itself, the sidebar's other parts and the header.
NAVIGATION = '[data-testid="stSidebarNavItems"]'
# How long the offline server keeps a file made at a click at its URL (the production value, 30 s, is
# tests/config/test_settings.py's): long enough for the checks made within it, short enough not to wait.
LIFETIME_SECONDS = 6.0


@dataclass
class Site:
    server: LiveServer
    db: Database
    smtp: SmtpServer | None
    hostile_id: int


def queue_hostile(db: Database) -> int:
    """An acknowledgement to a contributor whose name is a formula, HTML and Markdown, rendered by the
    templates' engine from the default text and a subject that begins with the name; its message id."""
    config = load_call_config()
    with db.write() as session:
        sub = session.scalars(select(Submission).order_by(Submission.id.desc()).limit(1)).one()
        sub.contact_name, sub.contact_email = HOSTILE_NAME, HOSTILE_TO
        spec = spec_for("contributor.acknowledgement")
        values = templates_da.call_values(config) | {
            "recipient_name": HOSTILE_NAME,
            "reference": sub.reference,
            "title": sub.title,
        }
        declared = {variable.name for variable in spec.variables}
        values = {name: value for name, value in values.items() if name in declared}
        rendered = render(spec, SUBJECT, spec.text, spec.html, values)
        record, _ = outbox.queue_message(
            session,
            purpose="contributor.acknowledgement",
            recipient_email=HOSTILE_TO,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            idempotency_key=f"contributor.acknowledgement:{sub.id}",
            actor="admin",
            submission_id=sub.id,
            template="contributor.acknowledgement",
        )
        return record.id


def _site(
    tmp_path_factory: pytest.TempPathFactory, name: str, *, with_smtp: bool, env: dict[str, str] | None = None
) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp(name)
    db = demo_database(folder / "demo.db")
    hostile_id = queue_hostile(db)
    port = free_port()
    # EVIDENCE_SMTP_HOST empty: not set
    env = {"EVIDENCE_PUBLIC_URL": f"http://127.0.0.1:{port}", "EVIDENCE_SMTP_HOST": "", **(env or {})}
    smtp = SmtpServer.start() if with_smtp else None
    if smtp is not None:
        env |= {
            "EVIDENCE_SMTP_HOST": "127.0.0.1",
            "EVIDENCE_SMTP_PORT": str(smtp.port),
            "EVIDENCE_SMTP_SECURITY": "none",
            "EVIDENCE_MAIL_FROM": MAIL_FROM,
        }
    server = LiveServer.start(f"sqlite:///{folder / 'demo.db'}", folder, extra_env=env, port=port)
    try:
        yield Site(server, db, smtp, hostile_id)
    finally:
        server.stop()
        if smtp is not None:
            smtp.stop()
        db.dispose()


@pytest.fixture
def mailing(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server of its own with a real SMTP server set, for each test: both send every due message (the
    template test through the Assignments page's reminders), so sharing one would make each depend on
    which ran first."""
    yield from _site(tmp_path_factory, "messages-smtp", with_smtp=True)


@pytest.fixture(scope="module")
def offline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A server of its own with no SMTP server set, as in demo mode (a download's URL lives
    `LIFETIME_SECONDS`)."""
    env = {"EVIDENCE_DOWNLOAD_LIFETIME_SECONDS": str(LIFETIME_SECONDS)}
    yield from _site(tmp_path_factory, "messages-offline", with_smtp=False, env=env)


# --- helpers ---------------------------------------------------------------------------------------


def rows(db: Database) -> dict[int, OutboxMessage]:
    with db.read() as session:
        found = {m.id: m for m in session.scalars(select(OutboxMessage))}
        session.expunge_all()
    return found


def open_messages(page, site: Site) -> None:
    arrive_signed_in(page, site.server.url, site.db.url, "admin")
    go_to(page, "Messages")
    page.get_by_test_id("stDataFrame").first.wait_for()


def read(page, site: Site, message_id: int) -> None:
    choose(page, "Message to read", re.compile(rf"^{message_id} · ")).click()
    wait_idle(page)
    expect(page.get_by_role("combobox", name="Message to read")).to_have_value(re.compile(rf"^{message_id} · "))


def assert_chosen(page, site: Site, message_id: int) -> None:
    """The chooser still shows message `message_id`, naming no status it no longer has, and the
    details below it show its status now."""
    record = rows(site.db)[message_id]
    value = page.get_by_role("combobox", name="Message to read").input_value()
    assert value.startswith(f"{message_id} · "), value
    assert not [w for s, w in STATUS_WORDS.items() if s != record.status and w in value], value
    assert shown_text(page, "Status") == STATUS_WORDS[record.status]


def shown_text(page, label: str) -> str:
    """The text under a field's caption (`ui.render.field`) in the open tab."""
    caption = page.get_by_test_id("stCaptionContainer").filter(has_text=re.compile(rf"^{re.escape(label)}$"))
    panel = page.locator('[role="tabpanel"]:visible')
    block = panel.locator('[data-testid="stElementContainer"]', has=caption).first
    return block.locator("xpath=following-sibling::*[1]").get_by_test_id("stText").inner_text()


def send_queued(page, site: Site, ids: set[int]) -> str:
    """Click Send queued now; once the send has taken and answered for the messages `ids` (in the
    database), check again until the page shows the send's outcome; the outcome's words."""
    wait_idle(page)
    before = rows(site.db)
    page.get_by_role("button", name="Send queued now").click()
    deadline = time.monotonic() + 30
    while not all(_answered(before[i], rows(site.db)[i]) for i in ids):
        assert time.monotonic() < deadline, f"the send never answered: {[vars(rows(site.db)[i]) for i in ids]}"
        page.wait_for_timeout(100)
    wait_idle(page)
    outcome = page.get_by_test_id("stAlert").filter(has_text=re.compile(r"sent \d+ messages; \d+ failed"))
    while not outcome.count():
        assert time.monotonic() < deadline, "the page never showed the send's outcome"
        page.get_by_role("button", name="Check again").click()
        wait_idle(page)
    return outcome.inner_text()


def _answered(before: OutboxMessage, now: OutboxMessage) -> bool:
    """The message was tried since `before` and the mail server's answer recorded."""
    return now.attempts > before.attempts and now.status in ("sent", "failed")


def arrived(smtp: SmtpServer, to: str) -> list:
    return [m for m in smtp.messages if m["To"] == to]


def accessible(page, what: str) -> None:
    """axe-core finds no serious or critical violation on the page as it is now."""
    wait_idle(page)
    results = Axe().run(page, context={"exclude": [[NAVIGATION]]})
    bad = [v for v in results.response["violations"] if v.get("impact") in SERIOUS]
    assert not bad, f"{what}: " + "; ".join(
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:5]}" for v in bad
    )


def picture(page, name: str, shown=None) -> None:
    """A picture for docs/messages.md (and the test's own screenshots), `shown` (if given) at its middle."""
    if shown is not None:
        shown.evaluate("element => element.scrollIntoView({block: 'center'})")
    path = screenshot(page, name)
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    (DOCS_IMG / f"{name}.png").write_bytes(path.read_bytes())


def inert(page) -> None:
    """The hostile name is on the page as characters: no bold, no strong, no link made of it."""
    main = page.get_by_test_id("stMain")
    expect(main.locator("b", has_text="Ruth")).to_have_count(0)
    expect(main.locator("strong", has_text="Strong")).to_have_count(0)
    expect(main.locator('a[href^="javascript"]')).to_have_count(0)


# --- with an SMTP server ---------------------------------------------------------------------------


def test_the_admin_reads_cancels_sends_and_sends_again_after_the_mail_server_was_down(page, mailing):
    site, smtp = mailing, mailing.smtp
    assert smtp is not None
    open_messages(page, site)
    before = rows(site.db)
    expect(page.get_by_text(f"{len(before)} messages, newest first")).to_be_visible()

    # A message to a contributor whose name is HTML and Markdown: shown as the characters it is.
    read(page, site, site.hostile_id)
    hostile = before[site.hostile_id]
    assert shown_text(page, "Subject") == hostile.subject
    assert shown_text(page, "Text").strip() == hostile.body_text.strip()
    assert HOSTILE_NAME in shown_text(page, "Text")
    inert(page)
    accessible(page, "the outbox with a message open")
    picture(page, "messages-outbox")

    # Cancel a queued reminder.
    cancelled = next(m for m in before.values() if m.status == "queued" and m.purpose == "reviewer.reminder")
    read(page, site, cancelled.id)
    page.get_by_role("button", name="Cancel this message").click()
    page.get_by_text(f"Message {cancelled.id} is cancelled: it will not be sent.").wait_for()
    wait_idle(page)
    assert rows(site.db)[cancelled.id].status == "cancelled"
    assert_chosen(page, site, cancelled.id)  # before, the chooser went on saying "Queued"
    read(page, site, site.hostile_id)

    # Send what is due: every queued message and the failed one whose next try has come.
    now = time.time()
    due = {
        m.id
        for m in rows(site.db).values()
        if m.status in ("queued", "failed") and m.next_attempt_at is not None and m.next_attempt_at.timestamp() <= now
    }
    assert site.hostile_id in due and cancelled.id not in due
    earlier = len(smtp.messages)
    outcome = send_queued(page, site, due)
    assert f"sent {len(due)} messages; 0 failed" in outcome
    after = rows(site.db)
    assert {i for i in due if after[i].status == "sent"} == due
    got = {(m["To"], str(m["Subject"])) for m in smtp.messages[earlier:]}
    assert got == {(after[i].recipient_email, after[i].subject) for i in due}
    [mail] = arrived(smtp, HOSTILE_TO)
    assert mail["From"] == MAIL_FROM
    assert HOSTILE_NAME in mail.get_body(preferencelist=("plain",)).get_content()
    assert_chosen(page, site, site.hostile_id)  # before, the chooser went on saying "Being sent"
    picture(page, "messages-sent", page.get_by_role("heading", name="Sending"))

    # The mail server goes down: the digest the reviewer's server refused is sent again, and fails.
    refused = next(m for m in after.values() if m.status == "failed" and m.next_attempt_at is None)
    smtp.stop()
    read(page, site, refused.id)
    page.get_by_role("button", name="Send again").click()
    page.get_by_text(f"Message {refused.id} is queued again").wait_for()
    outcome = send_queued(page, site, {refused.id})
    assert "sent 0 messages; 1 failed" in outcome
    reason = "the SMTP server refused the connection"
    page.get_by_test_id("stText").filter(has_text=f"message {refused.id}: {reason}").wait_for()
    down = rows(site.db)[refused.id]
    assert down.status == "failed" and down.last_error is not None and down.last_error.startswith(reason)
    read(page, site, refused.id)
    assert shown_text(page, "Why it failed (the mail server's answer)") == down.last_error
    picture(page, "messages-failed")

    # Up again: Send again, and it arrives once.
    smtp.restart()
    page.get_by_role("button", name="Send again").click()
    page.get_by_text(f"Message {refused.id} is queued again").wait_for()
    assert "sent 1 messages; 0 failed" in send_queued(page, site, {refused.id})
    assert [str(m["Subject"]) for m in arrived(smtp, refused.recipient_email) if m["Subject"] == refused.subject] == [
        refused.subject
    ]
    assert rows(site.db)[refused.id].status == "sent"


def test_the_admin_edits_a_template_and_the_next_message_is_written_with_it(page, mailing):
    site, smtp = mailing, mailing.smtp
    assert smtp is not None
    purpose, title = "reviewer.overdue", "Reviews overdue"
    open_messages(page, site)
    page.get_by_role("tab", name="Templates").click()
    wait_idle(page)
    choose(page, "Message", title).click()
    wait_idle(page)
    panel = page.locator('[role="tabpanel"]:visible')
    subject, text = panel.get_by_label("Subject (one line)"), panel.get_by_label("Text", exact=True)

    # Allowed words that cannot be rendered (a number minus a name): refused with the reason, nothing saved.
    text.fill("{{ assigned_count - recipient_name }}")
    panel.get_by_role("button", name="Save").click()
    panel.get_by_text("Not saved: this wording cannot be rendered with real data.").wait_for()
    expect(panel.get_by_test_id("stText").filter(has_text="Plain-text body: it cannot be rendered")).to_be_visible()
    with site.db.read() as session:
        assert templates_da.get_template(session, purpose).is_default
    picture(page, "messages-template-refused")

    # A good wording, previewed with real data: the first active reviewer's own name and counts.
    wording = (
        "Overdue: {{ unfinished_count }} reviews for {{ recipient_name }}",
        "Dear {{ recipient_name }},\n\n{{ unfinished_count }} of your {{ assigned_count }} reviews are still "
        "open: {{ app_link }}\n",
    )
    subject.fill(wording[0])
    text.fill(wording[1])
    panel.get_by_role("button", name="Preview with real data").click()
    panel.get_by_role("heading", name="Preview").first.wait_for()
    wait_idle(page)
    with site.db.read() as session:
        admin = users.get_user_by_username(session, "admin")
        expected = templates_da.preview(
            session,
            purpose,
            *wording,
            None,
            viewer=Viewer(admin.id, admin.username, admin.name, admin.role),
            config=load_call_config(),
            base_url=site.server.url,
        )
        assert templates_da.get_template(session, purpose).is_default  # a preview saves nothing
    assert "recipient_name" in expected.real
    assert shown_text(page, "Subject") == expected.rendered.subject
    assert shown_text(page, "Text").strip() == expected.rendered.text.strip()
    accessible(page, "a template's preview")
    picture(page, "messages-template", panel.get_by_role("heading", name="Preview"))

    panel.get_by_role("button", name="Save").click()
    page.get_by_text(f"Saved: “{title}” is now version 1.").wait_for()
    with site.db.read() as session:
        saved = templates_da.get_template(session, purpose)
    assert (saved.version, saved.updated_by, saved.subject, saved.text) == (1, "admin", *wording)

    # The next message: the Remind action on the Assignments page (the deadline has passed: overdue).
    with site.db.read() as session:
        unfinished = {name: n for _id, name, n in notify.unfinished_reviewers(session)}
    known = set(rows(site.db))
    go_to(page, "Assignments")
    page.get_by_role("button", name=re.compile(r"^Remind all \d+$")).click()
    page.get_by_text("Queued in the outbox").wait_for()
    new = {i: m for i, m in rows(site.db).items() if i not in known}
    assert {m.purpose for m in new.values()} == {purpose}
    assert sorted(m.subject for m in new.values()) == sorted(
        f"Overdue: {n} reviews for {name}" for name, n in unfinished.items()
    )
    go_to(page, "Messages")
    send_queued(page, site, set(new))
    for message in new.values():
        [mail] = [m for m in arrived(smtp, message.recipient_email) if m["Subject"] == message.subject]
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert body.startswith("Dear ") and f"reviews are still open: {site.server.url}" in body


# --- without an SMTP server ------------------------------------------------------------------------


def plain_get(url: str) -> int:
    """A GET with no cookie, as anyone who learnt the URL could send it: the status."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def download(page, label: str) -> tuple[bytes, str, float]:
    """Click a download button: the file, its name and when it was clicked."""
    with page.expect_download() as started:
        page.get_by_role("button", name=label).click()
    clicked = time.monotonic()
    return Path(started.value.path()).read_bytes(), started.value.suggested_filename, clicked


def test_without_a_mail_server_the_queued_messages_download_and_the_link_dies(page, offline, chromium):
    site = offline
    frames: list[str] = []
    requests: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(_text(payload))))
    page.on("request", lambda request: requests.append(request.url))
    open_messages(page, site)
    page.get_by_text("No SMTP server is set (EVIDENCE_SMTP_HOST)").wait_for()
    zip_label, csv_label = "Queued messages as .eml files (ZIP)", "Queued messages as a mail-merge CSV"
    expect(page.get_by_role("button", name=zip_label)).to_be_visible()
    accessible(page, "the outbox without a mail server")
    picture(page, "messages-downloads", page.get_by_role("button", name=csv_label))
    assert not FILE_URL.search(page.content()) and not [f for f in frames if FILE_URL.search(f)]
    queued = {i: m for i, m in rows(site.db).items() if m.status == "queued"}
    assert site.hostile_id in queued

    # The same admin's other session, signed in before the click, so that its check falls in the click's window.
    other = chromium.new_context()
    try:
        sign_in(other.new_page(), site.server.url, "admin", password_of("admin"))
        # The .eml files: one per queued message, each a message the email package reads.
        content, name, clicked = download(page, zip_label)
        [url] = {r for r in requests if FILE_URL.search(r)}
        own = page.context.request.get(url)
        assert (own.status, own.body()) == (200, content)  # this browser, within the click's window
        assert plain_get(url) == 404  # nobody without the sign-in
        assert other.request.get(url).status == 404  # nor the same admin's other session
        assert page.context.request.get(url).status == 200  # while the file was still served to this one
    finally:
        other.close()
    assert name.startswith("outbox-queued-") and name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        mails = [message_from_bytes(archive.read(n), policy=policy.default) for n in archive.namelist()]
    assert sorted((m["To"], str(m["Subject"])) for m in mails) == sorted(
        (m.recipient_email, m.subject) for m in queued.values()
    )
    [hostile] = [m for m in mails if m["To"] == HOSTILE_TO]
    assert hostile["Subject"] == queued[site.hostile_id].subject
    assert HOSTILE_NAME in hostile.get_body(preferencelist=("plain",)).get_content()

    # The mail-merge CSV: one row per queued message, every cell formula-safe.
    content, name, _ = download(page, csv_label)
    assert name.startswith("outbox-queued-") and name.endswith(".csv")
    table = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(table) == len(queued)
    cells = [cell for row in table for cell in row.values()]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    [row] = [r for r in table if HOSTILE_TO in r.values()]
    assert "'" + queued[site.hostile_id].subject in row.values()  # begins with "=": neutralised, kept

    # The ZIP's URL dies after the click's window, even for this browser.
    deadline = clicked + LIFETIME_SECONDS + 15
    while page.context.request.get(url).status != 404:
        assert time.monotonic() < deadline, "the download's URL still served after its window"
        page.wait_for_timeout(500)


@pytest.mark.parametrize("username", ["office", "reviewer1"])
def test_office_and_reviewers_have_no_messages_page(page, offline, username):
    site = offline
    frames: list[str] = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(_text(payload))))
    arrive_signed_in(page, site.server.url, site.db.url, username)
    assert "Messages" not in nav_links(page)
    assert "Overview" in nav_links(page)
    with site.db.read() as session:
        user = users.get_user_by_username(session, username)
        role, own = user.role, user.email
    page.goto(f"{site.server.url}/messages")
    page.get_by_text(wrong_role_message(role, "messages")).wait_for()
    wait_idle(page)
    expect(page.get_by_role("tab", name="Outbox")).to_have_count(0)
    seen = page.content() + "".join(frames)
    # Every address and subject in the outbox (but the person's own address, which their pages may show).
    outbox_words = {w for m in rows(site.db).values() for w in (m.subject, m.recipient_email) if w != own}
    assert outbox_words and not [w for w in outbox_words if w in seen]
    assert HOSTILE_TO not in seen and "Send queued now" not in seen


def _text(payload) -> str:
    return payload.decode("latin-1") if isinstance(payload, bytes) else payload
