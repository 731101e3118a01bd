"""What ui.authenticator_adapter relies on in streamlit-authenticator 0.4.2 and
extra-streamlit-components 0.1.81, pinned against the installed libraries: if an
upgrade changes any of it, these fail before the sign-in tests do."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from importlib import metadata
from types import SimpleNamespace

import bcrypt
import jwt
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit_authenticator.models.cookie_model import CookieModel

from tests.conftest import ROOT
from ui import authenticator_adapter as library

KEY = "k3y-for-the-adapter-tests-" * 2
PASSWORD = "correct horse battery"
COMPONENT = "extra_streamlit_components.CookieManager.cookie_manager"


@pytest.fixture(scope="module")
def account() -> library.Account:
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
    return library.Account(
        username="someone", name="Some One", email="some@example.org", password_hash=password_hash, role="office"
    )


def test_the_installed_libraries_are_the_pinned_versions():
    lock = (ROOT / "requirements.txt").read_text()
    for name, version in library.LIBRARY_VERSIONS.items():
        assert metadata.version(name) == version, f"{name} changed: check ui/authenticator_adapter.py's reliances"
        assert re.search(rf"^{re.escape(name)}=={re.escape(version)} ", lock, re.MULTILINE), f"{name} not pinned"


def test_the_library_checks_the_password_against_the_bcrypt_hash_and_fills_its_session_state(account, monkeypatch):
    checks: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def counted(password: bytes, hashed: bytes) -> bool:
        checks.append(hashed)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(bcrypt, "checkpw", counted)  # the throttle's tests count checks the same way
    for key in ("authentication_status", "username", "name", "roles"):
        st.session_state.pop(key, None)
    assert library.check_password(account, "someone", "not the password", secret_key=KEY) is False
    assert st.session_state.get("authentication_status") is not True
    assert library.check_password(account, "someone", PASSWORD, secret_key=KEY) is True
    assert checks == [account.password_hash.encode()] * 2  # one bcrypt check each, against the stored hash
    assert st.session_state["authentication_status"] is True
    assert st.session_state["username"] == "someone"
    assert st.session_state["name"] == "Some One"
    assert st.session_state["roles"] == ["office"]


def test_the_library_lower_cases_and_strips_the_username_and_strips_the_password(account):
    assert library.check_password(account, "  SomeOne ", f" {PASSWORD}  ", secret_key=KEY) is True


def test_a_stored_password_that_is_not_a_bcrypt_hash_never_signs_in(account):
    plain = library.Account(**{**account.__dict__, "password_hash": PASSWORD})
    assert library.check_password(plain, "someone", PASSWORD, secret_key=KEY) is False


def test_resuming_from_a_cookie_needs_an_account_the_library_was_given(account):
    assert library.resume(account, "someone", secret_key=KEY) is True
    assert library.resume(None, "someone", secret_key=KEY) is False
    assert library.resume(account, "someone-else", secret_key=KEY) is False


def test_tokens_are_in_the_format_the_librarys_own_cookie_check_accepts():
    now = dt.datetime.now(dt.UTC)
    token = library.new_token(KEY, "someone", now + dt.timedelta(days=2))
    # The library's decoding (HS256 with the cookie key) and its test in get_cookie.
    claims = CookieModel._token_decode(SimpleNamespace(token=token, cookie_key=KEY))
    assert claims["username"] == "someone"
    assert claims["exp_date"] > dt.datetime.now().timestamp()
    assert CookieModel._token_decode(SimpleNamespace(token=token, cookie_key="another key" * 4)) is False
    assert library.new_token(KEY, "someone", now) != library.new_token(KEY, "someone", now)  # a nonce each


def test_only_a_current_correctly_signed_token_naming_a_user_is_accepted():
    now = dt.datetime.now(dt.UTC)
    later = now + dt.timedelta(days=1)
    assert library.token_is_current(library.new_token(KEY, "someone", later), KEY, now)
    assert not library.token_is_current(library.new_token(KEY, "someone", now - dt.timedelta(seconds=1)), KEY, now)
    assert not library.token_is_current(library.new_token("another key" * 4, "someone", later), KEY, now)
    assert not library.token_is_current("not a token", KEY, now)

    def by_hand(header: dict, claims: dict) -> str:
        def part(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{part(header)}.{part(claims)}."

    unsigned = by_hand({"alg": "none", "typ": "JWT"}, {"username": "someone", "exp_date": later.timestamp()})
    assert not library.token_is_current(unsigned, KEY, now)
    assert not library.token_is_current(jwt.encode({"exp_date": later.timestamp()}, KEY, algorithm="HS256"), KEY, now)
    assert not library.token_is_current(
        jwt.encode({"username": "someone", "exp_date": "tomorrow"}, KEY, algorithm="HS256"), KEY, now
    )


def _cookie_page():
    import datetime as dt

    import streamlit as st

    from ui import authenticator_adapter as library

    cookies = library.CookieComponent(cookie_name="probe_cookie", cookie_key="k3y" * 16, expiry_days=2)
    if st.session_state.get("sign_out"):
        st.session_state["authentication_status"] = True
        st.session_state["username"] = "someone"
        cookies.sign_out()
    else:
        done = cookies.write("TOKEN", lifetime=dt.timedelta(days=2), secure=True, key="probe_set")
        st.text(f"stored={done}")


def component_calls(at: AppTest) -> list[dict]:
    calls = []
    for element in at.get("component_instance"):
        assert element.proto.component_name == COMPONENT
        calls.append(json.loads(element.proto.json_args))
    return calls


def test_the_cookie_is_written_and_deleted_through_the_cookie_manager_component():
    at = AppTest.from_function(_cookie_page)
    at.run()
    assert not at.exception
    calls = component_calls(at)
    # Only the "set" component: no CookieManager is made to write (making one draws its "read every cookie"
    # component, key "init", whose answer would rerun the app once more).
    assert len(calls) == 1, calls
    written = calls[0]
    expires = dt.datetime.fromisoformat(written["options"].pop("expires"))
    assert abs((expires - dt.datetime.now()) - dt.timedelta(days=2)) < dt.timedelta(minutes=1)
    assert written == {
        "method": "set",
        "cookie": "probe_cookie",
        "value": "TOKEN",
        "options": {"path": "/", "maxAge": 2 * 86400.0, "sameSite": "strict", "secure": True},
        "default": False,
        "key": "probe_set",
    }
    assert [t.value for t in at.text] == ["stored=False"]  # the component's default until the browser answers

    at.session_state["sign_out"] = True
    at.run()
    assert not at.exception
    assert {"method": "delete", "cookie": "probe_cookie", "default": False, "key": "delete"} in component_calls(at)
    assert at.session_state["logout"] is True
    assert at.session_state["authentication_status"] is None
    assert at.session_state["username"] is None


def test_the_component_written_through_is_the_libraries_cookie_manager():
    # `CookieComponent.write` calls extra-streamlit-components' cookie manager component itself; the library's
    # own cookie manager (what its cookie controller writes and deletes with) is that same component, and making
    # a CookieManager reads every cookie through it (why write makes none).
    import importlib
    import inspect

    module = importlib.import_module("extra_streamlit_components.CookieManager")  # the module, not the class

    assert library.cookie_manager_component is module._component_func
    made = inspect.getsource(module.CookieManager.__init__)
    assert "self.cookie_manager = _component_func" in made
    assert 'method="getAll"' in made
