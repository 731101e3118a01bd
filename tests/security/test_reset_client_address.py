"""The address a password reset is counted under (docs/security.md, One-time links).

`ui.one_time_links` passes `st.context.ip_address`: the WebSocket's client address as
Streamlit's server (uvicorn) saw it. uvicorn's proxy-headers middleware replaces the TCP
peer with an `X-Forwarded-For` entry only when the peer is trusted (FORWARDED_ALLOW_IPS,
by default this machine alone), and then takes the rightmost entry that is not trusted:
the address the proxy itself appended. The first two tests pin that against the installed
libraries (an upgrade that changes it fails here); the last one is ours: an IPv6 client
counts by its /64 network, so a client cannot escape the count by changing addresses in it.
"""

from __future__ import annotations

import uvicorn
from streamlit.web.server.starlette.starlette_server import _get_uvicorn_config_kwargs
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from data_access import tokens
from tests.data_access.test_tokens import outbox_rows, reset, settings_for
from tests.factories import make_user
from tests.support.aio import run_alone


def test_streamlits_server_trusts_forwarded_headers_from_this_machine_only(monkeypatch):
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    kwargs = _get_uvicorn_config_kwargs()
    assert "proxy_headers" not in kwargs and "forwarded_allow_ips" not in kwargs  # uvicorn's defaults hold
    config = uvicorn.Config(lambda scope, receive, send: None, **kwargs)
    assert config.proxy_headers is True
    assert config.forwarded_allow_ips == "127.0.0.1,::1"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "192.0.2.10")  # docs/deploy.md: a proxy on another machine
    assert uvicorn.Config(lambda scope, receive, send: None, **kwargs).forwarded_allow_ips == "192.0.2.10"


def _client_seen(peer: str, forwarded_for: str | None, trusted: str = "127.0.0.1,::1") -> str:
    seen: dict[str, str] = {}

    async def app(scope, receive, send):
        seen["client"] = scope["client"][0]

    headers = [(b"x-forwarded-for", forwarded_for.encode())] if forwarded_for is not None else []
    scope = {"type": "websocket", "client": (peer, 50000), "headers": headers, "scheme": "ws"}
    run_alone(ProxyHeadersMiddleware(app, trusted_hosts=trusted)(scope, None, None))
    return seen["client"]


def test_a_forwarded_for_header_sent_by_the_client_does_not_change_its_address():
    # Straight to the server from elsewhere: the header is ignored.
    assert _client_seen("198.51.100.7", "10.9.8.7") == "198.51.100.7"
    # Through nginx on this machine ($proxy_add_x_forwarded_for appends the real peer): the
    # client's own "6.6.6.6" is to the left of what nginx wrote, and is not what counts.
    assert _client_seen("127.0.0.1", "6.6.6.6, 203.0.113.9") == "203.0.113.9"
    assert _client_seen("127.0.0.1", "203.0.113.9") == "203.0.113.9"
    # A proxy on another machine, named in FORWARDED_ALLOW_IPS.
    assert _client_seen("192.0.2.10", "6.6.6.6, 203.0.113.9", trusted="192.0.2.10") == "203.0.113.9"


def test_the_client_key_counts_an_ipv6_client_by_its_network():
    assert tokens.client_key("2001:db8:1:2::1") == tokens.client_key("2001:db8:1:2:ffff:1:2:3") == "2001:db8:1:2::/64"
    assert tokens.client_key("2001:db8:1:3::1") != tokens.client_key("2001:db8:1:2::1")
    assert tokens.client_key("::ffff:203.0.113.9") == tokens.client_key("203.0.113.9") == "203.0.113.9"
    assert tokens.client_key(None) == tokens.client_key("") == "unknown"


def test_changing_addresses_within_one_ipv6_network_does_not_escape_the_reset_count(db, call_config):
    settings = settings_for()
    with db.write() as s:
        make_user(s, username="target", email="target@example.org")
    for n in range(tokens.RESET_MAX_CLIENT_REQUESTS):  # probes of accounts that do not exist, one address each
        reset(db, f"nobody{n}", settings, call_config, client=f"2001:db8:1:2::{n + 1:x}")
    reset(db, "target", settings, call_config, client="2001:db8:1:2::ffff")  # a new address, the same network
    assert outbox_rows(db) == []
    reset(db, "target", settings, call_config, client="2001:db8:9:9::1")  # another network counts on its own
    assert [m.recipient_email for m in outbox_rows(db)] == ["target@example.org"]
