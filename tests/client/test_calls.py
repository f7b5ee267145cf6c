"""The call history and the application, through the real client against the sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from provider.bitrix24 import application, calls
from provider.bitrix24.errors import AccessDenied, ServerFault
from tests.client.conftest import APP, Portal

NOW = datetime.now(UTC)
WINDOW = NOW - timedelta(days=30)


def stats_requests(portal: Portal) -> int:
    """Requests that asked the call history: plain, or batches of it."""
    return len(portal.log(calls.STATISTIC_GET)) + len(portal.log("batch"))


def test_one_request_counts_every_line_when_the_calls_fit_one_page(portal: Portal):
    app_id = str(portal.sb.app_id(APP))
    for days in (1, 2, 3):
        portal.sb.place_call(APP, "+7495", days_ago=days)
    portal.sb.place_call(APP, "7496", days_ago=40)  # outside the window
    portal.sb.place_call(APP, "7497", days_ago=5)
    portal.sb.add_app("local.other", "other-secret")
    portal.sb.place_call("local.other", "7496", days_ago=1)  # another application's line
    portal.sb.clear_log()

    usage = calls.recent(portal.client(), ["+7495", "7496", "7497", "7498"], app_id, WINDOW)

    assert {n: u.calls for n, u in usage.items()} == {"+7495": 3, "7496": 0, "7497": 1, "7498": 0}
    newest = max(
        row["CALL_START_DATE"] for row in portal.sb.calls(APP) if row["PORTAL_NUMBER"] == "+7495"
    )
    assert usage["+7495"].last == newest
    assert stats_requests(portal) == 1


def test_calls_beyond_one_page_are_counted_per_line_in_batches_of_50(portal: Portal):
    app_id = str(portal.sb.app_id(APP))
    numbers = [f"7495{n:04d}" for n in range(120)]
    for _ in range(60):  # more calls than one page holds
        portal.sb.place_call(APP, numbers[0], days_ago=1)
    portal.sb.place_call(APP, numbers[119], days_ago=2)
    portal.sb.clear_log()

    usage = calls.recent(portal.client(), numbers, app_id, WINDOW)

    assert usage[numbers[0]].calls == 60 and usage[numbers[119]].calls == 1
    assert sum(u.calls for u in usage.values()) == 61
    assert len(portal.log(calls.STATISTIC_GET)) == 1 and len(portal.log("batch")) == 3


def test_without_the_permission_the_error_names_it_and_both_fixes(portal: Portal):
    portal.sb.deny_statistics(APP)
    with pytest.raises(AccessDenied) as caught:
        calls.recent(portal.client(), ["7495"], str(portal.sb.app_id(APP)), WINDOW)
    assert "Call Statistics - View" in caught.value.description
    assert "in_use_guard: false" in caught.value.fix


def test_an_older_servers_empty_reply_without_total_is_no_call(make_portal):
    portal = make_portal(legacy_statistic=True)
    usage = calls.recent(portal.client(), ["7495"], str(portal.sb.app_id(APP)), WINDOW)
    assert usage["7495"].calls == 0


@pytest.mark.parametrize(
    ("result", "total"),
    [(None, 0), ([{"PORTAL_NUMBER": "7495"}], 1), ([], "3"), ([{"x": 1}] * 2, 1), ({}, 0)],
)
def test_a_reply_that_cannot_be_read_is_a_fault_never_no_calls(result, total):
    with pytest.raises(ServerFault, match="cannot be read"):
        calls._page(result, total)


def test_the_application_and_its_handler(portal: Portal):
    client = portal.client()
    app = application.who(client)
    assert (app.id, app.code, app.status, app.installed) == (
        str(portal.sb.app_id(APP)),
        APP,
        "L",
        True,
    )
    assert app.handles_calls is False
    assert "has no OnExternalCallStart handler" in app.no_handler_warning(portal.url)
    portal.sb.bind_event(APP)
    assert application.who(client).handles_calls is True
    assert application.who(client).no_handler_warning(portal.url) is None


def test_the_in_use_guard_asks_only_which_application_it_is(portal: Portal):
    """Its call history is filtered by the application's ID; the handler is not its to ask."""
    client = portal.client()
    portal.sb.bind_event(APP)
    portal.sb.clear_log()
    app = application.identify(client)
    assert (app.id, app.code, app.handles_calls) == (str(portal.sb.app_id(APP)), APP, None)
    asked = [e["method"] for e in portal.sb.request_log() if e["method"] != "oauth/token"]
    assert asked == ["app.info"]
