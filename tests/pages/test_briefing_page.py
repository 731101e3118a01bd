"""The Exports page's briefing (office and admin): the choices, a file made and logged at the click, in
the format and with the sections chosen, and an anonymous contributor shown by title and label only."""

from __future__ import annotations

import hashlib
import re

import pytest

from data_access import audit
from data_access import briefing as briefing_da
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


def test_the_briefings_scores_are_the_rankings_pages_own_fit_not_a_second_one(db_url, call, monkeypatch):
    # A spy on the briefing's own fit (it still calls the real one): the click must not fit the scores again
    # beside the Rankings page's shared calibration (ui.scores), whose figures the briefing must show.
    fits = []
    own_fit = briefing_da.calibrate
    monkeypatch.setattr(briefing_da, "calibrate", lambda *a, **k: fits.append(1) or own_fit(*a, **k))
    rankings = run_app(db_url, call["admin"], page="pages/rankings.py")
    assert not rankings.exception, rankings.exception
    table = next(df.value for df in rankings.dataframe if "Calibrated score" in df.value.columns)
    shown = {ref: f"{score:.2f}" for ref, score in zip(table["Reference"], table["Calibrated score"], strict=True)}
    assert len(shown) == 4

    at = run_app(db_url, call["admin"], page=EXPORTS)
    at.multiselect(key="exports.briefing.sections").set_value(["strongest"])
    at.radio(key="exports.briefing.format").set_value("html")
    rerun(at, db_url)
    _, content = download(next(b for b in at.download_button if b.label == BUTTON))
    rows = re.findall(r'<span class="ref">([^<]+)</span>.*?<td class="num">([^<]+)</td>', content.decode("utf-8"))
    assert len(rows) == 3  # the strongest three of the one focus area
    assert dict(rows) == {ref: shown[ref] for ref, _score in rows}
    assert fits == []  # the click fitted nothing of its own
