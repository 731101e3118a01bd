"""Speaking Streamlit's protocol without a browser: what the benchmarks and the tests share.

The bench's many-session client (`bench/protocol_client.py`) and the tests' raw
client (`tests/support/stream_client.py`, an attacker's view) both open
`/_stcore/stream` with the `websockets` package (a dependency of Streamlit
itself), send the `rerun_script` BackMsg the frontend sends, and sign in with a
token the server issued (`issued_token`). That is here, once.

Importing this module changes nothing in the process: unlike the tests'
configuration (tests/conftest.py, which sets its own EVIDENCE_COOKIE_KEY), it
leaves the environment alone, so a token issued here is signed with the key of
whoever set it: the bench's server, or the tests'.
"""

from __future__ import annotations

from streamlit.proto.BackMsg_pb2 import BackMsg
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

COOKIE = "evidence_review_session"


class Refused(Exception):
    """The server refused the WebSocket handshake."""


def open_stream(
    base_url: str,
    *,
    origin: str | None,
    cookies: dict[str, str] | None = None,
    session_id: str | None = None,
    timeout: float = 10,
):
    """A WebSocket on the app's stream; raises `Refused` if the handshake is refused. Streamlit's
    frontend offers a session id to resume in the third entry of `Sec-WebSocket-Protocol` (after the
    subprotocol and the XSRF token); `session_id=` does the same."""
    url = base_url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    headers = {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    protocols = ["streamlit", "xsrf-placeholder"] + ([session_id] if session_id else [])
    try:
        return connect(
            url,
            origin=origin,
            additional_headers=headers,
            subprotocols=protocols,
            open_timeout=timeout,
            max_size=None,
        )
    except InvalidStatus as exc:
        raise Refused(f"HTTP {exc.response.status_code}") from exc
    except ConnectionClosed as exc:
        raise Refused(str(exc)) from exc


def rerun_message(
    page_name: str,
    query_string: str = "",
    *,
    ints: dict[str, int] | None = None,
    strings: dict[str, str] | None = None,
    clicks: tuple[str, ...] = (),
    fragment_id: str = "",
    page_script_hash: str = "",
) -> bytes:
    """The `rerun_script` BackMsg the frontend sends: the page (its URL path; "" the default page),
    the address's query, and the widgets changed: `ints` (a number input's value), `strings` (a text;
    for a radio or a select box, the option as shown: Streamlit 1.67 sends the formatted option, not
    its index), `clicks` (a button pressed: a trigger's value true, whoever drew it). `fragment_id`: the
    widgets' fragment, which alone reruns (as the frontend asks); `page_script_hash`: the page being shown
    (as the frontend sends: a fragment's `st.rerun()` then reruns this page, not the default one)."""
    msg = BackMsg()
    msg.rerun_script.page_name = page_name
    msg.rerun_script.query_string = query_string
    if fragment_id:
        msg.rerun_script.fragment_id = fragment_id
    if page_script_hash:
        msg.rerun_script.page_script_hash = page_script_hash
    for widget_id, value in (ints or {}).items():
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        state.int_value = value
    for widget_id, value in (strings or {}).items():
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        state.string_value = value
    for widget_id in clicks:
        state = msg.rerun_script.widget_states.widgets.add()
        state.id = widget_id
        state.trigger_value = True
    return msg.SerializeToString()


def issued_token(db_url: str, username: str) -> str:
    """A cookie token for `username` that the server issued, as a sign-in issues it: signed with this
    process's EVIDENCE_COOKIE_KEY (which the server must share), with its server-side record."""
    from config import load_settings
    from data_access import auth as auth_da
    from data_access import users
    from data_access.db import Database
    from ui.auth import _new_token

    settings = load_settings()
    db = Database(db_url)
    try:
        with db.write() as session:
            user = users.get_user_by_username(session, username)
            token, expires = _new_token(settings, user.username)
            auth_da.start_session(session, user_id=user.id, expires_at=expires, token=token)
    finally:
        db.dispose()
    return token
