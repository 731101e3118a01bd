"""A small client of Streamlit's own WebSocket protocol, for the benchmarks that need many sessions.

A browser per session is too heavy for fifty sessions on two cores: this speaks
what Streamlit's frontend speaks (protobuf `BackMsg`s on `/_stcore/stream`, the
server's `ForwardMsg`s back), without drawing anything. The handshake, the
rerun message and the sign-in token (issued and recorded as a sign-in does,
sent as the app's session cookie) are `bench/stream_wire.py`'s, which the
tests' raw client (`tests/support/stream_client.py`) shares.

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

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from bench.stream_wire import COOKIE, open_stream, rerun_message

EARLY_FOR_RERUN = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_EARLY_FOR_RERUN")
WIDGET_KINDS = ("button", "radio", "selectbox", "checkbox", "text_area", "text_input", "number_input")


@dataclass(frozen=True)
class Widget:
    kind: str
    id: str
    label: str
    options: tuple[str, ...] = ()
    fragment_id: str = ""  # drawn by an `st.fragment`: a change to it reruns only that fragment


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
