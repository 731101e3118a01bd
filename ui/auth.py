"""Sign-in, sign-out and the server-side check on every run.

streamlit-authenticator checks passwords (bcrypt), keeps the signed-in person
in session state and writes and deletes its signed cookie. It cannot revoke a
cookie, keeps no per-username throttle that works without a YAML file, and
trusts whatever roles it was given; so around it:

* users and hashes come from the database, one user at a time, never a file;
* every sign-in is recorded server-side (`data_access.auth`), and each run
  checks that record: a deactivated user, a changed password or a sign-out ends
  the session at the next action, and a cookie is accepted only if this server
  issued it and has not revoked it;
* sign-in attempts are counted per username before the password is checked
  (a success clears the count), and too many lock it for a while, existing or
  not; the message is the same whether or not the account exists;
* the role always comes from the database, never from session state.
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import secrets

import bcrypt
import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.exc import DBAPIError
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.utilities import LoginError

from access.visibility import Viewer
from config import Settings
from data_access import auth as auth_da
from data_access import users as users_da
from data_access.db import Database, is_database_unavailable
from data_access.models import utcnow
from ui import downloads
from ui.render import ROLE_LABELS

log = logging.getLogger("evidence_review")

SESSION_KEY = "auth_session_id"
NOTICE_KEY = "auth_notice"
ERROR_KEY = "sign_in.error"
PENDING_COOKIE_KEY = "auth_pending_cookie"
FAILED_MESSAGE = "Sign-in failed: the username or password is not right."
LOCKED_MESSAGE = (
    "Too many failed sign-ins for this username. For your security it is locked until "
    "{until} (UTC); try again then, or ask the call's administrator."
)
UNAVAILABLE_MESSAGE = (
    "Signing in is not possible at the moment: the database cannot be reached. "
    "Try again in a while, or tell the call's administrator."
)
ENDED_MESSAGES = {
    "signed out": "You have signed out.",
    "password changed": "Your password was changed, so you have been signed out. Sign in with the new password.",
    "deactivated": "Your account has been deactivated, so you have been signed out.",
    "expired": "Your sign-in has expired. Please sign in again.",
}


def cookie_authenticator(settings: Settings) -> stauth.Authenticate:
    """The run's one Authenticate object: it owns the cookie component.

    Create it only when the cookie must change: a fresh sign-in's cookie to
    write, or a sign-out to delete it. The component asks for a rerun as it
    mounts: drawn on every run, it would run each freshly loaded page twice
    (logging a refused link twice, say), and on the sign-in page those reruns
    could swallow what a person is typing. Reading the cookie needs no
    component (`st.context.cookies`).
    """
    return stauth.Authenticate(
        {"usernames": {}},
        cookie_name=settings.cookie_name,
        cookie_key=settings.cookie_key,
        cookie_expiry_days=settings.cookie_expiry_days,
        auto_hash=False,
        login_sleep_time=0,
    )


def _controller(settings: Settings, credentials: dict) -> AuthenticationController:
    """The library's password and session-state logic, without a component.

    It mutates the dict it is given, so it always gets a fresh one.
    """
    return AuthenticationController(copy.deepcopy(credentials), auto_hash=False, secret_key=settings.cookie_key)


def _credentials_for(db: Database, username: str) -> dict:
    """The library's credentials dict for one active user (or none)."""
    with db.read() as session:
        user = users_da.get_user_by_username(session, username)
        password_hash = users_da.password_hash_for(session, username)
    if user is None or password_hash is None:
        return {"usernames": {}}
    return {
        "usernames": {
            user.username: {
                "name": user.name,
                "email": user.email or "",
                "password": password_hash,
                "roles": [user.role],
            }
        }
    }


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(rounds))


def _equalise_timing(password: str, rounds: int) -> None:
    """Spend the same bcrypt time for an unknown user as for a known one."""
    bcrypt.checkpw(password.encode("utf-8")[:72], _dummy_hash(rounds))


def _new_token(settings: Settings, username: str) -> tuple[str, dt.datetime]:
    """A cookie token in the library's format (username, exp_date), plus a
    nonce so that two sign-ins never share a token."""
    expires = utcnow() + dt.timedelta(days=settings.cookie_expiry_days)
    token = jwt.encode(
        {"username": username, "exp_date": expires.timestamp(), "jti": secrets.token_hex(16)},
        settings.cookie_key,
        algorithm="HS256",
    )
    return token, expires


