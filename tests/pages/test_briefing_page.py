"""The Exports page's briefing (office and admin): the choices, a file made and logged at the click, in
the format and with the sections chosen, and an anonymous contributor shown by title and label only."""

from __future__ import annotations

import hashlib

import pytest

from data_access import audit
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.apptest import download, rerun, run_app
from tests.support.briefing import read_html

EXPORTS = "pages/exports.py"
BUTTON = "Make and download the briefing"


@pytest.fixture
def call(db, call_config):
    with db.write() as s:
        admin, office = make_user(s, role="admin"), make_user(s, role="office")
        reviewers = [make_user(s) for _ in range(2)]
        for i in range(4):
            sid = make_submission(
                s,
                call_config,
                title=f"Practice number {i} <b>bold</b>",
                themes=["sources_of_harm"],
                focus_areas=["perpetrators"],
                organisation="Secret Anonymous Org" if i == 0 else f"Visible Org {i}",
                contact_name="Secret Contact Person" if i == 0 else f"Contact {i}",
                anonymous=i == 0,
            )
            for reviewer in reviewers:
                assign(s, sid, reviewer)
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, 5 - i))
    return {"admin": admin, "office": office}


@pytest.mark.parametrize("role", ["office", "admin"])
def test_the_briefing_is_made_at_the_click_with_the_choices_and_logged(db, db_url, call, role):
    at = run_app(db_url, call[role], page=EXPORTS)
    assert not at.exception, at.exception
    assert any(h.value == "The Commissioner's briefing" for h in at.header)
    at.multiselect(key="exports.briefing.sections").set_value(["strongest", "methods"])
    at.radio(key="exports.briefing.format").set_value("html")
    rerun(at, db_url)
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).empty  # drawn: nothing made
    button = next(b for b in at.download_button if b.label == BUTTON)
    _, content = download(button)
    page = content.decode("utf-8")
    read = read_html(page)
    assert [a["data-section"] for a in read.elements("section")] == ["call", "strongest", "methods"]
    assert "Practice number 0 <b>bold</b>" in read.text and "<b>bold</b>" not in page
    assert "Anonymous contributor" in read.text and "Visible Org 1" in read.text
    assert "Secret Anonymous Org" not in page and "Secret Contact Person" not in page and "Contact 1" not in page
    with db.read() as s:
        [entry] = audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).to_dict("records")
    assert entry["actor"] == call[role].username and entry["detail"] == "Exports page"
    assert entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["new"]["format"] == "html" and entry["new"]["sections"] == ["strongest", "methods"]


def test_no_section_chosen_is_said_and_offers_nothing(db_url, call):
    at = run_app(db_url, call["office"], page=EXPORTS)
    at.multiselect(key="exports.briefing.sections").set_value([])
    rerun(at, db_url)
    assert not at.exception
    assert any("Choose at least one section." in e.value for e in at.error)
    assert BUTTON not in [b.label for b in at.download_button]
