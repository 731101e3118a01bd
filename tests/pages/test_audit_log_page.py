"""The Audit log reads in words: references, titles and names, never ids or JSON; one time format; paged."""

from __future__ import annotations

import csv
import io
import re

from data_access import audit, audit_actions, audit_view, users
from data_access.audit_actions import ACTIONS, EXPORT_PREFIX
from tests.data_access.test_audit_actions import _written
from tests.factories import assign, make_submission, make_user
from tests.support.apptest import download, rerun, run_app

WHEN = re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} (GMT|BST)$")


def _table(at):
    return at.dataframe[0].value


def _cells(frame) -> list[str]:
    return [str(v) for v in frame.to_numpy().ravel()]


def test_audit_log_names_submissions_and_people_and_shows_no_ids_json_or_none(db, db_url, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss", name="Bea Boss")
        rita = make_user(s, username="rita", name="Rita Reviewer")
        sid = make_submission(s, call_config, reference="IASC-0042", title="Forced labour in car washes")
        assign(s, sid, rita)
        users.set_role(s, user_id=rita.user_id, role="admin", actor="boss")
    at = run_app(db_url, admin, page="pages/audit_log.py")
    assert not at.exception, at.exception
    table = _table(at)
    assert list(table.columns) == list(audit_view.COLUMNS)
    rows = table.to_dict("records")
    added = next(r for r in rows if r["What happened"] == "Submission added")
    assert added["What"] == "Submission IASC-0042 “Forced labour in car washes”"
    assert "Reference: IASC-0042" in added["Changes"].splitlines()
    assigned = next(r for r in rows if r["What happened"] == "Reviewer assigned")
    assert assigned["What"] == "Assignment of IASC-0042 “Forced labour in car washes” (Rita Reviewer (rita))"
    assert set(assigned["Changes"].splitlines()) >= {
        "Submission: IASC-0042 “Forced labour in car washes”",
        "Reviewer: Rita Reviewer (rita)",
    }
    role = next(r for r in rows if r["What happened"] == "Person's role changed")
    assert role["What"] == "Person: Rita Reviewer (rita)"
    assert role["Changes"] == "Role: reviewer → admin"
    assert role["Who"] == "Bea Boss (boss)"
    cells = _cells(table)
    assert "None" not in cells and "nan" not in cells and "" not in cells
    assert not any(c.lstrip().startswith(("{", "[")) for c in cells)  # no JSON
    ids = {str(sid), str(rita.user_id), str(admin.user_id)}
    for row in rows:  # never a database id: not as a cell, not as a value in the lines
        assert row["What"] not in ids
        assert not any(line.split(": ", 1)[-1] in ids for line in row["Changes"].splitlines())
    assert all(WHEN.match(w) for w in table["When"])


def test_audit_log_is_paged_and_counts_every_entry(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        for n in range(60):
            audit.record(s, actor="boss", action="call.setting", entity="call_state", entity_id="blind_review", new=n)
    at = run_app(db_url, admin, page="pages/audit_log.py")
    at.selectbox(key="audit.page_size").select(25)
    at = rerun(at, db_url)
    assert len(_table(at)) == 25
    assert "Entries 1–25 of 61, newest first." in at.caption[0].value  # 60 settings and the admin's creation
    assert _table(at).iloc[0]["Changes"] == "After: 59"
    at.number_input(key="audit.page").set_value(3)
    at = rerun(at, db_url)
    assert len(_table(at)) == 11
    assert _table(at).iloc[-1]["What happened"] == "Person added"
    assert "Entries 51–61 of 61" in at.caption[0].value


def test_audit_log_csv_reads_in_words_and_never_carries_an_anonymous_contributors_identity(db, db_url, call_config):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        hidden = make_submission(s, call_config, reference="IASC-0001", anonymous=True, contact_name="Secret Name")
        named = make_submission(s, call_config, reference="IASC-0002", contact_name="Open Name")
        for sid, name in ((hidden, "Secret Name"), (named, "Open Name")):
            audit.record(
                s,
                actor="boss",
                action="submission.update",
                entity="submission",
                entity_id=sid,
                old={"contact_name": name, "title": "Old"},
                new={"contact_name": f"{name} Jr", "title": "=HYPERLINK(1)"},
            )
    at = run_app(db_url, admin, page="pages/audit_log.py")
    # The admin sees every contributor's identity on screen (as on the Submissions page) ...
    assert "Contact name: Secret Name → Secret Name Jr" in "\n".join(_table(at)["Changes"])
    _url, content = download(at.download_button[0])
    text = content.decode("utf-8-sig")
    # ... a file never carries an anonymous contributor's.
    assert "Secret Name" not in text
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert list(rows[0]) == list(audit_view.EXPORT_COLUMNS)
    by_ref = {r["What"].split()[1]: r for r in rows if r["What happened"] == "Submission changed"}
    assert "Contact name: (anonymous)" in by_ref["IASC-0001"]["Changes"].splitlines()
    assert "Contact name: Open Name → Open Name Jr" in by_ref["IASC-0002"]["Changes"].splitlines()
    assert by_ref["IASC-0002"]["Action code"] == "submission.update"
    assert "Title: Old → =HYPERLINK(1)" in by_ref["IASC-0002"]["Changes"].splitlines()


def test_every_action_the_code_writes_has_words_and_every_entity_a_name():
    codes = {code for code, _ in _written("action") if re.match(r"^[a-z_]+\.[a-z_-]+$", code)}
    assert len(codes) >= 25
    exports = {EXPORT_PREFIX + what for what, _ in _written("what")}
    assert "export.audit-log" in exports
    for code in codes | exports | {a.code for a in ACTIONS if not a.code.startswith(EXPORT_PREFIX)}:
        words = audit_actions.words(code)  # what the page shows
        assert words != code and "_" not in words and not re.search(r"\w\.\w", words), (code, words)
    entities = {value for value, _ in _written("entity")}
    assert {"submission", "user", "line_up", "assignment"} <= entities
    assert entities <= set(audit_view.ENTITY_WORDS), entities - set(audit_view.ENTITY_WORDS)
