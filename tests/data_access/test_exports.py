"""Exports: the presenter list and the scores CSV read back as Excel would get
them: BOM, quoting, formula cells neutralised, non-ASCII intact, and never an
anonymous contributor's identity. Every export leaves an audit entry."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest
from sqlalchemy import update

from data_access import audit
from data_access import exports as exports_da
from data_access import lineups as lineups_da
from data_access.models import Submission
from formats.csv_export import BOM
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.factories import make_submission, make_user, scores_frame_for

TODAY = dt.date(2021, 10, 1)


def read_back(content: bytes) -> list[dict[str, str]]:
    assert content.startswith(BOM.encode("utf-8"))
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


@pytest.fixture
def saved(db, call_config):
    """A saved two-presenter line-up: one with a formula title and Welsh and Polish names."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        tricky = make_submission(
            s,
            call_config,
            title='=HYPERLINK("http://evil.example","Click") guide, "quoted"',
            organisation="+Cymdeithas Plant Ŵyr, Łódź",
            contact_name="Siân Łukasz-Ó Dúbhghaill",
            contact_email="sian.lukasz@cymdeithas.example",
            themes=["sources_of_harm", "support_responses"],
            focus_areas=["perpetrators", "advocacy"],
            exploitation_types=["forced_labour", "criminal_exploitation"],
            presentation_preference="in_person",
        )
        plain = make_submission(
            s,
            call_config,
            title="-1 hours a week\nof outreach",
            organisation="@Northbridge Trust",
            contact_name="Zoë Ng",
            themes=["support_responses", "sources_of_harm"],
            presentation_preference="virtual",
        )
        hidden = make_submission(
            s, call_config, anonymous=True, organisation="Secret Org", contact_name="Hidden Person"
        )
        unscored = make_submission(s, call_config, organisation="Not Yet Scored Org")
    scores = scores_frame_for(call_config, {tricky: 4.25, plain: 3.5, hidden: 4.9})
    with db.read() as s:
        candidates = lineups_da.candidate_frame(s, scores=scores)
    rules = SelectionRules.from_config(
        call_config, slots=2, min_per_theme=1, one_per_exploitation_type=False, min_survivor_involved=0
    )
    rules = SelectionRules(**{**rules.to_dict(), "themes": rules.themes, "max_per_sector": None})
    result = select_presenters(candidates, rules, labels=labels_from_config(call_config), explain=False)
    assert set(result.members) == {tricky, plain}, result.blockers
    with db.write() as s:
        record = lineups_da.save_line_up(s, viewer=admin, name="Plan A (final)", result=result, scores=scores)
    return {"record": record, "scores": scores, "ids": (tricky, plain, hidden, unscored), "admin": admin}


def test_presenter_list_reads_back_intact_and_safe(db, call_config, saved):
    with db.read() as s:
        table = exports_da.presenter_list(
            s, config=call_config, line_up_id=saved["record"].id, scores=saved["scores"], today=TODAY
        )
    content = table.to_csv()
    rows = read_back(content)
    assert list(rows[0]) == table.field_names
    assert table.field_names[:10] == [
        "Position",
        "Reference",
        "Title",
        "Organisation",
        "Contact name",
        "Contact email",
        "Format",
        "Themes",
        "Focus areas",
        "Forms of exploitation",
    ]
    assert "Calibrated score" in table.field_names and "Evidence strength (mean)" in table.field_names
    by_title = {r["Title"]: r for r in rows}
    tricky = by_title['\'=HYPERLINK("http://evil.example","Click") guide, "quoted"']
    assert tricky["Organisation"] == "'+Cymdeithas Plant Ŵyr, Łódź"
    assert tricky["Contact name"] == "Siân Łukasz-Ó Dúbhghaill"
    assert tricky["Contact email"] == "sian.lukasz@cymdeithas.example"
    assert tricky["Format"] == "In person"
    assert tricky["Themes"] == (
        "Responses to the sources of harm; Responses supporting individuals, families and groups affected by harm"
    )
    assert tricky["Forms of exploitation"] == "Forced labour; Criminal exploitation (including county lines)"
    assert tricky["Calibrated score"] == "4.25"
    plain = by_title["'-1 hours a week\nof outreach"]
    assert plain["Organisation"] == "'@Northbridge Trust" and plain["Format"] == "Virtual"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert table.filename == "iasc-cfe-2021_presenters-plan-a-final_2021-10-01.csv"
    assert b"\r\n" in content  # RFC 4180 line ends


