"""What the portal answered to each /rest and /oauth request, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import asdict, dataclass

LOG_LIMIT = 100_000
"""Entries kept; the oldest go first, so a long-running demo portal stays small."""


@dataclass(frozen=True)
class LogEntry:
    """One request: `status` None means the connection was dropped without a reply."""

    method: str
    """The REST method (documented spelling), or "oauth/token"."""
    app: str | None
    """The client id, "webhook:<user>", or None when no caller was identified."""
    status: int | None
    latency_ms: float
    fault: str | None
    """The injected fault (faults.FAULT_KINDS), or None."""
    error: str | None
    """The `error` code of the reply, or None on success."""
    commands: tuple[str, ...] = ()
    """The methods a `batch` ran, in order (documented spelling); empty for other calls."""


class RequestLog:
    """A thread-safe, bounded list of LogEntry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[LogEntry] = deque(maxlen=LOG_LIMIT)

    def add(self, entry: LogEntry) -> None:
        """Record one answered (or dropped) request."""
        with self._lock:
            self._entries.append(entry)

    def entries(self) -> list[dict[str, object]]:
        """The entries, oldest first, as JSON-ready dicts."""
        with self._lock:
            return [asdict(entry) for entry in self._entries]

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
