"""Issue 21: every run of every page reads the sign-in (the server-side session and the account) from the
database once: app.py's `authenticate` checks it, and the page's gate (`require_page`), run moments later in
the same run, takes that answer rather than reading it again. A fragment's own rerun, which does not pass
through app.py, reads it again; a revoked sign-in still ends at the next run."""

from __future__ import annotations

import pytest

from data_access import auth as auth_da
from tests.pages import test_office_caches
from tests.pages.test_office_caches import RANKINGS, fragment_charts, fragment_rerun
from tests.support.apptest import rerun, run_app
from ui import auth

call = test_office_caches.call  # the fixture: a reviewed call and the office


@pytest.fixture
def reads(monkeypatch) -> list[int]:
    """Each sign-in read from the database: its session's id."""
    seen: list[int] = []
    real = auth_da.check_session

    def counted(session, *, auth_session_id, now=None):
        seen.append(auth_session_id)
        return real(session, auth_session_id=auth_session_id, now=now)

    monkeypatch.setattr(auth_da, "check_session", counted)
    return seen


def test_a_run_reads_the_sign_in_once_a_fragment_rerun_reads_it_again_and_revocation_ends_it(db, db_url, call, reads):
    at = run_app(db_url, call["office"], page=RANKINGS)
    session_id = at.session_state[auth.SESSION_KEY]
    assert fragment_charts(at, "rankings.shift")  # the page and its fragment drawn
    for _ in range(2):
        reads.clear()
        rerun(at, db_url)
        assert not at.exception and fragment_charts(at, "rankings.shift")
        assert reads == [session_id]  # before: twice a run (app.py's authenticate, then the page's gate)
    reads.clear()
    fragment_rerun(at, db_url)
    assert not at.exception and fragment_charts(at, "rankings.shift")
    assert reads == [session_id]  # the fragment's own rerun checks the sign-in itself
    with db.write() as s:
        auth_da.revoke_session(s, auth_session_id=session_id, reason="revoked")
    reads.clear()
    fragment_rerun(at, db_url)  # a fragment's rerun after the revocation draws nothing of it
    assert fragment_charts(at, "rankings.shift") == []
    rerun(at, db_url)
    assert fragment_charts(at, "rankings.shift") == []
    assert auth.SESSION_KEY not in at.session_state  # signed out at this run
    assert not at.exception
