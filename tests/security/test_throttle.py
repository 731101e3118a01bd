"""Failed sign-ins are throttled per username, on the server, whatever the spelling.

The throttle's basics are in tests/pages/test_sign_in.py (five failures lock
a username, existing or not, even against the right password) and
tests/data_access/test_auth.py (the lock's window and its end). Here: an
attacker cannot get round it by opening a new browser for each try, or by
changing the case or padding of the username, and while it is locked no
session is ever recorded, even for the right password.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from data_access.models import AuthSession
from tests.factories import TEST_PASSWORD, make_user
from tests.pages.test_sign_in import submit
from tests.support.apptest import run_app
from ui.auth import FAILED_MESSAGE

SPELLINGS = ["olive", "OLIVE", " Olive ", "oLiVe"]


@pytest.fixture
def person(db):
    with db.write() as s:
        return make_user(s, role="admin", username="olive")


def sessions_of(db, person) -> int:
    with db.read() as s:
        return s.scalar(select(func.count(AuthSession.id)).where(AuthSession.user_id == person.user_id))


def test_tries_from_new_browsers_under_any_spelling_count_against_one_lock(db, db_url, person):
    for attempt in range(4):  # each try in a browser of its own, nothing kept between them
        at = submit(run_app(db_url), db_url, SPELLINGS[attempt], f"wrong-password-{attempt}")
        assert [e.value for e in at.error] == [FAILED_MESSAGE]
    at = submit(run_app(db_url), db_url, "Olive", "wrong-password-5")
    assert "locked until" in at.error[0].value
    for spelling in SPELLINGS:
        at = submit(run_app(db_url), db_url, spelling, TEST_PASSWORD)
        assert "locked until" in at.error[0].value, spelling
        assert [t.value for t in at.title] == ["Evidence review"]
    assert sessions_of(db, person) == 0


def test_the_right_password_before_the_limit_signs_in_and_clears_the_count(db, db_url, person):
    for attempt in range(4):
        submit(run_app(db_url), db_url, "olive", f"wrong-password-{attempt}")
    at = submit(run_app(db_url), db_url, "olive", TEST_PASSWORD)
    assert [t.value for t in at.title] == ["Overview"]
    assert sessions_of(db, person) == 1
    # The count starts again: four more failures do not lock.
    for attempt in range(4):
        at = submit(run_app(db_url), db_url, "OLIVE", f"wrong-password-{attempt}")
        assert [e.value for e in at.error] == [FAILED_MESSAGE]
