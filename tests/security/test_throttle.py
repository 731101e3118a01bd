"""Failed sign-ins are throttled per username, on the server, whatever the spelling.

The throttle's basics are in tests/pages/test_sign_in.py (five failures lock
a username, existing or not, even against the right password) and
tests/data_access/test_auth.py (the lock's window and its end). Here: an
attacker cannot get round it by opening a new browser for each try, or by
changing the case or padding of the username, or by sending many attempts
at the same moment, and while it is locked no session is ever recorded, even
for the right password.
"""

from __future__ import annotations

import threading
import time

import bcrypt
import pytest
from sqlalchemy import func, select
from streamlit.runtime.state import session_state_proxy
from streamlit.runtime.state.safe_session_state import SafeSessionState
from streamlit.runtime.state.session_state import SessionState

from config import load_settings
from data_access.db import Database
from data_access.models import AuthSession
from tests.factories import TEST_PASSWORD, make_user
from tests.pages.test_sign_in import submit
from tests.support.apptest import confirm_cookie, run_app
from ui.auth import FAILED_MESSAGE, attempt_sign_in

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
    at = confirm_cookie(submit(run_app(db_url), db_url, "olive", TEST_PASSWORD), db_url)
    assert [t.value for t in at.title] == ["Overview"]
    assert sessions_of(db, person) == 1
    # The count starts again: four more failures do not lock.
    for attempt in range(4):
        at = submit(run_app(db_url), db_url, "OLIVE", f"wrong-password-{attempt}")
        assert [e.value for e in at.error] == [FAILED_MESSAGE]


# --- a burst of attempts at the same moment ---------------------------------


class Burst:
    """Sign-in attempts on threads, each as a browser session of its own (its
    own session state and its own `Database`, as on separate replicas),
    through the function the sign-in form calls. Every password check
    (bcrypt) is counted and held at a gate, so that the attempts overlap as
    much as they can: all are in flight before any password is judged."""

    def __init__(self, monkeypatch, db_url: str) -> None:
        self.db_url = db_url
        self.settings = load_settings()
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.checks = 0  # password checks started
        self.inside: set[int] = set()  # attempts waiting at the gate
        self.results: dict[int, tuple[object, str]] = {}
        self.threads: list[threading.Thread] = []
        self.local = threading.local()
        real_checkpw = bcrypt.checkpw

        def checkpw(password: bytes, hashed: bytes) -> bool:
            with self.lock:
                self.checks += 1
                self.inside.add(self.local.number)
            self.gate.wait(timeout=60)
            return real_checkpw(password, hashed)

        def own_session_state() -> SafeSessionState:
            if not hasattr(self.local, "state"):
                self.local.state = SafeSessionState(SessionState(), lambda: None)
            return self.local.state

        self.monkeypatch = monkeypatch
        monkeypatch.setattr(bcrypt, "checkpw", checkpw)
        monkeypatch.setattr(session_state_proxy, "get_session_state", own_session_state)

    def send(self, numbers: range, password: str) -> None:
        start = threading.Barrier(len(numbers))

        def attempt(number: int) -> None:
            self.local.number = number
            database = Database(self.db_url)
            try:
                start.wait(timeout=30)
                result = attempt_sign_in(database, self.settings, "olive", password)
            finally:
                database.dispose()
            with self.lock:
                self.results[number] = result

        for number in numbers:
            thread = threading.Thread(target=attempt, args=(number,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def settled(self, numbers: range, timeout: float = 60) -> None:
        """Wait until each of these attempts is at the gate or has its answer."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if all(n in self.inside or n in self.results for n in numbers):
                    return
            time.sleep(0.02)
        raise AssertionError("the attempts did not settle")

    def finish(self) -> None:
        self.gate.set()
        for thread in self.threads:
            thread.join(timeout=60)
        self.monkeypatch.undo()  # bcrypt and session state as they were, for the app runs that follow
        assert len(self.results) == len(self.threads)


def test_a_burst_of_attempts_gets_no_more_password_checks_than_the_limit_and_the_right_one_after_it_fails(
    db, db_url, person, monkeypatch
):
    burst = Burst(monkeypatch, db_url)
    limit = burst.settings.login_max_failures
    wrong = range(11)
    burst.send(wrong, "wrong-password-0")
    burst.settled(wrong)
    right = range(11, 12)  # sent while the wrong ones are still being checked
    burst.send(right, TEST_PASSWORD)
    burst.settled(right)
    burst.finish()

    assert burst.checks == limit
    viewer, message = burst.results[11]
    assert viewer is None and "locked until" in message
    assert sessions_of(db, person) == 0
    messages = [burst.results[n][1] for n in wrong]
    assert sum("locked until" in m for m in messages) == len(wrong) - limit + 1  # refused, and the last checked
    assert messages.count(FAILED_MESSAGE) == limit - 1
    # Still locked afterwards, for the right password too, from any browser.
    at = submit(run_app(db_url), db_url, "olive", TEST_PASSWORD)
    assert "locked until" in at.error[0].value


def test_the_right_password_within_the_limit_still_signs_in_during_a_burst(db, db_url, person, monkeypatch):
    burst = Burst(monkeypatch, db_url)
    limit = burst.settings.login_max_failures
    wrong = range(limit - 1)
    burst.send(wrong, "wrong-password-0")
    burst.settled(wrong)
    burst.send(range(limit - 1, limit), TEST_PASSWORD)
    burst.settled(range(limit))
    burst.finish()

    assert burst.checks == limit
    viewer, message = burst.results[limit - 1]
    assert viewer is not None and viewer.username == "olive" and message == ""
    assert sessions_of(db, person) == 1
