"""Client-side pacing, so a normal run never meets the portal's 503 QUERY_LIMIT_EXCEEDED.

The portal counts requests in a leaky bucket per portal (drains `rate` per second,
refuses above `burst`). We keep our own copy of that bucket, a little smaller and
slower than the portal's, and make each request wait for room before it is sent.
One bucket per portal per process, shared by every thread: the Pulumi engine runs
up to four provider calls at once against the same portal.

What we cannot see is the portal's bucket as others fill it (another process,
another integration on the same IP, our own previous run seconds ago); the retry
layer absorbs those 503s and calls `saturate()` so every thread slows down at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

DEFAULT_RATE = 2.0  # requests per second a cloud portal drains (Enterprise: 5)
DEFAULT_BURST = 50  # requests a cloud portal admits at once (Enterprise: 250)
SAFETY = 0.9  # use 90 % of the portal's rate and burst: clocks and other callers drift


class Pacer(Protocol):
    """What the REST client needs: wait for room before a request, back off after a 503."""

    def acquire(self) -> None: ...

    def saturate(self) -> None: ...


class Unpaced:
    """A Pacer that never waits: for portals with limits off (benchmarks, tests)."""

    def acquire(self) -> None:
        """Send at once."""

    def saturate(self) -> None:
        """Nothing to slow down."""


class LeakyBucket:
    """Reserves a slot per request; callers sleep outside the lock, in arrival order.

    `level` may exceed `capacity`: the excess is requests already promised a slot
    and sleeping until it comes, so a late caller queues behind them.
    """

    def __init__(
        self,
        rate: float = DEFAULT_RATE,
        burst: int = DEFAULT_BURST,
        *,
        safety: float = SAFETY,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0 or burst < 1 or not 0 < safety <= 1:
            raise ValueError("rate must be > 0, burst >= 1 and 0 < safety <= 1")
        self.rate = rate * safety
        self.capacity = max(1.0, burst * safety)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._level = 0.0
        self._last = clock()

    def _drain(self) -> float:
        now = self._clock()
        self._level = max(0.0, self._level - (now - self._last) * self.rate)
        self._last = now
        return now

    def acquire(self) -> None:
        """Block until this request fits in the bucket."""
        with self._lock:
            self._drain()
            wait = max(0.0, (self._level + 1 - self.capacity) / self.rate)
            self._level += 1
        if wait:
            self._sleep(wait)

    def saturate(self) -> None:
        """The portal said its bucket is full: assume ours is too."""
        with self._lock:
            self._drain()
            self._level = max(self._level, self.capacity)

    def __repr__(self) -> str:
        return f"LeakyBucket(rate={self.rate:g}/s, capacity={self.capacity:g})"


_buckets: dict[str, LeakyBucket] = {}
_registry_lock = threading.Lock()


def bucket_for(portal: str, rate: float = DEFAULT_RATE, burst: int = DEFAULT_BURST) -> LeakyBucket:
    """The process-wide bucket of `portal`; the first caller's rate and burst stick."""
    with _registry_lock:
        bucket = _buckets.get(portal)
        if bucket is None:
            bucket = _buckets[portal] = LeakyBucket(rate, burst)
        return bucket
