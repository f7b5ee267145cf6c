"""`batch`: commands, halt, result shape, the 50-command cap, references and limits."""

from __future__ import annotations

from urllib.parse import quote, urlencode

import pytest

from sandbox import Sandbox
from sandbox.references import REFERENCE_MODES

from .conftest import Portal


def add(number: str, name: str) -> str:
    return "telephony.externalLine.add?" + urlencode(
        {"NUMBER": number, "NAME": name}, quote_via=quote
    )


def update(number: str, name: str) -> str:
    return "telephony.externalLine.update?" + urlencode(
        {"NUMBER": number, "NAME": name}, quote_via=quote
    )


def names(portal: Portal) -> dict[str, str]:
    return {line["NUMBER"]: line["NAME"] for line in portal.ok("telephony.externalLine.get")}


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
    assert set(result["result_time"]) == {"a", "c", "d"}  # none for the command that failed
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


def test_past_50_commands_the_first_50_run_and_each_further_one_fails(portal: Portal) -> None:
    exceeded = {
        "error": "ERROR_BATCH_LENGTH_EXCEEDED",
        "error_description": "Max batch length exceeded",
    }
    cmd = {f"c{i}": add(str(i), "x") for i in range(52)}
    reply = portal.call("batch", cmd=cmd)
    assert reply.status_code == 200
    result = reply.json()["result"]
    assert list(result["result"]) == [f"c{i}" for i in range(50)]
    assert result["result_error"] == {"c50": exceeded, "c51": exceeded}
    assert list(result["result_time"]) == [f"c{i}" for i in range(50)]
    assert len(names(portal)) == 50
    assert portal.sb.request_log()[0]["commands"] == ("telephony.externalLine.add",) * 50
    halted = portal.ok("batch", halt=1, cmd={f"s{i}": "scope" for i in range(52)})
    assert (len(halted["result"]), halted["result_error"]) == (50, {"s50": exceeded})


def test_a_command_that_is_not_a_string_is_skipped(portal: Portal) -> None:
    result = portal.ok("batch", cmd={"a": "scope", "b": {"nested": "scope"}, "c": "scope"})
    assert list(result["result"]) == ["a", "c"]
    assert result["result_error"] == []


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


REFERENCES = {
    # name sent: (stored with "scalars", "strings", "any")
    "$result[w0]": ("Array", "Array", "Array"),  # only a reference: an array becomes Array
    "$result[w0][ID]": ("1", "1", "1"),  # only a reference: the number itself
    "Ext $result[w0][ID] x": ("Ext 1 x", "Ext $result[w0][ID] x", "Ext 1 x"),  # a number inside
    "$result[get][0][NAME]": ("first", "first", "first"),  # a string, through a list
    "Ext $result[get][0][NAME]": ("Ext first", "Ext first", "Ext first"),
    "$result[a][0][NAME]": ("Array", "Array", "Array"),  # no command a: the result list so far
    "Ext $result[a] x": ("Ext $result[a] x", "Ext $result[a] x", "Ext Array x"),
    "$RESULT[w0] x": ("$RESULT[w0] x", "$RESULT[w0] x", " x"),  # RESULT reaches nothing: null
    "$RESULT[w0]": ("", "", ""),
    "$result[w0]x[ID]y": ("1", "1", "1"),  # every [key] up to the next space counts
    "$error[dup][error_description]": ("Line already exists",) * 3,
    "$result": ("$result",) * 3,  # no [key]: not a reference
    "$result[]": ("$result[]",) * 3,
    "$other[w0]": ("$other[w0]",) * 3,
    "Ext\t$result[get][0][NAME]": ("Ext\tfirst",) * 3,
    "price $5 [net]": ("price $5 [net]",) * 3,
}


@pytest.mark.parametrize("mode", list(REFERENCE_MODES))
def test_references_to_earlier_results_rewrite_values_as_the_portal_does(
    sandbox: Sandbox, mode: str
) -> None:
    sandbox.configure(batch_references=mode)
    portal = Portal(sandbox)
    column = list(REFERENCE_MODES).index(mode)
    cmd = {
        "w0": add("1", "first"),
        "get": "telephony.externalLine.get",
        "dup": add("1", "again"),
    }
    cmd |= {f"r{i}": add(f"{100 + i}", name) for i, name in enumerate(REFERENCES)}
    portal.ok("batch", cmd=cmd)
    stored = names(portal)
    assert {name: stored[f"{100 + i}"] for i, name in enumerate(REFERENCES)} == {
        name: wanted[column] for name, wanted in REFERENCES.items()
    }


def test_updates_are_rewritten_and_plain_calls_are_not(portal: Portal) -> None:
    portal.ok("telephony.externalLine.add", NUMBER="1", NAME="$result[w0]")
    portal.ok("telephony.externalLine.add", NUMBER="2", NAME="two")
    assert names(portal) == {"1": "$result[w0]", "2": "two"}  # a plain call keeps it
    result = portal.ok(
        "batch",
        cmd={
            "w0": update("1", "one"),
            "w1": update("2", "$result[w0]"),
            "w2": update("1", "Ext $result[w0][ID] x"),
        },
    )
    assert result["result"]["w0"] == {"ID": "1"}
    assert names(portal) == {"1": "Ext 1 x", "2": "Array"}


def test_a_reference_that_reaches_null_leaves_update_nothing_to_change(portal: Portal) -> None:
    portal.ok("telephony.externalLine.add", NUMBER="1", NAME="one")
    result = portal.ok("batch", cmd={"w0": update("1", "$RESULT[w0]")})
    assert result["result_error"] == {
        "w0": {"error": "", "error_description": "There are no fields to update"}
    }
