"""Every download button the admin sees on every page draws, and its file downloads.

A merge once gave the CSV buttons' shared function arguments Streamlit does not take, and every download
button of the app failed to draw. This draws every page the admin may open, with the demo call in the
database (reviews, a signed-off line-up with a programme, queued messages), and clicks every download button
it shows (as the browser does: `tests.support.apptest.download`): each page draws without an error, each
button's file is served and logged, and the buttons the Exports page, the charts and the audit log always
offer are among them. (The briefing, made with Chromium and WeasyPrint, is clicked in
tests/pages/test_briefing_page.py.)"""

from __future__ import annotations

from sqlalchemy import select

from data_access import audit
from data_access.demo import seed_demo
from data_access.models import LineUp, LineUpMember, Submission
from scoring.selection import SelectionRules
from tests.factories import make_user
from tests.support.apptest import download, rerun, run_app
from ui.navigation import PAGES

NOT_CLICKED = {"exports.briefing.download"}  # tests/pages/test_briefing_page.py
OFFERED = {  # buttons these pages offer whenever the call has reviews and a saved line-up (and a chart's table is open)
    "exports": {"exports.presenters", "exports.scores", "exports.coverage"},
    "rankings": {"rankings.distribution.csv", "rankings.shift.csv", "rankings.leniency.csv"},
    "coverage": {"coverage.map.exploitation_types.csv", "coverage.scores.csv"},
}


def _key(element) -> str:
    """The key a page gave an element (its id is "$$ID-<hash>-<key>")."""
    return element.proto.id.split("-", 2)[-1]


def _opened(at, db_url):
    """The page with every keyed expander open (the tables behind the charts, and their downloads)."""
    for _ in range(3):
        closed = [_key(e) for e in at.expander if e.proto.id and not at.session_state[_key(e)]]
        if not closed:
            return at
        for key in closed:
            at.session_state[key] = True
        rerun(at, db_url)
    return at


def test_every_download_button_the_admin_sees_draws_and_downloads(db, db_url, call_config):
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=24)
    with db.write() as s:
        admin = make_user(s, role="admin")
        ids = list(s.scalars(select(Submission.id).order_by(Submission.id).limit(3)))
        line_up = LineUp(name="Panel's pick", rules=SelectionRules.from_config(call_config).to_dict(), created_by="t")
        line_up.members = [LineUpMember(submission_id=sid, format="in_person", position=i) for i, sid in enumerate(ids)]
        s.add(line_up)
    clicked: dict[str, set[str]] = {}
    for spec in PAGES:
        if "admin" not in spec.roles:
            continue
        at = _opened(run_app(db_url, admin, page=spec.path), db_url)
        assert not at.exception, (spec.path, at.exception)
        assert not [e.value for e in at.error if "Something went wrong" in e.value], spec.path  # ui.errors
        for button in at.get("download_button"):
            if _key(button) in NOT_CLICKED:
                continue
            _url, content = download(button)
            assert content, (spec.path, _key(button))
            clicked.setdefault(spec.key, set()).add(_key(button))
    for page, keys in OFFERED.items():
        assert keys <= clicked.get(page, set()), (page, clicked.get(page))
    assert "audit_log" in clicked
    with db.read() as s:
        logged = audit.list_entries(s, filters=audit.AuditFilter(actor=admin.username, limit=500))
    exported = logged[logged["action"].str.startswith("export.")]
    csv_buttons = sum(
        1 for keys in clicked.values() for key in keys if key.endswith(".csv") or key in OFFERED["exports"]
    )
    assert len(exported) >= csv_buttons  # every table served was logged (other files have entries of their own)
