"""The one place that reaches into Streamlit's server, and why.

Streamlit's server, as shipped, has three holes this app cannot close from a
page script:

* a WebSocket handshake may offer any session id to resume, and Streamlit hands
  that session (signed in or not) to whoever offers it;
* it accepts WebSocket origins on any `localhost:*` or `127.0.0.1:*` port and
  the machine's own addresses, and to learn the latter it asks an outside
  service for the machine's public IP address (a blocking HTTP request);
* its upload endpoint (`PUT /_stcore/upload_file/<session id>/<file id>`)
  stores a file for any live session id, signed in or not.

`serve.py` starts the app as an `st.App` with `middleware()` in front of
Streamlit's own routes (public API: "user middleware runs before Streamlit's
internal middleware"). That `Gate` accepts a WebSocket only from the app's own
origin or a listed one, lets a handshake resume a signed-in session only when
it carries that session's sign-in cookie, and refuses every HTTP request that
changes something except uploads by a signed-in admin whose cookie it checks
against the database. A file made by a download button (`ui.downloads`) is
served at `/media/` only to a request carrying the sign-in cookie of a session
it was made for (`restrict_media`); anyone else holding the URL gets 404.
`install_no_lookups()` replaces Streamlit's two
address-finding functions, so the server never connects anywhere by itself.

Inside a run, `connection()` names the WebSocket connection that drives it (so
that a fresh sign-in, whose cookie the browser has not written yet, is tied to
its own connection and no other), and `register_sign_in` tells the gate which
Streamlit session is signed in, with which cookie.

What this relies on in Streamlit 1.67 is pinned by
`tests/security/test_streamlit_adapter.py` (and the live tests in
`tests/browser/test_security_session.py` and `tests/security/test_server_gate.py`),
so that an upgrade which changes it fails loudly:

* `Sec-WebSocket-Protocol` carries `subprotocol, xsrf token, session id to
  resume` (`starlette_websocket._parse_subprotocols`);
* media files are served at `/media/<file id>.<ext>` (`MEDIA_ENDPOINT`), the
  file id being the part of the name before the first dot;
* the upload route is `/_stcore/upload_file/{session_id}/{file_id}`
  (`streamlit.web.server.server.UPLOAD_FILE_ENDPOINT`), PUT and DELETE;
* a run's session client is a `StarletteSessionClient`, found with
  `runtime.get_instance().get_client(ctx.session_id)`, one per WebSocket;
* `streamlit.net_util.get_internal_ip` / `get_external_ip` are looked up on the
  module at each call (`server_util.is_url_from_allowed_origins`, the banner in
  `bootstrap`);
* the media file manager (`runtime.get_instance().media_file_mgr`) stores a
  download under the id `memory_media_file_storage._calculate_file_id` gives
  its bytes, type and name, and is emptied of one file under its `_lock` by
  its storage's `delete_file` and its `_file_metadata` (`ui.downloads` uses
  this through `media_file_manager`, `media_file_id` and `drop_media_file`;
  pinned by `tests/ui/test_downloads.py`);
* the page a run was asked for is `ctx.pages_manager.intended_page_script_hash`
  / `intended_page_name` (set by `set_script_intent`), a page's hash is
  `streamlit.util.calc_hash(url_path)`, and `st.navigation` sends "Page not
  found" only for an intended page name that matches no page
  (`requested_page`, `page_hash`, `forget_requested_page`);
* the older `pages/` mode is one process-wide flag,
  `PagesManager.uses_pages_directory`, decided by the first session's
  `PagesManager` only while it is None, and read by the script runner before
  every run (see `no_pages_directory_mode`).
"""

from __future__ import annotations

import hmac
import logging
import os
import sys
import threading
import types
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("evidence_review")

UPLOAD_ROUTE = "/_stcore/upload_file/{session_id}/{file_id}"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MEDIA_PREFIX = "/media/"  # Streamlit's MEDIA_ENDPOINT (pinned by tests/security/test_streamlit_adapter.py)
UPLOAD_METHODS = frozenset({"PUT", "DELETE"})

