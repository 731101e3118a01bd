"""The Messages page (admin): the outbox and the templates, in the real app (AppTest), both databases.

The outbox: listed, filtered, a message read as text (a hostile subject and
bodies stay inert), cancelled and sent again (a refusal in words), the queued
messages downloaded as .eml files and a formula-safe CSV (the anonymous
contributor's address to the admin only, checked at the click), and "Send
queued now" through a real SMTP server, off the page's run. The templates:
previewed with real data, refused with the reasons and nothing saved, a good
edit saved and audited, a save after someone else's refused in words. Other
roles are refused the page by tests/pages/test_access.py (every page, every
role)."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
import zipfile
from email import message_from_bytes, policy

import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError

from access.visibility import Viewer
from data_access import audit, outbox, users
from data_access import templates as templates_da
from data_access.models import OutboxMessage, utcnow
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import download, rerun, run_app, texts
from ui import outbox_sender, phone_menu

PAGE = "pages/messages.py"
HOSTILE_SUBJECT = "**Bold** [click](javascript:alert(1)) <script>alert(1)</script> :red[alarm]"
HOSTILE_TEXT = "<img src=x onerror=alert(1)>\n$$\\frac{1}{2}$$\n# Not a heading\n[link](javascript:alert(2))"
HOSTILE_HTML = '<script>alert(3)</script><p onclick="steal()">Hello</p>'
ANON = "anon.contact@larkfield.example"


@pytest.fixture(autouse=True)
def no_smtp(monkeypatch):
    """No SMTP server is set unless a test sets one (whatever the environment running the tests says)."""
    for name in ("EVIDENCE_SMTP_HOST", "EVIDENCE_SMTP_PORT", "EVIDENCE_SMTP_SECURITY", "EVIDENCE_MAIL_FROM"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def admin(db):
    with db.write() as s:
        make_user(s, role="admin", username="other")  # a second admin, to change the first one's role
        return make_user(s, role="admin", username="boss")


def queue(db, key, **values):
    message = {
        "purpose": "reviewer.invitation",
        "recipient_email": "new.reviewer@example.org",
        "subject": "You are invited",
        "body_text": "Dear reviewer,\nwelcome.",
        "idempotency_key": key,
        "actor": "other",
    } | values
    with db.write() as s:
        record, _created = outbox.queue_message(s, **message)
    return record.id


def acknowledge_anonymous(db, call_config):
    """An acknowledgement queued to an anonymous contributor, at their stored address."""
    with db.write() as s:
        anonymous = make_submission(s, call_config, anonymous=True, contact_email=ANON)
    return queue(
        db,
        "b",
        purpose="contributor.acknowledgement",
        recipient_email=ANON,
        submission_id=anonymous,
        subject="We received your evidence",
    )


def fail(db, message_id, reason="recipient refused: 550 5.1.1 mailbox unavailable"):
    with db.write() as s:
        outbox.claim_due(s, now=utcnow(), limit=100)
        outbox.mark_failed(s, message_id=message_id, reason=reason, retry_at=None, actor="delivery")


def status_of(db, message_id):
    with db.read() as s:
        return s.get(OutboxMessage, message_id).status


def entries(db, action):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action=action))


def outbox_table(at):
    return at.dataframe[0].value


def choose(at, db_url, message_id):
    at.selectbox(key="messages.chosen").select(message_id)
    return rerun(at, db_url)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def inert(at) -> str:
    """Everything the page drew through Markdown or HTML (titles, captions, notes, HTML blocks)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success", "html")
    values = (str(getattr(el, "value", "")) for kind in kinds for el in at.get(kind))
    # The app's own fixed script (the narrow-screen menu: constant text, docs/security.md) is not the message's.
    return "\n".join(v for v in values if v != phone_menu.SCRIPT)


# --- the outbox ------------------------------------------------------------------------------------


def test_the_admin_lists_and_filters_the_outbox(db, db_url, admin, call_config):
    failed = queue(db, "c", recipient_email="gone@example.org")
    fail(db, failed)
    invitation = queue(db, "a")
    acknowledgement = acknowledge_anonymous(db, call_config)
    at = run_app(db_url, admin, page=PAGE)
    assert not at.exception, at.exception
    table = outbox_table(at).set_index("id")
    assert list(table.index) == [acknowledgement, invitation, failed]  # newest first
    assert table.loc[acknowledgement, "to"] == ANON  # the admin sees an anonymous contributor's address
    assert table.loc[acknowledgement, "purpose"] == "Acknowledgement of receipt"
    assert table.loc[failed, "status"] == "Failed" and table.loc[failed, "attempts"] == 1
    assert table.loc[failed, "reason"] == "recipient refused: 550 5.1.1 mailbox unavailable"
    assert table.loc[invitation, "status"] == "Queued" and table.loc[invitation, "reason"] == ""
    at.selectbox(key="messages.status").select("failed")
    at = rerun(at, db_url)
    assert list(outbox_table(at)["id"]) == [failed]
    at.selectbox(key="messages.status").select("(all)")
    at.selectbox(key="messages.purpose").select("contributor.acknowledgement")
    at = rerun(at, db_url)
    assert list(outbox_table(at)["id"]) == [acknowledgement]