def test_presenter_list_says_each_members_reviews_and_discussion_flag(db, call_config, saved):
    tricky, plain = saved["ids"][:2]
    scores = saved["scores"].copy()
    scores.loc[tricky, "n_reviews"] = 1  # since saving: reviews withdrawn, and a flag raised
    scores.loc[tricky, "flagged"] = True
    with db.read() as s:
        table = exports_da.presenter_list(s, config=call_config, line_up_id=saved["record"].id, scores=scores)
    assert table.field_names[-2:] == ["Reviews", "Flagged for discussion"]
    rows = {r["Reference"]: r for r in read_back(table.to_csv())}
    refs = {m.submission_id: m.reference for m in saved["record"].members}
    assert (rows[refs[tricky]]["Reviews"], rows[refs[tricky]]["Flagged for discussion"]) == ("1", "yes")
    assert (rows[refs[plain]]["Reviews"], rows[refs[plain]]["Flagged for discussion"]) == ("3", "no")


def test_a_member_who_became_anonymous_is_exported_without_identity(db, call_config, saved):
    tricky = saved["ids"][0]
    with db.write() as s:
        s.execute(update(Submission).where(Submission.id == tricky).values(anonymous=True))
    with db.read() as s:
        table = exports_da.presenter_list(s, config=call_config, line_up_id=saved["record"].id, scores=saved["scores"])
    content = table.to_csv().decode("utf-8-sig")
    for secret in ("Cymdeithas", "Siân", "sian.lukasz@"):
        assert secret not in content
    assert any("now anonymous" in note for note in table.notes)


def test_scores_csv_has_every_scored_submission_and_no_anonymous_identity(db, call_config, saved):
    with db.read() as s:
        table = exports_da.scores_table(s, config=call_config, scores=saved["scores"], today=TODAY)
    content = table.to_csv()
    rows = read_back(content)
    text = content.decode("utf-8-sig")
    assert [r["Calibrated score"] for r in rows] == ["4.9", "4.25", "3.5"]
    assert [r["Rank"] for r in rows] == ["1", "2", "3"]
    assert rows[0]["Anonymous"] == "yes" and rows[0]["Organisation"] == ""
    assert "Secret Org" not in text and "Hidden Person" not in text
    assert "Not Yet Scored Org" not in text
    assert "Contact name" not in table.field_names and "Contact email" not in table.field_names
    assert rows[1]["Organisation"] == "'+Cymdeithas Plant Ŵyr, Łódź"
    assert table.filename == "iasc-cfe-2021_scores_2021-10-01.csv"


def test_each_export_is_in_the_audit_log_with_its_digest(db, call_config, saved):
    with db.read() as s:
        table = exports_da.presenter_list(s, config=call_config, line_up_id=saved["record"].id, scores=saved["scores"])
    content = table.to_csv()
    with db.write() as s:
        exports_da.record_export(s, actor="office1", table=table, content=content, via="Exports page")
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="export.presenters"))
        history = lineups_da.line_up_history(s, line_up_id=saved["record"].id)
    entry = entries.iloc[0]
    assert entry["actor"] == "office1" and entry["detail"] == "Exports page"
    assert entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert entry["new"]["rows"] == 2 and entry["new"]["line_up"] == "Plan A (final)"
    assert entry["new"]["file"] == table.filename
    assert "export.presenters" in history["action"].tolist()
