"""A download's file is made, checked and logged at the click, in one unit of work (issue 12, item 3).

`ui.exports.checked` is what Streamlit runs when the person clicks: these run it
as Streamlit does, outside any script run, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest

from data_access import audit, users
from data_access import auth as auth_da
from data_access.exports import ExportTable, record_export
from data_access.models import utcnow
from tests.factories import make_user
from ui.exports import DownloadRefused, checked, roles_for

TABLE = ExportTable(
    what="scores", field_names=["Title"], rows=[{"Title": " =1+1"}, {"Title": "Plain"}], filename="x_scores.csv"
)


def signed_in(db, role: str) -> tuple[object, int]:
    with db.write() as s:
        viewer = make_user(s, role=role)
        session_id = auth_da.start_session(s, user_id=viewer.user_id, expires_at=utcnow() + dt.timedelta(days=1))
    return viewer, session_id


def click(db, viewer, session_id, *, page="exports", roles=None, built=None):
    """The download's callable, made as the page draws it; called, as the click does."""

    def build(session, current):
        built.append(current.username)
        content = TABLE.to_csv()
        record_export(session, actor=current.username, table=TABLE, content=content, via="Exports page")
        return content

    built = built if built is not None else []
    return checked(
        db,
        auth_session_id=session_id,
        actor=viewer.username,
        roles=roles_for(page, roles),
        what=TABLE.what,
        build=build,
    )


def entries(db, action):
    with db.read() as s:
        return audit.list_entries(s, filters=audit.AuditFilter(action=action))


def test_nothing_is_made_or_logged_until_the_click_then_the_served_bytes_are_the_logged_ones(db):
    viewer, session_id = signed_in(db, "office")
    built: list[str] = []
    run = click(db, viewer, session_id, built=built)
    assert built == [] and entries(db, "export.scores").empty  # drawing the button made nothing
    content = run()
    assert built == [viewer.username]
    logged = entries(db, "export.scores")
    assert len(logged) == 1
    assert logged.iloc[0]["actor"] == viewer.username
    assert logged.iloc[0]["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    assert "' =1+1" in content.decode("utf-8-sig")
    run()
    assert len(entries(db, "export.scores")) == 2  # each click is its own file and its own entry


@pytest.mark.parametrize("change", ["signed out", "deactivated", "role changed", "password changed"])
def test_a_click_after_the_person_lost_access_serves_nothing_and_is_logged_as_refused(db, change):
    viewer, session_id = signed_in(db, "office")
    built: list[str] = []
    run = click(db, viewer, session_id, built=built)  # the page was drawn while they had access
    with db.write() as s:
        if change == "signed out":
            auth_da.revoke_session(s, auth_session_id=session_id, reason="signed out")
        elif change == "deactivated":
            users.set_active(s, user_id=viewer.user_id, active=False, actor="admin")
        elif change == "role changed":
            users.set_role(s, user_id=viewer.user_id, role="reviewer", actor="admin")
        else:
            users.set_password(s, user_id=viewer.user_id, password_hash="x", actor="admin")
    with pytest.raises(DownloadRefused):
        run()
    assert built == [] and entries(db, "export.scores").empty
    [refusal] = entries(db, "access.denied").to_dict("records")
    assert refusal["actor"] == viewer.username
    assert refusal["entity"] == "download" and refusal["detail"].startswith("download scores")


def test_a_file_narrowed_to_the_admin_is_refused_to_the_office_at_the_click(db):
    office, office_session = signed_in(db, "office")
    admin, admin_session = signed_in(db, "admin")
    with pytest.raises(DownloadRefused):
        click(db, office, office_session, page="rankings", roles={"admin"})()
    assert entries(db, "access.denied").iloc[0]["detail"] == "download scores; role office"
    click(db, admin, admin_session, page="rankings", roles={"admin"})()
    assert entries(db, "export.scores")["actor"].tolist() == [admin.username]


def test_a_failure_while_making_the_file_serves_nothing_and_logs_no_export(db):
    viewer, session_id = signed_in(db, "office")

    def build(session, current):
        content = TABLE.to_csv()
        record_export(session, actor=current.username, table=TABLE, content=content, via="Exports page")
        raise RuntimeError("the database went away before the commit")

    run = checked(
        db, auth_session_id=session_id, actor=viewer.username, roles=roles_for("exports"), what="scores", build=build
    )
    with pytest.raises(RuntimeError):
        run()
    assert entries(db, "export.scores").empty
