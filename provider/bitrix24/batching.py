"""Coalescing: the writes to one portal that wait at the same moment share one request.

A cloud portal admits 2 requests/s after a burst of 50, and Pulumi's engine runs many
provider calls at once (provider.hostpool widens the host's four). Sent one request
each, a first `up` of 200 lines is paced at the portal's rate for 150 of them.
Bitrix24's `batch` carries up to 50 calls in one request that counts once against the
limit, so writes that are waiting together go together:

- The first write to arrive leads: it waits for the others the engine is sending (a few
  milliseconds when it writes alone; in a run, for as long as they keep joining, up to
  a full request), then for its slot in the leaky bucket, and
  takes every write that has joined by then. When the bucket is full that wait is
  half a second, so every concurrent write rides in the next request.
- A write alone is sent as the plain call, so its errors are exactly a single call's.
- A write with a value the portal could take for a batch reference (`$result[w0]`,
  `Ext $result[w1][ID] x`) is always sent as the plain call: inside a batch the portal
  replaces such a reference with an earlier command's result before the command runs,
  and there is no escape for it (see `REFERENCE`).
- Several go as one `batch` with `halt=0` (one refusal must not stop the others), each
  value percent-encoded: the portal parses a command's parameters as PHP's parse_str
  does, where `+` is a space and `&`, `=` split parameters.
- Each write gets its own result. An inner error is classified as the same call's
  error would be; inner limit refusals (429) and, for idempotent writes, server faults
  are retried by that write alone after the usual wait. A failure of the whole request
  is every write's failure: the client has already retried what was safe, an update or
  delete repeats after the usual wait, and an add is left for the caller to settle
  (provider.bitrix24.lines reads the portal once for all the adds of one failed batch).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from provider.bitrix24.classify import classify
from provider.bitrix24.errors import RetryableApiError, ServerFault, TransportError
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import Attempts, should_retry

log = logging.getLogger(__name__)

BATCH = "batch"
BATCH_MAX = 50  # commands the portal takes in one batch (ERROR_BATCH_LENGTH_EXCEEDED past it)
WINDOW = 0.005
"""Seconds the leader waits for company when it is the only writer: a write alone goes
out at once, all but."""
STREAM_WINDOW = 0.15
"""Seconds the leader waits for the next write while other workers are writing too. The
engine hands out a run's writes as it gets to them, 10 to 30 ms apart, and a worker busy
with a `check` joins later still: a leader that waited 5 ms went alone nearly every time,
spending the portal's burst one line per request (measured: 200 lines took 72 requests
with 50 ms, 55 with 150 ms, in less wall time)."""
STREAM_GAP = 1.0
"""A write from another thread this recent means the engine is running writes in
parallel, a run and not a lone change (at the portal's pace they come every 0.55 s)."""
GATHER_MAX = 2.0
"""Seconds a leader gathers at most while writes keep joining: 50 lines checked 20 to
40 ms apart, the engine's pace on a shared machine."""
FULL = 4
"""Writes that fill a request early, by default: Pulumi's dynamic provider host serves four
calls at once, so no fifth write can be waiting. A host widened by provider.hostpool
passes how many calls can be waiting together there (`full`: its width, or the engine's
steps at once when fewer), up to BATCH_MAX."""
REFERENCE = re.compile(r"\$.*\[[^\]]+\]", re.DOTALL)
"""Text the portal might rewrite inside a batch: a `$`, later a `[`, a character or more,
`]`. The portal's own rule (CRestUtil::processBatchElement) is narrower: `$` and the name
of a result part (`result`, `time`, `error`, ... in any case), then up to the next space
with a `[key]` in it. Every text that rule matches, this matches, whatever result parts a
server version has; what it matches besides (`price $5 [net]`) only goes as a plain call.
No escape survives: the rewrite runs on the decoded value, after `%XX` and `+` are gone."""
INNER_STATUS = 400
"""An error inside a batch has no HTTP status of its own; the line methods' errors have
400 when called alone, and messages show this one."""


def command(method: str, params: Mapping[str, str]) -> str:
    """One batch command, every name and value percent-encoded (a space as %20, `+` as
    %2B), so a value can neither change nor add a parameter."""
    return f"{method}?{urlencode(params, quote_via=quote)}" if params else method


def holds_reference(params: Mapping[str, str]) -> bool:
    """Whether any name or value of `params` could be rewritten as a batch reference."""
    return any(REFERENCE.search(text) for pair in params.items() for text in pair)


def gather_while_joining(
    full: Callable[[], bool],
    queued: Callable[[], int],
    wait_for: Callable[[Callable[[], bool], float], bool],
    seconds: float,
    now: Callable[[], float],
    most: float = GATHER_MAX,
) -> None:
    """Wait until `full()`, or until no write has joined for `seconds`, at most `most`.

    The engine hands out a run's writes as fast as it checks lines, one at a time, so a
    leader that left at a fixed time took only the lines checked so far, while the
    portal's burst let every request go at once (2,000 lines: 62 to 84 requests). Waiting
    while they keep coming fills the request. `wait_for` is a Condition's, under its lock.
    """
    end = now() + most
    while not full():
        left, seen = end - now(), queued()

        def joined(seen: int = seen) -> bool:
            return full() or queued() != seen

        if left <= 0 or not wait_for(joined, min(seconds, left)):
            return  # no write joined for `seconds`: the run paused or ended


def keyed(part: object) -> dict[str, Any]:
    """A reply part by command key: PHP encodes keys 0..n-1 as a list, none as []."""
    if isinstance(part, Mapping):
        return {str(key): value for key, value in part.items()}
    if isinstance(part, list):
        return {str(index): value for index, value in enumerate(part)}
    return {}


@dataclass
class _Write:
    """One write waiting for its request, and then its outcome."""

    method: str
    params: Mapping[str, str]
    idempotent: bool
    done: bool = False
    alone: bool = False  # sent as a plain call, retried by the client as one
    result: Any = None
    error: Exception | None = None


class Coalescer:
    """Sends the writes of one portal, several to a request when they wait together.

    Safe to share between threads; one per RestClient. `full` is how many writes can be
    waiting at once, the calls the provider host serves together: the leader stops
    gathering when that many have queued (at most BATCH_MAX). `gather(full, seconds)` is
    how the leader waits for company: by default until `full()`, or until no write has
    joined for `seconds` (gather_while_joining; tests pass a function that returns when
    they choose); `clock` tells a lone writer from a parallel run.
    """

    def __init__(
        self,
        client: RestClient,
        *,
        full: int = FULL,
        gather: Callable[[Callable[[], bool], float], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._full = max(1, min(full, BATCH_MAX))
        self._gather = gather or self._wait_for
        self._clock = clock
        self._lock = threading.Condition()
        self._queue: list[_Write] = []
        self._leading = False
        self._arrivals: dict[int, float] = {}  # thread -> when it last queued a write

    def _wait_for(self, full: Callable[[], bool], seconds: float) -> None:
        with self._lock:
            gather_while_joining(
                full, lambda: len(self._queue), self._lock.wait_for, seconds, time.monotonic
            )

    def _window(self) -> float:
        """How long the leader gathers: longer when other threads wrote just now. Under
        the lock."""
        now, me = self._clock(), threading.get_ident()
        self._arrivals = {t: at for t, at in self._arrivals.items() if now - at < STREAM_GAP}
        others = any(thread != me for thread in self._arrivals)
        self._arrivals[me] = now
        return STREAM_WINDOW if others else WINDOW

    def __repr__(self) -> str:
        return f"Coalescer({self._client!r})"

    def waiting(self) -> int:
        """Writes queued for the next request (for logs and tests)."""
        with self._lock:
            return len(self._queue)

    def call(self, method: str, params: Mapping[str, str], *, idempotent: bool = True) -> Any:
        """Run one write and return its `result`, raising what RestClient.call would."""
        if holds_reference(params):  # a batch would rewrite it: this one goes alone
            log.debug("sending %s as a plain call: a value looks like a batch reference", method)
            return self._client.call(method, params, idempotent=idempotent)
        attempts = Attempts(self._client.policy, method, self._client.portal)
        while True:
            write = _Write(method, params, idempotent)
            self._send(write)
            err = write.error
            if err is None:
                return write.result
            retry = isinstance(err, RetryableApiError | TransportError)
            if write.alone or not retry or not should_retry(err, idempotent):
                raise err
            attempts.wait(err)

    def _send(self, write: _Write) -> None:
        """Queue `write`; lead the next request if no one does, else wait for it."""
        with self._lock:
            window = self._window()
            self._queue.append(write)
            self._lock.notify_all()  # a gathering leader may be full now
            while not write.done and (self._leading or self._queue[:1] != [write]):
                self._lock.wait()  # taken into a request, or behind another leader
            if write.done:
                return
            self._leading = True
        group: list[_Write] = []
        try:
            self._gather(lambda: len(self._queue) >= self._full, window)
            self._client.wait_for_slot()  # writes queued meanwhile ride in this request too
            with self._lock:
                group = self._queue[:BATCH_MAX]
                del self._queue[:BATCH_MAX]
                self._leading = False
                self._lock.notify_all()  # the next in the queue may lead the next request
            if len(group) == 1:
                self._alone(group[0])  # the leader itself: it heads the queue
            else:
                self._together(group)
        finally:
            with self._lock:
                if not group:  # the wait itself failed: step aside
                    self._leading = False
                    self._queue.remove(write)
                for each in group:
                    each.done = True
                self._lock.notify_all()

    def _alone(self, write: _Write) -> None:
        write.alone = True
        try:
            write.result = self._client.call(
                write.method, write.params, idempotent=write.idempotent, slot_taken=True
            )
        except Exception as err:  # the caller raises it, in its own thread
            write.error = err

    def _together(self, group: list[_Write]) -> None:
        keys = [f"w{index}" for index in range(len(group))]
        cmd = {key: command(w.method, w.params) for key, w in zip(keys, group, strict=True)}
        log.debug("sending %d writes in one batch to %s", len(group), self._client.portal)
        try:
            reply = self._client.call(
                BATCH,
                {"halt": 0, "cmd": cmd},
                idempotent=all(w.idempotent for w in group),
                slot_taken=True,
            )
        except Exception as err:  # every write's failure; one object, so adds settle once
            for write in group:
                write.error = err
            return
        reply = reply if isinstance(reply, Mapping) else {}
        results, errors = keyed(reply.get("result")), keyed(reply.get("result_error"))
        times = keyed(reply.get("result_time"))
        for key, write in zip(keys, group, strict=True):
            if key in errors:
                body = errors[key] if isinstance(errors[key], Mapping) else {}
                write.error = classify(
                    write.method,
                    INNER_STATUS,
                    {**body, "time": times.get(key)},
                    write.params.get("NUMBER", ""),
                )
            elif key in results:
                write.result = results[key]
            else:
                write.error = ServerFault(write.method, 200, "", "a batch reply without its result")
