"""`manage.py export-presenters`: the same presenter list as the Exports page,
written to a file, never over an existing one, and audit-logged."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io

import pytest

from data_access import audit
from data_access import lineups as lineups_da
from scoring.selection import SelectionRules, labels_from_config, select_presenters
from tests.factories import assign, make_submission, make_user, submit_review
from tests.test_manage import manage


@pytest.fixture
def saved(db, call_config):
    """A saved two-presenter line-up chosen from real, calibrated reviews."""
    with db.write() as s:
        admin = make_user(s, role="admin")
        reviewer = make_user(s)
        names = ["Ffion Llŷr", "=cmd|' /C calc'!A0", "Grace O'Brien"]
        for i, name in enumerate(names):
            sid = make_submission(
                s,
                call_config,
                contact_name=name,
                organisation=f"\u200b-Trust {i}",  # a formula trigger after a zero-width space
                presentation_preference="either",
                themes=["sources_of_harm"],
                focus_areas=["perpetrators"],
            )
            assign(s, sid, reviewer)
            submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, 4 - i))
        hidden = make_submission(s, call_config, anonymous=True, contact_name="Hidden Name")
        assign(s, hidden, reviewer)
        submit_review(
            s, call_config, hidden, reviewer, scores=dict.fromkeys(call_config.criterion_ids, 5), comment="Top."
        )
    with db.read() as s:
        scores = lineups_da.current_scores(s, config=call_config)
        candidates = lineups_da.candidate_frame(s, scores=scores)
    rules = SelectionRules(slots=2, max_in_person=2, max_virtual=2, themes=("sources_of_harm",))
    result = select_presenters(candidates, rules, labels=labels_from_config(call_config), explain=False)
    with db.write() as s:
        lineups_da.save_line_up(s, viewer=admin, name="Final list", result=result, scores=scores)
    return result


def test_export_presenters_writes_the_list_and_logs_it(db, db_url, saved, tmp_path):
    out = tmp_path / "presenters.csv"
    result = manage("export-presenters", "--line-up", "Final list", "--out", str(out), db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert "wrote 2 presenters of 'Final list' (version 1)" in result.stdout
    content = out.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert [r["Contact name"] for r in rows] == ["Ffion Llŷr", "'=cmd|' /C calc'!A0"]
    assert [r["Organisation"] for r in rows] == ["'\u200b-Trust 0", "'\u200b-Trust 1"]
    assert "Hidden Name" not in content.decode("utf-8-sig")
    with db.read() as s:
        entry = audit.list_entries(s, filters=audit.AuditFilter(action="export.presenters")).iloc[0]
    assert entry["actor"] == "manage.py"
    assert entry["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert str(out) in entry["detail"]

    again = manage("export-presenters", "--line-up", "Final list", "--out", str(out), db_url=db_url)
    assert again.returncode == 1 and "exists" in again.stderr
    assert out.read_bytes() == content
    with db.read() as s:
        assert len(audit.list_entries(s, filters=audit.AuditFilter(action="export.presenters"))) == 1


def test_a_folder_gets_the_call_and_the_date_in_the_file_name(db_url, saved, tmp_path):
    result = manage("export-presenters", "--line-up", "Final list", "--out", str(tmp_path), db_url=db_url)
    assert result.returncode == 0, result.stderr
    expected = tmp_path / f"iasc-cfe-2021_presenters-final-list_{dt.date.today().isoformat()}.csv"
    assert expected.exists()


def test_an_unknown_line_up_is_refused_with_the_names_there_are(db_url, saved, tmp_path):
    out = tmp_path / "x.csv"
    result = manage("export-presenters", "--line-up", "Nope", "--out", str(out), db_url=db_url)
    assert result.returncode == 1
    assert "no saved line-up called 'Nope'" in result.stderr and "Final list" in result.stderr
    assert not out.exists()
