"""Selection and Exports pages on a small reviewed call: the admin proposes,
pins, excludes, saves; the office reads saved line-ups and exports; blocking
rules are named; contributor text stays text; every download is logged."""

from __future__ import annotations

import pytest

from data_access import audit
from data_access import lineups as lineups_da
from tests.factories import assign, make_submission, make_user, submit_review
from tests.pages.test_submission_links import page_links
from tests.support.apptest import download, rerun, run_app, texts
from ui.render import table_key

SELECTION = "pages/selection.py"
EXPORTS = "pages/exports.py"
TRICKY = "**Bold** <script>alert(1)</script> [link](http://x.example)"
SECTORS = ("police", "ngo", "education", "health", "academia", "legal")
FORMS = ("criminal_exploitation", "sexual_exploitation", "forced_labour", "domestic_servitude")


@pytest.fixture
def call(db, call_config):
    """Twelve eligible submissions, each reviewed twice, and two top-scored ones that may never be picked:
    an anonymous one and one whose contributor cannot present."""
    themes = call_config.vocabulary("themes").ids
    with db.write() as s:
        admin = make_user(s, role="admin")
        office = make_user(s, role="office")
        reviewers = [make_user(s) for _ in range(3)]
        ids = []
        for i in range(14):
            sid = make_submission(
                s,
                call_config,
                title=TRICKY if i == 0 else f"Evidence number {i}",
                themes=list(themes) if i % 3 == 0 else [themes[i % 2]],
                focus_areas=["perpetrators", "advocacy"] if i % 3 == 0 else [("advocacy", "perpetrators")[i % 2]],
                exploitation_types=[FORMS[i % 4]],
                sector=SECTORS[i % 6],
                evidence_source="survivor_led" if i in (5, 9) else "practitioner",
                presentation_preference="not_available" if i == 13 else "either",
                organisation=f"Secret Anonymous Org {i}" if i == 12 else f"Organisation {i}",
                anonymous=i == 12,
            )
            ids.append(sid)
            score = 5 if i >= 12 else 5 - (i % 5)
            for reviewer in reviewers[:2] if i % 2 else reviewers[1:]:
                assign(s, sid, reviewer)
                scores = dict.fromkeys(call_config.criterion_ids, score)
                submit_review(s, call_config, sid, reviewer, scores=scores, comment="Comment.")
    return {"admin": admin, "office": office, "ids": ids}


def line_up_table(at):
    return next(df.value for df in at.dataframe if "Why it is there" in df.value.columns)


def number(at, label):
    return next(n for n in at.number_input if n.label == label)


def name_box(at):
    return next(t for t in at.text_input if t.label == "Name")


def submit(at, label, db_url):
    next(b for b in at.button if b.label == label).click()
    return rerun(at, db_url)


