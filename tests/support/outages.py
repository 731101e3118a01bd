"""Making a test database read-only or unreachable while an app is using it.

    with read_only(db_url) as url:     # run the app on `url` meanwhile
        ...
    proxy = TcpProxy(target_port)      # PostgreSQL through a socket we can cut
    url = proxy.url(db_url); proxy.cut(); proxy.restore()

Read-only: on SQLite the app is pointed at the same file opened read-only
(`mode=ro`; the tests run as root, whom file permissions do not stop); on
PostgreSQL the database itself is switched to read-only transactions
(`default_transaction_read_only`) and its existing connections are ended, as a
fail-over to a standby would do, so the app's pool reconnects read-only.
Unreachable: a TCP proxy between the app and PostgreSQL is closed, dropping
every open connection and refusing new ones, as a stopped server would.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url


def _pg_switch(db_url: str, *, read_only: bool) -> None:
    """Switch the database's new transactions to read-only (or back), then end
    its open connections so that the app reconnects under the new setting."""
    url = make_url(db_url)
    dsn = f"host={url.host} port={url.port} user={url.username} dbname=postgres"
    name = sql.Identifier(url.database)
    with psycopg.connect(dsn, autocommit=True) as conn:
        if read_only:
            conn.execute(sql.SQL("ALTER DATABASE {} SET default_transaction_read_only = on").format(name))
        else:
            conn.execute(sql.SQL("ALTER DATABASE {} RESET default_transaction_read_only").format(name))
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        )


def read_only_url(db_url: str) -> str:
    """SQLite: the same file, opened read-only."""
    path = make_url(db_url).database
    return f"sqlite:///file:{path}?mode=ro&uri=true"


@contextlib.contextmanager
def read_only(db_url: str) -> Iterator[str]:
    """The database read-only inside the block; yields the URL the app should use."""
    url = make_url(db_url)
    if url.get_backend_name() == "sqlite":
        yield read_only_url(db_url)
        return
    _pg_switch(db_url, read_only=True)
    try:
        yield db_url
    finally:
        _pg_switch(db_url, read_only=False)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to 127.0.0.1:<target>; `cut` closes the port
    and every connection through it, `restore` opens the same port again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = self._listen(0)

    def url(self, db_url: str) -> str:
        return make_url(db_url).set(port=self.port).render_as_string(hide_password=False)

    def _listen(self, port: int) -> int:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return listener.getsockname()[1]

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by cut()
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        with self._lock:
            if self._listener is not None:
                with contextlib.suppress(OSError):
                    self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
                self._listener.close()
                self._listener = None
            for s in self._sockets:
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()
            self._sockets.clear()

    def restore(self) -> None:
        self._listen(self.port)

    def close(self) -> None:
        self.cut()
