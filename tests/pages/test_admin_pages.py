"""Users and Audit log pages (admin)."""

import csv
import hashlib
import io

from data_access import audit, users
from formats import times
from tests.factories import make_user
from tests.support.apptest import database_env, download, run_app, serves, stored_file_ids


def field(at, label_start):
    return next(t for t in at.text_input if t.label.startswith(label_start))


def button(at, label):
    return next(b for b in at.button if b.label == label)


def rerun(at, db_url):
    with database_env(db_url):
        at.run()
    return at


def test_admin_sees_a_clear_message_for_a_taken_username(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="taken")
    at = run_app(db_url, admin, page="pages/users.py")
    field(at, "Username").input("taken")
    field(at, "Full name").input("Someone")
    button(at, "Add user").click()
    at = rerun(at, db_url)
    assert [e.value for e in at.error] == ["Nobody was added:"]
    assert "The username 'taken' is taken." in [t.value for t in at.text]  # the reason, as plain text


def test_admin_deactivates_a_reviewer(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="leaver")
    at = run_app(db_url, admin, page="pages/users.py")
    at.selectbox(key="users.edit.username").select("leaver")
    at = rerun(at, db_url)
    at.button(key="users.toggle").click()
    at = rerun(at, db_url)
    with db.read() as s:
        assert users.get_user_by_username(s, "leaver").active is False
        assert audit.list_entries(s, filters=audit.AuditFilter(action="user.deactivate"))["actor"].tolist() == ["boss"]


def test_audit_log_lists_and_filters_entries(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="someone")
    at = run_app(db_url, admin, page="pages/audit_log.py")
    table = at.dataframe[0].value
    assert set(table["What happened"]) >= {"Person added"}
    at.selectbox(key="audit.action").select("user.create")
    at = rerun(at, db_url)
    assert set(at.dataframe[0].value["What happened"]) == {"Person added"}
    assert at.download_button  # the table is one click away as CSV


def test_downloading_the_audit_log_is_itself_logged(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="someone")
        # the outside test's cell
        audit.record(s, actor="someone", action="call.setting", entity="test", detail=" =1+1")
    stored = stored_file_ids()
    at = run_app(db_url, admin, page="pages/audit_log.py")
    [button_] = at.download_button
    assert stored_file_ids() == stored  # drawing the page stored no file
    with db.read() as s:
        assert audit.list_entries(s, filters=audit.AuditFilter(action="export.audit-log")).empty
    url, content = download(button_)
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="export.audit-log"))
    assert entries["actor"].tolist() == ["boss"]
    assert entries.iloc[0]["detail"] == "Audit log page"
    assert entries.iloc[0]["new"]["file"].endswith(".csv") and entries.iloc[0]["new"]["rows"] >= 2
    assert entries.iloc[0]["new"]["sha256"] == hashlib.sha256(content).hexdigest()
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    assert "' =1+1" in [r["Detail"] for r in rows]
    assert serves(url)
    button(at, "Sign out").click()
    rerun(at, db_url)
    assert not serves(url)  # signing out drops the files this session downloaded


def test_users_table_reads_in_words_and_a_saved_change_is_confirmed(db, db_url):
    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="helper")
    at = run_app(db_url, admin, page="pages/users.py")
    table = at.dataframe[0].value.set_index("Username")
    assert table.loc["helper", "Role"] == "Reviewer" and table.loc["boss", "Role"] == "Admin"
    assert table.loc["helper", "Most reviews"] == "no limit"
    assert "None" not in set(table.loc["helper"].astype(str))
    at.selectbox(key="users.edit.username").select("helper")
    at = rerun(at, db_url)
    at.number_input(key=f"users.capacity.{users_id(db, 'helper')}").set_value(5)
    at.button(key="users.save").click()
    at = rerun(at, db_url)
    assert not at.exception, at.exception
    assert [m.value for m in at.success] == ["Saved the changes."]
    assert "helper" in [t.value for t in at.text]
    assert at.dataframe[0].value.set_index("Username").loc["helper", "Most reviews"] == "5"
    with db.read() as s:
        assert users.get_user_by_username(s, "helper").capacity == 5


def users_id(db, username):
    with db.read() as s:
        return users.get_user_by_username(s, username).id


def test_audit_log_filters_by_day_and_names_its_columns_in_words(db, db_url):
    import datetime as dt

    with db.write() as s:
        admin = make_user(s, role="admin", username="boss")
        make_user(s, username="someone")
    at = run_app(db_url, admin, page="pages/audit_log.py")
    assert list(at.dataframe[0].value.columns) == ["When", "Who", "What happened", "What", "Changes", "Detail"]
    today = dt.datetime.now(times.UK).date()  # the filter's days are UK days
    at.date_input(key="audit.days").set_value((today - dt.timedelta(days=3), today - dt.timedelta(days=1)))
    at = rerun(at, db_url)
    assert at.dataframe[0].value.empty  # nothing happened in those days
    at.date_input(key="audit.days").set_value((today,))
    at = rerun(at, db_url)
    assert {"Person added"} <= set(at.dataframe[0].value["What happened"])
