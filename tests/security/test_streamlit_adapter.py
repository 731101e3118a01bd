"""What ui.streamlit_adapter relies on in Streamlit, pinned: if an upgrade
changes any of it, these fail before anything else does. (The gate's effect on
a real server is in tests/browser/test_security_server.py and
test_security_session.py.)"""

from __future__ import annotations

import inspect
import socket

import pytest
import streamlit as st
from starlette.datastructures import Headers
from streamlit import net_util
from streamlit.runtime import Runtime
from streamlit.runtime.pages_manager import PagesManager
from streamlit.web.server import server, server_util
from streamlit.web.server.starlette import starlette_websocket

from tests.conftest import ROOT
from ui import streamlit_adapter as adapter


def test_the_handshake_offers_the_session_to_resume_third_in_the_subprotocol_header():
    headers = Headers({"sec-websocket-protocol": "streamlit, xsrf-token, 1234-session"})
    assert starlette_websocket._parse_subprotocols(headers) == ("streamlit", "xsrf-token", "1234-session")
    src = inspect.getsource(starlette_websocket.create_websocket_handler)
    assert "existing_session_id=existing_session_id" in src


def test_the_upload_route_is_the_one_the_gate_matches():
    from starlette.routing import Match

    assert server.UPLOAD_FILE_ENDPOINT + "/{session_id}/{file_id}" == adapter.UPLOAD_ROUTE
    src = inspect.getsource(__import__("streamlit.web.server.starlette.starlette_routes", fromlist=["x"]))
    assert '"/{session_id}/{file_id}"' in src or "{session_id}/{file_id}" in src
    gate = adapter.Gate(app=None)
    scope = {"type": "http", "method": "PUT", "path": "/_stcore/upload_file/abc-1/f9", "root_path": "", "headers": []}
    match, child = gate._upload_route.matches(scope)
    assert match is Match.FULL and child["path_params"] == {"session_id": "abc-1", "file_id": "f9"}


def test_a_runs_client_is_found_through_the_runtime_and_is_the_starlette_client():
    assert "session_id" in inspect.signature(Runtime.get_client).parameters
    assert hasattr(starlette_websocket.StarletteSessionClient, "client_context")
    # One client object per WebSocket: the handler makes it after the handshake.
    src = inspect.getsource(starlette_websocket.create_websocket_handler)
    assert "client = StarletteSessionClient(websocket)" in src


def test_st_app_takes_middleware_and_runs_it_before_its_own():
    assert "middleware" in inspect.signature(st.App).parameters
    assert "User middleware runs before" in inspect.getdoc(st.App)


def test_streamlits_origin_check_looks_up_addresses_through_net_util_and_the_adapter_stops_it(monkeypatch):
    """Unpatched, an unknown origin makes Streamlit open a socket towards
    8.8.8.8 and request checkip.amazonaws.com; after `install_no_lookups`
    it answers without touching the network."""
    attempts: list[object] = []

    def no_connect(self, address):
        attempts.append(address)
        raise OSError("no network in this test")

    monkeypatch.setattr(socket.socket, "connect", no_connect)
    import requests

    monkeypatch.setattr(requests, "get", lambda url, **kw: attempts.append(url) or (_ for _ in ()).throw(OSError()))
    monkeypatch.setattr(net_util, "_internal_ip", None)
    monkeypatch.setattr(net_util, "_external_ip", None)
    monkeypatch.setattr(net_util, "get_internal_ip", net_util.get_internal_ip)
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)

    assert server_util.is_url_from_allowed_origins("https://evil.example") is False
    assert ("8.8.8.8", 1) in attempts and any("checkip" in str(a) for a in attempts)  # what Streamlit does

    attempts.clear()
    adapter.install_no_lookups()
    assert server_util.is_url_from_allowed_origins("https://evil.example") is False
    assert net_util.get_internal_ip() is None and net_util.get_external_ip() is None
    assert attempts == []
    # ...and Streamlit still accepts any localhost port by itself: the gate must refuse those first.
    assert server_util.is_url_from_allowed_origins("http://localhost:9999") is True


def test_the_pages_mode_is_decided_from_the_main_scripts_folder_only_while_unset(tmp_path, monkeypatch):
    (tmp_path / "pages").mkdir()
    main = tmp_path / "main.py"
    main.write_text("")
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    PagesManager(str(main))
    assert PagesManager.uses_pages_directory is True  # what a fresh server does with pages/ beside app.py
    assert adapter.pages_directory_mode()
    adapter.no_pages_directory_mode()
    PagesManager(str(main))  # a later session's manager
    assert PagesManager.uses_pages_directory is False
    assert not adapter.pages_directory_mode()


def test_every_session_and_run_reads_that_one_process_wide_flag():
    from streamlit.commands import navigation
    from streamlit.runtime import app_session
    from streamlit.runtime.scriptrunner import script_runner

    assert "PagesManager(" in inspect.getsource(app_session.AppSession.__init__)  # one manager per session
    assert script_runner.PagesManager is PagesManager and app_session.PagesManager is PagesManager
    runner = inspect.getsource(script_runner.ScriptRunner)
    assert "if PagesManager.uses_pages_directory:" in runner and "_mpa_v1(self._main_script_path)" in runner
    # st.navigation itself switches the older mode off the same way (but only once a run reaches it).
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)