def test_admin_gets_a_balanced_line_up_that_explains_itself(db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    assert not at.exception, at.exception
    assert number(at, "Presenter slots").value == 6 and number(at, "Most in person").value == 4
    table = line_up_table(at)
    assert len(table) == 6
    refs = set(table["Reference"])
    assert not refs & {f"CFE-{n:04d}" for n in (13, 14)}  # anonymous and not available: never picked
    assert table["Why it is there"].str.contains("score").all()
    assert table["Best replacement (every rule kept)"].str.len().gt(0).all()
    in_full = [t.value for t in at.text if t.value.split(":")[0] in refs]  # the reasons as text, one per pick
    assert len(in_full) == 6
    for ref, why in zip(table["Reference"], table["Why it is there"], strict=True):
        assert any(t.startswith(f"{ref}:") and f"Why: {why}" in t for t in in_full), ref
    costs = next(df.value for df in at.dataframe if "Given up for this rule" in df.value.columns)
    assert "at most 2 per sector" in costs["Rule"].tolist()
    assert [m.label for m in at.metric] == ["Total calibrated score", "Plain top 6 by score", "Given up for balance"]
    shown = texts(at)
    assert "Secret Anonymous Org" not in shown.replace(table.to_csv(), "")
    for el in (*at.markdown, *at.caption, *at.title, *at.header, *at.subheader):
        assert "<script>" not in el.value and "**Bold**" not in el.value


def test_admin_pins_excludes_saves_and_the_history_records_it(db, db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    first = line_up_table(at)
    top, low = first["Reference"].iloc[0], "CFE-0005"  # CFE-0005 scored 1: never picked unpinned
    assert low not in set(first["Reference"])
    with db.read() as s:
        ids = {ref: sid for sid, ref in lineups_da.references(s, call["ids"]).items()}
    at.text_input(key="selection.pinned").input(low)
    at.text_input(key="selection.excluded").input(top)
    at = submit(at, "Propose line-up", db_url)
    table = line_up_table(at)
    assert low in set(table["Reference"]) and top not in set(table["Reference"])
    assert table.set_index("Reference").loc[low, "Pinned"]
    name_box(at).input("Conference line-up")
    at = submit(at, "Save line-up", db_url)
    assert [s.value for s in at.success] == ["Saved as version 1."]
    with db.read() as s:
        saved = lineups_da.get_line_up(s, line_up_id=lineups_da.line_up_id_for_name(s, "Conference line-up"))
        history = lineups_da.line_up_history(s, line_up_id=saved.id)
    assert [m.reference for m in saved.members] == table["Reference"].tolist()
    assert lineups_da.rules_of(saved).pinned == (ids[low],) and lineups_da.rules_of(saved).excluded == (ids[top],)
    assert history["action"].tolist() == ["line_up.save"]
    # Saving again under the same name without choosing to replace is refused; replacing makes version 2.
    name_box(at).input("Conference line-up")
    at = submit(at, "Save line-up", db_url)
    assert [e.value for e in at.error] == ["Nothing was saved:"]  # the name typed is shown as text
    assert any("'Conference line-up' already exists" in t.value for t in at.text)
    name_box(at).input("Conference line-up")
    next(c for c in at.checkbox if c.label.startswith("Replace the saved")).check()
    at = submit(at, "Save line-up", db_url)
    assert [s.value for s in at.success] == ["Saved as version 2."]


def test_rules_that_cannot_all_hold_are_named(db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    number(at, "Presenter slots").set_value(9)
    number(at, "Most in person").set_value(4)
    number(at, "Most virtual").set_value(3)
    at = submit(at, "Propose line-up", db_url)
    assert any("No line-up keeps every rule" in e.value for e in at.error)
    assert "There are 9 slots but at most 4 in person and 3 virtual." in "\n".join(t.value for t in at.text)
    assert not [df for df in at.dataframe if "Why it is there" in df.value.columns]


def test_office_sees_saved_line_ups_read_only(db, db_url, call, call_config):
    admin_view = run_app(db_url, call["admin"], page=SELECTION)
    name_box(admin_view).input("Plan")
    submit(admin_view, "Save line-up", db_url)
    at = run_app(db_url, call["office"], page=SELECTION)
    assert not at.exception, at.exception
    assert not at.number_input and not at.multiselect and not at.text_input
    assert not [b for b in at.button if "Load these rules" in b.label]
    members = next(df.value for df in at.dataframe if "Pinned" in df.value.columns)
    assert len(members) == 6
    assert any(h.value == "Saved line-ups" for h in at.header)


def test_exports_page_offers_both_files_and_logs_each_download(db, db_url, call):
    admin_view = run_app(db_url, call["admin"], page=SELECTION)
    name_box(admin_view).input("Plan")
    submit(admin_view, "Save line-up", db_url)
    at = run_app(db_url, call["office"], page=EXPORTS)
    assert not at.exception, at.exception
    labels = [b.label for b in at.download_button]
    assert labels == [
        "Download the presenter list",
        "Download the scores",
        "Download the coverage table",
        "Make and download the briefing",
    ]
    preview = next(df.value for df in at.dataframe if "Contact email" in df.value.columns)
    assert len(preview) == 6
    assert "Secret Anonymous Org" not in texts(at)
    download(at.download_button[0])
    download(at.download_button[1])
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(actor=call["office"].username))
    exports = entries[entries["action"].str.startswith("export.")]
    assert exports["action"].tolist() == ["export.scores", "export.presenters"]
    assert exports["new"].map(lambda v: v["rows"]).tolist() == [14, 6]
    assert all(exports["detail"] == "Exports page")


def test_exports_page_builds_the_scores_and_coverage_files_only_at_the_click(db, db_url, call, monkeypatch):
    """Drawing the page (after a change, on a repeat visit) makes no file; each click makes its own, logged."""
    from data_access import exports as exports_da

    made: list[str] = []
    real_scores_table, real_to_csv = exports_da.scores_table, exports_da.ExportTable.to_csv
    monkeypatch.setattr(exports_da, "scores_table", lambda *a, **k: made.append("scores") or real_scores_table(*a, **k))
    monkeypatch.setattr(exports_da.ExportTable, "to_csv", lambda self: made.append(self.what) or real_to_csv(self))
    at = run_app(db_url, call["office"], page=EXPORTS)
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert made == []
    captions = [c.value for c in at.caption if "rows ·" in c.value]
    assert captions[0].startswith("14 rows · ") and "_scores_" in captions[0]
    _url, content = download(at.download_button[0])
    assert made == ["scores", "scores"]  # the table, then its file
    assert len(content.decode("utf-8-sig").strip().splitlines()) == 1 + 14
    _url, coverage = download(at.download_button[1])
    assert made[2:] == ["coverage"]
    assert captions[1].startswith(f"{len(coverage.decode('utf-8-sig').strip().splitlines()) - 1} rows · ")
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(actor=call["office"].username))
    assert sorted(entries[entries["action"].str.startswith("export.")]["action"]) == [
        "export.coverage",
        "export.scores",
    ]


def test_exports_without_a_saved_line_up_say_so(db_url, call):
    at = run_app(db_url, call["admin"], page=EXPORTS)
    assert not at.exception
    assert any("No line-up has been saved yet" in i.value for i in at.info)
    assert [b.label for b in at.download_button] == [
        "Download the scores",
        "Download the coverage table",
        "Make and download the briefing",
    ]


def test_admin_reloads_a_saved_line_ups_rules_and_goes_back_to_the_defaults(db, db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    pin = "CFE-0005"
    at.text_input(key="selection.pinned").input(pin.lower())
    number(at, "Presenter slots").set_value(5)
    at = submit(at, "Propose line-up", db_url)
    name_box(at).input("Five with a pin")
    at = submit(at, "Save line-up", db_url)
    at = submit(at, "Back to the call's defaults", db_url)
    assert number(at, "Presenter slots").value == 6 and at.text_input(key="selection.pinned").value == ""
    at = submit(at, "Load these rules and pins into the form", db_url)
    assert number(at, "Presenter slots").value == 5
    assert at.text_input(key="selection.pinned").value == pin
    assert len(line_up_table(at)) == 5


def test_a_pick_and_a_saved_member_link_to_their_submission_on_the_submissions_page(db, db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    picks = line_up_table(at)
    assert page_links(at) == []
    at.session_state[table_key("selection.picks", list(picks["Reference"]))] = {
        "selection": {"rows": [2], "columns": [], "cells": []}
    }
    rerun(at, db_url)
    assert not at.exception, at.exception
    assert page_links(at) == [("submissions", {"submission": [picks["Reference"].iloc[2]]})]
    name_box(at).input("Plan")
    submit(at, "Save line-up", db_url)
    office = run_app(db_url, call["office"], page=SELECTION)
    members = next(df.value for df in office.dataframe if "Pinned" in df.value.columns)
    with db.read() as s:
        [saved] = lineups_da.list_line_ups(s)
    office.session_state[table_key("saved.members", saved.id, saved.version)] = {
        "selection": {"rows": [4], "columns": [], "cells": []}
    }
    rerun(office, db_url)
    assert not office.exception, office.exception
    assert page_links(office) == [("submissions", {"submission": [members["Reference"].iloc[4]]})]


def pick_list(at):
    return next(df.value for df in at.dataframe if "Can be pinned" in df.value.columns).set_index("Reference")


def test_a_typed_reference_pins_exactly_that_submission(db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    # CFE-0001 is a prefix of CFE-0010 to CFE-0014: a fuzzy match would take them all.
    at.text_input(key="selection.pinned").input("cfe-0001")
    at = submit(at, "Propose line-up", db_url)
    assert not at.error, [e.value for e in at.error]
    table = line_up_table(at).set_index("Reference")
    assert table["Pinned"].tolist().count(True) == 1 and table.loc["CFE-0001", "Pinned"]
    assert at.text_input(key="selection.pinned").value == "CFE-0001"


def test_a_refused_pin_says_why_and_changes_nothing(db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    before = line_up_table(at)
    number(at, "Presenter slots").set_value(5)
    at.text_input(key="selection.pinned").input("CFE-0013, CFE-0014, CFE-0099, CFE-0003")
    at.text_input(key="selection.excluded").input("CFE-0003")
    at = submit(at, "Propose line-up", db_url)
    assert any(e.value.startswith("Nothing changed") for e in at.error)
    said = "\n".join(t.value for t in at.text)
    for reason in (
        "CFE-0099 is not a reference of a submission of this call.",
        "CFE-0013 cannot be pinned: it is anonymous.",
        "CFE-0014 cannot be pinned: it is not available to present.",
        "CFE-0003 cannot be pinned: it is excluded at the same time.",
    ):
        assert f"• {reason}" in said
    after = line_up_table(at)
    assert after["Reference"].tolist() == before["Reference"].tolist() and len(after) == 6
    assert not after["Pinned"].any()
    assert [m.label for m in at.metric][1] == "Plain top 6 by score"


def test_each_pick_shows_its_reviews_and_flag_and_the_new_rules_are_costed(db_url, call):
    at = run_app(db_url, call["admin"], page=SELECTION)
    table = line_up_table(at)
    assert (table["Reviews"] == 2).all() and not table["Flagged for discussion"].any()
    costs = next(df.value for df in at.dataframe if "Given up for this rule" in df.value.columns)
    assert "at least 2 submitted reviews each" in set(costs["Rule"])
    assert "no open discussion flag" not in set(costs["Rule"])  # off by default
    assert all(", 2 reviews" in t.value for t in at.text if t.value.split(":")[0] in set(table["Reference"]))
    next(c for c in at.checkbox if c.label == "No pick flagged for discussion").check()
    at = submit(at, "Propose line-up", db_url)
    costs = next(df.value for df in at.dataframe if "Given up for this rule" in df.value.columns)
    assert costs.set_index("Rule").loc["no open discussion flag", "Given up for this rule"] == 0
    number(at, "At least submitted reviews each (0: no minimum)").set_value(3)
    at = submit(at, "Propose line-up", db_url)
    assert any("No line-up keeps every rule" in e.value for e in at.error)
    said = "\n".join(t.value for t in at.text)
    assert (
        "There are 6 slots but only 0 eligible submissions meet the rule “at least 3 submitted reviews each”." in said
    )


@pytest.fixture
def thin(db, call, call_config):
    """Two more submissions, top-scored: CFE-0015 with the reviewers far apart (flagged for discussion),
    CFE-0016 with one review."""
    themes = call_config.vocabulary("themes").ids
    with db.write() as s:
        reviewers = [make_user(s) for _ in range(2)]
        for n, (sector, marks) in enumerate((("legal", (1, 5)), ("health", (5,)))):
            sid = make_submission(
                s,
                call_config,
                title=f"Thin {n}",
                themes=list(themes),
                sector=sector,
                organisation=f"Thin organisation {n}",
                presentation_preference="either",
            )
            for reviewer, mark in zip(reviewers, marks, strict=False):
                assign(s, sid, reviewer)
                submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, mark))
    return call


def test_thin_and_flagged_submissions_are_listed_refused_as_pins_and_named_when_picked(db_url, thin):
    at = run_app(db_url, thin["admin"], page=SELECTION)
    listing = pick_list(at)
    assert listing.loc["CFE-0015", "Flagged for discussion"] and listing.loc["CFE-0015", "Reviews"] == 2
    assert listing.loc["CFE-0015", "Can be pinned"] == "yes"  # the flag rule is off by default
    assert listing.loc["CFE-0016", "Reviews"] == 1
    assert listing.loc["CFE-0016", "Can be pinned"] == "no: it has 1 submitted review, fewer than the 2 required"
    assert listing.loc["CFE-0001", "Can be pinned"] == "yes"
    assert "CFE-0016" not in set(line_up_table(at)["Reference"])
    next(c for c in at.checkbox if c.label == "No pick flagged for discussion").check()
    at.text_input(key="selection.pinned").input("CFE-0015 CFE-0016")
    at = submit(at, "Propose line-up", db_url)
    said = "\n".join(t.value for t in at.text)
    assert "• CFE-0016 cannot be pinned: it has 1 submitted review, fewer than the 2 required." in said
    assert "• CFE-0015 cannot be pinned: it is flagged for discussion" in said
    # With both rules off the pins hold, and the page says what they are.
    number(at, "At least submitted reviews each (0: no minimum)").set_value(0)
    next(c for c in at.checkbox if c.label == "No pick flagged for discussion").uncheck()
    at = submit(at, "Propose line-up", db_url)
    assert not at.error, [e.value for e in at.error]
    table = line_up_table(at).set_index("Reference")
    assert table.loc["CFE-0015", "Flagged for discussion"] and table.loc["CFE-0016", "Reviews"] == 1
    assert any(w.value.startswith("Look at these picks") for w in at.warning)
    said = "\n".join(t.value for t in at.text)
    assert "• CFE-0016: fewer than 2 submitted reviews (1)." in said
    assert "• CFE-0015: flagged for discussion (the reviewers disagree)." in said
