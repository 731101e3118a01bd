"""Every page for every role: allowed pages run cleanly, forbidden ones show
nothing of themselves, whether reached through navigation or run directly."""

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.factories import make_user
from tests.support.apptest import database_env, run_app, texts
from ui.navigation import PAGES

ROLES = ("admin", "office", "reviewer")
CASES = [(spec, role) for spec in PAGES for role in ROLES]


@pytest.fixture
def people(db):
    with db.write() as s:
        return {role: make_user(s, role=role) for role in ROLES}


@pytest.mark.parametrize(("spec", "role"), CASES, ids=[f"{s.key}-{r}" for s, r in CASES])
def test_page_for_role(db, db_url, people, spec, role):
    viewer = people[role]
    at = run_app(db_url, viewer, page=spec.path if role in spec.roles else None)
    assert not at.exception, at.exception
    if role in spec.roles:
        assert any(t.value == spec.title for t in at.title), f"{spec.title} did not render for {role}"
        assert not [e for e in at.error if "not available" in e.value]
    else:
        # Not reachable: the app does not register it for this role, and
        # running the page file directly as this person shows only a refusal.
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(spec.path)
        assert spec.title not in [t.value for t in at.title]
        direct = AppTest.from_file(str(ROOT / spec.path), default_timeout=30)
        direct.session_state["auth_session_id"] = at.session_state["auth_session_id"]
        with database_env(db_url):
            direct.run()
        assert not direct.exception
        assert [e.value for e in direct.error] == ["This page is not available to you."]
        assert spec.title not in [t.value for t in direct.title]


@pytest.mark.parametrize("spec", PAGES, ids=[s.key for s in PAGES])
def test_signed_out_visitor_sees_only_the_sign_in_form(db, db_url, spec):
    at = AppTest.from_file(str(ROOT / spec.path), default_timeout=30)
    with database_env(db_url):
        at.run()
    assert [e.value for e in at.error] == ["This page is not available to you."]
    app = run_app(db_url)
    assert [t.value for t in app.title] == ["Evidence review"]
    assert "Sign in" in texts(app)
    assert spec.title not in [t.value for t in app.title]
