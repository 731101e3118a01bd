"""Sign-in through the app: the form, the throttle, server-side revocation,
sign-out, and the refusal to start with a weak cookie key."""

import os

import pytest
from streamlit.testing.v1 import AppTest

from data_access import auth, users
from tests.factories import TEST_PASSWORD, make_user, password_hash
from tests.support.apptest import APP, confirm_cookie, database_env, rerun, run_app, texts
from ui import auth as ui_auth
from ui.auth import FAILED_MESSAGE


def submit(at: AppTest, db_url: str, username: str, password: str) -> AppTest:
    at.text_input(key="sign_in.username").input(username)
    at.text_input(key="sign_in.password").input(password)
    at.button[0].click()
    return rerun(at, db_url)


@pytest.fixture
def person(db):
    with db.write() as s:
        return make_user(s, role="office", username="olive")


def test_signing_in_with_the_form_opens_the_overview_and_records_a_session(db, db_url, person):
    at = submit(run_app(db_url), db_url, "Olive", TEST_PASSWORD)
    assert not at.exception
    # The page waits until the browser has stored the sign-in's cookie, so that a reload finds it.
    assert [i.value for i in at.info] == [ui_auth.SIGNING_IN_MESSAGE]
    assert [t.value for t in at.title] == []
    assert at.session_state["sign_in.password"] == ""  # the password is not kept
    at = rerun(at, db_url)
    assert [t.value for t in at.title] == []
    at = confirm_cookie(at, db_url)
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert ui_auth.PENDING_COOKIE_KEY not in at.session_state
    with db.read() as s:
        check = auth.check_session(s, auth_session_id=at.session_state["auth_session_id"])
    assert check.viewer.username == "olive" and check.viewer.role == "office"


def test_a_browser_that_never_confirms_the_cookie_gets_the_page_after_the_wait(db, db_url, person):
    at = submit(run_app(db_url), db_url, "olive", TEST_PASSWORD)
    assert [i.value for i in at.info] == [ui_auth.SIGNING_IN_MESSAGE]
    at.session_state[ui_auth.PENDING_SINCE_KEY] -= ui_auth.COOKIE_WAIT_SECONDS  # the wait has passed, no answer
    at = rerun(at, db_url)
    assert not at.exception
    assert [t.value for t in at.title] == ["Overview"]
    assert ui_auth.SIGNING_IN_MESSAGE not in texts(at)
    assert ui_auth.PENDING_COOKIE_KEY in at.session_state  # still offered to the browser on the next runs
    at = confirm_cookie(at, db_url)
    assert [t.value for t in at.title] == ["Overview"]
    assert ui_auth.PENDING_COOKIE_KEY not in at.session_state


def test_wrong_password_and_unknown_user_get_the_same_message(db, db_url, person):
    wrong = submit(run_app(db_url), db_url, "olive", "not-the-password")
    unknown = submit(run_app(db_url), db_url, "nobody", "not-the-password")
    assert [e.value for e in wrong.error] == [FAILED_MESSAGE]
    assert [e.value for e in unknown.error] == [FAILED_MESSAGE]
    assert [t.value for t in wrong.title] == ["Evidence review"]


def test_a_deactivated_user_cannot_sign_in_and_gets_the_same_message(db, db_url, person):
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        users.set_active(s, user_id=person.user_id, active=False, actor="boss")
    at = submit(run_app(db_url), db_url, "olive", TEST_PASSWORD)
    assert [e.value for e in at.error] == [FAILED_MESSAGE]


@pytest.mark.parametrize("username", ["olive", "ghost"])
def test_repeated_failures_lock_the_username_even_for_the_right_password(db, db_url, person, username):
    at = run_app(db_url)
    for _ in range(5):
        at = submit(at, db_url, username, "wrong-password-1")
    assert "locked until" in at.error[0].value
    at = submit(at, db_url, username, TEST_PASSWORD)
    assert "locked until" in at.error[0].value
    assert [t.value for t in at.title] == ["Evidence review"]
    other = submit(run_app(db_url), db_url, "olive" if username == "ghost" else "ghost", "wrong-password-1")
    assert [e.value for e in other.error] == [FAILED_MESSAGE]


@pytest.mark.parametrize(
    ("change", "notice"),
    [
        ("password", "password was changed"),
        ("deactivate", "deactivated"),
    ],
)
def test_a_signed_in_person_is_signed_out_at_their_next_action(db, db_url, person, change, notice):
    at = run_app(db_url, person)
    assert [t.value for t in at.title] == ["Overview"]
    with db.write() as s:
        make_user(s, role="admin", username="boss")
        if change == "password":
            users.set_password(s, user_id=person.user_id, password_hash=password_hash("new-password-9"), actor="boss")
        else:
            users.set_active(s, user_id=person.user_id, active=False, actor="boss")
    at = rerun(at, db_url)
    assert not at.exception
    assert [t.value for t in at.title] == ["Evidence review"]
    assert notice in texts(at)
    assert at.session_state["authentication_status"] is None


def test_sign_out_revokes_the_server_session(db, db_url, person):
    at = run_app(db_url, person)
    session_id = at.session_state["auth_session_id"]
    at.sidebar.button(key="sign_out").click()
    at = rerun(at, db_url)
    assert [t.value for t in at.title] == ["Evidence review"]
    with db.read() as s:
        assert auth.check_session(s, auth_session_id=session_id).reason == "signed out"


@pytest.mark.parametrize(
    ("key", "words"),
    [
        (None, "no cookie key is set"),
        ("some_key", "published default"),
        ("short-key", "needs at least 32"),
    ],
)
def test_the_app_refuses_to_start_with_a_weak_cookie_key(db_url, key, words):
    saved = os.environ.pop("EVIDENCE_COOKIE_KEY")
    if key is not None:
        os.environ["EVIDENCE_COOKIE_KEY"] = key
    try:
        at = AppTest.from_file(APP, default_timeout=30)
        with database_env(db_url):
            at.run()
    finally:
        os.environ["EVIDENCE_COOKIE_KEY"] = saved
    assert not at.exception
    assert len(at.error) == 1 and words in at.error[0].value
    assert not at.text_input


def test_demo_mode_starts_without_a_key(db_url, tmp_path):
    saved = os.environ.pop("EVIDENCE_COOKIE_KEY")
    os.environ.update(EVIDENCE_DEMO="1", EVIDENCE_DATA_DIR=str(tmp_path))
    try:
        at = AppTest.from_file(APP, default_timeout=30)
        with database_env(db_url):
            at.run()
    finally:
        os.environ["EVIDENCE_COOKIE_KEY"] = saved
        os.environ["EVIDENCE_DEMO"] = "0"
        del os.environ["EVIDENCE_DATA_DIR"]
    assert not at.error
    assert at.text_input(key="sign_in.username")


@pytest.mark.parametrize(
    ("username", "password"), [("olive\x00", TEST_PASSWORD), ("olive", "x\x00y"), ("\x00", "\x00")]
)
def test_a_nul_character_in_the_form_fails_in_words_on_both_databases(db, db_url, person, username, password):
    at = submit(run_app(db_url), db_url, username, password)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == [FAILED_MESSAGE]
    assert [i.value for i in at.info] != [ui_auth.SIGNING_IN_MESSAGE]
