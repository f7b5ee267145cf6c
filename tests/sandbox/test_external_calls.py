"""telephony.externalCall.register and .finish, and Sandbox.place_call, which runs them."""

from __future__ import annotations

import time
from datetime import datetime

import pytest

from sandbox import WEBHOOK_POOL, Sandbox

from .conftest import APP, Portal, error_of

REGISTER, FINISH = "telephony.externalCall.register", "telephony.externalCall.finish"
DAY = 86400
CALL = {"USER_ID": 1, "PHONE_NUMBER": "+79991234567", "TYPE": 2}


def instant(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def test_register_makes_a_nameless_line_in_the_callers_own_set(
    portal: Portal, sandbox: Sandbox
) -> None:
    sandbox.add_app("other", "s2")
    sandbox.seed_line("other", "+74951234567", "Theirs", "N")
    portal.ok(REGISTER, **CALL, LINE_NUMBER=" +74951234567 ")
    assert [
        (line["NUMBER"], line["NAME"], line["CRM_AUTO_CREATE"]) for line in sandbox.lines(APP)
    ] == [("+74951234567", "", "Y")]
    assert [line["NAME"] for line in sandbox.lines("other")] == ["Theirs"]


def test_register_uses_the_callers_existing_line(portal: Portal, sandbox: Sandbox) -> None:
    line_id = sandbox.seed_line(APP, "+74951234567", "Office", "N")
    portal.ok(REGISTER, **CALL, LINE_NUMBER="+74951234567")
    assert sandbox.lines(APP) == [
        {"ID": line_id, "NUMBER": "+74951234567", "NAME": "Office", "CRM_AUTO_CREATE": "N"}
    ]


def test_register_answers_a_call_id(portal: Portal) -> None:
    result = portal.ok(REGISTER, **CALL, LINE_NUMBER="100")
    assert result["CALL_ID"].startswith("externalCall.")
    assert {k: v for k, v in result.items() if k != "CALL_ID"} == {
        "CRM_CREATED_LEAD": None,
        "CRM_CREATED_ENTITIES": [],
        "CRM_ENTITY_TYPE": "",
        "CRM_ENTITY_ID": None,
    }


def test_finish_writes_the_history_row(portal: Portal, sandbox: Sandbox) -> None:
    started = "2026-11-07T10:00:00+03:00"
    call_id = portal.ok(REGISTER, **CALL, LINE_NUMBER="+74951234567", CALL_START_DATE=started)[
        "CALL_ID"
    ]
    reply = portal.ok(FINISH, CALL_ID=call_id, USER_ID=1, DURATION=95)
    assert (reply["CALL_START_DATE"], reply["CALL_FAILED_CODE"], reply["ID"]) == ({}, "200", 1)
    [row] = sandbox.calls(APP)
    assert (row["ID"], row["CALL_ID"], row["PORTAL_NUMBER"], row["REST_APP_ID"]) == (
        "1",
        call_id,
        "+74951234567",
        str(sandbox.app_id(APP)),
    )
    assert (row["CALL_DURATION"], row["CALL_TYPE"], row["PHONE_NUMBER"]) == (
        "95",
        "2",
        "+79991234567",
    )
    assert instant(row["CALL_START_DATE"]) == instant(started)


def test_a_call_without_line_number_names_the_application(portal: Portal, sandbox: Sandbox) -> None:
    call_id = portal.ok(REGISTER, **CALL)["CALL_ID"]
    portal.ok(FINISH, CALL_ID=call_id, USER_ID=1)
    assert sandbox.lines(APP) == []
    [row] = sandbox.calls()
    assert (row["PORTAL_NUMBER"], row["CALL_FAILED_CODE"]) == (
        f"REST_APP:{sandbox.app_id(APP)}",
        "304",  # no duration: missed
    )


def test_a_call_is_finished_once(portal: Portal) -> None:
    call_id = portal.ok(REGISTER, **CALL, LINE_NUMBER="100")["CALL_ID"]
    portal.ok(FINISH, CALL_ID=call_id, USER_ID=1, DURATION=5)
    assert error_of(portal.call(FINISH, CALL_ID=call_id, USER_ID=1)) == (
        400,
        "",
        "Call is not found (call should be registered prior to finishing",
    )


def test_a_repeated_register_answers_the_open_call(portal: Portal) -> None:
    first = portal.ok(REGISTER, **CALL, LINE_NUMBER="100")["CALL_ID"]
    assert portal.ok(REGISTER, **CALL, LINE_NUMBER="100")["CALL_ID"] == first
    assert portal.ok(REGISTER, **CALL, LINE_NUMBER="200")["CALL_ID"] != first


@pytest.mark.parametrize(
    ("change", "description"),
    [
        ({"USER_ID": None}, "USER_ID or USER_PHONE_INNER should be set"),
        ({"TYPE": 7}, "Unknown TYPE"),
        ({"CALL_START_DATE": "07.11.2026"}, "CALL_START_DATE should be in the ISO-8601 format"),
        ({"PHONE_NUMBER": "anonymous"}, "Unsupported phone number format"),
        ({"USER_ID": -3}, "User is not found or is not active"),
    ],
)
def test_register_refusals(portal: Portal, sandbox: Sandbox, change, description) -> None:
    params = {k: v for k, v in (CALL | change).items() if v is not None}
    assert error_of(portal.call(REGISTER, **params, LINE_NUMBER="100")) == (400, "", description)
    assert sandbox.lines(APP) == []


def test_finish_needs_a_string_call_id(portal: Portal) -> None:
    reply = portal.call(FINISH, CALL_ID=12, USER_ID=1)
    assert error_of(reply) == (400, "INVALID_ARGUMENT", "CALL_ID must be a string")


def test_a_webhooks_call_uses_the_lines_of_no_application(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    reply = portal.webhook(1, "abc123", REGISTER, **CALL, LINE_NUMBER="100").json()
    portal.webhook(1, "abc123", FINISH, CALL_ID=reply["result"]["CALL_ID"], USER_ID=1)
    assert [line["NUMBER"] for line in sandbox.lines(WEBHOOK_POOL)] == ["100"]
    assert sandbox.lines(APP) == []
    assert sandbox.calls()[0]["REST_APP_ID"] is None


def test_place_call_registers_and_finishes(sandbox: Sandbox) -> None:
    before = time.time()
    call_id = sandbox.place_call(APP, "+74951234567", days_ago=3, duration=42)
    after = time.time()
    [row] = sandbox.calls(APP)
    assert (row["CALL_ID"], row["CALL_DURATION"], row["PORTAL_NUMBER"]) == (
        call_id,
        "42",
        "+74951234567",
    )
    assert [line["NAME"] for line in sandbox.lines(APP)] == [""]
    started = instant(row["CALL_START_DATE"])  # to the second
    assert before - 3 * DAY - 1 <= started <= after - 3 * DAY


def test_calls_of_one_application(sandbox: Sandbox) -> None:
    sandbox.add_app("app.2", "s2")
    sandbox.place_call(APP, "100")
    sandbox.place_call("app.2", "100", phone="+79990000000")
    assert [row["PHONE_NUMBER"] for row in sandbox.calls("app.2")] == ["+79990000000"]
    assert len(sandbox.calls()) == 2


def test_webhooks_refused_by_the_switch_cannot_register(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(webhooks_allowed=False)
    sandbox.add_webhook(user_id=1, code="abc123")
    reply = portal.webhook(1, "abc123", REGISTER, **CALL, LINE_NUMBER="100")
    assert error_of(reply) == (
        403,
        "WRONG_AUTH_TYPE",
        "Current authorization type is denied for this method",
    )
    assert sandbox.lines(WEBHOOK_POOL) == []