# Process-wide state shared by the server's gate (built once, at start) and the
# app's runs. Streamlit re-imports the app's modules after a source file
# changes (its file watcher evicts them from sys.modules); this state lives in
# a module object of its own, which has no file and so is never evicted.
_STATE_MODULE = "_evidence_review_gate_state"


def _state() -> types.ModuleType:
    state = sys.modules.get(_STATE_MODULE)
    if state is None:
        state = types.ModuleType(_STATE_MODULE)
        state.lock = threading.Lock()
        state.sign_ins = weakref.WeakValueDictionary()  # Streamlit session id -> SignIn
        state.gate_installed = False
        state.media_owners = {}  # media file id -> ids of the Streamlit sessions it was made for
        state.media_checks = {}  # (media file id, session id) -> re-checks the rights at each request
        state = sys.modules.setdefault(_STATE_MODULE, state)
    if not hasattr(state, "media_checks"):  # a state made by an earlier version of this module (a reload)
        state.media_checks = {}
    return state


# --- inside a run ------------------------------------------------------------


def _session_client() -> Any | None:
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    from streamlit.web.server.starlette.starlette_websocket import StarletteSessionClient

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    client = runtime.get_instance().get_client(ctx.session_id)
    return client if isinstance(client, StarletteSessionClient) else None


def connection() -> object | None:
    """The WebSocket connection driving this run (an opaque object, one per
    handshake), or None without one (AppTest; a run whose browser has gone)."""
    return _session_client()


def fragment_run() -> bool:
    """Whether this run reruns only fragments (`st.fragment`), not the whole page."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def session_id() -> str | None:
    """This run's Streamlit session id."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


class Binding:
    """A sign-in tied to the connection it happened on. It holds only on that
    very connection: a resumed session arrives on a new handshake, hence a new
    connection object. (A weak reference: the connection, once closed, can be
    freed, and a new one can never be taken for it.)"""

    def __init__(self, conn: object | None) -> None:
        self._ref = weakref.ref(conn) if conn is not None else None

    @classmethod
    def here(cls) -> Binding:
        return cls(connection())

    def holds(self) -> bool:
        current = connection()
        if self._ref is None:
            # Signed in with no connection (AppTest): holds only where there is none.
            return current is None
        return current is not None and self._ref() is current


@dataclass(eq=False)
class SignIn:
    """What the gate needs to know of a signed-in Streamlit session."""

    cookie_name: str
    token_sha256: str | None  # the SHA-256 of the session's cookie token
    may_upload: Callable[[], bool]  # re-checks the database at the moment of the request


def register_sign_in(sign_in: SignIn) -> None:
    """This run's session is signed in as `sign_in` says. The caller keeps
    `sign_in` in the session's state: the gate's entry lives only as long as it."""
    sid = session_id()
    if sid is None:
        return
    state = _state()
    with state.lock:
        state.sign_ins[sid] = sign_in


def forget_sign_in() -> None:
    sid = session_id()
    if sid is None:
        return
    state = _state()
    with state.lock:
        state.sign_ins.pop(sid, None)


def _sign_in_of(sid: str) -> SignIn | None:
    state = _state()
    with state.lock:
        return state.sign_ins.get(sid)


def gate_installed() -> bool:
    """True when this process serves the app through `serve.py`'s gate."""
    return bool(_state().gate_installed)


def unguarded_server() -> bool:
    """True when a browser drives this run through a server without the gate
    (started as `streamlit run app.py` rather than `streamlit run serve.py`)."""
    return connection() is not None and not gate_installed()


# --- files served at /media/ ------------------------------------------------


def media_file_manager() -> Any | None:
    """The server's media file manager (what serves `/media/<id>`), or None without a runtime."""
    from streamlit import runtime

    return runtime.get_instance().media_file_mgr if runtime.exists() else None


