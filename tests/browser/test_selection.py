"""The admin goes from rankings to a presenter list in a real browser, on the
demo call: sets the rules, pins one by typing its reference and pressing Enter
(an anonymous one first: refused, with the reason), excludes one, saves the line-up, downloads
the presenter list CSV; the file is read back as Excel would get it."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from config import load_call_config
from data_access import audit
from data_access import lineups as lineups_da
from data_access.db import Database
from data_access.demo import DEMO_USERS
from data_access.models import Submission
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.browser.conftest import screenshot
from tests.support.browser import go_to, wait_idle
from tests.support.returning import arrive_signed_in

ADMIN = next(u for u in DEMO_USERS if u.username == "admin")
NAME = "Browser test line-up"


@pytest.fixture
def demo_state(demo_db_url):
    """What the demo call proposes with five slots, and the data to check the file against."""
    config = load_call_config()
    db = Database(demo_db_url)
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=config)
        candidates = lineups_da.candidate_frame(s, scores=scores)
        contacts = s.execute(select(Submission.id, Submission.contact_name)).all()
    db.dispose()
    rules = SelectionRules.from_config(config, slots=5)
    proposed = select_presenters(candidates, rules, labels=labels_from_config(config), explain=False)
    assert proposed.feasible
    info = candidates.set_index("submission_id")
    members = set(proposed.members)
    eligible = info[
        (~info["anonymous"])
        & info["presentation_preference"].eq("either")
        & info["score"].notna()
        & info["reviews"].ge(rules.min_reviews)
        & ~info["flagged"]
    ]
    outsiders = eligible[~eligible.index.isin(members)].sort_values("score")
    return {
        "exclude": info.loc[proposed.picks[0].submission_id, "reference"],
        "pin": outsiders["reference"].iloc[len(outsiders) // 2],
        "ids": {ref: int(sid) for sid, ref in info["reference"].items()},
        # Demo names repeat: only names that no named submission also uses can
        # tell an anonymous contributor apart.
        "anonymous_names": {n for sid, n in contacts if n and info.loc[sid, "anonymous"]}
        - {n for sid, n in contacts if not info.loc[sid, "anonymous"]},
        "anonymous_refs": set(info.loc[info["anonymous"], "reference"]),
        "names": {info.loc[sid, "reference"]: n for sid, n in contacts},
    }


def enter(page, label: str, references: str) -> None:
    """Type references into a box of the rules form and press Enter (which proposes)."""
    box = page.get_by_label(label, exact=False)
    box.fill(references)
    box.press("Enter")
    wait_idle(page)


def test_admin_sets_rules_pins_excludes_saves_and_downloads_the_presenter_list(
    page, live_server, demo_db_url, demo_state, tmp_path
):
    arrive_signed_in(page, live_server.url, demo_db_url, ADMIN.username)
    go_to(page, "Selection")
    page.get_by_role("heading", name="Proposed line-up").first.wait_for()
    wait_idle(page)
    screenshot(page, "admin-selection-defaults")

    # Typed, then proposed with the form's own button: Enter in a number box of a form was, under a full run's
    # load, now and then a submit of the value before the typed one (the slots stayed at the call's default).
    page.get_by_label("Presenter slots").fill("5")
    page.get_by_label("Presenter slots").press("Tab")  # committed to the form's pending values
    page.get_by_role("button", name="Propose line-up").click()
    page.get_by_text("Plain top 5 by score").wait_for()  # the new number of slots has been applied
    wait_idle(page)
    anonymous = sorted(demo_state["anonymous_refs"])[0]
    enter(page, "Pin: always in the line-up", anonymous)
    page.get_by_text(f"• {anonymous} cannot be pinned: it is anonymous.").wait_for()
    page.get_by_text("Nothing changed").first.wait_for()
    # The exact reference, then Enter: that one submission (a select-all of fuzzy matches took three).
    enter(page, "Pin: always in the line-up", demo_state["pin"].lower())
    enter(page, "Exclude: never in it", demo_state["exclude"])
    assert page.get_by_label("Pin: always in the line-up", exact=False).input_value() == demo_state["pin"]
    assert page.get_by_text("Nothing changed").count() == 0
    page.get_by_text("Plain top 5 by score").wait_for()
    wait_idle(page)
    screenshot(page, "admin-selection-pinned")

    page.get_by_label("Name", exact=True).fill(NAME)
    page.get_by_role("button", name="Save line-up").click()
    page.get_by_text("Saved as version 1.").wait_for()
    wait_idle(page)
    screenshot(page, "admin-selection-saved")

    go_to(page, "Exports")
    page.get_by_role("heading", name="Presenter list").first.wait_for()
    wait_idle(page)
    screenshot(page, "admin-exports")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the presenter list").click()
    download = download_info.value
    assert download.suggested_filename.startswith("iasc-cfe-2021_presenters-browser-test-line-up_")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    wait_idle(page)

    content = path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    references = [r["Reference"] for r in rows]
    assert len(rows) == 5
    assert demo_state["pin"] in references and demo_state["exclude"] not in references
    for row in rows:
        assert row["Contact name"] == demo_state["names"][row["Reference"]]  # non-ASCII names intact
        assert row["Format"] in ("In person", "Virtual")
        assert float(row["Calibrated score"]) > 0
    assert not any(name in text for name in demo_state["anonymous_names"])
    assert not set(references) & demo_state["anonymous_refs"]

    db = Database(demo_db_url)
    with db.read() as s:
        saved = lineups_da.get_line_up(s, line_up_id=lineups_da.line_up_id_for_name(s, NAME))
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="export.presenters", actor=ADMIN.username))
    db.dispose()
    assert [m.reference for m in saved.members] == references
    rules = lineups_da.rules_of(saved)
    assert rules.pinned == (demo_state["ids"][demo_state["pin"]],)
    assert rules.excluded == (demo_state["ids"][demo_state["exclude"]],)
    assert entries.iloc[0]["new"]["file"] == download.suggested_filename
