"""When to repeat a failed request, how long to wait, and when to give up.

The waiting arithmetic is urllib3's: `Retry` keeps the history of failures and
computes exponential backoff with jitter from it, and a second `Retry`, mounted
on the HTTP adapter, repeats connection attempts that never reached the portal.
What urllib3 cannot know is Bitrix24's error vocabulary and which writes are safe
to repeat; that is `should_retry` below.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from urllib3.util.retry import Retry

from provider.bitrix24.errors import (
    DeadlineExceeded,
    OperationTimeLimit,
    QueryLimitExceeded,
    RetryableApiError,
    TransportError,
)

log = logging.getLogger(__name__)

DEFAULT_DEADLINE = 120.0  # seconds one operation may spend, retries included
MIN_SEND = 1.0  # seconds a request needs at least, so a reply can arrive before the deadline
MIN_SEND_SHARE = 0.1  # ... but never more than this share of a (short, test) deadline


@dataclass(frozen=True)
class RetryPolicy:
    """Knobs of the retry loop; the defaults suit a cloud portal."""

    deadline: float = DEFAULT_DEADLINE
    backoff_factor: float = 0.5  # waits 0, 1, 2, 4, ... seconds (urllib3's formula)
    backoff_max: float = 30.0
    backoff_jitter: float = 0.5
    connect_retries: int = 2  # quick re-connects inside urllib3 before we count a failure
    time_limit_step: float = 60.0
    """Seconds to wait after an OPERATION_TIME_LIMIT that says no reset time: the portal
    counts a method's time in ten one-minute buckets, so a minute is when the oldest can
    free, and trying sooner only spends requests."""
    clock: Callable[[], float] = field(default=time.monotonic, compare=False, repr=False)
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False, repr=False)
    """The time retries are measured and spent in: a test passes a fake pair, so a wait is
    recorded rather than slept, and no test depends on how fast the machine is."""

    def connection_retry(self) -> Retry:
        """urllib3 Retry for the HTTP adapter: reconnect only, never re-send a sent request."""
        return Retry(
            total=self.connect_retries,
            connect=self.connect_retries,
            read=False,
            status=0,
            other=0,
            redirect=False,
            backoff_factor=min(self.backoff_factor, 0.2),
            raise_on_status=False,
        )


def should_retry(err: Exception, idempotent: bool) -> bool:
    """True when repeating the request is safe and may help.

    A non-idempotent call (add) is repeated only when the failure proves nothing
    was applied: a connection that never reached the portal, or a limit refusal.
    """
    if isinstance(err, QueryLimitExceeded | OperationTimeLimit):
        return True
    if isinstance(err, TransportError):
        return idempotent or not err.maybe_applied
    return isinstance(err, RetryableApiError) and idempotent


class Attempts:
    """The retry state of one operation: its deadline and its urllib3 backoff history."""

    def __init__(
        self,
        policy: RetryPolicy,
        method: str,
        portal: str,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        """`clock` and `sleep` default to the policy's."""
        self._policy = policy
        self._method = method
        self._portal = portal
        self._clock = clock or policy.clock
        self._sleep = sleep or policy.sleep
        self._wall = wall
        self._start = self._clock()
        self._last: Exception | None = None
        self._retry = Retry(
            total=None,
            backoff_factor=policy.backoff_factor,
            backoff_max=policy.backoff_max,
            backoff_jitter=policy.backoff_jitter,
        )

    def remaining(self) -> float:
        """Seconds left before the deadline (never negative)."""
        return max(0.0, self._policy.deadline - (self._clock() - self._start))

    def time_to_send(self) -> float:
        """Seconds the next request may take; DeadlineExceeded instead when too few are left.

        Called after the pacer's wait and the token (a refresh may take 30 s): a request
        sent with a sliver of time would time out at once, and for `add` a timeout reads
        as "maybe applied", costing a reconciling `get` for nothing.
        """
        remaining = self.remaining()
        if remaining < min(MIN_SEND, self._policy.deadline * MIN_SEND_SHARE):
            raise DeadlineExceeded(
                self._method, self._portal, self._clock() - self._start, self._last
            ) from self._last
        return remaining

    def wait(self, err: Exception) -> None:
        """Sleep before the next try, or raise DeadlineExceeded if that would overrun."""
        self._last = err
        self._retry = self._retry.increment(method="POST", url=self._method)
        delay = self._retry.get_backoff_time()
        if isinstance(err, RetryableApiError) and err.retry_at is not None:
            delay = max(delay, err.retry_at - self._wall())
        elif isinstance(err, OperationTimeLimit):  # the server's error replies have no time
            delay = max(delay, min(self._policy.time_limit_step, self.remaining() - MIN_SEND))
        if delay >= self.remaining():
            raise DeadlineExceeded(
                self._method, self._portal, self._clock() - self._start, err
            ) from err
        log.info("retrying %s on %s in %.2f s after: %s", self._method, self._portal, delay, err)
        self._sleep(delay)
