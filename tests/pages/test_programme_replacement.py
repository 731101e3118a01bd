"""The Programme page's "Replacements" section through the real app: after a decline the admin
proposes a replacement (who comes in, the score change, each rule's cost), confirms it with a date
to reply by, and the newcomer is invited; the office sees the proposal without buttons; a proposal
out of date is refused with nothing changed. The reply page offers only the formats with a place
left, and a refused acceptance leaves the link usable."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from data_access import invitations as inv
from data_access import outbox, signoff
from data_access import replacement as rep
from data_access.models import LineUp, LineUpMember, OutboxMessage, Submission, utcnow
from scoring.selection import SelectionRules
from tests.data_access.test_invitations import link_token
from tests.data_access.test_tokens import settings_for
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import rerun, run_app, texts
from tests.support.dbdump import table_contents
from ui import presenter_reply
from ui.programme_replacement import FLASH_KEY

PUBLIC = "https://evidence.example.org"
PROGRAMME = "pages/programme.py"
TRICKY = "**Bold** <script>alert(1)</script>"
PROPOSE, CONFIRM = "Propose a replacement", "Confirm replacement and invite"


@pytest.fixture(autouse=True)
def public_address(monkeypatch):
    monkeypatch.setenv("EVIDENCE_PUBLIC_URL", PUBLIC)


@pytest.fixture
def declined(db, call_config):
    """Four reviewed submissions (best first); a line-up of the first two (one in-person place, one
    virtual), signed off and invited; the first declined. The third is the best replacement."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        reviewer = make_user(s, role="reviewer")
        ids = [
            make_submission(
                s,
                call_config,
                title=TRICKY if i == 2 else f"Evidence {i}",
                contact_email=f"presenter{i}@example.org",
                presentation_preference="either",
            )
            for i in range(4)
        ]
        for i, sid in enumerate(ids):
            assign(s, sid, reviewer)
            submit_review(s, call_config, sid, reviewer, dict.fromkeys(call_config.criterion_ids, 5 - i))
        rules = SelectionRules(
            slots=2, max_in_person=1, max_virtual=1, themes=tuple(call_config.vocabulary("themes").ids)
        )
        row = LineUp(
            name="Conference", rules=rules.to_dict(), objective=1.0, notes="", created_by=admin.username, version=1
        )
        row.members = [
            LineUpMember(submission_id=sid, format=fmt, position=i + 1, pinned=False)
            for i, (sid, fmt) in enumerate(zip(ids[:2], ("in_person", "virtual"), strict=True))
        ]
        s.add(row)
        s.flush()
        references = [s.get_one(Submission, sid).reference for sid in ids]
        line_up_id = row.id
    with db.write() as s:
        signoff.sign_off(s, viewer=office, line_up_id=line_up_id, expected_version=1)
        inv.invite_all(
            s,
            viewer=admin,
            line_up_id=line_up_id,
            reply_by=(utcnow() + dt.timedelta(days=10)).date(),
            settings=settings_for(),
            config=call_config,
        )
    with db.write() as s:
        [first] = [r for r in inv.list_invitations(s, line_up_id=line_up_id) if r.reference == references[0]]
        inv.record_reply(s, viewer=admin, invitation_id=first.id, choice="declined", expected_version=first.version)
    return {"admin": admin, "office": office, "id": line_up_id, "references": references}


def button(at, label):
    return next(b for b in at.button if b.label == label)


def test_the_admin_proposes_and_confirms_a_replacement_and_the_newcomer_is_invited(db, db_url, declined):
    gone, kept, newcomer, _ = declined["references"]
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    assert not at.exception
    assert "Replacements" in [h.value for h in at.header]
    assert CONFIRM not in [b.label for b in at.button]  # nothing proposed until asked
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    assert not at.exception
    frames = [d.value for d in at.dataframe]
    [entering] = [f for f in frames if list(f.columns) == ["Reference", "Title", "Format"]]
    # The one virtual place is the kept presenter's: the newcomer comes in in person.
    assert entering.to_dict("records") == [{"Reference": newcomer, "Title": TRICKY, "Format": "In person"}]
    assert any("Given up for this rule" in f.columns for f in frames)
    assert [m.label for m in at.metric][-1] == "Score change"
    assert "<script>" not in "".join(m.value for m in at.markdown)  # the title stays in a cell
    assert f"Declined (version 1 of Conference): {gone}" in [t.value for t in at.text]
    at.date_input(key="prog.replace.reply_by").set_value(utcnow().date() + dt.timedelta(days=9))
    button(at, CONFIRM).click()
    at = rerun(at, db_url)
    assert not at.exception
    assert "Replacement confirmed: version 2 is signed off." in [s.value for s in at.success]
    assert f"Invited: {newcomer}." in texts(at)
    with db.read() as s:
        assert s.scalar(select(LineUp.version)) == 2
        assert signoff.current_sign_off(s, line_up_id=declined["id"]).signed_off_by == declined["admin"].username
        rows = {r.reference: r for r in inv.list_invitations(s, line_up_id=declined["id"])}
        queued = s.scalar(
            select(OutboxMessage.recipient_email)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.reference == newcomer)
        )
    assert rows[gone].state == "declined" and rows[kept].state == "awaiting" and rows[newcomer].state == "awaiting"
    assert rows[newcomer].reply_by == utcnow().date() + dt.timedelta(days=9)
    assert queued == "presenter2@example.org"
    assert FLASH_KEY not in at.session_state


def test_the_office_sees_the_proposal_without_buttons(db, db_url, declined):
    newcomer = declined["references"][2]
    at = run_app(db_url, declined["office"], page=PROGRAMME)
    assert not at.exception
    labels = [b.label for b in at.button]
    assert PROPOSE not in labels and CONFIRM not in labels
    assert any(newcomer in f["Reference"].tolist() for f in (d.value for d in at.dataframe) if "Reference" in f)
    assert any("Given up for this rule" in d.value.columns for d in at.dataframe)