def test_serve_switches_the_pages_mode_off_before_the_first_session(monkeypatch):
    monkeypatch.setattr(PagesManager, "uses_pages_directory", None)
    monkeypatch.setattr(net_util, "get_internal_ip", net_util.get_internal_ip)  # put back after the test
    monkeypatch.setattr(net_util, "get_external_ip", net_util.get_external_ip)
    assert 'st.App("app.py", middleware=middleware())' in (ROOT / "serve.py").read_text()
    adapter.middleware()
    assert (ROOT / "pages").is_dir()
    PagesManager(str(ROOT / "app.py"))  # the first session's manager, with pages/ beside app.py
    assert PagesManager.uses_pages_directory is False


@pytest.mark.parametrize(
    ("origin", "host", "accepted"),
    [
        ("http://127.0.0.1:8501", "127.0.0.1:8501", True),
        ("https://evidence.example.org", "evidence.example.org", True),
        ("HTTPS://Evidence.Example.org", "evidence.example.org", True),
        ("https://evidence.example.org", "127.0.0.1:8501", True),  # listed
        ("https://evidence.example.org:443", "127.0.0.1:8501", True),  # listed, default port
        ("http://evidence.example.org", "127.0.0.1:8501", False),  # listed for https only
        ("https://evidence.example.org:8443", "127.0.0.1:8501", False),
        ("http://localhost:9999", "127.0.0.1:8501", False),
        ("http://127.0.0.1:1234", "127.0.0.1:8501", False),
        ("http://localhost:8501", "127.0.0.1:8501", False),
        ("https://evil.example", "127.0.0.1:8501", False),
        ("https://evidence.example.org.evil.example", "127.0.0.1:8501", False),
        ("null", "127.0.0.1:8501", False),
        ("", "127.0.0.1:8501", False),
        (None, "127.0.0.1:8501", False),
        ("file://", "127.0.0.1:8501", False),
    ],
)
def test_only_the_apps_own_origin_and_listed_origins_are_accepted(monkeypatch, origin, host, accepted):
    from streamlit import config

    real_get_option = config.get_option

    def get_option(key):
        if key == "server.corsAllowedOrigins":
            return ["https://evidence.example.org"]
        return real_get_option(key)

    monkeypatch.setattr(config, "get_option", get_option)
    assert adapter.origin_accepted(origin, host) is accepted


def _page_hash_in_a_run() -> None:
    import streamlit as st

    st.session_state["hash"] = st.Page(lambda: None, title="Users", url_path="users")._script_hash


def test_a_pages_hash_is_the_hash_of_its_url_path():
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_page_hash_in_a_run)
    at.run()
    assert not at.exception
    assert at.session_state["hash"] == adapter.page_hash("users") != adapter.page_hash("audit_log")


def test_only_a_url_name_matching_no_page_is_not_found_and_forgetting_it_falls_back_to_the_default():
    # What `requested_page` reads and `forget_requested_page` clears, and why
    # clearing it spares the visitor Streamlit's "Page not found" box.
    front, users = adapter.page_hash("sign-in"), adapter.page_hash("users")
    pages = {
        front: {"page_script_hash": front, "page_name": "Sign in", "url_pathname": ""},
        users: {"page_script_hash": users, "page_name": "Sign in", "url_pathname": "users"},
    }
    manager = PagesManager(str(ROOT / "app.py"))
    manager.set_script_intent("", "users")
    assert (manager.intended_page_script_hash, manager.intended_page_name) == ("", "users")
    assert manager.set_pages_and_resolve(pages, fallback_page_hash=front)["page_script_hash"] == users
    manager.set_script_intent("", "no-such-page")
    assert manager.set_pages_and_resolve(pages, fallback_page_hash=front) is None  # "Page not found"
    manager.set_script_intent("", "")
    assert manager.set_pages_and_resolve(pages, fallback_page_hash=front)["page_script_hash"] == front
    manager.set_script_intent(users, "")  # a rerun of an open page names it by its hash
    assert manager.set_pages_and_resolve(pages, fallback_page_hash=front)["page_script_hash"] == users


def test_media_files_are_served_under_the_prefix_the_gate_checks_and_found_by_name_without_extension():
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    from streamlit.web.server.server import MEDIA_ENDPOINT

    from ui import streamlit_adapter as adapter

    assert MEDIA_ENDPOINT + "/" == adapter.MEDIA_PREFIX
    storage = MemoryMediaFileStorage(MEDIA_ENDPOINT)
    file_id = storage.load_and_get_id(b"a,b\n", "text/csv", "downloadable", "scores.csv")
    url = storage.get_url(file_id)
    assert url.startswith(adapter.MEDIA_PREFIX) and url.rsplit("/", 1)[1].split(".")[0] == file_id
    assert storage.get_file(f"{file_id}.csv").content == b"a,b\n"
    assert file_id == adapter.media_file_id(b"a,b\n", "text/csv", "scores.csv")
