"""`batch`: commands, halt, result shape, the 50-command cap and limits accounting."""

from __future__ import annotations

from urllib.parse import urlencode

from sandbox import Sandbox

from .conftest import Portal, error_of


def add(number: str, name: str) -> str:
    return "telephony.externalLine.add?" + urlencode({"NUMBER": number, "NAME": name})


def test_batch_runs_the_line_methods(portal: Portal) -> None:
    result = portal.ok(
        "batch",
        halt=0,
        cmd={
            "a": add("+7495 1", "One & two"),
            "b": add("+7495 1", "again"),
            "c": "telephony.externalLine.get",
            "d": "telephony.externalLine.update?NUMBER=%2B7495%201&NAME=renamed",
        },
    )
    assert result["result"] == {
        "a": {"ID": 1},
        "c": [{"NUMBER": "+7495 1", "NAME": "One & two", "CRM_AUTO_CREATE": "Y"}],
        "d": {"ID": "1"},
    }
    assert result["result_error"] == {
        "b": {"error": "", "error_description": "Line already exists"}
    }
    assert result["result_total"] == [] and result["result_next"] == []
    assert set(result["result_time"]) == {"a", "b", "c", "d"}
    assert set(result["result_time"]["a"]) >= {"start", "finish", "operating"}


def test_halt_stops_at_the_first_error(portal: Portal) -> None:
    result = portal.ok(
        "batch",
        halt=1,
        cmd={
            "a": add("1", "x"),
            "b": add("1", "x"),
            "c": add("2", "x"),
        },
    )
    assert result["result"] == {"a": {"ID": 1}}
    assert list(result["result_error"]) == ["b"]
    assert [line["NUMBER"] for line in portal.ok("telephony.externalLine.get")] == ["1"]


def test_empty_parts_are_empty_lists_as_php_encodes_them(portal: Portal) -> None:
    result = portal.ok("batch", cmd={"a": "scope"})
    assert result["result"] == {"a": ["telephony"]}
    assert result["result_error"] == []
    assert portal.ok("batch", cmd=["scope", "scope"])["result"] == [["telephony"], ["telephony"]]


def test_system_errors_inside_a_batch(portal: Portal) -> None:
    result = portal.ok("batch", cmd={"a": "no.such.method", "b": "batch?cmd[x]=scope"})
    assert result["result_error"] == {
        "a": {"error": "ERROR_METHOD_NOT_FOUND", "error_description": "Method not found!"},
        "b": {
            "error": "ERROR_BATCH_METHOD_NOT_ALLOWED",
            "error_description": "Method is not allowed for batch usage",
        },
    }


def test_more_than_50_commands(portal: Portal) -> None:
    assert portal.call("batch", cmd={str(i): "scope" for i in range(50)}).status_code == 200
    reply = portal.call("batch", cmd={str(i): "scope" for i in range(51)})
    assert error_of(reply) == (400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")


def test_batch_is_one_request_for_the_bucket(sandbox: Sandbox) -> None:
    sandbox.configure(rate=0.001, burst=2)
    portal = Portal(sandbox)
    reply = portal.call("batch", cmd={str(i): add(str(i), "") for i in range(50)})
    assert len(reply.json()["result"]["result"]) == 50
    assert portal.call("scope").status_code == 200
    assert portal.call("scope").status_code == 503


def test_commands_spend_their_method_budget(sandbox: Sandbox) -> None:
    sandbox.configure(time_budget=0.05, call_cost=0.02)
    portal = Portal(sandbox)
    result = portal.ok("batch", cmd={f"c{i}": "telephony.externalLine.get" for i in range(5)})
    assert list(result["result"]) == ["c0", "c1", "c2"]
    assert {e["error"] for e in result["result_error"].values()} == {"OPERATION_TIME_LIMIT"}
    assert portal.call("telephony.externalLine.get").status_code == 429


def test_form_encoded_batch(portal: Portal) -> None:
    reply = portal.http.post(
        portal.sb.url + "/rest/batch",
        data={
            "auth": portal.tokens["access_token"],
            "halt": "0",
            "cmd[first]": add("100", "form"),
            "cmd[second]": "telephony.externalLine.get",
        },
    )
    assert reply.json()["result"]["result"]["second"][0]["NAME"] == "form"
