"""Every page for every role: allowed pages run cleanly, forbidden ones show
nothing of themselves and log the refusal, whether reached through navigation
(their URL) or run directly."""

import pytest
from streamlit.testing.v1 import AppTest

from data_access import audit
from tests.conftest import ROOT
from tests.factories import make_user
from tests.support.apptest import database_env, rerun, run_app, texts
from ui.guard import NO_ACCESS, wrong_role_message
from ui.navigation import PAGES

ROLES = ("admin", "office", "reviewer")
CASES = [(spec, role) for spec in PAGES for role in ROLES]


@pytest.fixture
def people(db):
    with db.write() as s:
        return {role: make_user(s, role=role) for role in ROLES}


def refusals(db, person) -> list[str]:
    with db.read() as s:
        entries = audit.list_entries(s, filters=audit.AuditFilter(action="access.denied", actor=person.username))
    return list(entries["entity_id"])


@pytest.mark.parametrize(("spec", "role"), CASES, ids=[f"{s.key}-{r}" for s, r in CASES])
def test_page_for_role(db, db_url, people, spec, role):
    viewer = people[role]
    at = run_app(db_url, viewer, page=spec.path if role in spec.roles else None)
    assert not at.exception, at.exception
    if role in spec.roles:
        assert any(t.value == spec.title for t in at.title), f"{spec.title} did not render for {role}"
        assert not [e for e in at.error if e.value == NO_ACCESS]
        assert refusals(db, viewer) == []
    else:
        # Not in this role's menu; opened by its URL (the app registers it hidden), the page's guard
        # refuses it in words and logs the refusal; run directly as this person, the same.
        assert spec.title not in [t.value for t in at.title]
        assert refusals(db, viewer) == []
        at.switch_page(spec.path)
        at = rerun(at, db_url)
        assert not at.exception
        # Their role and the page, in words, e.g. "Your role (reviewer) cannot open the Users page."
        assert [e.value for e in at.error] == [wrong_role_message(role, spec.key)]
        assert f"Your role ({role}) cannot open the {spec.title} page." in texts(at)
        assert spec.title not in [t.value for t in at.title]
        assert refusals(db, viewer) == [spec.key]
        direct = AppTest.from_file(str(ROOT / spec.path), default_timeout=30)
        direct.session_state["auth_session_id"] = at.session_state["auth_session_id"]
        with database_env(db_url):
            direct.run()
        assert not direct.exception
        assert [e.value for e in direct.error] == [wrong_role_message(role, spec.key)]
        assert spec.title not in [t.value for t in direct.title]
        assert refusals(db, viewer) == [spec.key, spec.key]


@pytest.mark.parametrize("spec", PAGES, ids=[s.key for s in PAGES])
def test_signed_out_visitor_sees_only_the_sign_in_form(db, db_url, spec):
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=30)
    with database_env(db_url):
        at.run()
    assert [e.value for e in at.error] == [NO_ACCESS]
    app = run_app(db_url)
    assert [t.value for t in app.title] == ["Evidence review"]
    assert "Sign in" in texts(app)
    assert spec.title not in [t.value for t in app.title]
