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
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from .admin import handle_admin
from .errors import ApiError
from .oauth import AUTHORIZED_PATH, authorize, grant
from .params import parse_body, parse_query
from .reqlog import LogEntry
from .rest import handle_rest

if TYPE_CHECKING:
    from .portal import Sandbox

JSON_TYPE = "application/json; charset=utf-8"
MAX_HEADERS = 100
MAX_LINE = 65536


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

    def process_request(self, request: socket.socket, client_address: object) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket) -> None:
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
    fields: dict[str, str]
    """The request's header fields by lower-case name."""

    def parse_request(self) -> bool:
        """Read the request line and headers; a lean stand-in for the stdlib's version.

        The stdlib parses headers with the email package, which took half the time
        of a call; JSON-over-HTTP/1.x needs only names, values and three rules.
        """
        self.command = None
        self.close_connection = True
        self.requestline = str(self.raw_requestline, "latin-1").rstrip("\r\n")
        words = self.requestline.split()
        if len(words) != 3 or words[2] not in ("HTTP/1.0", "HTTP/1.1"):
            self.send_error(HTTPStatus.BAD_REQUEST, f"Bad request line {self.requestline!r}")
            return False
        self.command, self.path, self.request_version = words
        self.fields = {}
        for _ in range(MAX_HEADERS + 1):
            line = self.rfile.readline(MAX_LINE + 1)
            if line in (b"\r\n", b"\n", b""):
                break
            if len(line) > MAX_LINE:
                self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Header line too long")
                return False
            name, _, value = str(line, "latin-1").partition(":")
            self.fields[name.strip().lower()] = value.strip()
        else:
            self.send_error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "Too many headers")
            return False
        connection = self.fields.get("connection", "").lower()
        self.close_connection = connection == "close" or (
            self.request_version == "HTTP/1.0" and connection != "keep-alive"
        )
        if self.fields.get("expect", "").lower() == "100-continue":
            return self.handle_expect_100()
        return True

    def do_GET(self) -> None:
        started = time.perf_counter()
        split = urlsplit(self.path)
        length = self.fields.get("content-length", "0")
        if "transfer-encoding" in self.fields or not length.isdigit():
            # Without a usable length the body's end is unknown: the connection is lost.
            self.send_error(HTTPStatus.LENGTH_REQUIRED, "Send the body with a Content-Length")
            return
        body = self.rfile.read(int(length)) if length != "0" else b""
        content_type = self.fields.get("content-type", "")
        if split.path == "/rest" or split.path.startswith("/rest/"):
            self._rest(started, split.path, split.query, body, content_type)
        elif split.path.rstrip("/") == "/oauth/token":
            self._oauth(started, split.query, body, content_type)
        elif split.path.rstrip("/") == "/oauth/authorize":
            self._authorize(started, split.query)
        elif split.path == AUTHORIZED_PATH:
            self._send(200, _AUTHORIZED | dict(parse_query(split.query)))
        elif split.path.startswith("/_sandbox/"):
            status, reply = handle_admin(self.server.sandbox, self.command, split.path, body)
            self._send(status, reply)
        else:
            self._send(404, {"error": "NOT_FOUND", "error_description": f"No page {split.path}"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _rest(self, started: float, path: str, query: str, body: bytes, ctype: str) -> None:
        sb = self.server.sandbox
        outcome = handle_rest(sb, self.fields.get("host", ""), path, query, body, ctype)
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
                outcome.commands,
            )
        )
        if dropped:
            self._drop()
        else:
            assert outcome.status is not None
            headers = {"Location": outcome.location} if outcome.location else {}
            if outcome.page is not None:
                self._write(outcome.status, outcome.page, "text/html", headers)
            else:
                self._send(outcome.status, outcome.body, headers)

    def _oauth(self, started: float, query: str, body: bytes, ctype: str) -> None:
        sb = self.server.sandbox
        params: dict[str, object] = {}
        try:
            params = parse_query(query) | parse_body(body, ctype)
            now = time.time()
            status, error = 200, None
            reply = grant(sb.store, params, sb.settings, sb.endpoints(), now)
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

    def _authorize(self, started: float, query: str) -> None:
        """A portal's consent page, consented at once: 302 to the address with the code."""
        sb = self.server.sandbox
        params = parse_query(query)
        try:
            location = authorize(sb.store, params, sb.endpoints(), time.time())
            status, reply, headers, error = 302, None, {"Location": location}, None
        except ApiError as err:
            status, reply, headers, error = err.status, err.body(), {}, err.code
        client_id = params.get("client_id")
        app = client_id if isinstance(client_id, str) else None
        sb.log.add(LogEntry("oauth/authorize", app, status, _ms_since(started), None, error))
        self._send(status, reply, headers)

    def _send(
        self, status: int, body: object | None, headers: dict[str, str] | None = None
    ) -> None:
        data = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
        self._write(status, data, JSON_TYPE, headers)

    def _write(
        self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        # Head and body in one write: two small writes cost a second syscall per reply.
        self.log_request(status)
        head = [
            f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
            f"Content-Type: {content_type}",
            f"Content-Length: {len(data)}",
            *(f"{name}: {value}" for name, value in (headers or {}).items()),
        ]
        if self.close_connection:
            head.append("Connection: close")
        try:
            self.wfile.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + data)
        except ConnectionError:
            self.close_connection = True  # the client stopped waiting (a slow fault, a timeout)

    def _drop(self) -> None:
        """Close the connection without a byte of reply, as a dying proxy would."""
        self.close_connection = True
        with contextlib.suppress(OSError):  # already gone
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, format: str, *args: object) -> None:
        if self.server.sandbox.access_log:
            sys.stderr.write(f"{self.address_string()} {format % args}\n")


_AUTHORIZED = {
    "message": "Authorised. Copy the code from this address (or the whole address) and trade"
    " it for a token pair within 30 seconds; it works once."
}


def _ms_since(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 3)
