"""Errors show a plain message, never a traceback or SQL.

Each failure is provoked through real input: a table missing from the
database (a page's query fails: on SQLite an OperationalError, on PostgreSQL a
ProgrammingError, which takes the "anything else" branch of
`ui.errors.run_safely`), a database that cannot be reached, and a failure in
the front door itself, outside any page (there app.py's own handler shows a plain message with a reference, and Streamlit's
handler, for anything that escaped it, is redacted because app.py sets
`client.showErrorDetails` to "none" outside demo mode, even when the
deployment's configuration says otherwise).
"""

from __future__ import annotations

import logging
import re

import pytest
import streamlit as st
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from tests.factories import make_submission, make_user
from tests.support.apptest import APP, database_env, run_app
from tests.support.postgres import free_port

# What must never reach the person: SQL, driver and table names, file paths, tracebacks.
BETRAYALS = re.compile(
    r"select |insert |from |where |no such table|relation|sqlite|psycopg|sqlalchemy|traceback|"
    r"submission_codes|auth_sessions|\.py|line \d+|password|secret-pw|127\.0\.0\.1|5432",
    re.IGNORECASE,
)


def shown_messages(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [w.value for w in at.warning]


@pytest.fixture
def full_error_details():
    """A deployment whose configuration shows full error details (Streamlit's default)."""
    saved = st.get_option("client.showErrorDetails")
    st.set_option("client.showErrorDetails", "full")
    yield
    st.set_option("client.showErrorDetails", saved)


def test_a_failing_query_on_a_page_shows_a_plain_message_with_a_reference(db, db_url, call_config, caplog):
    with db.write() as s:
        office = make_user(s, role="office")
        make_submission(s, call_config)
    with db.write() as s:
        s.execute(text("DROP TABLE submission_codes"))
    with caplog.at_level(logging.ERROR, logger="evidence_review"):
        at = run_app(db_url, office, page="pages/submissions.py")
    assert not at.exception
    [message] = [e.value for e in at.error]
    reference = re.search(r"reference ([0-9a-f]{8})", message)
    assert reference, message
    assert not BETRAYALS.search(message), message
    assert message.startswith(
        (
            "The database cannot be reached at the moment",
            "Something went wrong on this page and nothing more was done.",
        )
    )
    # The details are in the server's log, under the same reference.
    [record] = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert "submission_codes" in record.exc_text  # redacted of values (data_access.db), not of the fault


def test_a_database_that_cannot_be_reached_shows_a_plain_message(full_error_details):
    unreachable = f"postgresql+psycopg://evidence:secret-pw@127.0.0.1:{free_port()}/evidence"
    at = AppTest.from_file(APP, default_timeout=30)
    with database_env(unreachable):
        at.run()
    assert not at.exception
    [message] = shown_messages(at)
    assert message.startswith("The database cannot be reached at the moment"), message
    assert not BETRAYALS.search(message), message
    assert not at.text_input  # nothing else: no sign-in form against a database that is not there


def test_an_error_in_the_front_door_is_plain_and_streamlit_would_redact_it_anyway(db, db_url, full_error_details):
    with db.write() as s:
        office = make_user(s, role="office")
    with db.write() as s:
        s.execute(text("DROP TABLE auth_sessions"))
    at = run_app(db_url, office)  # binding the sign-in to a server-side session fails in app.py, before any page
    assert not at.exception  # caught by app.py's own handler, not Streamlit's
    [message] = shown_messages(at)
    assert re.search(r"reference [0-9a-f]{8}", message), message
    assert not BETRAYALS.search(message), message
    # Anything that escaped it would meet Streamlit's handler, which app.py
    # redacts outside demo mode even though this deployment asked for details.
    assert st.get_option("client.showErrorDetails") == "none"


def _page_whose_insert_fails(db_url: str, marker: str) -> None:
    from sqlalchemy import text

    from data_access.db import Database
    from data_access.models import utcnow
    from ui.errors import run_safely

    def page() -> None:
        insert = (
            "INSERT INTO users (username, name, role, password_hash, active, sessions_valid_after, created_at, "
            "updated_at) VALUES (:u, :n, 'office', :h, true, :t, :t, :t)"
        )
        db = Database(db_url)
        try:
            with db.write() as s:
                s.execute(text(insert), {"u": "taken", "n": "A", "h": "h", "t": utcnow()})
            with db.write() as s:  # the same username again, and no password hash: PostgreSQL repeats the row
                s.execute(text(insert), {"u": "fresh", "n": marker, "h": None, "t": utcnow()})
        finally:
            db.dispose()

    run_safely(page)


def test_a_failed_write_shows_and_logs_no_value_it_carried(db_url, caplog):
    marker = "reply-note-MARKER-51c2"
    at = AppTest.from_function(_page_whose_insert_fails, args=(db_url, marker), default_timeout=30)
    with caplog.at_level(logging.ERROR, logger="evidence_review"):
        at.run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    assert marker not in message and not BETRAYALS.search(message), message
    reference = re.search(r"reference ([0-9a-f]{8})", message)
    assert reference, message
    [record] = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert marker not in caplog.text
    assert "[SQL: INSERT INTO users" in record.exc_text and "password_hash" in record.exc_text
