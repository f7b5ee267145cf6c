"""The HTTP layer: keep-alive, framing refusals and paths outside the portal."""

from __future__ import annotations

import http.client
import json
from urllib.parse import urlsplit

from sandbox import Sandbox

from .conftest import Portal


def connect(sb: Sandbox) -> http.client.HTTPConnection:
    split = urlsplit(sb.url)
    return http.client.HTTPConnection(split.hostname or "", split.port, timeout=5)


def test_one_connection_carries_many_calls(portal: Portal) -> None:
    connection = connect(portal.sb)
    body = json.dumps({"auth": portal.tokens["access_token"]})
    for _ in range(3):
        connection.request("POST", "/rest/scope", body, {"Content-Type": "application/json"})
        reply = connection.getresponse()
        assert (reply.status, json.loads(reply.read())["result"]) == (200, ["telephony"])
        assert reply.getheader("Connection") is None
    sock = connection.sock
    connection.request("POST", "/rest/scope", body, {"Content-Type": "application/json"})
    connection.getresponse().read()
    assert connection.sock is sock
    connection.close()


def test_connection_close_is_honoured(sandbox: Sandbox) -> None:
    connection = connect(sandbox)
    connection.request("GET", "/_sandbox/settings", headers={"Connection": "close"})
    reply = connection.getresponse()
    assert reply.getheader("Connection") == "close"
    reply.read()
    connection.close()


def test_a_body_without_length_is_refused(sandbox: Sandbox) -> None:
    connection = connect(sandbox)
    connection.request(
        "POST", "/rest/scope", body=iter([b"{}"]), headers={"Transfer-Encoding": "chunked"}
    )
    assert connection.getresponse().status == 411
    connection.close()


def test_paths_outside_the_portal_are_404(portal: Portal) -> None:
    reply = portal.http.get(portal.sb.url + "/index.php")
    assert reply.status_code == 404 and reply.json()["error"] == "NOT_FOUND"