def proposed_then_out_of_date(db, db_url, declined):
    """The admin's page showing a proposal, and a reply that came in since (the page, not rerun)."""
    kept = declined["references"][1]
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    with db.write() as s:  # a reply comes in while the proposal is on screen
        [row] = [r for r in inv.list_invitations(s, line_up_id=declined["id"]) if r.reference == kept]
        inv.record_reply(
            s, viewer=declined["admin"], invitation_id=row.id, choice="virtual", expected_version=row.version
        )
    return at


def test_a_proposal_out_of_date_is_refused_with_nothing_changed(db, db_url, declined):
    at = proposed_then_out_of_date(db, db_url, declined)
    before = table_contents(db)
    button(at, CONFIRM).click()
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["The replacement was not confirmed:"]
    assert "changed since the proposal was shown" in texts(at)
    assert table_contents(db) == before


def test_the_reply_page_offers_only_the_formats_with_a_place_left(db, db_url, declined):
    """The one in-person place is taken: the newcomer is offered virtual or decline; an in-person
    acceptance forced through is refused, and the link still works."""
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    button(at, CONFIRM).click()
    rerun(at, db_url)
    kept, newcomer = declined["references"][1], declined["references"][2]
    with db.write() as s:
        [row] = [r for r in inv.list_invitations(s, line_up_id=declined["id"]) if r.reference == kept]
        inv.record_reply(
            s, viewer=declined["admin"], invitation_id=row.id, choice="in_person", expected_version=row.version
        )
        message = s.scalar(
            select(OutboxMessage)
            .join(Submission, Submission.id == OutboxMessage.submission_id)
            .where(Submission.reference == newcomer)
        )
        sent = inv.fill_link(s, record=outbox.as_record(message), settings=settings_for(), actor="test")
    [line] = [line for line in sent.body_text.splitlines() if "reply?reply=" in line]
    token = link_token(line.strip())
    page = run_app(db_url)
    page.query_params[inv.REPLY_PARAM] = token
    page = rerun(page, db_url)
    assert not page.exception
    assert page.radio(key="reply.choice").options == [
        presenter_reply.CHOICE_LABELS["virtual"],
        presenter_reply.CHOICE_LABELS["declined"],
    ]
    shown = texts(page)
    assert presenter_reply.PLACES_TAKEN.format(format="in person") in shown
    assert kept not in shown  # never another presenter
    with db.read() as s:
        assert inv.check_link(s, token=token) is not None


def test_the_rules_relaxed_are_said_in_words(db, db_url, declined):
    """The presenter who declined was the only survivor-led one: the proposal says the rule is relaxed."""
    with db.write() as s:
        for sub in s.scalars(select(Submission)):
            gone = sub.reference == declined["references"][0]
            sub.evidence_source, sub.sector = ("survivor_led" if gone else "practitioner"), "police"
        line_up = s.get_one(LineUp, declined["id"])
        line_up.rules = {**line_up.rules, "min_survivor_involved": 1}
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    assert not at.exception
    assert any("Not every rule can be kept" in w.value for w in at.warning)
    assert any("survivor" in t.value for t in at.text)
    [costs] = [d.value for d in at.dataframe if "Given up for this rule" in d.value.columns]
    assert "no: relaxed (see below)" in costs["Kept"].tolist()
    assert CONFIRM in [b.label for b in at.button]  # it can still be confirmed, the words on the page


def test_the_offices_proposal_is_solved_once_until_something_it_depends_on_changes(db, db_url, declined, monkeypatch):
    solves = []
    solve = rep.propose_replacements

    def counted(*args, **kwargs):
        solves.append(1)
        return solve(*args, **kwargs)

    monkeypatch.setattr(rep, "propose_replacements", counted)
    newcomer = declined["references"][2]

    def proposes(at) -> bool:
        frames = [d.value for d in at.dataframe]
        return any(
            list(f.columns) == ["Reference", "Title", "Format"] and newcomer in f["Reference"].tolist() for f in frames
        )

    at = run_app(db_url, declined["office"], page=PROGRAMME)
    assert not at.exception and proposes(at) and len(solves) == 1
    for _ in range(2):  # reruns (a click elsewhere, a reload of the cookie): the proposal kept is shown
        at = rerun(at, db_url)
        assert not at.exception and proposes(at)
    assert len(solves) == 1
    kept = declined["references"][1]
    with db.write() as s:  # a reply comes in: the proposal is solved again
        [row] = [r for r in inv.list_invitations(s, line_up_id=declined["id"]) if r.reference == kept]
        inv.record_reply(
            s, viewer=declined["admin"], invitation_id=row.id, choice="virtual", expected_version=row.version
        )
    at = rerun(at, db_url)
    assert not at.exception and len(solves) == 2
    at = rerun(at, db_url)
    assert len(solves) == 2
    # Another person's session solves for itself: nothing kept crosses between sessions.
    other = run_app(db_url, declined["office"], page=PROGRAMME)
    assert not other.exception and proposes(other) and len(solves) == 3


def test_the_two_reply_by_dates_on_the_admins_page_are_told_apart(db, db_url, declined):
    at = run_app(db_url, declined["admin"], page=PROGRAMME)
    button(at, PROPOSE).click()
    at = rerun(at, db_url)
    assert not at.exception
    labels = [d.label for d in at.date_input]
    assert len(labels) == len(set(labels))  # no two date boxes on the page share a label
    by_key = {d.key: d.label for d in at.date_input}
    assert by_key["prog.reply_by"].startswith("Reply by") and "newcomers" in by_key["prog.replace.reply_by"]
