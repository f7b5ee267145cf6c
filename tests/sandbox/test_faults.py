"""Injected faults: each kind, reproducible by seed, applied or not as documented."""

from __future__ import annotations

import time

import pytest
import requests

from sandbox import Sandbox

from .conftest import APP, Portal, error_of

GET, ADD = "telephony.externalLine.get", "telephony.externalLine.add"


def statuses(portal: Portal, count: int) -> list[int | None]:
    result: list[int | None] = []
    for _ in range(count):
        try:
            result.append(portal.call(GET).status_code)
        except requests.ConnectionError:
            result.append(None)
    return result


def test_same_seed_same_sequence(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(error500=0.2, limit503=0.2, drop=0.2, seed=7)
    first = statuses(portal, 40)
    assert {200, 500, 503, None} == set(first)
    sandbox.set_faults(error500=0.2, limit503=0.2, drop=0.2, seed=7)
    assert statuses(portal, 40) == first
    sandbox.set_faults(error500=0.2, limit503=0.2, drop=0.2, seed=8)
    assert statuses(portal, 40) != first


def test_error500(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(error500=1.0)
    reply = portal.call(ADD, NUMBER="100")
    assert error_of(reply) == (500, "INTERNAL_SERVER_ERROR", "Internal server error")
    assert sandbox.lines(APP) == []
    assert sandbox.request_log()[-1]["fault"] == "error500"


def test_faults_limited_to_some_methods_spare_the_others(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(error500=1.0, methods=[ADD])
    assert portal.call(GET).status_code == 200
    assert error_of(portal.call(ADD, NUMBER="100"))[0] == 500
    assert [e["fault"] for e in sandbox.request_log()] == [None, "error500"]
    with pytest.raises(ValueError, match="list of REST method names"):
        sandbox.set_faults(error500=1.0, methods=ADD)


def test_limit503_regardless_of_the_bucket(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(limit503=1.0)
    assert error_of(portal.call(GET)) == (503, "QUERY_LIMIT_EXCEEDED", "Too many requests")
    entry = sandbox.request_log()[-1]
    assert (entry["status"], entry["fault"], entry["error"]) == (
        503,
        "limit503",
        "QUERY_LIMIT_EXCEEDED",
    )


def test_drop_before_applying(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(drop=1.0)
    with pytest.raises(requests.ConnectionError):
        portal.call(ADD, NUMBER="100")
    assert sandbox.lines(APP) == []
    entry = sandbox.request_log()[-1]
    assert (entry["method"], entry["status"], entry["fault"]) == (ADD, None, "drop")


def test_commit_then_drop_is_really_applied(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(commit_drop=1.0)
    with pytest.raises(requests.ConnectionError):
        portal.call(ADD, NUMBER="100", NAME="applied")
    assert [line["NAME"] for line in sandbox.lines(APP)] == ["applied"]
    sandbox.set_faults()
    assert error_of(portal.call(ADD, NUMBER="100"))[2] == "Line already exists"
    assert [e["fault"] for e in sandbox.request_log()] == ["commit_drop", None]


def test_html502_is_a_web_server_page_and_nothing_applied(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(html502=1.0)
    reply = portal.call(ADD, NUMBER="100", NAME="lost")
    assert (reply.status_code, reply.headers["Content-Type"]) == (502, "text/html")
    assert reply.text.startswith("<html>") and "502 Bad Gateway" in reply.text
    assert sandbox.lines(APP) == []
    assert [e["fault"] for e in sandbox.request_log()] == ["html502"]


def test_commit_garbled_is_applied_and_its_reply_is_not_json(
    portal: Portal, sandbox: Sandbox
) -> None:
    sandbox.set_faults(commit_garbled=1.0)
    reply = portal.call(ADD, NUMBER="100", NAME="applied")
    assert reply.status_code == 200 and reply.text.startswith('{"result"')
    with pytest.raises(requests.JSONDecodeError):
        reply.json()
    assert [line["NAME"] for line in sandbox.lines(APP)] == ["applied"]


def test_slow_reply_is_applied_then_late(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(slow=1.0, slow_seconds=0.3)
    started = time.monotonic()
    assert portal.ok(ADD, NUMBER="100") == {"ID": 1}
    assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.Timeout):
        portal.http.post(
            portal.sb.url + "/rest/" + ADD,
            timeout=0.1,
            json={"auth": portal.tokens["access_token"], "NUMBER": "200"},
        )
    assert [line["NUMBER"] for line in sandbox.lines(APP)] == ["100", "200"]
    assert sandbox.request_log()[0]["latency_ms"] >= 300


def test_faults_spare_oauth_and_admin(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.set_faults(drop=1.0)
    reply = portal.oauth(
        grant_type="refresh_token",
        client_id=APP,
        client_secret="secret1",
        refresh_token=portal.tokens["refresh_token"],
    )
    assert reply.status_code == 200
    assert portal.admin("GET", f"apps/{APP}/lines").status_code == 200


@pytest.mark.parametrize(
    "rates",
    [{"drop": 0.6, "error500": 0.6}, {"slow": -0.1}, {"limit503": 1.5}, {"slow_seconds": -1}],
)
def test_bad_rates_are_refused(sandbox: Sandbox, rates: dict) -> None:
    with pytest.raises(ValueError, match=r"fault rates|slow_seconds"):
        sandbox.set_faults(**rates)
