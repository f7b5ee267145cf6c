"""voximplant.statistic.get: permission, filter operators, arrays, dates, sorting, pages,
and the same inside a batch."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

import pytest

from sandbox import Sandbox

from .conftest import APP, Portal, error_of

GET = "voximplant.statistic.get"
REGISTER, FINISH = "telephony.externalCall.register", "telephony.externalCall.finish"


def call_at(portal: Portal, line: str, started: str, duration: int, call_type: int = 2) -> str:
    """A call on `line` registered as started at `started` and finished."""
    call_id = portal.ok(
        REGISTER,
        USER_ID=1,
        PHONE_NUMBER="+79991234567",
        TYPE=call_type,
        LINE_NUMBER=line,
        CALL_START_DATE=started,
    )["CALL_ID"]
    portal.ok(FINISH, CALL_ID=call_id, USER_ID=1, DURATION=duration)
    return call_id


@pytest.fixture
def history(portal: Portal) -> Portal:
    """Three calls: durations 10, 20, 30 on lines 100, 200, 300, an hour apart (UTC 07:00,
    08:00, 09:00 on 7 November 2026); the last one outgoing."""
    call_at(portal, "100", "2026-11-07T10:00:00+03:00", 10)
    call_at(portal, "200", "2026-11-07T08:00:00Z", 20)
    call_at(portal, "300", "2026-11-07T10:00:00+01:00", 30, call_type=1)
    return portal


def durations(rows: object) -> list[int]:
    return [int(row["CALL_DURATION"]) for row in rows]  # type: ignore[union-attr]


def test_without_the_permission_access_is_denied(history: Portal, sandbox: Sandbox) -> None:
    sandbox.deny_statistics(APP)
    assert error_of(history.call(GET)) == (403, "ACCESS_DENIED", "Access denied!")
    sandbox.deny_statistics(APP, denied=False)
    assert durations(history.ok(GET)) == [10, 20, 30]


def test_rows_are_text_as_the_database_hands_them(history: Portal, sandbox: Sandbox) -> None:
    row = history.ok(GET)[0]
    assert (row["ID"], row["CALL_DURATION"], row["CALL_TYPE"], row["REST_APP_ID"]) == (
        "1",
        "10",
        "2",
        str(sandbox.app_id(APP)),
    )
    assert row["PORTAL_NUMBER"] == "100" and row["CALL_FAILED_CODE"] == "200"
    assert "INCOMING" not in row and "CALL_LOG" not in row


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"PORTAL_NUMBER": "200"}, [20]),
        ({"=PORTAL_NUMBER": "200"}, [20]),
        ({"!PORTAL_NUMBER": "200"}, [10, 30]),
        ({"!=PORTAL_NUMBER": "200"}, [10, 30]),
        ({">=CALL_DURATION": 20}, [20, 30]),
        ({">CALL_DURATION": "20"}, [30]),
        ({"<=CALL_DURATION": 20}, [10, 20]),
        ({"<CALL_DURATION": 20}, [10]),
        ({"><CALL_DURATION": [15, 30]}, [20, 30]),
        ({"!><CALL_DURATION": [15, 30]}, [10]),
        ({"%PORTAL_NUMBER": "0"}, [10, 20, 30]),
        ({"!%PORTAL_NUMBER": "10"}, [20, 30]),
        ({"CALL_TYPE": 1}, [30]),
        ({"portal_number": "100"}, [10]),  # keys are upper-cased
    ],
)
def test_filter_operators(history: Portal, filter_, expected) -> None:
    assert durations(history.ok(GET, FILTER=filter_)) == expected


def test_an_array_means_any_of(history: Portal) -> None:
    assert durations(history.ok(GET, FILTER={"PORTAL_NUMBER": ["100", "300"]})) == [10, 30]
    assert durations(history.ok(GET, FILTER={"!PORTAL_NUMBER": ["100", "300"]})) == [20]


def test_filters_on_several_fields_must_all_hold(history: Portal, sandbox: Sandbox) -> None:
    filter_ = {"REST_APP_ID": sandbox.app_id(APP), ">=CALL_DURATION": 15, "PORTAL_NUMBER": "300"}
    assert durations(history.ok(GET, FILTER=filter_)) == [30]
    assert history.ok(GET, FILTER={"REST_APP_ID": sandbox.app_id(APP) + 1}) == []


def test_unusable_keys_are_dropped_not_refused(history: Portal) -> None:
    assert durations(history.ok(GET, FILTER={"NO_SUCH_FIELD": "x", "~PORTAL_NUMBER": "1"})) == [
        10,
        20,
        30,
    ]


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({">=CALL_START_DATE": "2026-11-07T09:00:00+01:00"}, [20, 30]),  # 08:00 UTC
        ({">CALL_START_DATE": "2026-11-07T11:00:00+03:00"}, [30]),  # 08:00 UTC
        ({"<CALL_START_DATE": "2026-11-07T08:00:00Z"}, [10]),
        (
            {"><CALL_START_DATE": ["2026-11-07T06:30:00Z", "2026-11-07T12:00:00+04:00"]},
            [10, 20],
        ),
        ({"CALL_START_DATE": "2026-11-07T07:00:00-01:00"}, [20]),
        ({">=CALL_START_DATE": "the seventh of November"}, []),
    ],
)
def test_dates_compare_as_instants(history: Portal, filter_, expected) -> None:
    assert durations(history.ok(GET, FILTER=filter_)) == expected


def test_dates_come_back_with_an_offset(history: Portal) -> None:
    started = history.ok(GET)[0]["CALL_START_DATE"]
    assert datetime.fromisoformat(started) == datetime.fromisoformat("2026-11-07T07:00:00+00:00")
    assert datetime.fromisoformat(started).utcoffset() is not None


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("CALL_START_DATE", "DESC", [30, 20, 10]),
        ("PORTAL_NUMBER", "DESC", [30, 20, 10]),
        ("CALL_DURATION", "ASC", [10, 20, 30]),
        ("CALL_START_DATE", "desc", [10, 20, 30]),  # ORDER must be ASC or DESC exactly
        ("call_start_date", "DESC", [10, 20, 30]),  # SORT must name a column exactly
    ],
)
def test_sorting(history: Portal, sort, order, expected) -> None:
    assert durations(history.ok(GET, SORT=sort, ORDER=order)) == expected


def test_pages_of_fifty_with_total_and_next(portal: Portal, sandbox: Sandbox) -> None:
    for n in range(120):
        sandbox.place_call(APP, "+74951234567", duration=n + 1)
    pages = [portal.call(GET, start=start).json() for start in (0, 50, 100)]
    assert [len(page["result"]) for page in pages] == [50, 50, 20]
    assert [page["total"] for page in pages] == [120, 120, 120]
    assert [page.get("next") for page in pages] == [50, 100, None]
    assert durations(pages[2]["result"])[-1] == 120


def test_an_empty_history_has_total_zero_and_no_next(portal: Portal) -> None:
    reply = portal.call(GET).json()
    assert (reply["result"], reply["total"], "next" in reply) == ([], 0, False)


def test_older_voximplant_answers_no_match_without_total(history: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(legacy_statistic=True)
    nothing = history.call(GET, FILTER={"PORTAL_NUMBER": "999"}).json()
    assert (nothing["result"], "total" in nothing) == ([], False)
    assert history.call(GET, FILTER={"PORTAL_NUMBER": "100"}).json()["total"] == 1


def test_inside_a_batch_total_and_next_go_under_the_commands_key(
    portal: Portal, sandbox: Sandbox
) -> None:
    for days_ago in range(60):
        sandbox.place_call(APP, "+74951234567", days_ago=days_ago)
    sandbox.place_call(APP, "+74957654321")
    since = quote("2026-01-01T00:00:00+03:00", safe="")
    command = (
        f"{GET}?FILTER%5BPORTAL_NUMBER%5D%5B0%5D=%2B74951234567"
        f"&FILTER%5BPORTAL_NUMBER%5D%5B1%5D=%2B70000000000"
        f"&FILTER%5B%3E%3DCALL_START_DATE%5D={since}&SORT=CALL_START_DATE&ORDER=DESC"
    )
    result = portal.ok("batch", halt=0, cmd={"usage": command, "rest": command + "&start=50"})
    assert (len(result["result"]["usage"]), len(result["result"]["rest"])) == (50, 10)
    assert result["result_total"] == {"usage": 60, "rest": 60}
    assert result["result_next"] == {"usage": 50}
    first = result["result"]["usage"][0]
    assert (first["PORTAL_NUMBER"], first["CALL_START_DATE"]) == (
        "+74951234567",
        sandbox.calls()[0]["CALL_START_DATE"],  # the newest is the one placed today
    )


def test_the_permission_holds_inside_a_batch(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.deny_statistics(APP)
    result = portal.ok("batch", cmd={"usage": GET})
    assert result["result_error"] == {
        "usage": {"error": "ACCESS_DENIED", "error_description": "Access denied!"}
    }


def test_a_webhook_may_read_the_history(history: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    reply = history.webhook(1, "abc123", GET, FILTER={"PORTAL_NUMBER": "100"}).json()
    assert durations(reply["result"]) == [10]


def test_the_history_needs_the_telephony_scope(sandbox: Sandbox) -> None:
    sandbox.add_app("crm.only", "s", scopes=("crm",))
    portal = Portal(sandbox)
    token = sandbox.issue_tokens("crm.only")["access_token"]
    assert error_of(portal.call(GET, token=token))[:2] == (403, "insufficient_scope")
