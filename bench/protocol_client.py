"""A small client of Streamlit's own WebSocket protocol, for the benchmarks that need many sessions.

A browser per session is too heavy for fifty sessions on two cores: this speaks
what Streamlit's frontend speaks (protobuf `BackMsg`s on `/_stcore/stream`, the
server's `ForwardMsg`s back), without drawing anything. It reuses the raw
client of the security tests (`tests.support.stream_client.open_stream`) for
the handshake, and signs in as a sign-in does: a token the server issues and
records (`sign_in_token`), sent as the
app's session cookie.

One `ProtocolSession.visit` is one thing a person does: open a page (by its
URL path, with a query), set a widget or press a button. It sends the
`rerun_script` the frontend would send and reads until the run ends: a
`script_finished` that is not FINISHED_EARLY_FOR_RERUN (a run cut short by
`st.rerun()` is followed by the next run, which is waited for too). It times
that, counts the bytes received, and keeps the widgets the run drew (by label)
so that the next visit can set them. The server keeps widget values between
runs (`SessionState` compacts them into its old state), so a visit sends only
the widgets it changes, as a click or a key press does. The query string
follows the server (`page_info_changed`), as the address bar does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

COOKIE = "evidence_review_session"
EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
WIDGET_KINDS = ("button", "radio", "selectbox", "checkbox", "text_area", "text_input", "number_input")


@dataclass(frozen=True)
class Widget:
    kind: str
    id: str
    label: str
    options: tuple[str, ...] = ()
    fragment_id: str = ""  # drawn by an `st.fragment`: a change to it reruns only that fragment


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
    """The `rerun_script` BackMsg the frontend sends: the page (its URL path), the address's query, and
    the widgets changed: `ints` (a number input's value), `strings` (a text; for a radio or a select
    box, the option as shown: Streamlit 1.67 sends the formatted option, not its index), `clicks` (a
    button pressed). `fragment_id`: the widgets' fragment, which alone reruns (as the frontend asks)."""
    msg = BackMsg()
    msg.rerun_script.page_name = page_name
    msg.rerun_script.query_string = query_string
    if fragment_id:
        msg.rerun_script.fragment_id = fragment_id
    if page_script_hash:  # as the frontend: a fragment's `st.rerun()` then reruns this page, not the default
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


def run_ended(msg: ForwardMsg) -> bool:
    """True for the message that ends what a visit waits for: a run's end that no rerun follows."""
    return msg.WhichOneof("type") == "script_finished" and msg.script_finished != EARLY_FOR_RERUN


def widget_of(msg: ForwardMsg) -> Widget | None:
    """The widget a `delta` message draws, or None for anything else."""
    if msg.WhichOneof("type") != "delta" or msg.delta.WhichOneof("type") != "new_element":
        return None
    kind = msg.delta.new_element.WhichOneof("type")
    if kind not in WIDGET_KINDS:
        return None
    element = getattr(msg.delta.new_element, kind)
    return Widget(kind, element.id, element.label, tuple(getattr(element, "options", ())), msg.delta.fragment_id)


@dataclass
class Visit:
    """What one visit got back."""

    seconds: float = 0.0
    received: int = 0  # bytes of every frame received
    runs: int = 0  # script runs ended, those cut short for a rerun included
    ended: bool = False  # False: no end within the timeout
    widgets: list[Widget] = field(default_factory=list)
    frames: list[bytes] = field(default_factory=list)
    query_string: str | None = None  # the address's new query, when the server changed it
    page_script_hash: str = ""  # the page the last run ran (its `navigation` message)

    def carries(self, text: str) -> bool:
        """True if any frame holds `text` (UTF-8), wherever it is."""
        needle = text.encode("utf-8")
        return any(needle in frame for frame in self.frames)

    def widget(self, kind: str, label: str, *, prefix: bool = False) -> Widget | None:
        """The last drawn widget of `kind` labelled `label` (or whose label starts with it)."""
        found = [
            w for w in self.widgets if w.kind == kind and (w.label.startswith(label) if prefix else w.label == label)
        ]
        return found[-1] if found else None