def media_file_id(content: bytes, mime: str, file_name: str | None = None) -> str:
    """The id under which the media file manager stores these bytes (its URL is `/media/<id>.<ext>`)."""
    from streamlit.runtime.memory_media_file_storage import _calculate_file_id

    return _calculate_file_id(content, mime, file_name)


def drop_media_file(manager: Any, file_id: str) -> None:
    """Delete a stored file now; its URL answers 404 from here on. (Streamlit
    has no public call for it: its own clean-up waits for two script runs.)
    The gate's restriction is lifted only once the file is gone: a request
    arriving in between must not find the file open to anyone."""
    with manager._lock:
        manager._storage.delete_file(file_id)
        manager._file_metadata.pop(file_id, None)
    release_media(file_id)


def restrict_media(file_id: str, session_id: str, *, still_allowed: Callable[[], bool] | None = None) -> None:
    """Serve the media file `file_id` only to a request carrying the sign-in
    cookie of `session_id` (or of another session it was restricted to). Call
    it before the file is stored, so that its URL is never open to anyone.
    `still_allowed`, when given, is asked again at each request for that
    session (a document's page: the person may still read that copy of it);
    False, or an error, and the request gets 404 like one without the cookie."""
    state = _state()
    with state.lock:
        state.media_owners.setdefault(file_id, set()).add(session_id)
        if still_allowed is not None:
            state.media_checks[(file_id, session_id)] = still_allowed


def release_media(file_id: str) -> None:
    state = _state()
    with state.lock:
        sessions = state.media_owners.pop(file_id, set())
        for sid in sessions:
            state.media_checks.pop((file_id, sid), None)


def _still_allowed(check: Callable[[], bool] | None) -> bool:
    if check is None:
        return True
    try:
        return bool(check())
    except Exception:
        log.exception("could not check a media request's rights; refused")
        return False


def media_request_allowed(scope: dict) -> bool:
    """Whether the gate lets this GET/HEAD of `/media/<id>.<ext>` through: a
    file restricted by `restrict_media` only with one of its sessions' sign-in
    cookies, and only while that session's `still_allowed` (if any) says so now
    (a session signed out, a browser that never held the cookie, or a person
    who may no longer read it gets 404); any other file (none today) as
    Streamlit serves it. It may read the database: the gate calls it in a
    worker thread."""
    path = scope.get("path", "")
    if MEDIA_PREFIX not in path:
        return True
    name = path.rsplit(MEDIA_PREFIX, 1)[1]
    # Streamlit finds the file by the name without its last extension; read it
    # without everything after the first dot as well, so that no spelling of
    # the name slips past.
    candidates = {os.path.splitext(name)[0], name.split(".", 1)[0]}
    state = _state()
    with state.lock:
        restricted = [(c, sid) for c in candidates for sid in state.media_owners.get(c, ())]
        checks = {key: state.media_checks.get(key) for key in restricted}
    if not restricted:
        return True
    for file_id, sid in restricted:
        sign_in = _sign_in_of(sid)
        if sign_in is not None and _carries_cookie_of(scope, sign_in) and _still_allowed(checks[(file_id, sid)]):
            return True
    return False


# --- no outbound requests ---------------------------------------------------


def _no_address() -> None:
    return None


def install_no_lookups() -> None:
    """Streamlit looks up the machine's addresses to accept them as WebSocket
    origins and to print them at start: the internal one by opening a UDP
    socket towards 8.8.8.8, the public one with an HTTP request to
    checkip.amazonaws.com. Neither is wanted: the server makes no outbound
    connection of its own."""
    from streamlit import net_util

    net_util.get_internal_ip = _no_address
    net_util.get_external_ip = _no_address


# --- the page a URL asks for ---------------------------------------------------


