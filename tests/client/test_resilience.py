"""Pacing and retries against a sandbox with its limits on and faults injected."""

from __future__ import annotations

import threading
from collections import Counter

from provider.bitrix24 import errors
from provider.bitrix24.lines import Line
from provider.bitrix24.pacing import Unpaced
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import RetryPolicy

from .conftest import APP, FAST, FakeTime, Portal

GET = "telephony.externalLine.get"


def burst(clients: list[RestClient], calls: int) -> None:
    """`calls` gets spread over one thread per client, as the engine's four workers do."""

    def work(client: RestClient) -> None:
        for _ in range(calls // len(clients)):
            client.call(GET)

    workers = [threading.Thread(target=work, args=(client,)) for client in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_pacing_keeps_a_120_call_burst_under_the_portal_limit(make_portal) -> None:
    portal = make_portal(rate=2.0, burst=50)  # a cloud portal's real limits: ~40 s
    auth = portal.auth()
    # Four clients, no pacer given: they find the process-wide bucket of the portal.
    clients = [RestClient(portal.url, auth, policy=FAST) for _ in range(4)]
    burst(clients, 120)
    statuses = Counter(e["status"] for e in portal.log(GET))
    assert statuses == {200: 120}


def test_without_pacing_the_same_burst_meets_503_and_retries_through(make_portal) -> None:
    portal = make_portal(rate=20.0, burst=50)
    client = portal.client(pacer=Unpaced())
    burst([client] * 4, 120)
    statuses = Counter(e["status"] for e in portal.log(GET))
    assert statuses[200] == 120 and statuses[503] > 0  # the control: the limit is real


def test_retries_converge_under_500_503_timeouts_and_dropped_connections(portal: Portal) -> None:
    lines = portal.lines(timeout=(2.0, 0.3))  # a slow reply is a read timeout
    portal.sb.set_faults(
        error500=0.1, limit503=0.1, drop=0.05, commit_drop=0.1, slow=0.1, slow_seconds=1.0, seed=11
    )
    for i in range(15):
        number = str(2000 + i)
        lines.add(Line(number, f"n{i}", True))
        lines.update(number, name=f"renamed {i}")
        assert lines.find(number, fresh=True) == Line(number, f"renamed {i}", True)
        if i % 3 == 0:
            lines.delete(number)
    portal.sb.set_faults()
    expected = {str(2000 + i) for i in range(15) if i % 3}
    assert set(portal.portal_lines()) == expected
    faults = Counter(e["fault"] for e in portal.log())
    assert all(faults[kind] for kind in ("error500", "limit503", "drop", "commit_drop", "slow"))


def test_replies_that_are_not_json_neither_lose_nor_duplicate_a_line(portal: Portal) -> None:
    """An HTML 502 applied nothing; a 200 cut off mid-JSON applied the call. Reads and
    updates are repeated; an add is checked against the list, so it is made once."""
    lines = portal.lines()
    portal.sb.set_faults(html502=0.2, commit_garbled=0.3, seed=5)
    for i in range(12):
        number = str(3000 + i)
        lines.add(Line(number, f"n{i}", True))
        lines.update(number, name=f"renamed {i}")
        assert lines.find(number, fresh=True) == Line(number, f"renamed {i}", True)
    portal.sb.set_faults()
    held = portal.portal_lines()
    assert {n: line["NAME"] for n, line in held.items()} == {
        str(3000 + i): f"renamed {i}" for i in range(12)
    }
    assert len(held) == 12 == len(portal.sb.lines(APP))  # nothing duplicated
    faults = Counter(e["fault"] for e in portal.log())
    assert faults["html502"] and faults["commit_garbled"]
    garbled_adds = [
        e for e in portal.log("telephony.externalLine.add") if e["fault"] == "commit_garbled"
    ]
    assert garbled_adds  # an add was applied and its reply lost: the case that duplicates


def test_persistent_server_faults_end_at_the_deadline(portal: Portal, leaks) -> None:
    portal.sb.set_faults(error500=1.0)
    client = portal.client(policy=FAST.__class__(deadline=1.0, backoff_factor=0.05))
    with leaks.raises(errors.DeadlineExceeded, match="gave up after") as info:
        client.call(GET)
    assert isinstance(info.value.last, errors.ServerFault)
    assert len(portal.log(GET)) >= 3


def test_an_ambiguous_500_on_add_reaches_the_caller_unretried(portal: Portal, leaks) -> None:
    portal.sb.set_faults(error500=1.0)
    with leaks.raises(errors.ServerFault):
        portal.client().call(
            "telephony.externalLine.add", {"NUMBER": "77", "NAME": "x"}, idempotent=False
        )
    assert len(portal.log("telephony.externalLine.add")) == 1


def test_an_ambiguous_add_on_an_older_portal_is_settled_without_the_flag(portal: Portal) -> None:
    """An older portal lists no CRM_AUTO_CREATE: the line it lists after a lost reply is
    ours if number and name agree, not someone else's for want of a flag."""
    portal.sb.configure(legacy_lines=True)
    lines = portal.lines()
    portal.sb.set_faults(commit_garbled=1.0, methods=["telephony.externalLine.add"])
    line_id = lines.add(Line("4000", "Reception", False))
    portal.sb.set_faults()
    assert [(str(r["ID"]), r["NAME"]) for r in portal.sb.lines(APP)] == [(line_id, "Reception")]
    assert lines.crm_manageable() is False


def test_a_refused_database_write_is_repeated_as_a_server_fault(portal: Portal) -> None:
    """500 ERROR_CORE "SQL query error!" from update or delete applied nothing: both are
    idempotent, so they are sent again after a backoff."""
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        portal.sb.configure(sql_error=False)  # the database is back after the first wait

    lines = portal.lines(policy=RetryPolicy(clock=fake.clock, sleep=sleep))
    lines.add(Line("5000", "Reception", True))
    for write in (lambda: lines.update("5000", name="Sales"), lambda: lines.delete("5000")):
        portal.sb.configure(sql_error=True)
        write()
    assert portal.portal_lines() == {} and len(fake.sleeps) == 2
    assert [e["status"] for e in portal.log() if e["method"] != "telephony.externalLine.get"] == [
        200,
        500,
        200,
        500,
        200,
    ]