def test_a_hostile_message_is_shown_as_text_and_its_html_as_source(db, db_url, admin):
    message_id = queue(db, "h", subject=HOSTILE_SUBJECT, body_text=HOSTILE_TEXT, body_html=HOSTILE_HTML)
    at = choose(run_app(db_url, admin, page=PAGE), db_url, message_id)
    assert not at.exception, at.exception
    shown = [t.value for t in at.text]
    assert HOSTILE_SUBJECT in shown and HOSTILE_TEXT in shown
    assert [c.value for c in at.get("code")] == [HOSTILE_HTML]  # the HTML's source, as text
    drawn = inert(at)
    for live in ("<script", "javascript:", "onerror", "onclick", ":red[", "$$", "# Not a heading"):
        assert live not in drawn, live


def test_the_admin_cancels_a_queued_message_and_sends_a_failed_one_again(db, db_url, admin):
    failed = queue(db, "f", recipient_email="gone@example.org")
    fail(db, failed)
    queued = queue(db, "q")
    at = choose(run_app(db_url, admin, page=PAGE), db_url, queued)
    at.button(key=f"messages.cancel.{queued}").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [m.value for m in at.success] == [f"Message {queued} is cancelled: it will not be sent."]
    assert status_of(db, queued) == "cancelled"
    assert not [b for b in at.button if b.key == f"messages.cancel.{queued}"]  # nothing more to cancel
    at = choose(at, db_url, failed)
    button(at, "Send again").click()
    at = rerun(at, db_url)
    assert [m.value for m in at.success] == [f"Message {failed} is queued again, with a fresh count of tries."]
    assert status_of(db, failed) == "queued"
    assert entries(db, "outbox.cancel")["actor"].tolist() == ["boss"]
    assert entries(db, "outbox.resend")["actor"].tolist() == ["boss"]


def test_a_message_taken_by_a_sender_after_the_page_was_drawn_is_refused_in_words(db, db_url, admin):
    message_id = queue(db, "q")
    at = choose(run_app(db_url, admin, page=PAGE), db_url, message_id)
    with db.write() as s:  # a sender takes it while the admin reads it
        outbox.claim_due(s, now=utcnow(), limit=10)
    at.button(key=f"messages.cancel.{message_id}").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [
        "Only a queued message can be cancelled; this one is sending. Nothing was changed."
    ]
    assert status_of(db, message_id) == "sending"
    assert entries(db, "outbox.cancel").empty


def test_queued_messages_download_as_eml_and_a_formula_safe_csv_for_the_admin_only(db, db_url, admin, call_config):
    formula = '=HYPERLINK("http://evil.example","open me")'
    first = queue(db, "a", subject=formula, body_text="@SUM(1+1)")
    second = acknowledge_anonymous(db, call_config)
    at = run_app(db_url, admin, page=PAGE)
    assert not at.exception, at.exception
    assert not [b for b in at.button if b.label == "Send queued now"]  # no SMTP server is set
    buttons = {b.label: b for b in at.get("download_button")}
    _url, archive = download(buttons["Queued messages as .eml files (ZIP)"])
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        emails = [message_from_bytes(z.read(name), policy=policy.default) for name in z.namelist()]
    assert [e["To"] for e in emails] == ["new.reviewer@example.org", ANON]
    assert emails[0]["Subject"] == formula  # in the message itself, as written
    _url, merge = download(buttons["Queued messages as a mail-merge CSV"])
    rows = list(csv.DictReader(io.StringIO(merge.decode("utf-8-sig"), newline="")))
    assert [r["message_id"] for r in rows] == [str(first), str(second)]
    assert rows[0]["subject"] == "'" + formula and rows[0]["body_text"] == "'@SUM(1+1)"  # neutralised
    assert rows[1]["to"] == ANON
    logged = [
        *entries(db, "export.outbox-eml").to_dict("records"),
        *entries(db, "export.outbox-csv").to_dict("records"),
    ]
    assert [(e["actor"], e["new"]["rows"], e["new"]["to_anonymous_contributors"]) for e in logged] == [
        ("boss", 2, 1),
        ("boss", 2, 1),
    ]
    # The page was drawn for an admin; by the click they are the office's: nothing is served.
    with db.write() as s:
        users.set_role(s, user_id=admin.user_id, role="office", actor="other")
    with pytest.raises(MediaFileStorageError):
        download(buttons["Queued messages as .eml files (ZIP)"])
    refusals = entries(db, "access.denied")
    assert refusals["entity"].tolist() == ["download"] and refusals["actor"].tolist() == ["boss"]
    assert len(entries(db, "export.outbox-eml")) == 1


