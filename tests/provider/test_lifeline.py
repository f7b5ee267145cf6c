"""The provider process ends by itself once the engine that started it is gone."""

from __future__ import annotations

import socket
from pathlib import Path

from provider.lifeline import ORPHANED_EXIT
from tests.provider.conftest import Stack
from tests.provider.host import Host, host_env

EXIT_BOUND = 60  # seconds: only a bound for a hung test, not a speed requirement


def test_the_provider_exits_when_the_engine_stops_listening(stack: Stack, tmp_path: Path) -> None:
    engine = socket.create_server(("127.0.0.1", 0))  # stands in for the CLI's gRPC server
    address = f"127.0.0.1:{engine.getsockname()[1]}"
    host = Host(host_env(stack.home), tmp_path / "host.stderr", args=[address])
    try:
        host.configure(stack.config())
        host.create(stack.line("74951234567"))  # configures the provider, which starts watching
        assert host.proc.poll() is None
        engine.close()
        assert host.proc.wait(timeout=EXIT_BOUND) == ORPHANED_EXIT
    finally:
        engine.close()
        host.close()
    assert list(stack.lines()) == ["74951234567"]
