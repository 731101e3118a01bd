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
* the role always comes from the database, never from session state;
* a signed-in session is used only by the connection that holds its sign-in:
  one whose WebSocket handshake carried the sign-in's cookie, or the one the
  sign-in form was sent on. A client that resumes the session by its id
  (Streamlit allows that; serve.py's gate stops it first) is signed out.
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import functools
import hmac
import logging
import secrets
import time
from collections.abc import Iterator, Mapping

import bcrypt
import streamlit as st
from sqlalchemy.exc import DBAPIError

from access.visibility import Viewer
from config import Settings
from data_access import audit, passwords
from data_access import auth as auth_da
from data_access import users as users_da
from data_access.db import Database, is_database_unavailable
from data_access.models import utcnow
from formats import times
from ui import authenticator_adapter as library
from ui import downloads
from ui import streamlit_adapter as adapter
from ui.navigation import allowed
from ui.render import ROLE_LABELS

log = logging.getLogger("evidence_review")

SESSION_KEY = "auth_session_id"
NOTICE_KEY = "auth_notice"
ERROR_KEY = "sign_in.error"
PENDING_COOKIE_KEY = "auth_pending_cookie"
PENDING_SINCE_KEY = "auth_pending_since"  # when the sign-in queued its cookie (time.monotonic())
COOKIE_WAIT_SECONDS = 5.0  # the longest a fresh sign-in waits for the browser to confirm its cookie
SIGNING_IN_MESSAGE = "Signing you in..."
CONNECTION_KEY = "auth_connection"  # the connection a form sign-in happened on (its cookie comes later)
SIGN_IN_KEY = "auth_sign_in"  # what the server's gate knows of this signed-in session
FAILED_MESSAGE = "Sign-in failed: the username or password is not right."
DEMO_ACCOUNT_MESSAGE = (
    "This account still has one of the demo call's published passwords, which sign in only in demo mode. "
    "Ask the call's administrator to set a new password (python manage.py set-password USERNAME)."
)
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
ENDED_DEFAULT = "Your sign-in has ended. Please sign in again."


def cookie_authenticator(settings: Settings) -> library.CookieComponent:
    """The run's one cookie component (see `library.CookieComponent`: create it
    only when the cookie must change)."""
    return library.CookieComponent(
        cookie_name=settings.cookie_name, cookie_key=settings.cookie_key, expiry_days=settings.cookie_expiry_days
    )


def _account_for(db: Database, username: str) -> library.Account | None:
    """One active user with their password hash, or None."""
    with db.read() as session:
        user = users_da.get_user_by_username(session, username)
        password_hash = users_da.password_hash_for(session, username)
    if user is None or password_hash is None:
        return None
    return library.Account(
        username=user.username, name=user.name, email=user.email or "", password_hash=password_hash, role=user.role
    )


@functools.lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(secrets.token_bytes(16).hex().encode(), bcrypt.gensalt(rounds))


def _equalise_timing(password: str, rounds: int) -> None:
    """Spend the same bcrypt time for an unknown user as for a known one."""
    bcrypt.checkpw(password.encode("utf-8")[:72], _dummy_hash(rounds))


def _new_token(settings: Settings, username: str) -> tuple[str, dt.datetime]:
    """A cookie token in the library's format, and when it expires."""
    expires = utcnow() + dt.timedelta(days=settings.cookie_expiry_days)
    return library.new_token(settings.cookie_key, username, expires), expires


def _write_cookie(cookies: library.CookieComponent, settings: Settings, token: str) -> bool:
    """Render the cookie component with `token`; True once the browser has stored it."""
    return cookies.write(
        token,
        lifetime=dt.timedelta(days=settings.cookie_expiry_days),
        secure=(st.context.url or "").startswith("https://"),
        key=cookie_component_key(token),
    )


def cookie_component_key(token: str) -> str:
    """The widget key of the component writing `token` (its value turns true
    once the browser has stored the cookie)."""
    return f"auth_cookie_set_{auth_da.token_digest(token)[:16]}"


def _handshake_cookies() -> Mapping[str, str]:
    """The cookies that came with the handshake of the WebSocket connection
    driving this run (not the browser's cookies now: a cookie written since
    reaches the server only with the next connection)."""
    return st.context.cookies or {}


def _decode_cookie(settings: Settings) -> str | None:
    """The raw cookie token if it is well-formed, correctly signed and unexpired."""
    token = _handshake_cookies().get(settings.cookie_name)
    if not token or not library.token_is_current(token, settings.cookie_key, utcnow()):
        return None
    return token


def _clear_session_state() -> None:
    for key in (SESSION_KEY, CONNECTION_KEY, SIGN_IN_KEY, "name", "username", "email", "roles"):
        st.session_state.pop(key, None)
    adapter.forget_sign_in()
    st.session_state["authentication_status"] = None


def _wipe_session_state() -> None:
    for key in list(st.session_state.keys()):
        del st.session_state[key]


def _end(cookies: library.CookieComponent, reason: str) -> None:
    """Sign the browser out locally (the server record is already invalid).

    The cookie is deleted through the component; if the browser never runs
    it, the cookie is still refused, because its server record is revoked.

    Everything the session held for the person is wiped first (their unsaved
    review input, what they opened, which views were logged): whoever signs
    in next in this browser tab, the same Streamlit session, finds none of it."""
    downloads.forget_session()  # files this browser downloaded stop being served now
    _wipe_session_state()
    cookies.sign_out()
    _clear_session_state()
    st.session_state[NOTICE_KEY] = ENDED_MESSAGES.get(reason, ENDED_DEFAULT)


# The sign-in app.py verified at the start of this run, while the page it chose runs (`verified_for_this_run`):
# (the server-side session's id, the viewer). Never kept past the run: a fragment's own rerun, which does not
# pass through app.py, finds nothing here and reads the database again; so does every new run.
_VERIFIED_THIS_RUN: contextvars.ContextVar[tuple[int, Viewer] | None] = contextvars.ContextVar(
    "verified_this_run", default=None
)


@contextlib.contextmanager
def verified_for_this_run(viewer: Viewer) -> Iterator[None]:
    """While the page runs, `current_viewer` (the page's gate) answers with the sign-in `authenticate` checked
    against the database moments before in this very run, rather than reading it again (issue 21: one read
    of the sign-in a run, not two). Ended when the run of the page ends, however it ends."""
    token = _VERIFIED_THIS_RUN.set((st.session_state.get(SESSION_KEY), viewer))
    try:
        yield
    finally:
        _VERIFIED_THIS_RUN.reset(token)


def current_viewer(db: Database) -> Viewer | None:
    """The signed-in person, verified against the database on this run."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is None:
        return None
    verified = _VERIFIED_THIS_RUN.get()
    if verified is not None and verified[0] == session_id:
        return verified[1]
    with db.read() as session:
        check = auth_da.check_session(session, auth_session_id=session_id)
    return check.viewer


def authenticate(db: Database, settings: Settings) -> Viewer | None:
    """Resolve who is signed in for this run, or None. Never renders the form.

    A signed-in session is used only by the browser that signed in: the
    connection driving this run must carry that sign-in's cookie (the cookies
    of its WebSocket handshake, `st.context.cookies`), or be the very
    connection the sign-in form was sent on (whose handshake predates the
    cookie). Any other connection (one that offered this session's id to
    resume it) is signed out, and the session's state wiped, before anything
    else of the run."""
    session_id = st.session_state.get(SESSION_KEY)
    if session_id is not None:
        with db.read() as session:
            check = auth_da.check_session(session, auth_session_id=session_id)
        if check.viewer is None:
            _end(cookie_authenticator(settings), check.reason)
            return None
        if _driven_by_its_browser(settings, check.token_sha256):
            _sync_state(check.viewer)
            _register(db, settings, session_id, check.token_sha256)
            return check.viewer
        _refuse_connection(db, check.viewer)
        # Falls through: this connection's own cookie, if it has a valid one, signs it in as its owner.

    # Signed in by other means within this server process (AppTest setting
    # session state; never a connection from a browser, where state is only
    # ever set by this module): bind it to a fresh server-side session so that
    # revocation applies to it as well.
    elif (
        st.session_state.get("authentication_status")
        and st.session_state.get("username")
        and adapter.connection() is None
    ):
        with db.write() as session:
            user = users_da.get_user_by_username(session, st.session_state["username"])
            if user is None or not user.active:
                _clear_session_state()
                return None
            expires = utcnow() + dt.timedelta(days=settings.cookie_expiry_days)
            st.session_state[SESSION_KEY] = auth_da.start_session(session, user_id=user.id, expires_at=expires)
        st.session_state[CONNECTION_KEY] = adapter.Binding.here()
        return authenticate(db, settings)

    token = _decode_cookie(settings)
    if token is None:
        return None
    with db.read() as session:
        session_id, check = auth_da.check_token(session, token=token)
    if check.viewer is None:
        return None
    username = check.viewer.username
    if not library.resume(_account_for(db, username), username, secret_key=settings.cookie_key):
        _clear_session_state()  # the library refuses users it does not know (deactivated since)
        return None
    st.session_state[SESSION_KEY] = session_id
    _sync_state(check.viewer)
    _register(db, settings, session_id, check.token_sha256)
    return check.viewer


def _driven_by_its_browser(settings: Settings, token_sha256: str | None) -> bool:
    """True if this run's connection may use the signed-in session whose
    cookie token has digest `token_sha256`."""
    token = _decode_cookie(settings)
    if token is not None and token_sha256 and hmac.compare_digest(auth_da.token_digest(token), token_sha256):
        return True
    binding = st.session_state.get(CONNECTION_KEY)
    if binding is None:
        # The first run after a sign-in through the form (its callback has just
        # queued the cookie): bind the sign-in to this connection, once.
        pending = st.session_state.get(PENDING_COOKIE_KEY)
        if pending and token_sha256 and hmac.compare_digest(auth_da.token_digest(pending), token_sha256):
            binding = st.session_state[CONNECTION_KEY] = adapter.Binding.here()
        else:
            return False
    return binding.holds()


def signed_in_here(settings: Settings) -> bool:
    """Whether this run's connection holds the session's sign-in, judged from
    what the last verified run recorded (no database: `app.keep_place` uses it
    while the database is down)."""
    sign_in = st.session_state.get(SIGN_IN_KEY)
    return sign_in is not None and _driven_by_its_browser(settings, sign_in.token_sha256)


def _refuse_connection(db: Database, viewer: Viewer) -> None:
    """A connection without the sign-in's cookie is driving a signed-in
    session (it offered the session's id when it connected). Wipe the
    session's state: nothing of it is shown, and no unsaved input is left
    for it to read. The sign-in itself stays valid for its own browser."""
    log.warning("a connection without its sign-in cookie tried to use %s's session; signed out", viewer.username)
    adapter.forget_sign_in()
    _wipe_session_state()
    st.session_state["authentication_status"] = None
    st.session_state[NOTICE_KEY] = ENDED_DEFAULT
    with db.write() as session:
        audit.record_denied(
            session,
            actor=viewer.username,
            attempted="use the session from a connection without its sign-in cookie",
            entity="session",
        )


def _register(db: Database, settings: Settings, auth_session_id: int, token_sha256: str | None) -> None:
    """Tell the server's gate that this Streamlit session is signed in, with
    which cookie, and how to check at an upload's moment that it may upload."""
    sign_in = adapter.SignIn(
        cookie_name=settings.cookie_name,
        token_sha256=token_sha256,
        may_upload=functools.partial(_may_upload, db, auth_session_id),
    )
    st.session_state[SIGN_IN_KEY] = sign_in  # the gate's entry lives as long as this
    adapter.register_sign_in(sign_in)


def _may_upload(db: Database, auth_session_id: int) -> bool:
    """Checked by the gate for each upload: the sign-in is still valid and its
    user may open the Import page (the only page with an uploader)."""
    with db.read() as session:
        check = auth_da.check_session(session, auth_session_id=auth_session_id)
    return check.viewer is not None and allowed(check.viewer.role, "import")


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
        st.header("Sign in", anchor=False)
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
    if "\x00" in username or "\x00" in password:
        # No account has one (PostgreSQL cannot even compare it: the sign-in failed with an error there).
        st.session_state[ERROR_KEY] = FAILED_MESSAGE
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
        return None, LOCKED_MESSAGE.format(until=times.clock(attempt.locked_until))
    account = _account_for(db, username)
    if account is None:
        _equalise_timing(password, settings.bcrypt_rounds)
        ok = False
    else:
        ok = library.check_password(account, username, password, secret_key=settings.cookie_key)
    if not ok:
        st.session_state["authentication_status"] = None
        if attempt.locked_until is not None:
            return None, LOCKED_MESSAGE.format(until=times.clock(attempt.locked_until))
        return None, FAILED_MESSAGE
    if not settings.demo_mode and passwords.is_demo_password(password):
        # A database seeded in demo mode and then served for real: its accounts'
        # passwords are published in the README. The attempt stays counted.
        st.session_state["authentication_status"] = None
        return None, DEMO_ACCOUNT_MESSAGE
    name = users_da.normalise_username(username)
    token, expires = _new_token(settings, name)
    with db.write() as session:
        auth_da.clear_failures(session, username=username)
        user = users_da.get_user_by_username(session, name)
        assert user is not None
        st.session_state[SESSION_KEY] = auth_da.start_session(session, user_id=user.id, expires_at=expires, token=token)
    st.session_state.pop(NOTICE_KEY, None)
    st.session_state[PENDING_COOKIE_KEY] = token
    st.session_state[PENDING_SINCE_KEY] = time.monotonic()
    return current_viewer(db), ""


def write_pending_cookie(settings: Settings) -> bool:
    """Write the cookie of a fresh sign-in through the library's component,
    on every run until the browser confirms it (and draw no component once it
    has). True when the page may be shown: no cookie is waiting, the browser
    has confirmed it, or it has not answered within COOKIE_WAIT_SECONDS of the
    sign-in (then the page is shown anyway, and the component is still drawn
    on the next runs until it answers; a reload before that signs out)."""
    token = st.session_state.get(PENDING_COOKIE_KEY)
    if not token:
        return True
    if _write_cookie(cookie_authenticator(settings), settings, token):
        st.session_state.pop(PENDING_COOKIE_KEY, None)
        st.session_state.pop(PENDING_SINCE_KEY, None)
        return True
    return _waited(COOKIE_WAIT_SECONDS)


def _waited(seconds: float) -> bool:
    since = st.session_state.setdefault(PENDING_SINCE_KEY, time.monotonic())
    return time.monotonic() - since >= seconds


def signing_in() -> None:
    """What a fresh sign-in shows until the browser confirms its cookie (the
    component's answer reruns the app), and, should it never answer, a rerun
    of the app once COOKIE_WAIT_SECONDS have passed, so nobody is left waiting."""
    st.info(SIGNING_IN_MESSAGE, icon=":material/hourglass_top:")
    _rerun_when_waited()


# Its timer first fires once the wait has passed: a tick every second while the browser answered (within a
# second or two, normally) raced the answer's run and cost a sign-in a third run now and then (CI).
@st.fragment(run_every=COOKIE_WAIT_SECONDS)
def _rerun_when_waited() -> None:
    if _waited(COOKIE_WAIT_SECONDS):
        st.rerun(scope="app")


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
