"""bench/stream_wire.py: the handshake, the rerun message and the sign-in token that the benchmarks'
protocol client and the tests' raw client share, and the benches' freedom from the tests' settings."""

from __future__ import annotations

import ast
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg

from bench import protocol_client, stream_wire
from config import load_settings
from data_access import auth as auth_da
from data_access.models import utcnow
from tests.browser import test_security_access
from tests.factories import make_user
from tests.support import stream_client
from ui import authenticator_adapter

BENCH = Path(__file__).resolve().parents[2] / "bench"


class _Socket:
    """Records what is sent; nothing ever comes back."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def send(self, data: bytes) -> None:
        self.sent.append(data)

    def recv(self, timeout: float | None = None):
        raise TimeoutError


def test_the_tests_and_the_bench_speak_through_one_module():
    assert stream_client.open_stream is stream_wire.open_stream is protocol_client.open_stream
    assert stream_client.Refused is stream_wire.Refused
    assert protocol_client.rerun_message is stream_wire.rerun_message
    assert test_security_access.issued_token is stream_wire.issued_token
    assert test_security_access.COOKIE == protocol_client.COOKIE == stream_wire.COOKIE == load_settings().cookie_name


def test_the_tests_raw_client_sends_the_shared_rerun_message():
    ws = _Socket()
    run = stream_client.run_page(
        ws, "my_reviews", timeout=0.1, clicks=["$$ID-b"], query_string="submission=CFE-00001", texts={"$$ID-a": "x"}
    )
    assert run.messages == []
    assert ws.sent == [
        stream_wire.rerun_message("my_reviews", "submission=CFE-00001", strings={"$$ID-a": "x"}, clicks=("$$ID-b",))
    ]
    sent = BackMsg()
    sent.ParseFromString(ws.sent[0])
    states = {w.id: w for w in sent.rerun_script.widget_states.widgets}
    assert states["$$ID-a"].string_value == "x" and states["$$ID-b"].trigger_value is True


def test_an_issued_token_is_signed_with_the_key_set_and_recorded_for_its_user(db):
    with db.write() as s:
        user_id = make_user(s, username="token-holder", role="reviewer").user_id
    token = stream_wire.issued_token(db.url, "token-holder")
    settings = load_settings()
    assert authenticator_adapter.token_is_current(token, settings.cookie_key, utcnow())
    assert not authenticator_adapter.token_is_current(token, settings.cookie_key + "x", utcnow())
    with db.read() as s:
        _, check = auth_da.check_token(s, token=token)
    assert check.viewer is not None and (check.viewer.user_id, check.viewer.role) == (user_id, "reviewer")
    assert stream_wire.issued_token(db.url, "token-holder") != token  # every sign-in its own token


def test_no_bench_script_imports_the_tests_configuration():
    """tests/conftest.py sets its own EVIDENCE_COOKIE_KEY when imported (and tests/browser's modules
    import it): a bench importing them, even inside a function, would sign its tokens with another key
    than its server's."""
    offenders = []
    for script in sorted(BENCH.glob("*.py")):
        for node in ast.walk(ast.parse(script.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            for name in names:
                if name in ("tests.conftest", "tests.browser") or name.startswith(
                    ("tests.conftest.", "tests.browser.")
                ):
                    offenders.append(f"{script.name}: {name}")
    assert offenders == []