def requested_page() -> tuple[str, str]:
    """What this run was asked to open, before `st.navigation` resolves it:
    the page's script hash (set on the reruns of a page already open; for a
    page declared with `url_path=u`, `calc_hash(u)`) and the page name from
    the URL's path (set when a browser opens an address directly). Both empty
    for the app's front page, or outside a run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return "", ""
    manager = ctx.pages_manager
    return manager.intended_page_script_hash or "", manager.intended_page_name or ""


def page_hash(url_path: str) -> str:
    """The script hash Streamlit gives a page declared with `url_path`."""
    from streamlit.util import calc_hash

    return calc_hash(url_path)


def forget_requested_page() -> None:
    """Let this run resolve to the navigation's default page instead of the
    address it was asked for: `st.navigation` shows its "Page not found" box
    only for a page name from the URL that matches no page, and falls back to
    the default page silently when no page was asked for."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is not None:
        ctx.pages_manager.set_script_intent("", "")


# --- no pages/ directory mode -----------------------------------------------


def no_pages_directory_mode() -> None:
    """Never run Streamlit's older multipage mode in this process.

    A `pages/` folder beside the main script switches Streamlit to its older
    multipage app: until the first `st.navigation` call of the process, a
    requested page file runs directly (skipping app.py's sign-in, sign-out and
    cookie handling) and every file in pages/ is listed in the sidebar; runs
    that start together at a fresh server are all in that mode. This app
    always declares `st.navigation`, so it wants the newer mode from the start.

    No supported switch exists in Streamlit 1.67: `client.showSidebarNavigation`
    only hides the list (the page files still run directly), `st.navigation`
    switches the mode off only once a first run has reached it, and the mode is
    decided from the main script's folder (moving app.py out of the project's
    root would break its layout). Streamlit's maintainers noted the mixed state
    of a `pages` folder with `st.navigation` (a flag decided per session that
    sometimes falls back to the older mode) and proposed one global flag:
    https://github.com/streamlit/streamlit/pull/10276. So this sets the flag
    Streamlit itself sets in `st.navigation` (`PagesManager.uses_pages_directory
    = False`), once, when the server starts (`middleware()`, from serve.py),
    before any session exists: a session's `PagesManager` decides the mode only
    while the flag is None, so none ever enters the older mode.
    `tests/security/test_streamlit_adapter.py` pins that.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False


def pages_directory_mode() -> bool:
    """True if this process is in Streamlit's older `pages/` mode (only a
    server started without serve.py, or before `no_pages_directory_mode`)."""
    from streamlit.runtime.pages_manager import PagesManager

    return bool(PagesManager.uses_pages_directory)


# --- the gate -----------------------------------------------------------------


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _cookie(scope: dict, name: str) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed Cookie header carries no cookie
        return None
    morsel = jar.get(name)
    return morsel.value if morsel is not None else None


def _digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _carries_cookie_of(scope: dict, sign_in: SignIn) -> bool:
    token = _cookie(scope, sign_in.cookie_name)
    return bool(token and sign_in.token_sha256 and hmac.compare_digest(_digest(token), sign_in.token_sha256))


def _normal_origin(value: str) -> str | None:
    """`scheme://host[:port]`, lower case, default ports dropped; None if not an origin."""
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        return None
    if parts.username or parts.password or parts.query or parts.fragment:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in (None, default) else "")


def listed_origins() -> set[str]:
    """The origins configured in `server.corsAllowedOrigins`, normalised."""
    from streamlit import config

    listed = config.get_option("server.corsAllowedOrigins") or []
    return {o for o in (_normal_origin(v) for v in listed) if o is not None}


def origin_accepted(origin: str | None, host: str | None) -> bool:
    """A WebSocket's Origin is accepted if it is the app's own (host and port
    those of the Host header, which Streamlit checks against
    `server.allowedHosts`) or listed in `server.corsAllowedOrigins`. Nothing
    else: no other localhost port, no missing Origin, no "null"."""
    if not origin:
        return False
    normal = _normal_origin(origin)
    if normal is None:
        return False
    if host and urlsplit(origin.strip()).netloc.lower() == host.strip().lower():
        return True
    return normal in listed_origins()


class Gate:
    """ASGI middleware in front of Streamlit's routes (see the module's doc)."""

    def __init__(self, app: Callable) -> None:
        from starlette.routing import Route

        self.app = app
        self._upload_route = Route(UPLOAD_ROUTE, endpoint=_never_called, methods=sorted(UPLOAD_METHODS))
        _state().gate_installed = True

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        kind = scope.get("type")
        if kind == "websocket":
            await self._websocket(scope, receive, send)
        elif kind == "http" and scope.get("method", "GET").upper() not in SAFE_METHODS:
            await self._change(scope, receive, send)
        elif kind == "http" and not await _media_allowed(scope):
            from starlette.responses import Response

            log.warning("refused %s: a download asked for without its session's sign-in cookie", scope.get("path"))
            await Response(status_code=404)(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _websocket(self, scope: dict, receive: Callable, send: Callable) -> None:
        origin, host = _header(scope, b"origin"), _header(scope, b"host")
        if not origin_accepted(origin, host):
            log.warning("refused a WebSocket from origin %r (host %r)", origin, host)
            await _refuse_websocket(receive, send)
            return
        await self.app(_without_foreign_resume(scope), receive, send)

    async def _change(self, scope: dict, receive: Callable, send: Callable) -> None:
        from starlette.concurrency import run_in_threadpool
        from starlette.responses import PlainTextResponse
        from starlette.routing import Match

        method = scope["method"].upper()
        match, child = self._upload_route.matches(scope)
        sign_in = None
        if method in UPLOAD_METHODS and match is Match.FULL:
            sign_in = _sign_in_of(child["path_params"]["session_id"])
        allowed = False
        if sign_in is not None and _carries_cookie_of(scope, sign_in):
            try:
                allowed = bool(await run_in_threadpool(sign_in.may_upload))
            except Exception:
                log.exception("could not check an upload's sign-in; refused")
        if not allowed:
            log.warning("refused %s %s: not a signed-in administrator's upload", method, scope.get("path"))
            response = PlainTextResponse(
                "Refused: uploads are accepted only from a signed-in administrator's own browser.", status_code=403
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


async def _media_allowed(scope: dict) -> bool:
    """`media_request_allowed`, off the event loop when it may read the database."""
    if MEDIA_PREFIX not in scope.get("path", ""):
        return True
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(media_request_allowed, scope)


async def _never_called(request: Any) -> None:  # pragma: no cover - only used to match paths
    raise AssertionError("the gate's route is never served")


async def _refuse_websocket(receive: Callable, send: Callable) -> None:
    """Refuse the handshake (the server answers HTTP 403)."""
    message = await receive()
    if message.get("type") == "websocket.connect":
        await send({"type": "websocket.close", "code": 1008})


def _without_foreign_resume(scope: dict) -> dict:
    """Drop the session id a handshake offers to resume when that session is
    signed in and the handshake does not carry its sign-in cookie: Streamlit
    then starts a new session for it, and the signed-in one stays with its
    browser, undisturbed."""
    raw = _header(scope, b"sec-websocket-protocol")
    if not raw:
        return scope
    entries = [e.strip() for e in raw.split(",")]
    if len(entries) < 3 or not entries[2]:
        return scope
    sign_in = _sign_in_of(entries[2])
    if sign_in is None or _carries_cookie_of(scope, sign_in):
        return scope
    log.warning("a WebSocket without its sign-in cookie offered a signed-in session's id; given a new session")
    kept = ", ".join(entries[:2])
    headers = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"sec-websocket-protocol"]
    headers.append((b"sec-websocket-protocol", kept.encode("latin-1")))
    new_scope = dict(scope)
    new_scope["headers"] = headers
    if "subprotocols" in scope:
        new_scope["subprotocols"] = [e for e in entries[:2] if e]
    return new_scope


def middleware() -> list:
    """The middleware for `st.App` (serve.py); also switches the lookups and
    the older `pages/` mode off, before the server takes its first session."""
    from starlette.middleware import Middleware

    install_no_lookups()
    no_pages_directory_mode()
    return [Middleware(Gate)]
