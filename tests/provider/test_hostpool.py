"""The real provider host, widened by provider.hostpool, runs many more than four calls at once.

The SDK's host serves gRPC from `ThreadPoolExecutor(max_workers=4)`: a fifth call waits
for a free thread. Here forty creates are sent at once to a host whose client may send
one request and then one per thousand seconds, so every create that the host runs waits
inside the provider (for its turn in the rate limit) and keeps its thread. The host's
thread count then tells how many run at once, whatever the machine's speed.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from pulumi.runtime import proto

from provider import hostpool
from tests.provider.conftest import Stack
from tests.provider.host import TYPE, Host, host_env, struct, urn

WRITERS = 40
HANG_GUARD = 60.0  # seconds: only a bound for a hung test, not a speed requirement


def threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def until(condition, what: str) -> None:
    give_up = time.monotonic() + HANG_GUARD
    while not condition():
        assert time.monotonic() < give_up, what
        time.sleep(0.05)


def test_forty_creates_run_at_once_in_the_widened_host(stack: Stack, tmp_path: Path) -> None:
    env = {**host_env(stack.home), "BITRIX24_LOG_LEVEL": "DEBUG"}
    host = Host(env, tmp_path / "host.stderr")
    calls = []
    try:
        host.configure(stack.config(rateLimit="0.001/1"))  # one request, then 1 per 1,000 s
        host.create(stack.line("74950000000"))  # configures the provider, spends the request
        pid = host.proc.pid
        before = threads(pid)
        for n in range(1, WRITERS + 1):
            request = proto.CreateRequest(
                urn=urn(f"line{n}"), type=TYPE, properties=struct(stack.line(f"7495000{n:04d}"))
            )
            calls.append(host.stub.Create.future(request, timeout=HANG_GUARD * 2))
        # Each running create holds a worker; the SDK's pool would stop at four workers.
        until(
            lambda: threads(pid) >= before + WRITERS - hostpool.SDK_WIDTH,
            f"fewer than {WRITERS} creates ran at once: {threads(pid)} threads, {before} before",
        )
        assert list(stack.lines()) == ["74950000000"]  # the others wait for their turn
    finally:
        for call in calls:
            call.cancel()
        host.close()
    stderr = host.stderr()
    stack.assert_clean(stderr)
    assert f"the provider host serves up to {hostpool.WIDTH} calls at once" in stderr


def test_calls_waiting_when_the_host_is_widened_run_at_once(stack: Stack, tmp_path: Path) -> None:
    """As `destroy` sends its deletes: all at once, so forty calls are queued behind the
    SDK's four workers before the first one configures the provider and widens the pool.
    Those queued calls must not go on four at a time."""
    host = Host(host_env(stack.home), tmp_path / "host.stderr")
    calls = []
    try:
        host.configure(stack.config(rateLimit="0.001/1"))  # one request, then 1 per 1,000 s
        pid = host.proc.pid
        before = threads(pid)
        for n in range(WRITERS):
            request = proto.CreateRequest(
                urn=urn(f"line{n}"), type=TYPE, properties=struct(stack.line(f"7495000{n:04d}"))
            )
            calls.append(host.stub.Create.future(request, timeout=HANG_GUARD * 2))
        # Most of them hold a thread of their own; left queued, four would, and no more.
        until(
            lambda: threads(pid) >= before + WRITERS // 2,
            f"the calls queued before the widening still run four at a time: {threads(pid)}"
            f" threads, {before} before",
        )
    finally:
        for call in calls:
            call.cancel()
        host.close()
    stack.assert_clean(host.stderr())


def test_switched_off_the_host_says_so_and_keeps_its_four(stack: Stack, tmp_path: Path) -> None:
    env = {**host_env(stack.home), "BITRIX24_LOG_LEVEL": "INFO", hostpool.SWITCH: "false"}
    host = Host(env, tmp_path / "host.stderr")
    try:
        host.configure(stack.config())
        host.create(stack.line("74950000000"))
    finally:
        host.close()
    assert host.stderr() == (
        f"bitrix24 INFO: {hostpool.SWITCH} is off: the provider host serves 4 calls at once\n"
    )
