"""A real SMTP server on this machine for the tests (aiosmtpd), and ways to make it fail.

    server = SmtpServer.start()            # listening on 127.0.0.1, a free port
    server.messages                        # what arrived: parsed email.message.EmailMessage objects
    server.envelopes                       # (MAIL FROM, [RCPT TO...]) of each
    server.refuse("451 4.3.0 Try again later")   # answer every message with this (None: accept again)
    server.stop(); server.restart()        # down (connections refused), then up again on the same port
    server.close()
    server.environ(mail_from)              # the app's EVIDENCE_SMTP_* settings for it (plain, no login)

The `smtp_server` fixture (registered in tests/conftest.py) gives a started
server and stops it after the test.
`SmtpServer.start(tls_context=..., require_starttls=True)` offers STARTTLS and
refuses mail before it. `self_signed_certificate(folder)` makes a certificate
and key for 127.0.0.1 with the openssl command.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


class _Handler:
    """aiosmtpd's handler: keeps each message that arrives, or answers with a refusal."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[EmailMessage] = []
        self.raw: list[bytes] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refusal: str | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        with self.lock:
            if self.refusal is not None:
                return self.refusal
            content = envelope.original_content or envelope.content
            self.raw.append(bytes(content))
            self.messages.append(cast(EmailMessage, message_from_bytes(content, policy=policy.default)))
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int, **smtp_options: Any) -> None:
        self.port = port
        self.handler = _Handler()
        self._options = smtp_options
        self._controller: Controller | None = None

    @classmethod
    def start(cls, **smtp_options: Any) -> SmtpServer:
        server = cls(free_port(), **smtp_options)
        server.restart()
        return server

    def restart(self) -> None:
        """(Re)start listening on the same port; what arrived before is kept."""
        if self._controller is not None:
            return
        controller = Controller(self.handler, hostname=HOST, port=self.port, **self._options)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        """Stop listening: new connections are refused, as by a server that is down."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    close = stop

    def refuse(self, reply: str | None) -> None:
        """Answer every message with `reply` (e.g. "451 4.3.0 Try again later"), or accept again with None."""
        with self.handler.lock:
            self.handler.refusal = reply

    def environ(self, mail_from: str) -> dict[str, str]:
        """The app's settings (environment variables) that send through this server, plain, without a login."""
        return {
            "EVIDENCE_SMTP_HOST": HOST,
            "EVIDENCE_SMTP_PORT": str(self.port),
            "EVIDENCE_SMTP_SECURITY": "none",
            "EVIDENCE_MAIL_FROM": mail_from,
        }

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler.lock:
            return list(self.handler.messages)

    @property
    def raw(self) -> list[bytes]:
        with self.handler.lock:
            return list(self.handler.raw)

    @property
    def envelopes(self) -> list[tuple[str, list[str]]]:
        with self.handler.lock:
            return list(self.handler.envelopes)


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1, valid for a day, made with openssl."""
    cert, key = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A started SMTP server on a free port (plain, no login), stopped after the test."""
    server = SmtpServer.start()
    try:
        yield server
    finally:
        server.stop()
