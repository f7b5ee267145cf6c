"""HTTP transport: keep-alive HTTP/1.1 on loopback, routing to /rest, /oauth, /_sandbox.

Only bytes and sockets live here; what to answer comes from rest.py, oauth.py and
admin.py. Dropping a connection is done here because only here is the socket.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .admin import handle_admin
from .errors import ApiError
from .oauth import grant
from .params import parse_body, parse_query
from .reqlog import LogEntry
from .rest import handle_rest

if TYPE_CHECKING:
    from .portal import Sandbox

JSON_TYPE = "application/json; charset=utf-8"


class SandboxHTTPServer(ThreadingHTTPServer):
    """A thread per connection, and a record of open connections so stop() can end them."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: socket.socket, client_address: object) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:  # type: ignore[override]
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def close_all(self) -> None:
        """Close the listening socket and every keep-alive connection still open."""
        self.server_close()
        with self._open_lock:
            for request in self._open:
                with contextlib.suppress(OSError):  # the client closed it already
                    request.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: SandboxHTTPServer

    def do_GET(self) -> None:
        started = time.perf_counter()
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        content_type = self.headers.get("Content-Type", "")
        if split.path == "/rest" or split.path.startswith("/rest/"):
            self._rest(started, split.path, split.query, body, content_type)
        elif split.path.rstrip("/") == "/oauth/token":
            self._oauth(started, split.query, body, content_type)
        elif split.path.startswith("/_sandbox/"):
            status, reply = handle_admin(self.server.sandbox, self.command, split.path, body)
            self._send(status, reply)
        else:
            self._send(404, {"error": "NOT_FOUND", "error_description": f"No page {split.path}"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _rest(self, started: float, path: str, query: str, body: bytes, ctype: str) -> None:
        sb = self.server.sandbox
        outcome = handle_rest(sb, self.headers.get("Host", ""), path, query, body, ctype)
        dropped = outcome.status is None or outcome.drop_after
        if outcome.delay:
            time.sleep(outcome.delay)
        # Logged before replying, so a client that reads the log next sees this call.
        sb.log.add(
            LogEntry(
                outcome.method,
                outcome.app,
                None if dropped else outcome.status,
                _ms_since(started),
                outcome.fault,
                outcome.error,
            )
        )
        if dropped:
            self._drop()
        else:
            assert outcome.status is not None
            headers = {"Location": outcome.location} if outcome.location else {}
            self._send(outcome.status, outcome.body, headers)

    def _oauth(self, started: float, query: str, body: bytes, ctype: str) -> None:
        sb = self.server.sandbox
        params: dict[str, object] = {}
        try:
            params = parse_query(query) | parse_body(body, ctype)
            now = time.time()
            status, error = 200, None
            reply = grant(sb.store, params, sb.settings.token_lifetime, sb.endpoints(), now)
        except ApiError as err:
            status, reply, error = err.status, err.body(), err.code
        client_id = params.get("client_id")
        sb.log.add(
            LogEntry(
                "oauth/token",
                client_id if isinstance(client_id, str) else None,
                status,
                _ms_since(started),
                None,
                error,
            )
        )
        self._send(status, reply)

    def _send(
        self, status: int, body: object | None, headers: dict[str, str] | None = None
    ) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", JSON_TYPE)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _drop(self) -> None:
        """Close the connection without a byte of reply, as a dying proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # already gone
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.sandbox.access_log:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
