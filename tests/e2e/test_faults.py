"""One `pulumi up` of 100 lines converges through every kind of fault the portal has.

The sandbox faults 10 % of REST requests (500s, forced 503s, slow replies past the
client's timeout, connections dropped before and after the request is applied) and
the access token expires mid-run. Concurrent adds travel in `batch` requests, so a
second run aims the faults at `batch` alone, at a higher rate: a whole batch of adds
lost, refused or applied without a reply. Afterwards the portal must hold exactly the
declared lines, once each, with the IDs in state, and a preview must find nothing
to do. The figures are printed for the issue note, not asserted.
"""

from __future__ import annotations

import collections
import time

import pytest

from sandbox import Sandbox
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, expire_tokens_after, portal_lines
from tests.e2e.pulumi_cli import PulumiProject

LINES = 100
FAULTS = {"error500": 0.02, "limit503": 0.02, "slow": 0.02, "drop": 0.02, "commit_drop": 0.02}
BATCH_FAULTS = {kind: 0.06 for kind in FAULTS}  # 30 % of batches: fewer requests to hit


EXPIRE_AT = 10  # requests answered when the access token expires; the run makes at least 26


@pytest.fixture
def faulty_portal():
    # Default limits (2/s, burst 50): the client's pacing has to keep up with them too. The
    # default token lifetime (an hour): the test expires tokens itself, at a chosen moment.
    with Sandbox() as portal:
        portal.add_app(CLIENT_ID, CLIENT_SECRET, scopes=("telephony",))
        yield portal


@pytest.mark.parametrize(
    ("faults", "methods", "seed"),
    [
        # One draw per REST request, in order: with this seed every kind is drawn within
        # the first 22 requests, and the run makes at least 26 (a get and 25 batches).
        (FAULTS, [], 20261176),
        # One draw per batch: with this seed every kind is drawn within the first 14
        # batches, and 100 adds take at least 25.
        (BATCH_FAULTS, ["batch"], 20261155),
    ],
    ids=["every-request", "batches-only"],
)
def test_100_lines_through_10_percent_faults_and_an_expiring_token(
    tmp_path, faulty_portal, faults, methods, seed
):
    portal = faulty_portal
    project = PulumiProject.create(
        tmp_path / "project", "faults", {"BITRIX24_REQUEST_TIMEOUT": "1.5"}
    )
    project.connect(portal, CLIENT_ID, CLIENT_SECRET)
    declared = {f"7495{n:07d}": f"Line {n}" for n in range(LINES)}
    project.write_stack(
        {
            "portal": portal.url,
            "lines": [{"number": k, "name": v} for k, v in declared.items()],
        }
    )
    portal.set_faults(**faults, slow_seconds=3.0, seed=seed, methods=methods)
    portal.clear_log()

    expire = expire_tokens_after(portal, EXPIRE_AT)
    started = time.monotonic()
    project.up("--parallel", "4")
    elapsed = time.monotonic() - started
    expire.join()

    portal.set_faults(seed=1)  # all rates back to 0 for the checks below
    log = portal.request_log()
    injected = collections.Counter(e["fault"] for e in log if e.get("fault"))
    statuses = collections.Counter(e["status"] for e in log)
    batches = [e for e in log if e["method"] == "batch"]
    print(
        f"\n{LINES} lines in {elapsed:.1f} s: {len(log)} requests ({len(batches)} batches),"
        f" {sum(injected.values())} faults injected {dict(injected)}, statuses {dict(statuses)}"
    )
    assert set(injected) == set(faults), injected  # every kind was really exercised
    assert len(log) < LINES  # coalesced: fewer requests than lines, retries included
    assert {e["fault"] for e in batches} >= (set(faults) if methods else set()), injected
    assert any(e.get("error") == "expired_token" for e in log)

    held = portal_lines(portal)
    assert {n: line["NAME"] for n, line in held.items()} == declared
    assert len(portal.lines(CLIENT_ID)) == LINES  # nothing duplicated, nothing lost
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    project.run("preview", "--expect-no-changes")


def test_replies_that_are_not_json_neither_lose_nor_duplicate_lines(tmp_path, faulty_portal):
    """An overloaded portal's front end answers an HTML 502 (nothing applied), and a worker
    that dies mid-reply leaves a 200 cut off halfway (applied). Both reach batches of adds:
    each add is checked against the list, never sent blindly again."""
    portal = faulty_portal
    project = PulumiProject.create(tmp_path / "project", "notjson", {})
    project.connect(portal, CLIENT_ID, CLIENT_SECRET)
    declared = {f"7495{n:07d}": f"Line {n}" for n in range(40)}
    project.write_stack(
        {"portal": portal.url, "lines": [{"number": k, "name": v} for k, v in declared.items()]}
    )
    # One draw per batch; with this seed both kinds are drawn within the first 6 batches.
    portal.set_faults(html502=0.25, commit_garbled=0.25, seed=3, methods=["batch"])
    portal.clear_log()
    project.up("--parallel", "4")
    portal.set_faults(seed=1)

    injected = collections.Counter(e["fault"] for e in portal.request_log() if e.get("fault"))
    assert set(injected) == {"html502", "commit_garbled"}, injected
    held = portal_lines(portal)
    assert {n: line["NAME"] for n, line in held.items()} == declared
    assert len(portal.lines(CLIENT_ID)) == len(declared)  # nothing duplicated, nothing lost
    assert {n: res["id"] for n, res in project.line_resources().items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    project.run("preview", "--expect-no-changes")


def test_a_line_made_by_hand_is_refused_unless_adopted(project, sandbox):
    sandbox.register_call(CLIENT_ID, "74950000001")  # implicit, nameless, CRM Y
    stack = {"portal": sandbox.url, "lines": [{"number": "74950000001", "name": "Reception"}]}
    project.write_stack(stack)

    refused = project.up(check=False)
    assert refused.returncode != 0
    assert "set `adopt: true` on the line" in refused.stdout + refused.stderr
    assert portal_lines(sandbox)["74950000001"]["NAME"] == ""
    assert project.line_resources() == {}

    project.write_stack({**stack, "lines": [{**stack["lines"][0], "adopt": True}]})
    project.up()
    held = portal_lines(sandbox)["74950000001"]
    assert (held["NAME"], held["CRM_AUTO_CREATE"]) == ("Reception", "Y")
    assert project.line_resources()["74950000001"]["id"] == str(held["ID"])
    project.run("preview", "--expect-no-changes")
