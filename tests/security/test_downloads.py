"""No page holds a file at a URL before someone asks for it (issue 12, item 3).

On the demo call, the admin and the office open every page they may open,
with every chart's table unfolded: each download button they get carries no
URL, only the id Streamlit runs its callable by at the click, and drawing
every page stores no file at all. (What happens at the click: tests/ui/,
tests/pages/ and tests/browser/test_security_downloads.py.)
"""

from __future__ import annotations

import pytest

from data_access import users
from data_access.demo import seed_demo
from tests.support.apptest import rerun, run_app, stored_file_ids
from ui.navigation import pages_for


@pytest.fixture
def demo(db, call_config):
    seed_demo(db, config=call_config, bcrypt_rounds=4, n=30)
    with db.read() as session:
        return {u.role: u for u in users.list_users(session) if u.role in ("admin", "office")}


def unfold_every_table(at) -> None:
    """Open every chart's "Table behind this chart" (a tracked expander: its widget id ends with its key)."""
    for expander in at.get("expander"):
        key = expander.proto.id.rsplit("-", 1)[-1]
        if key.endswith(".table"):
            at.session_state[key] = True


@pytest.mark.parametrize("role", ["admin", "office"])
def test_no_download_button_on_any_page_carries_its_file(db_url, demo, role):
    viewer = demo[role]
    stored = stored_file_ids()
    seen: set[tuple[str, str]] = set()
    for spec in pages_for(role):
        at = run_app(db_url, users_as_viewer(viewer), page=spec.path)
        unfold_every_table(at)
        rerun(at, db_url)
        assert not at.exception, (spec.key, at.exception)
        for button in at.get("download_button"):
            seen.add((spec.key, button.label))
            assert button.proto.url == "", (spec.key, button.label)
            assert button.proto.deferred_file_id, (spec.key, button.label)
    expected = {
        ("exports", "Download the scores"),
        ("coverage", "Download the table as CSV"),
        ("rankings", "Download the table as CSV"),
    }
    if role == "admin":
        expected |= {
            ("audit_log", "Download as CSV"),
            ("import", "Template (CSV)"),
            ("messages", "Queued messages as .eml files (ZIP)"),
            ("messages", "Queued messages as a mail-merge CSV"),
        }
    assert seen >= expected
    assert stored_file_ids() == stored


def users_as_viewer(record):
    from access.visibility import Viewer

    return Viewer(user_id=record.id, username=record.username, name=record.name, role=record.role)
