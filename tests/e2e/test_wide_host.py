"""The provider host runs many calls at once, so one request carries more than four writes.

Pulumi's dynamic provider host serves four calls at once; provider.hostpool widens it
from inside, through internals of grpcio and CPython that a new version could change.
Should the lift stop working, runs would not fail: they would go four writes to a
request again, at the portal's pace. This test is what notices. 150 lines, with the
pipelines' PULUMI_PARALLEL, the client paced at one request a second: every write the
engine has started waits for the next request, so with the lift batches carry dozens of
writes and without it never more than four. Switched off (BITRIX24_WIDE_HOST=false, the
fallback's behaviour) the same run is the control: it shows the measure tells them apart.
"""

from __future__ import annotations

import pytest

from provider.hostpool import SDK_WIDTH, SWITCH
from tests.e2e.conftest import CLIENT_ID, portal_lines, stack_file

LINES = 150
PARALLEL = "64"  # as the pipelines in ci/ and scripts/env.sh set it


@pytest.mark.parametrize("wide", [True, False], ids=["widened", "switched-off"])
def test_a_request_carries_more_than_four_writes_only_in_the_widened_host(
    project, sandbox, wide: bool
):
    project.env["PULUMI_PARALLEL"] = PARALLEL
    if not wide:
        project.env[SWITCH] = "false"
    project.config_set("bitrix24:rateLimit", "1/1")
    lines = [(f"7495{n:07d}", f"Line {n}") for n in range(LINES)]
    project.write_stack(stack_file(sandbox, *lines))
    sandbox.clear_log()
    up = project.up()
    log = [e for e in sandbox.request_log() if e["method"] != "oauth/token"]
    writes = [len(e["commands"]) or 1 for e in log]
    print(f"\n{'widened' if wide else 'switched off'}: writes per request {writes}")
    assert "calls at once" not in up.stdout + up.stderr  # no fallback warning
    if wide:
        assert max(writes) > SDK_WIDTH, (
            f"no request carried more than {SDK_WIDTH} writes ({writes}): the provider host"
            " serves four calls at once again. Fix: see provider/hostpool.py; run with"
            " BITRIX24_LOG_LEVEL=DEBUG for the host's own account"
        )
    else:
        assert max(writes) <= SDK_WIDTH
    assert {n: line["NAME"] for n, line in portal_lines(sandbox).items()} == dict(lines)
    assert len(sandbox.lines(CLIENT_ID)) == LINES
