"""From a saved line-up to the programme, end to end in a real browser (issue 17).

A line-up of the demo call is saved with the call's rules (as the Selection
page saves it). The office signs it off on the Programme page; the admin
queues the invitations and sends them from the Messages page to a real SMTP
server on this machine (aiosmtpd); the reply links are read from the messages
that arrived. Two presenters, each in a browser of their own and signed out,
open their links: one accepts in person, one declines. The admin sees both
replies, proposes the replacement for the decline, confirms it (version 2,
signed off by the admin) and sends the newcomer's invitation, which arrives
at the SMTP server; adds a hybrid session and proposes and saves the
placements. The office then sees the counts on "Line-up status" and
downloads the programme CSV and the calendar from the Programme page: the
accepted presenter is in the session, the declined one in neither file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from config import load_call_config
from data_access import invitations as inv
from data_access import lineups as lineups_da
from data_access import signoff
from data_access.db import Database
from data_access.models import PresenterInvitation, ProgrammeSession, Submission, SubmissionCode, utcnow
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.browser.conftest import own_demo_server, screenshot
from tests.conftest import ROOT
from tests.support import icalendar_parser as ical
from tests.support.browser import choose, go_to, nav_links, sign_out, wait_idle
from tests.support.line_ups import viewer_named
from tests.support.live import LiveServer
from tests.support.returning import arrive_signed_in
from tests.support.smtp import SmtpServer
from ui.navigation import pages_for
from ui.presenter_reply import CHOICE_LABELS

pytestmark = pytest.mark.browser
DOCS_IMG = ROOT / "docs" / "img"
LINE_UP = "Conference line-up (browser loop)"
MAIL_FROM = "evidence@iasc.example.org"
SESSION, ROOM, CHAIR = "Survivor-led responses (browser loop)", "Council Chamber", "Priya Demo-Chair"
ONLINE = "https://meet.example.org/iasc-evidence"
SESSION_DAY = dt.date(utcnow().year + 1, 1, 14)  # January: UK time is UTC
LINK = re.compile(r"http://127\.0\.0\.1:\d+/reply\?reply=[A-Za-z0-9_-]+")


@dataclass
class Loop:
    server: LiveServer
    db: Database
    smtp: SmtpServer
    line_up_id: int
    members: dict[str, str]  # reference -> the format the line-up gives it


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loop]:
    """A server of its own, with a real SMTP server set, on a demo call with a saved line-up (the call's
    rules, solved as the Selection page solves them), not yet signed off."""
    saved: list[tuple[int, dict[str, str]]] = []

    def prepare(db: Database, _public_url: str) -> None:
        config = load_call_config()
        with db.write() as s:
            scores = lineups_da.current_scores(s, config=config)
            labels = labels_from_config(config)
            rules = SelectionRules.from_config(config)
            result = select_presenters(
                lineups_da.candidate_frame(s, scores=scores), rules, labels=labels, explain=False
            )
            assert result.feasible, result.blockers
            record = lineups_da.save_line_up(
                s, viewer=viewer_named(s, "admin"), name=LINE_UP, result=result, scores=scores, labels=labels
            )
            saved.append((record.id, {m.reference: m.format for m in record.members}))

    smtp = SmtpServer.start()
    try:
        folder = tmp_path_factory.mktemp("programme-loop")
        with own_demo_server(folder, prepare=prepare, extra_env=smtp.environ(MAIL_FROM)) as (server, db):
            [(line_up_id, members)] = saved
            yield Loop(server, db, smtp, line_up_id, members)
    finally:
        smtp.stop()


# --- helpers ---------------------------------------------------------------------------------------


def invitations(loop: Loop) -> dict[str, inv.InvitationRecord]:
    with loop.db.read() as s:
        return {r.reference: r for r in inv.list_invitations(s, line_up_id=loop.line_up_id)}


def contact_email(loop: Loop, reference: str) -> str | None:
    with loop.db.read() as s:
        return s.scalar(select(Submission.contact_email).where(Submission.reference == reference))


def reply_links(loop: Loop, references: set[str], timeout: float = 30) -> dict[str, str]:
    """Wait until the SMTP server has, for each of `references`, an invitation of this line-up with a working
    reply link (the server's own check of the link tells which invitation it opens); their links."""
    deadline = time.monotonic() + timeout
    while True:
        ours = {r.id: r.reference for r in invitations(loop).values()}
        links: dict[str, str] = {}
        for mail in loop.smtp.messages:  # the demo call's own queued messages went too
            body = mail.get_body(preferencelist=("plain",)).get_content()
            for link in LINK.findall(body):
                [token] = parse_qs(urlsplit(link).query)[inv.REPLY_PARAM]
                with loop.db.read() as s:
                    opens = inv.check_link(s, token=token)
                if opens is None or opens.invitation_id not in ours:  # another line-up's, or used
                    continue
                reference = ours[opens.invitation_id]
                assert reference in body and reference not in links, (reference, body)
                assert mail["To"] == contact_email(loop, reference) and mail["From"] == MAIL_FROM
                links[reference] = link
        if set(links) >= references:
            return {r: links[r] for r in references}
        assert time.monotonic() < deadline, f"invitations never arrived for {sorted(references - set(links))}"
        time.sleep(0.2)


def open_programme(page, version: int) -> None:
    """The Programme page, on this test's line-up at `version` (the demo call may have line-ups of its own)."""
    go_to(page, "Programme")
    shown = f"{LINE_UP} (version {version})"
    if page.get_by_role("combobox", name="Line-up").input_value() != shown:
        choose(page, "Line-up", shown).click()
        wait_idle(page)
    expect(page.get_by_role("combobox", name="Line-up")).to_have_value(shown)


def send_invitations(page, loop: Loop, references: set[str]) -> dict[str, str]:
    """Admin: Send queued now on the Messages page; once the invitations to `references` have arrived at the
    SMTP server and the page says the send is over, its outcome (every message sent); their reply links."""
    go_to(page, "Messages")
    page.get_by_role("button", name="Send queued now").click()
    wait_idle(page)
    links = reply_links(loop, references)
    outcome = page.get_by_test_id("stAlert").filter(has_text=re.compile(r" sent \d+ messages; \d+ failed"))
    check_again = page.get_by_role("button", name="Check again")  # shown while the send is under way
    deadline = time.monotonic() + 30
    while True:
        outcome.or_(check_again).first.wait_for()
        if outcome.count():
            break
        assert time.monotonic() < deadline, "the send never ended"
        check_again.click()
        wait_idle(page)
    assert re.search(r" sent \d+ messages; 0 failed\.", outcome.inner_text()), outcome.inner_text()
    return links


def reply(chromium, link: str, reference: str, choice: str) -> None:
    """A presenter, signed out in a browser of their own, replies through their link."""
    context = chromium.new_context(viewport={"width": 1200, "height": 1400})
    try:
        pg = context.new_page()
        pg.set_default_timeout(30_000)
        pg.goto(link)
        pg.get_by_role("heading", name="Your invitation to present").first.wait_for()
        wait_idle(pg)
        expect(pg.get_by_text(re.compile(re.escape(reference) + ":"))).to_be_visible()
        pg.get_by_text(CHOICE_LABELS[choice]).click()
        wait_idle(pg)
        pg.get_by_role("button", name="Send my reply").click()
        pg.get_by_text("Thank you: your reply is recorded").wait_for()
        expect(pg.get_by_text(inv.CHOICE_WORDS[choice].lower(), exact=False)).to_be_visible()
    finally:
        context.close()


def download(page, label: str, folder: Path) -> bytes:
    """Click the download button `label`; the file's bytes, as the browser saved them."""
    wait_idle(page)
    with page.expect_download() as info:
        page.get_by_role("button", name=label).click()
    path = folder / info.value.suggested_filename
    info.value.save_as(path)
    wait_idle(page)
    return path.read_bytes()


def picture(page, name: str, shown=None) -> None:
    """A picture of the page for the docs (docs/img/), `shown` (if given) scrolled to the middle."""
    if shown is not None:
        shown.evaluate("element => element.scrollIntoView({block: 'center'})")
    DOCS_IMG.mkdir(parents=True, exist_ok=True)
    (DOCS_IMG / f"{name}.png").write_bytes(screenshot(page, name).read_bytes())


def metric(page, label: str) -> str:
    """The value of the metric labelled `label` on the page."""
    box = page.get_by_test_id("stMetric").filter(
        has=page.get_by_test_id("stMetricLabel").get_by_text(label, exact=True)
    )
    return box.get_by_test_id("stMetricValue").inner_text().strip()


# --- the loop --------------------------------------------------------------------------------------


def test_sign_off_invite_reply_replace_place_and_export(chromium, page, loop, tmp_path):
    # The office signs off version 1; the office cannot queue invitations.
    arrive_signed_in(page, loop.server.url, loop.db.url, "office")
    open_programme(page, version=1)
    page.get_by_role("button", name="Sign off version 1").click()
    page.get_by_text("This version is signed off.", exact=False).wait_for()
    expect(page.get_by_text(re.compile(r"^Version 1, signed off by office on "))).to_be_visible()  # as text
    wait_idle(page)
    expect(page.get_by_role("button", name="Queue invitations")).to_have_count(0)
    with loop.db.read() as s:
        signed = signoff.current_sign_off(s, line_up_id=loop.line_up_id)
    assert signed is not None and signed.version == 1 and signed.signed_off_by == "office"
    assert invitations(loop) == {}
    sign_out(page)

    # The admin queues the invitations and sends them; they arrive at the SMTP server with the links.
    arrive_signed_in(page, loop.server.url, loop.db.url, "admin")
    assert nav_links(page) == [p.title for p in pages_for("admin")]  # every page listed, none folded away
    open_programme(page, version=1)
    page.get_by_role("button", name="Queue invitations").click()
    page.get_by_text(re.compile(r"^\d+ invitation\(s\) queued in the outbox\.$")).wait_for()
    wait_idle(page)
    invited = invitations(loop)
    assert set(invited) == set(loop.members)
    assert all(r.state == "awaiting" for r in invited.values())
    mailed = {ref for ref, r in invited.items() if r.message_status is not None}
    assert len(mailed) >= 2, invited
    expect(page.get_by_text(f"{len(mailed)} invitation(s) queued in the outbox.")).to_be_visible()
    links = send_invitations(page, loop, mailed)
    assert {r.message_status for ref, r in invitations(loop).items() if ref in mailed} == {"sent"}

    # Two presenters reply through their own links, signed out: one accepts in person, one declines.
    in_person = sorted(r for r in mailed if loop.members[r] == "in_person")
    accepting = in_person[0]
    declining = sorted(mailed - {accepting})[0]
    reply(chromium, links[accepting], accepting, "in_person")
    reply(chromium, links[declining], declining, "declined")
    now = invitations(loop)
    assert now[accepting].state == "accepted_in_person" and now[accepting].replied_by == inv.LINK_ACTOR
    assert now[declining].state == "declined"
    others = set(now) - {accepting, declining}
    assert {now[r].state for r in others} == {"awaiting"}

    # The admin's Programme page shows the replies.
    open_programme(page, version=1)
    assert metric(page, inv.STATE_WORDS["accepted_in_person"]) == "1"
    assert metric(page, inv.STATE_WORDS["declined"]) == "1"
    assert metric(page, inv.STATE_WORDS["awaiting"]) == str(len(others))
    picture(page, "programme-replies", page.get_by_role("heading", name="Replies", exact=True))

    # The admin proposes the replacement for the decline, confirms it and invites the newcomer, by mail.
    page.get_by_role("button", name="Propose a replacement").click()
    wait_idle(page)
    expect(page.get_by_text(f"Declined (version 1 of {LINE_UP}): {declining}")).to_be_visible()
    assert re.fullmatch(r"[+-]\d+\.\d\d", metric(page, "Score change"))
    picture(page, "programme-replacement", page.get_by_role("heading", name="Replacements", exact=True))
    page.get_by_role("button", name="Confirm replacement and invite").click()
    page.get_by_text("Replacement confirmed: version 2 is signed off.").wait_for()
    wait_idle(page)
    invited = page.get_by_text(re.compile(r"^Invited: "))  # references: as text, under the success box
    entering = set(invited.inner_text().splitlines()[0].split("Invited: ", 1)[1].rstrip(".").split(", "))
    with loop.db.read() as s:
        version_2 = lineups_da.get_line_up(s, line_up_id=loop.line_up_id)
        signed = signoff.current_sign_off(s, line_up_id=loop.line_up_id)
    members_2 = {m.reference for m in version_2.members}
    assert version_2.version == 2 and signed is not None and (signed.version, signed.signed_off_by) == (2, "admin")
    assert declining not in members_2 and members_2 - set(loop.members) == entering
    assert len(members_2) == len(loop.members) and len(entering) == 1, entering
    now = invitations(loop)
    assert now[declining].state == "declined" and now[accepting].state == "accepted_in_person"
    assert {now[r].state for r in entering} == {"awaiting"}
    [newcomer] = entering
    assert now[newcomer].message_status == "queued"
    send_invitations(page, loop, {newcomer})
    assert invitations(loop)[newcomer].message_status == "sent"

    # A session (hybrid, on the accepted presenter's theme); placements proposed and saved.
    open_programme(page, version=2)
    with loop.db.read() as s:
        theme = s.scalar(
            select(SubmissionCode.code)
            .join(Submission, Submission.id == SubmissionCode.submission_id)
            .where(Submission.reference == accepting, SubmissionCode.field == "themes")
            .order_by(SubmissionCode.position)
        )
    page.get_by_text("Add a session", exact=True).click()
    form = page.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="Add session"))
    form.get_by_label("Title", exact=True).fill(SESSION)
    # The date field (DD/MM/YYYY) is typed segment by segment, each moving on to the next when full.
    form.get_by_label("Date", exact=True).get_by_role("spinbutton").first.click()
    page.keyboard.type(SESSION_DAY.strftime("%d%m%Y"))
    page.keyboard.press("Tab")
    choose(page, "Format", "Hybrid").click()
    form.get_by_label("Room", exact=True).fill(ROOM)
    form.get_by_label("Online link", exact=True).fill(ONLINE)
    form.get_by_label("Chair", exact=True).fill(CHAIR)
    theme_label = load_call_config().vocabulary("themes").label(theme)
    choose(page, "Theme (optional)", theme_label).click()
    wait_idle(page)
    form.get_by_role("button", name="Add session").click()
    page.get_by_text(re.compile(r"^Session added: ")).wait_for()
    wait_idle(page)
    page.get_by_role("button", name="Propose placements").click()
    wait_idle(page)
    page.get_by_role("button", name="Save placements").click()
    page.get_by_text(re.compile(r"^Placements saved \(")).wait_for()
    picture(page, "programme-sessions", page.get_by_role("heading", name="Placements", exact=True))
    with loop.db.read() as s:
        found = s.execute(
            select(Submission.reference, ProgrammeSession.title)
            .join(PresenterInvitation, PresenterInvitation.submission_id == Submission.id)
            .join(ProgrammeSession, ProgrammeSession.id == PresenterInvitation.session_id)
            .where(PresenterInvitation.line_up_id == loop.line_up_id)
        )
        placed = {row.reference: row.title for row in found}
    assert placed == {accepting: SESSION}

    sign_out(page)

    # The office's view of the line-up: the counts after the replies and the replacement.
    arrive_signed_in(page, loop.server.url, loop.db.url, "office")
    go_to(page, "Line-up status")
    shown = f"{LINE_UP} (version 2)"
    if page.get_by_role("combobox", name="Signed-off line-up").input_value() != shown:
        choose(page, "Signed-off line-up", shown).click()
        wait_idle(page)
    counts = {
        "Invited": len(loop.members) + 1,
        "Accepted in person": 1,
        "Accepted virtually": 0,
        "Declined": 1,
        "Awaiting a reply": len(loop.members) - 1,
    }
    assert {label: metric(page, label) for label in counts} == {k: str(v) for k, v in counts.items()}
    picture(page, "programme-line-up-status")

    # The office downloads the programme's files: the accepted presenter in the session, the declined one nowhere.
    open_programme(page, version=2)
    rows = list(csv.DictReader(io.StringIO(download(page, "Download programme (CSV)", tmp_path).decode("utf-8-sig"))))
    ours = [r for r in rows if r["Session"] == SESSION]
    assert [r["Reference"] for r in ours] == [accepting]
    [row] = ours
    assert (row["Date"], row["Start (UK time)"], row["End (UK time)"]) == (SESSION_DAY.isoformat(), "10:00", "11:00")
    assert (row["Room"], row["Online link"], row["Chair"]) == (ROOM, ONLINE, CHAIR)
    assert row["Presents"].lower().startswith("in person")
    assert not [r for r in rows if r["Reference"] in {declining, newcomer}]
    calendar = download(page, "Download calendar (.ics)", tmp_path)
    [event] = [e for e in ical.events(calendar) if e.get("SUMMARY") == SESSION]
    assert event.get("DTSTART") == f"{SESSION_DAY:%Y%m%d}T100000Z"  # GMT in January: UK time is UTC
    assert accepting in event.get("DESCRIPTION") and declining not in calendar.decode()
    assert event.get("LOCATION") == f"{ROOM} (and online)"
