"""Stop the provider process as soon as the Pulumi CLI that started it is gone.

The engine starts the provider through a shell script, so when the CLI is killed
(`kill -9`, a runner that dies) nothing tells the provider: its parent is still
the shell, and the calls it is serving go on adding lines that no state will
record. The engine passes its own gRPC address as the plugin's last argument;
while the CLI lives, something listens there. A watcher thread tries to connect
every WATCH_INTERVAL seconds, and `check()` does the same before every request
to the portal; the first refusal ends the process at once, mid-call if need be:
no one is left to hear the result, and the next run adopts what landed.

A connection attempt is used rather than the parent's pid because it works the
same on every OS and through the shell script in between.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import threading
import time
from collections.abc import Sequence

WATCH_INTERVAL = 0.5  # seconds between two looks at the engine
PROBE_TIMEOUT = 2.0  # a live engine on loopback accepts at once; a slow one is not dead
ORPHANED_EXIT = 70  # nobody reads it; distinct, for a person looking at a process table

_engine: tuple[str, int] | None = None
_started = threading.Lock()


def engine_address(argv: Sequence[str]) -> tuple[str, int] | None:
    """The engine's `host:port` among the plugin's arguments (the last one that is one).

    Only an IP address or localhost counts: the engine listens on loopback, and nothing
    else in a command line (a test runner's, say) may be taken for it.
    """
    for arg in reversed(argv[1:]):
        host, _, port = arg.rpartition(":")
        if port.isdigit() and (host == "localhost" or _is_ip(host.strip("[]"))):
            return host.strip("[]"), int(port)
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def watch(argv: Sequence[str]) -> None:
    """Start watching the engine named in `argv` (once per process; no address, no watch)."""
    global _engine
    with _started:
        if _engine is not None:
            return
        _engine = engine_address(argv)
        if _engine is None:
            return
    threading.Thread(target=_watch, name="engine-lifeline", daemon=True).start()


def check() -> None:
    """End the process now if the engine is gone: called before each request to a portal."""
    if _engine is not None and not _alive(_engine):
        os._exit(ORPHANED_EXIT)


def _watch() -> None:
    while True:
        time.sleep(WATCH_INTERVAL)
        check()


def _alive(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=PROBE_TIMEOUT):
            return True
    except TimeoutError:
        return True  # busy, not gone
    except OSError:
        return False
