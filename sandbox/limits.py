"""The portal's two limits: request intensity and per-method execution time.

Both take `now` from the caller so tests of the arithmetic need no sleeping.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict

BUDGET_BUCKETS = 10
"""The execution-time window is counted in ten buckets (ten minutes of one minute each)."""


class LeakyBucket:
    """The intensity limit: each request adds 1, the level drains `rate` per second.

    A request that would lift the level above `burst` is refused and not counted,
    as on a portal, where a client that keeps hammering still drains.
    """

    def __init__(self, rate: float, burst: int) -> None:
        self._lock = threading.Lock()
        self._rate = rate
        self._burst = burst
        self._level = 0.0
        self._last = 0.0

    def configure(self, rate: float, burst: int) -> None:
        """Change the drain and capacity, keeping the current level."""
        with self._lock:
            self._rate = rate
            self._burst = burst

    def take(self, now: float) -> bool:
        """Count one request; False when it is over the limit. Rate 0 admits all."""
        with self._lock:
            if self._rate == 0:
                return True
            self._level = max(0.0, self._level - (now - self._last) * self._rate)
            self._last = now
            if self._level + 1 > self._burst:
                return False
            self._level += 1
            return True


class TimeBudget:
    """Seconds of execution charged per key (pool, method) over a sliding window."""

    def __init__(self, window: float) -> None:
        self._lock = threading.Lock()
        self._window = window
        self._spent: defaultdict[tuple[str, str], dict[int, float]] = defaultdict(dict)

    def configure(self, window: float) -> None:
        """Change the window; what was charged so far is forgotten."""
        with self._lock:
            self._window = window
            self._spent.clear()

    def _live(self, key: tuple[str, str], now: float) -> dict[int, float]:
        width = self._window / BUDGET_BUCKETS
        current = int(now // width)
        buckets = self._spent[key]
        for index in [i for i in buckets if i <= current - BUDGET_BUCKETS]:
            del buckets[index]
        return buckets

    def status(self, key: tuple[str, str], now: float) -> tuple[float, int]:
        """(`operating`, `operating_reset_at`): seconds spent and when the oldest frees."""
        with self._lock:
            buckets = self._live(key, now)
            if not buckets:
                return 0.0, int(now)
            width = self._window / BUDGET_BUCKETS
            reset_at = (min(buckets) + BUDGET_BUCKETS) * width
            return round(sum(buckets.values()), 6), math.ceil(reset_at)

    def charge(self, key: tuple[str, str], seconds: float, now: float) -> None:
        """Add the execution time of one call to its method's current bucket."""
        with self._lock:
            buckets = self._live(key, now)
            index = int(now // (self._window / BUDGET_BUCKETS))
            buckets[index] = buckets.get(index, 0.0) + seconds