def test_other_roles_see_nothing_of_the_outbox(db, db_url, call_config):
    with db.write() as s:
        people = [make_user(s, role=role) for role in ("office", "reviewer")]
    acknowledge_anonymous(db, call_config)
    for person in people:
        at = run_app(db_url, person)
        at.switch_page(PAGE)
        at = rerun(at, db_url)
        assert not at.exception, at.exception
        assert [e.value for e in at.error] == [f"Your role ({person.role}) cannot open the Messages page."]
        assert ANON not in texts(at) and not at.get("download_button")


def smtp_environment(monkeypatch, port):
    monkeypatch.setenv("EVIDENCE_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("EVIDENCE_SMTP_PORT", str(port))
    monkeypatch.setenv("EVIDENCE_SMTP_SECURITY", "none")
    monkeypatch.setenv("EVIDENCE_MAIL_FROM", "evidence@iasc.example.org")


def eventually(check, seconds=20.0):
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def finished(db):
    job = outbox_sender.latest(db)
    assert job is not None and job.thread is not None
    job.thread.join(timeout=60)
    assert not job.running
    return job


def test_send_queued_now_sends_through_the_smtp_server_off_the_page(db, db_url, admin, smtp_server, monkeypatch):
    smtp_environment(monkeypatch, smtp_server.port)
    ids = [queue(db, "a"), queue(db, "b", recipient_email="second@example.org")]
    at = run_app(db_url, admin, page=PAGE)
    assert not at.get("download_button")  # a server is set: it sends
    button(at, "Send queued now").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [m.value for m in at.info if m.value.startswith("Sending has started")]
    job = finished(db)
    assert job.report is not None and job.report.sent == 2 and job.error is None
    at = rerun(at, db_url)
    [outcome] = at.success
    assert outcome.value.endswith("sent 2 messages; 0 failed.")
    assert sorted(to for _from, [to] in smtp_server.envelopes) == ["new.reviewer@example.org", "second@example.org"]
    assert [status_of(db, i) for i in ids] == ["sent", "sent"]
    assert set(entries(db, "outbox.sent")["actor"]) == {"boss"}


def test_the_page_does_not_wait_for_a_mail_server_that_does_not_answer(db, db_url, admin, monkeypatch):
    silent = socket.create_server(("127.0.0.1", 0))  # accepts connections, never says a word
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    smtp_environment(monkeypatch, silent.getsockname()[1])
    message_id = queue(db, "a")
    try:
        at = run_app(db_url, admin, page=PAGE)
        button(at, "Send queued now").click()
        at = rerun(at, db_url)
        # The run has ended while the server has said nothing: the send is still under way.
        job = outbox_sender.latest(db)
        assert job is not None and job.running
        at = rerun(at, db_url)
        assert [m.value for m in at.info if "is under way" in m.value]
        assert eventually(lambda: accepted and status_of(db, message_id) == "sending")
    finally:
        for connection in accepted:
            connection.close()  # the server hangs up: the send fails with the reason
        silent.close()
    job = finished(db)
    assert job.report is not None and job.report.failed == 1
    at = rerun(at, db_url)
    [outcome] = at.warning
    assert outcome.value.endswith("sent 0 messages; 1 failed.")
    assert "SMTPServerDisconnected" in "\n".join(t.value for t in at.text)
    assert status_of(db, message_id) == "failed"


# --- the templates ---------------------------------------------------------------------------------


def open_template(db_url, admin, purpose):
    at = run_app(db_url, admin, page=PAGE)
    at.selectbox(key="templates.purpose").select(purpose)
    return rerun(at, db_url)


def wording(at, purpose, version=0):
    prefix = f"templates.{purpose}.{version}."
    return (
        at.text_input(key=prefix + "subject"),
        at.text_area(key=prefix + "text"),
        at.text_area(key=prefix + "html"),
    )


def test_a_preview_shows_the_wording_with_real_data_and_saves_nothing(db, db_url, admin, call_config):
    with db.write() as s:
        reviewer = make_user(s, role="reviewer", name="Priya Realdata")
        shown = make_submission(s, call_config, title="Safe spaces in Larkfield")
        hidden = make_submission(s, call_config, anonymous=True, organisation="Secret Shelter Trust")
        assign(s, shown, reviewer)
        assign(s, hidden, reviewer)
    at = open_template(db_url, admin, "reviewer.assignments")
    subject, text, _html = wording(at, "reviewer.assignments")
    subject.input("{{ new_count }} for {{ recipient_name }}")
    text.input("{% for item in assignments %}{{ item.reference }}: {{ item.title }}\n{% endfor %}")
    button(at, "Preview with real data").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    drawn = [t.value for t in at.text]
    assert "Priya Realdata (reviewer)" in drawn
    assert "2 for Priya Realdata" in drawn
    assert any("Safe spaces in Larkfield" in t for t in drawn)
    assert "Secret Shelter Trust" not in texts(at)  # an anonymous contributor's organisation, nowhere
    assert list(at.dataframe[1].value["Variable"])[:2] == ["{{ recipient_name }}", "{{ call_title }}"]
    with db.read() as s:
        assert templates_da.get_template(s, "reviewer.assignments").is_default
    assert entries(db, "message_template.save").empty


def test_a_template_with_problems_is_refused_with_the_reasons_and_nothing_is_saved(db, db_url, admin):
    at = open_template(db_url, admin, "reviewer.reminder")
    subject, text, html = wording(at, "reviewer.reminder")
    subject.input("Your password is {{ password }}")
    text.input("{{ ''.__class__.__mro__ }}")
    html.input('<a href="{{ recipient_name }}">x</a>')
    button(at, "Save").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not saved: this wording has problems."]
    reasons = "\n".join(t.value for t in at.text)
    assert "Subject" in reasons and "password" in reasons
    assert "Plain-text body" in reasons and "HTML body" in reasons
    with db.read() as s:
        assert templates_da.get_template(s, "reviewer.reminder").is_default
    assert entries(db, "message_template.save").empty
    assert wording(at, "reviewer.reminder")[0].value == "Your password is {{ password }}"  # kept to correct


def test_a_good_edit_is_saved_audited_and_used(db, db_url, admin):
    at = open_template(db_url, admin, "reviewer.reminder")
    subject, _text, _html = wording(at, "reviewer.reminder")
    subject.input("Reminder: {{ unfinished_count }} reviews to finish by {{ review_deadline }}")
    button(at, "Save").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [m.value for m in at.success] == ["Saved: “Review reminder” is now version 1."]
    with db.read() as s:
        saved = templates_da.get_template(s, "reviewer.reminder")
    assert (saved.version, saved.updated_by) == (1, "boss")
    assert saved.subject == "Reminder: {{ unfinished_count }} reviews to finish by {{ review_deadline }}"
    [entry] = entries(db, "message_template.save").to_dict("records")
    assert entry["actor"] == "boss" and entry["new"]["subject"] == saved.subject and entry["old"]["version"] == 0
    assert wording(at, "reviewer.reminder", version=1)[0].value == saved.subject  # the form now edits version 1
    assert "version 1, saved by boss" in inert(at)


def test_a_save_after_someone_elses_is_refused_in_words_and_theirs_is_kept(db, db_url, admin):
    at = open_template(db_url, admin, "reviewer.reminder")
    with db.write() as s:
        other = users.get_user_by_username(s, "other")
        viewer = Viewer(other.id, other.username, other.name, other.role)
        templates_da.save_template(
            s, "reviewer.reminder", "Theirs {{ unfinished_count }}", "Their text", None, viewer, 0
        )
    subject, _text, _html = wording(at, "reviewer.reminder")
    subject.input("Mine {{ unfinished_count }}")
    button(at, "Save").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    [warning] = at.warning
    assert warning.value.startswith("other saved this message's wording since you opened it (now version 1)")
    with db.read() as s:
        assert templates_da.get_template(s, "reviewer.reminder").subject == "Theirs {{ unfinished_count }}"
    assert wording(at, "reviewer.reminder")[0].value == "Mine {{ unfinished_count }}"  # still there to copy
    button(at, "Load the current wording").click()
    at = rerun(at, db_url)
    assert wording(at, "reviewer.reminder", version=1)[0].value == "Theirs {{ unfinished_count }}"
    assert not at.warning
    assert entries(db, "message_template.save")["actor"].tolist() == ["other"]


def test_a_wording_that_checks_but_cannot_be_rendered_is_refused_with_the_reason_and_nothing_is_saved(
    db, db_url, admin
):
    at = open_template(db_url, admin, "reviewer.reminder")
    _subject, text, _html = wording(at, "reviewer.reminder")
    text.input("{{ assigned_count - recipient_name }}")  # allowed words, but a number minus a name
    button(at, "Save").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not saved: this wording cannot be rendered with real data."]
    assert "Plain-text body: it cannot be rendered" in "\n".join(t.value for t in at.text)
    with db.read() as s:
        assert templates_da.get_template(s, "reviewer.reminder").is_default
    assert entries(db, "message_template.save").empty
