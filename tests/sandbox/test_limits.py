"""Request intensity (leaky bucket, 503) and per-method execution time (429)."""

from __future__ import annotations

import time

from sandbox import Sandbox
from sandbox.limits import LeakyBucket

from .conftest import Portal, error_of

GET = "telephony.externalLine.get"
QUERY_LIMIT = (503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


def test_bucket_refuses_past_the_burst(sandbox: Sandbox) -> None:
    sandbox.configure(rate=0.001, burst=5)  # drains one place in 1,000 s: none during the test
    portal = Portal(sandbox)
    statuses = [portal.call(GET).status_code for _ in range(8)]
    assert statuses == [200] * 5 + [503] * 3
    assert error_of(portal.call(GET)) == QUERY_LIMIT


def test_bucket_drains_at_its_rate_and_refusals_do_not_count() -> None:
    bucket = LeakyBucket(rate=10, burst=5)
    assert [bucket.take(100.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert bucket.take(100.05) is False  # half a place drained
    assert [bucket.take(100.25) for _ in range(3)] == [True, True, False]  # 2.5 places


def test_rate_zero_disables_the_bucket(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(rate=0, burst=1)
    assert {portal.call(GET).status_code for _ in range(20)} == {200}


def test_oauth_and_admin_do_not_count(sandbox: Sandbox) -> None:
    sandbox.configure(rate=0.001, burst=1)
    portal = Portal(sandbox)
    for _ in range(3):
        assert portal.admin("GET", "settings").status_code == 200
        assert portal.oauth(grant_type="x").status_code == 400
    assert portal.call(GET).status_code == 200
    assert portal.call(GET).status_code == 503


def test_time_budget_blocks_the_method_with_429(sandbox: Sandbox) -> None:
    sandbox.configure(time_budget=0.05, call_cost=0.02, budget_window=600)
    portal = Portal(sandbox)
    operating = [portal.call(GET).json()["time"]["operating"] for _ in range(3)]
    assert operating == [0.02, 0.04, 0.06]
    blocked = portal.call(GET)
    assert error_of(blocked) == (
        429,
        "OPERATION_TIME_LIMIT",
        "Method is blocked due to operation time limit.",
    )
    assert "time" not in blocked.json()  # as the rest module answers an error
    assert portal.call("scope").status_code == 200  # the budget is per method
    sandbox.configure(error_time_block=True)  # as the docs say every reply is
    timing = portal.call(GET).json()["time"]
    assert timing["operating"] == 0.06 and timing["operating_reset_at"] > time.time()


def test_time_budget_frees_when_the_window_passes(sandbox: Sandbox) -> None:
    sandbox.configure(time_budget=0.01, call_cost=0.02, budget_window=1, error_time_block=True)
    portal = Portal(sandbox)
    portal.call(GET)
    reply = portal.call(GET)
    assert reply.status_code == 429
    time.sleep(max(0.0, reply.json()["time"]["operating_reset_at"] - time.time()) + 0.05)
    assert portal.call(GET).status_code == 200


def test_measured_time_is_charged_by_default(portal: Portal) -> None:
    timing = portal.call(GET).json()["time"]
    # the method's own run time: more than nothing, within the request's processing time
    assert 0 < timing["operating"] <= timing["processing"]
    again = portal.call(GET).json()["time"]
    assert again["operating"] > timing["operating"]  # charged per call


def test_forget_requests_empties_the_bucket_as_a_pause_would(sandbox: Sandbox) -> None:
    sandbox.configure(rate=0.001, burst=2)
    portal = Portal(sandbox)
    assert [portal.call(GET).status_code for _ in range(3)] == [200, 200, 503]
    sandbox.forget_requests()
    assert [portal.call(GET).status_code for _ in range(3)] == [200, 200, 503]