def read_visit(messages, clock=time.monotonic) -> Visit:
    """Fold the frames of one visit (an iterable of raw ForwardMsg bytes, ended by the caller's
    timeout) into a Visit; stops at the run's end. Pure: `messages` may be a list."""
    visit = Visit()
    started = clock()
    for frame in messages:
        if isinstance(frame, str):
            continue
        msg = ForwardMsg()
        msg.ParseFromString(frame)
        visit.received += len(frame)
        visit.frames.append(frame)
        kind = msg.WhichOneof("type")
        if kind == "navigation" and msg.navigation.page_script_hash:
            visit.page_script_hash = msg.navigation.page_script_hash
        if kind == "page_info_changed":
            visit.query_string = msg.page_info_changed.query_string
        widget = widget_of(msg)
        if widget is not None:
            visit.widgets.append(widget)
        if kind == "script_finished":
            visit.runs += 1
        if run_ended(msg):
            visit.ended = True
            break
    visit.seconds = clock() - started
    return visit


class ProtocolSession:
    """One signed-in session, over one WebSocket, as one browser tab."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = 60) -> None:
        from tests.support.stream_client import open_stream

        self.timeout = timeout
        self.page = ""
        self.query = ""
        self.page_hash = ""  # the page the server last ran, sent back while staying on it
        self.last: Visit | None = None
        self.behind = False  # a visit timed out: its run's end is still to come
        cookies = {COOKIE: token} if token else None
        self.ws = open_stream(base_url, origin=base_url, cookies=cookies, timeout=timeout)

    def _frames(self, deadline: float):
        from websockets.exceptions import ConnectionClosed

        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            try:
                yield self.ws.recv(timeout=left)
            except (TimeoutError, ConnectionClosed):
                return

    def visit(
        self,
        page: str | None = None,
        query: str | None = None,
        *,
        ints: dict[str, int] | None = None,
        strings: dict[str, str] | None = None,
        clicks: tuple[str, ...] = (),
        fragment_id: str = "",
    ) -> Visit:
        """Open `page` (URL path; None: stay) with `query` (None: keep the current one), changing the
        widgets given (drawn in the fragment `fragment_id`: only it reruns, as a browser asks); returns
        when the run has ended or the timeout has passed."""
        if self.behind:  # the last visit's run has not ended: let it, before asking for another
            read_visit(self._frames(time.monotonic() + self.timeout))
            self.behind = False
        if page is not None:
            self.page, self.page_hash = page, ""
            self.query = "" if query is None else query
        elif query is not None:
            self.query = query
        started = time.monotonic()
        self.ws.send(
            rerun_message(
                self.page,
                self.query,
                ints=ints,
                strings=strings,
                clicks=clicks,
                fragment_id=fragment_id,
                page_script_hash=self.page_hash,
            )
        )
        visit = read_visit(self._frames(started + self.timeout))
        visit.seconds = time.monotonic() - started
        if visit.query_string is not None:
            self.query = visit.query_string
        if visit.page_script_hash:
            self.page_hash = visit.page_script_hash
        self.behind = not visit.ended
        self.last = visit
        return visit

    def close(self) -> None:
        self.ws.close()


def sign_in_token(url: str, username: str) -> str:
    """A session token for `username`, issued and recorded as a sign-in does (the token signed with
    this process's cookie key, which the server must share, and its server-side record). As
    tests/browser/test_security_access.issued_token, which is not imported: importing the tests'
    configuration would replace EVIDENCE_COOKIE_KEY in this process."""
    from config import load_settings
    from data_access import auth as auth_da
    from data_access import users
    from data_access.db import Database
    from ui.auth import _new_token

    settings = load_settings()
    db = Database(url)
    try:
        with db.write() as session:
            user = users.get_user_by_username(session, username)
            token, expires = _new_token(settings, user.username)
            auth_da.start_session(session, user_id=user.id, expires_at=expires, token=token)
    finally:
        db.dispose()
    return token
