"""The one module that touches streamlit-authenticator and extra-streamlit-components.

`ui.auth` decides who is signed in (the database's records, the throttle, the
connection binding); from the library it needs only four things, here behind
a small interface:

* `check_password`: the library's password check (bcrypt against the stored
  hash, `AuthenticationController.login(username, password)`), which on
  success also fills the library's session state (`authentication_status`,
  `username`, `name`, `email`, `roles`);
* `resume`: the library's sign-in from a cookie's username
  (`login(token={"username": ...})`), refused (`LoginError`) for a username it
  was not given;
* `new_token` / `token_is_current`: the cookie's token in the library's format
  (an HS256 JWT with `username` and `exp_date`, a POSIX timestamp), so that the
  library's own cookie check would accept it too;
* `CookieComponent`: writing the cookie through extra-streamlit-components'
  cookie manager component (the one the library's
  `cookie_controller.cookie_model.cookie_manager` draws; it takes
  `method="set"`, `cookie`, `value`, `options` and answers true once the
  browser stored it), called directly so that no "read every cookie"
  component is drawn beside it; deleting it, and the library's logout of its
  session state.

What this relies on in streamlit-authenticator 0.4.2 and extra-streamlit-components
0.1.81 is pinned by `tests/ui/test_authenticator_adapter.py`, so that an
upgrade which changes it fails loudly there.
"""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from dataclasses import dataclass

import jwt
import streamlit_authenticator as stauth
from extra_streamlit_components.CookieManager import _component_func as cookie_manager_component
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.utilities import LoginError

LIBRARY_VERSIONS = {"streamlit-authenticator": "0.4.2", "extra-streamlit-components": "0.1.81"}
ALGORITHM = "HS256"


@dataclass(frozen=True)
class Account:
    """One active user, as the library needs them."""

    username: str
    name: str
    email: str
    password_hash: str
    role: str


def _credentials(account: Account | None) -> dict:
    """The library's credentials dict: this one user, or nobody."""
    if account is None:
        return {"usernames": {}}
    return {
        "usernames": {
            account.username: {
                "name": account.name,
                "email": account.email,
                "password": account.password_hash,
                "roles": [account.role],
            }
        }
    }


def _controller(account: Account | None, secret_key: str) -> AuthenticationController:
    """The library's password and session-state logic, without a component.

    It mutates the dict it is given, so it always gets a fresh one."""
    return AuthenticationController(copy.deepcopy(_credentials(account)), auto_hash=False, secret_key=secret_key)


def check_password(account: Account, username: str, password: str, *, secret_key: str) -> bool:
    """True if `password` matches the account's bcrypt hash, checked the
    library's way (which then fills its session state). `username` is as
    typed: the library lower-cases and strips it (and strips the password)
    before comparing."""
    return bool(_controller(account, secret_key).login(username, password))


def resume(account: Account | None, username: str, *, secret_key: str) -> bool:
    """The library's sign-in of `username` from a verified cookie (no
    password); False when it refuses (an account it was not given)."""
    try:
        _controller(account, secret_key).login(token={"username": username})
    except LoginError:
        return False
    return True


def new_token(key: str, username: str, expires: dt.datetime) -> str:
    """A cookie token in the library's format (username, exp_date), plus a
    nonce so that two sign-ins never share a token."""
    claims = {"username": username, "exp_date": expires.timestamp(), "jti": secrets.token_hex(16)}
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def token_is_current(token: str, key: str, now: dt.datetime) -> bool:
    """True if `token` is correctly signed with `key` (HS256 only), names a
    username and has not expired at `now`."""
    try:
        claims = jwt.decode(token, key, algorithms=[ALGORITHM])
    except jwt.PyJWTError:
        return False
    exp = claims.get("exp_date")
    if not isinstance(claims.get("username"), str) or not isinstance(exp, int | float):
        return False
    return exp > now.timestamp()


class CookieComponent:
    """The run's one cookie component (the library's `Authenticate`).

    Create it only when the cookie must change: a fresh sign-in's cookie to
    write, or a sign-out to delete it. The component asks for a rerun as it
    mounts: drawn on every run, it would run each freshly loaded page twice
    (logging a refused link twice, say), and on the sign-in page those reruns
    could swallow what a person is typing. Reading the cookie needs no
    component (`st.context.cookies`).
    """

    def __init__(self, *, cookie_name: str, cookie_key: str, expiry_days: float) -> None:
        self._cookie_name = cookie_name
        self._options = {"cookie_name": cookie_name, "cookie_key": cookie_key, "cookie_expiry_days": expiry_days}

    def _library(self) -> stauth.Authenticate:
        """The library's `Authenticate`, made when it is needed (a sign-out): making it draws the cookie
        manager's "read every cookie" component (`CookieManager.__init__`), whose answer reruns the app."""
        return stauth.Authenticate({"usernames": {}}, auto_hash=False, login_sleep_time=0, **self._options)

    def write(self, token: str, *, lifetime: dt.timedelta, secure: bool, key: str) -> bool:
        """Render the component setting the cookie to `token` (path /,
        SameSite=Strict, Secure when `secure`); True once the browser has
        stored it (the component answers true)."""
        expires = dt.datetime.now() + lifetime
        options: dict[str, object] = {
            "path": "/",
            "expires": expires.isoformat(),
            "maxAge": lifetime.total_seconds(),
            "sameSite": "strict",
        }
        if secure:
            options["secure"] = True
        # The cookie manager's component itself (`CookieManager.cookie_manager`), not a `CookieManager`: making
        # one draws its "read every cookie" component too, whose answer, apart from this one's, cost a sign-in
        # a third run whenever the two answers came far enough apart (CI).
        done = cookie_manager_component(
            method="set", cookie=self._cookie_name, value=token, options=options, key=key, default=False
        )
        return bool(done)

    def sign_out(self) -> None:
        """The library's logout (its session state cleared, `logout` set) and
        the cookie deleted through the component."""
        authenticate = self._library()
        authenticate.authentication_controller.logout()
        authenticate.cookie_controller.delete_cookie()