def _write_cookie(cookies: stauth.Authenticate, settings: Settings, token: str) -> bool:
    """Render the library's cookie component with `token`; True once the
    browser has stored it (the component answers true)."""
    lifetime = dt.timedelta(days=settings.cookie_expiry_days)
    expires = dt.datetime.now() + lifetime
    manager = cookies.cookie_controller.cookie_model.cookie_manager
    options = {"path": "/", "expires": expires.isoformat(), "maxAge": lifetime.total_seconds(), "sameSite": "strict"}
    if (st.context.url or "").startswith("https://"):
        options["secure"] = True
    done = manager.cookie_manager(
        method="set",
        cookie=settings.cookie_name,
        value=token,
        options=options,
        key=f"auth_cookie_set_{auth_da.token_digest(token)[:16]}",
        default=False,
    )
    return bool(done)


def _decode_cookie(settings: Settings) -> str | None:
    """The raw cookie token if it is well-formed, correctly signed and unexpired."""
    token = st.context.cookies.get(settings.cookie_name) if st.context.cookies else None
    if not token:
        return None
    try:
        claims = jwt.decode(token, settings.cookie_key, algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    exp = claims.get("exp_date")
    if not isinstance(claims.get("username"), str) or not isinstance(exp, int | float):
        return None
    if exp <= utcnow().timestamp():
        return None
    return token


def _clear_session_state() -> None:
    for key in (SESSION_KEY, "name", "username", "email", "roles"):
        st.session_state.pop(key, None)
    st.session_state["authentication_status"] = None


def _end(cookies: stauth.Authenticate, reason: str) -> None:
    """Sign the browser out locally (the server record is already invalid).

    The cookie is deleted through the component; if the browser never runs
    it, the cookie is still refused, because its server record is revoked."""
    st.session_state.pop(PENDING_COOKIE_KEY, None)
    downloads.forget_session()  # files this browser downloaded stop being served now
    cookies.authentication_controller.logout()
    cookies.cookie_controller.delete_cookie()
    _clear_session_state()
    st.session_state[NOTICE_KEY] = ENDED_MESSAGES.get(reason, "Your sign-in has ended. Please sign in again.")


def current_viewer(db: Database) -> Viewer | None:
    """The signed-in person, verified against the database on this run."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is None:
        return None
    with db.read() as session:
        check = auth_da.check_session(session, auth_session_id=session_id)
    return check.viewer


def authenticate(db: Database, settings: Settings) -> Viewer | None:
    """Resolve who is signed in for this run, or None. Never renders the form."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        with db.read() as session:
            check = auth_da.check_session(session, auth_session_id=session_id)
        if check.viewer is None:
            _end(cookie_authenticator(settings), check.reason)
            return None
        _sync_state(check.viewer)
        return check.viewer

    # Signed in by other means within this server process (e.g. a test harness
    # setting session state): bind it to a fresh server-side session so that
    # revocation applies to it as well.
    if st.session_state.get("authentication_status") and st.session_state.get("username"):
        with db.write() as session:
            user = users_da.get_user_by_username(session, st.session_state["username"])
            if user is None or not user.active:
                _clear_session_state()
                return None
            expires = utcnow() + dt.timedelta(days=settings.cookie_expiry_days)
            st.session_state[SESSION_KEY] = auth_da.start_session(session, user_id=user.id, expires_at=expires)
        return authenticate(db, settings)

    token = _decode_cookie(settings)
    if token is None:
        return None
    with db.read() as session:
        session_id, check = auth_da.check_token(session, token=token)
    if check.viewer is None:
        return None
    controller = _controller(settings, _credentials_for(db, check.viewer.username))
    try:
        controller.login(token={"username": check.viewer.username})
    except LoginError:  # the library refuses users it does not know (deactivated since)
        _clear_session_state()
        return None
    st.session_state[SESSION_KEY] = session_id
    _sync_state(check.viewer)
    return check.viewer


def _sync_state(viewer: Viewer) -> None:
    # Session state mirrors the database so that the library and the pages
    # agree; the role used for access decisions is always `viewer.role`.
    st.session_state["authentication_status"] = True
    st.session_state["username"] = viewer.username
    st.session_state["name"] = viewer.name
    st.session_state["roles"] = [viewer.role]


def sign_in_form(db: Database, settings: Settings) -> None:
    """Render the sign-in form. The sign-in itself runs in the submit
    button's callback, before the script, so a rerun that Streamlit starts
    meanwhile (a component reporting back) cannot cut it short."""
    # Kept until the next sign-in attempt: ending a session deletes the
    # cookie through a component, whose mounting reruns the script at once,
    # and a notice shown only once would vanish with that rerun.
    notice = st.session_state.get(NOTICE_KEY)
    if notice:
        st.info(notice)
    with st.form("sign_in", clear_on_submit=False):
        st.subheader("Sign in")
        st.text_input("Username", autocomplete="username", key="sign_in.username")
        st.text_input("Password", type="password", autocomplete="current-password", key="sign_in.password")
        st.form_submit_button("Sign in", type="primary", on_click=_on_submit, args=(db, settings))
    error = st.session_state.pop(ERROR_KEY, None)
    if error:
        st.error(error)


def _on_submit(db: Database, settings: Settings) -> None:
    st.session_state.pop(NOTICE_KEY, None)
    username = st.session_state.get("sign_in.username", "")
    password = st.session_state.get("sign_in.password", "")
    st.session_state["sign_in.password"] = ""  # never keep a password in session state
    if not username.strip() or not password:
        st.session_state[ERROR_KEY] = "Enter your username and password."
        return
    try:
        viewer, message = attempt_sign_in(db, settings, username, password)
    except DBAPIError as exc:
        if not is_database_unavailable(exc):
            raise
        log.error("database error during sign-in", exc_info=exc)
        st.session_state[ERROR_KEY] = UNAVAILABLE_MESSAGE
        return
    if viewer is None:
        st.session_state[ERROR_KEY] = message


def attempt_sign_in(db: Database, settings: Settings, username: str, password: str) -> tuple[Viewer | None, str]:
    """Count the attempt against the throttle, then check the password; on
    success record the session and queue the cookie (written by
    `write_pending_cookie` on the next runs).

    The attempt is counted as a failure before bcrypt runs, in one transaction
    with the lock check: attempts sent at the same moment from many browsers
    cannot all read "not locked" and then all check a password."""
    now = utcnow()
    with db.write() as session:
        attempt = auth_da.reserve_attempt(
            session,
            username=username,
            max_failures=settings.login_max_failures,
            lock_minutes=settings.login_lock_minutes,
            now=now,
        )
    if not attempt.allowed:
        return None, LOCKED_MESSAGE.format(until=attempt.locked_until.strftime("%H:%M"))
    credentials = _credentials_for(db, username)
    if not credentials["usernames"]:
        _equalise_timing(password, settings.bcrypt_rounds)
        ok = False
    else:
        ok = bool(_controller(settings, credentials).login(username, password))
    if not ok:
        st.session_state["authentication_status"] = None
        if attempt.locked_until is not None:
            return None, LOCKED_MESSAGE.format(until=attempt.locked_until.strftime("%H:%M"))
        return None, FAILED_MESSAGE
    name = users_da.normalise_username(username)
    token, expires = _new_token(settings, name)
    with db.write() as session:
        auth_da.clear_failures(session, username=username)
        user = users_da.get_user_by_username(session, name)
        assert user is not None
        st.session_state[SESSION_KEY] = auth_da.start_session(session, user_id=user.id, expires_at=expires, token=token)
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state[PENDING_COOKIE_KEY] = token
    return current_viewer(db), ""


def write_pending_cookie(settings: Settings) -> None:
    """Write the cookie of a fresh sign-in through the library's component,
    on every run until the browser confirms it (and draw no component once it has)."""
    token = st.session_state.get(PENDING_COOKIE_KEY)
    if token and _write_cookie(cookie_authenticator(settings), settings, token):
        st.session_state.pop(PENDING_COOKIE_KEY, None)


def account_sidebar(db: Database, settings: Settings, viewer: Viewer) -> bool:
    """Who is signed in, and a sign-out button; True when this run signed out."""
    st.sidebar.caption("Signed in as")
    st.sidebar.text(f"{viewer.name} ({ROLE_LABELS.get(viewer.role, viewer.role)})")
    if not st.sidebar.button("Sign out", icon=":material/logout:", key="sign_out"):
        return False
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        with db.write() as session:
            auth_da.revoke_session(session, auth_session_id=session_id, reason="signed out")
    _end(cookie_authenticator(settings), "signed out")
    return True
