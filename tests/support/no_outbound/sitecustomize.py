"""Loaded by Python at start when this folder is on PYTHONPATH (see
tests/browser/test_security_server.py): every attempt to reach an address
outside the loopback range, or to resolve a name other than localhost, is
written to the file named by NO_OUTBOUND_LOG and fails. The app's server runs
under it to show that it never reaches out by itself."""

import ipaddress
import os
import socket
import traceback

_LOG = os.environ.get("NO_OUTBOUND_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _is_local(host) -> bool:
    if host is None:
        return True
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    host = str(host).strip("[]")
    if host.lower() in _LOCAL_NAMES or host == "":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as log:
            log.write(f"{what}\n{''.join(traceback.format_stack(limit=12))}\n---\n")
    raise OSError(f"outbound connection refused by the test: {what}")


def _address_host(address):
    if isinstance(address, tuple) and address:
        return address[0]
    return None  # a unix socket path


_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_sendto = socket.socket.sendto
_getaddrinfo = socket.getaddrinfo


class _GuardedSocket(socket.socket):
    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_address_host(address)):
            _refuse(f"connect {address!r}")
        return _connect(self, address)

    def connect_ex(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_address_host(address)):
            _refuse(f"connect_ex {address!r}")
        return _connect_ex(self, address)

    def sendto(self, *args):
        address = args[-1]
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(_address_host(address)):
            _refuse(f"sendto {address!r}")
        return _sendto(self, *args)


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        _refuse(f"getaddrinfo {host!r}")
    return _getaddrinfo(host, *args, **kwargs)


if _LOG:
    socket.socket = _GuardedSocket
    socket.getaddrinfo = _guarded_getaddrinfo
