"""A raw client speaking Streamlit's own protocol, as an attacker would.

It opens `/_stcore/stream` (`open_stream`), sends protobuf `BackMsg`s and
collects the `ForwardMsg`s the server answers with; no browser, no JavaScript,
and only the headers and cookies it is given. The handshake and the rerun
message are `bench/stream_wire.py`'s, which the benchmarks' many-session client
shares; this adds what the tests read from a run.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.exceptions import ConnectionClosed

from bench.stream_wire import Refused, open_stream, rerun_message

__all__ = ["Refused", "Run", "open_stream", "run_page"]


@dataclass
class Run:
    """What one run sent back: the session id and every message, raw and parsed."""

    session_id: str = ""
    messages: list[ForwardMsg] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)

    def carries(self, text: str) -> bool:
        """True if any message holds `text` (UTF-8), wherever it is: an
        element, a table's Arrow bytes, the navigation."""
        needle = text.encode("utf-8")
        return any(needle in frame for frame in self.raw)

    def widget_ids(self) -> list[str]:
        """The ids of the widgets this run drew (buttons, download buttons, ...)."""
        ids = []
        for m in self.messages:
            if m.WhichOneof("type") != "delta" or m.delta.WhichOneof("type") != "new_element":
                continue
            element = getattr(m.delta.new_element, m.delta.new_element.WhichOneof("type") or "", None)
            widget_id = getattr(element, "id", "")
            if isinstance(widget_id, str) and widget_id:
                ids.append(widget_id)
        return ids

    def headings(self) -> list[str]:
        return [
            m.delta.new_element.heading.body
            for m in self.messages
            if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "heading"
        ]

    def page_titles(self) -> list[str]:
        """The pages the navigation offers in its menu (titles). Pages the role
        may not open are registered hidden, so that their own guard refuses
        them in words (app.py); they are not offered."""
        return [
            p.page_name
            for m in self.messages
            if m.WhichOneof("type") == "navigation"
            for p in m.navigation.app_pages
            if not p.is_hidden
        ]


def run_page(
    ws,
    page_name: str = "",
    *,
    timeout: float = 30,
    clicks: Iterable[str] = (),
    query_string: str = "",
    texts: Mapping[str, str] | None = None,
) -> Run:
    """Ask for a run of `page_name` (a page's URL path; "" the default page)
    and collect everything until the run finishes (or `timeout`). `clicks`:
    widget ids sent as clicked (a trigger's value true), whoever drew them;
    `texts`: widget ids sent with a text value (a text box typed into);
    `query_string`: the address's query (`submission=CFE-0001`)."""
    ws.send(rerun_message(page_name, query_string, strings=dict(texts or {}), clicks=tuple(clicks)))
    run = Run()
    deadline = time.monotonic() + timeout
    finished = 0
    idle = False  # a run has finished and no other has started: only a rerun is awaited, briefly
    while time.monotonic() < deadline:
        wait = max(0.1, deadline - time.monotonic())
        try:
            # The app may rerun itself at once (st.rerun): after a run ends, wait briefly for it.
            frame = ws.recv(timeout=min(wait, 1.5) if idle else wait)
        except TimeoutError:
            break
        except ConnectionClosed:
            break
        if isinstance(frame, str):
            continue
        fwd = ForwardMsg()
        fwd.ParseFromString(frame)
        run.raw.append(frame)
        run.messages.append(fwd)
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            run.session_id = fwd.new_session.initialize.session_id
            idle = False
        if kind == "script_finished":
            finished += 1
            idle = True
    return run
