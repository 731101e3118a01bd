"""`manage.py briefing`: the same briefing as the Exports page, written to a new file, never over an
existing one, refused in words for a line-up that does not exist, and audit-logged."""

from __future__ import annotations

import hashlib

from data_access import audit
from tests.factories import assign, make_submission, make_user, submit_review
from tests.support.briefing import read_html
from tests.test_manage import manage


def _reviewed(db, call_config):
    with db.write() as s:
        reviewer = make_user(s)
        sid = make_submission(s, call_config, title="Kept =1+1", organisation="Hidden Org", anonymous=True)
        assign(s, sid, reviewer)
        submit_review(s, call_config, sid, reviewer, scores=dict.fromkeys(call_config.criterion_ids, 4))


def test_briefing_writes_the_file_and_logs_it(db, db_url, call_config, tmp_path):
    _reviewed(db, call_config)
    out = tmp_path / "briefing.html"
    args = ("briefing", "--out", str(out), "--format", "html", "--sections", "strongest", "methods", "--final")
    result = manage(*args, db_url=db_url)
    assert result.returncode == 0, result.stderr
    assert f"wrote the final briefing ({out.stat().st_size} bytes) to {out}" in result.stdout
    read = read_html(out.read_text(encoding="utf-8"))
    assert [a["data-section"] for a in read.elements("section")] == ["call", "strongest", "methods"]
    assert "Kept =1+1" in read.text and "Anonymous contributor" in read.text and "Hidden Org" not in read.text
    with db.read() as s:
        [entry] = audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).to_dict("records")
    assert entry["actor"] == "manage.py" and entry["detail"] == f"manage.py briefing {out}"
    assert entry["new"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest() and entry["new"]["final"] is True

    again = manage(*args, db_url=db_url)
    assert again.returncode == 1 and "exists; choose a new file name" in again.stderr


def test_briefing_refuses_an_unknown_line_up_or_section_and_writes_nothing(db, db_url, tmp_path):
    out = tmp_path / "briefing.pdf"
    result = manage("briefing", "--out", str(out), "--line-up", "Nope", db_url=db_url)
    assert result.returncode == 1
    assert "There is no saved line-up called “Nope”. Saved line-ups: none has been saved yet." in result.stderr
    result = manage("briefing", "--out", str(out), "--sections", "bogus", db_url=db_url)
    assert result.returncode == 1 and "Unknown section 'bogus'" in result.stderr
    assert not out.exists()
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).empty
