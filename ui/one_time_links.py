"""Signed out: the sign-in form, "Forgot your password?", and "Set your password"
from a one-time link (`data_access.tokens`).

A link's token is taken from the address on the first run that sees it, kept
in this session's state only, and removed from the address bar at once; it is
never shown or logged. Every wrong, expired or used link gets the same
sentence (`tokens.INVALID_LINK`). After the password is set, the sign-in form
is shown for the person to sign in with it. A reset request always ends on
the same page, whether or not an account matched (`RESET_SENT`).
"""

from __future__ import annotations

import logging

import streamlit as st
from sqlalchemy.exc import DBAPIError

from config import CallConfig, Settings
from data_access import passwords, tokens
from data_access import users as users_da
from data_access.db import Database, is_database_unavailable
from ui import auth

log = logging.getLogger("evidence_review")

LINK_KEY = "one_time.token"  # the link's token, taken from the address
DONE_KEY = "one_time.done"  # the username whose password was just set
VIEW_KEY = "one_time.view"  # "reset": the Forgot your password? form is open
SENT_KEY = "one_time.sent"  # a reset was asked for: the one answer is shown
ERROR_KEY = "one_time.error"
SET_TITLE = "Set your password"
RESET_TITLE = "Forgot your password?"
RESET_SENT = (
    "If an account matches, a message is on its way to its email address, with a link to choose a new "
    "password. The link works once, for {minutes} minutes. Nothing arrived? Look in your spam folder, "
    "or ask the call's administrator."
)
POLICY = (
    f"At least {passwords.MIN_LENGTH} characters; not a common password and not your username. "
    "Three or four unrelated words make a long password that is easy to remember."
)
DIFFERENT = "The two passwords are not the same; type the new password twice."
DONE = "Your password is set. Sign in with your username, {username}, and your new password."
UNAVAILABLE = (
    "This is not possible at the moment: the database cannot be reached. "
    "Try again in a while, or tell the call's administrator."
)
SIGNED_IN_LINK = (
    "You are signed in, so the link to set a password was not used. To use it, sign out, then open it again."
)


def take_token() -> None:
    """Move a link's token from the address into this session's state, and out of the address bar."""
    token = st.query_params.get("token")
    if token is None:
        return
    del st.query_params["token"]
    for key in (DONE_KEY, VIEW_KEY, SENT_KEY, ERROR_KEY):
        st.session_state.pop(key, None)
    st.session_state[LINK_KEY] = token


def signed_in_at_link() -> None:
    """Signed in: a link's token is dropped unused (saying so), and what the link page kept is forgotten."""
    st.session_state.pop(DONE_KEY, None)
    if st.session_state.pop(LINK_KEY, None) is not None:
        st.info(SIGNED_IN_LINK, icon=":material/link_off:")


def signed_out(db: Database, settings: Settings, config: CallConfig) -> None:
    """What a signed-out visitor sees: the reset form, the set-password form, or the sign-in form."""
    if st.session_state.get(VIEW_KEY) == "reset":
        _reset_view(db, settings, config)
    elif LINK_KEY in st.session_state or DONE_KEY in st.session_state:
        _set_password_view(db, settings)
    else:
        auth.sign_in_form(db, settings)
        st.button(RESET_TITLE, type="tertiary", key="one_time.forgot", on_click=_open_reset)


def _open_reset() -> None:
    for key in (LINK_KEY, DONE_KEY, SENT_KEY, ERROR_KEY):
        st.session_state.pop(key, None)
    st.session_state[VIEW_KEY] = "reset"


def _back() -> None:
    for key in (LINK_KEY, DONE_KEY, VIEW_KEY, SENT_KEY, ERROR_KEY):
        st.session_state.pop(key, None)


def _show_error() -> None:
    error = st.session_state.pop(ERROR_KEY, None)
    if error:
        st.error(error)


def _database_down(exc: DBAPIError) -> None:
    if not is_database_unavailable(exc):
        raise exc
    log.error("database error on a signed-out form", exc_info=exc)
    st.session_state[ERROR_KEY] = UNAVAILABLE


# --- set your password --------------------------------------------------------


def _set_password_view(db: Database, settings: Settings) -> None:
    st.header(SET_TITLE, anchor=False)
    username = st.session_state.get(DONE_KEY)
    if username:
        st.success(DONE.format(username=username), icon=":material/key:")
        auth.sign_in_form(db, settings)
        return
    with db.read() as session:
        holder = tokens.check(session, token=st.session_state.get(LINK_KEY) or "")
    if holder is None:
        st.error(tokens.INVALID_LINK)
        st.button("Back to sign in", key="one_time.back", on_click=_back)
        return
    st.text(f"Your username: {holder.username}")
    with st.form("one_time.set_password"):
        st.caption(POLICY)
        st.text_input("New password", type="password", autocomplete="new-password", key="one_time.password")
        st.text_input("The new password again", type="password", autocomplete="new-password", key="one_time.again")
        st.form_submit_button("Set my password", type="primary", on_click=_on_set, args=(db, settings))
    _show_error()


def _on_set(db: Database, settings: Settings) -> None:
    password = st.session_state.get("one_time.password", "")
    again = st.session_state.get("one_time.again", "")
    st.session_state["one_time.password"] = st.session_state["one_time.again"] = ""  # never kept
    if password != again:
        st.session_state[ERROR_KEY] = DIFFERENT
        return
    try:
        username = tokens.set_password_with_link(
            db,
            token=st.session_state.get(LINK_KEY) or "",
            password=password,
            rounds=settings.bcrypt_rounds,
            demo_mode=settings.demo_mode,
        )
    except (tokens.LinkInvalid, users_da.UserError) as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    except DBAPIError as exc:
        _database_down(exc)
        return
    st.session_state.pop(LINK_KEY, None)
    st.session_state[DONE_KEY] = username
    st.session_state["sign_in.username"] = username


# --- forgot your password? ------------------------------------------------------


def _reset_view(db: Database, settings: Settings, config: CallConfig) -> None:
    st.header(RESET_TITLE, anchor=False)
    if st.session_state.get(SENT_KEY):
        st.info(RESET_SENT.format(minutes=settings.reset_link_minutes), icon=":material/mail:")
    else:
        with st.form("one_time.reset"):
            st.caption("Enter your username or the email address of your account.")
            st.text_input("Username or email address", max_chars=320, autocomplete="username", key="one_time.who")
            st.form_submit_button("Send me a link", type="primary", on_click=_on_reset, args=(db, settings, config))
        _show_error()
    st.button("Back to sign in", key="one_time.back", on_click=_back)


def _on_reset(db: Database, settings: Settings, config: CallConfig) -> None:
    who = st.session_state.get("one_time.who", "")
    if not who.strip() or "\x00" in who:
        st.session_state[ERROR_KEY] = "Enter your username or email address."
        return
    try:
        tokens.request_reset(db, identifier=who, client=_client(), settings=settings, config=config)
    except tokens.ResetUnavailable as exc:
        st.session_state[ERROR_KEY] = str(exc)
        return
    except DBAPIError as exc:
        _database_down(exc)
        return
    st.session_state["one_time.who"] = ""
    st.session_state[SENT_KEY] = True


def _client() -> str:
    """The client's IP address as the server saw the connection (None from this machine)."""
    address = st.context.ip_address
    return address if isinstance(address, str) and address else "unknown"
