"""The briefing's click (`ui.briefing.briefing_run`), run as Streamlit runs it, outside any script run
(with the app's database configured, as on the server: the scores are the shared calibration of
`ui.scores`): the person's role is checked at the click and again before the entry is written; a refusal
serves nothing, is logged, and logs no export. Both databases."""

from __future__ import annotations

import pytest

from data_access import audit, users
from data_access.briefing import BriefingOptions
from tests.support.apptest import database_env
from tests.ui.test_exports import entries, signed_in
from ui.briefing import briefing_run
from ui.exports import DownloadRefused

OPTIONS = BriefingOptions(sections=("methods",))


@pytest.fixture(autouse=True)
def app_database(db_url):
    with database_env(db_url):
        yield


def run_for(db, call_config, viewer, session_id):
    return briefing_run(
        db, config=call_config, options=OPTIONS, fmt="html", auth_session_id=session_id, actor=viewer.username
    )


def test_the_office_gets_the_file_and_the_entry(db, call_config):
    office, session_id = signed_in(db, "office")
    run = run_for(db, call_config, office, session_id)
    assert entries(db, "export.briefing").empty
    content = run()
    assert b"Methods annex" in content
    assert entries(db, "export.briefing")["actor"].tolist() == [office.username]


@pytest.mark.parametrize("change", [None, "role changed", "deactivated"])
def test_a_reviewer_or_someone_who_lost_access_gets_nothing(db, call_config, change):
    person, session_id = signed_in(db, "reviewer" if change is None else "office")
    run = run_for(db, call_config, person, session_id)
    with db.write() as s:
        if change == "role changed":
            users.set_role(s, user_id=person.user_id, role="reviewer", actor="admin")
        elif change == "deactivated":
            users.set_active(s, user_id=person.user_id, active=False, actor="admin")
    with pytest.raises(DownloadRefused):
        run()
    assert entries(db, "export.briefing").empty
    [refusal] = entries(db, "access.denied").to_dict("records")
    assert refusal["detail"].startswith("download briefing")
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(action="export.briefing")).empty
