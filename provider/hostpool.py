"""Room for many calls at once in Pulumi's dynamic provider host.

Why: the host the engine starts for dynamic resources (`python -m pulumi.dynamic`, the
SDK's pulumi/dynamic/__main__.py) serves gRPC from `ThreadPoolExecutor(max_workers=4)`,
fixed in the SDK. At most four provider calls run at once, so at most four writes can
wait together for one `batch` request, and 2,000 lines cost 500 requests where 40 would
do: past the portal's burst of 50, the leaky bucket then sets a pace of 2 requests/s.

The executor is a local of the host's `main()`; the only way to it is from inside: a
provider call runs on one of its worker threads. CPython's ThreadPoolExecutor reads
`_max_workers` each time it is handed a call, so raising it lets the pool grow to WIDTH
threads as calls arrive. Both facts are private to grpcio and CPython, so `widen()`
checks them before it relies on them: that the thread running it is a worker of a
ThreadPoolExecutor (found through the thread's arguments), that the pool has an integer
`_max_workers`, and that a raised `_max_workers` really makes this Python's
ThreadPoolExecutor start more threads (a probe on a pool of its own, three tasks, no
clock). If any of that fails, the host keeps its four threads, the coalescer's full
mark stays at four, and one warning names the cause. Calls already queued when the pool
is widened (the deletes of `destroy` arrive all at once, before the first one configures
the provider) get a thread each at once. The coalescer waits for no more writes than the
engine runs steps at once (`calls_at_once`). BITRIX24_WIDE_HOST=false switches
it off on purpose (today's behaviour, measured by the benchmarks as the naive provider).

Only in the host: the CLI's commands and the tests that call `portals.configure`
directly are left alone.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import weakref
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)

SDK_WIDTH = 4  # the SDK's ThreadPoolExecutor(max_workers=4)
WIDTH = 64
"""Calls the widened host serves at once: the engine's steps (PULUMI_PARALLEL=64 where
the pipelines run) plus the serial checks, most of them writes waiting for one batch."""
ENGINE_PARALLEL = "PULUMI_PARALLEL"
"""The engine's steps at once when set (it sets no other way that a plugin can see:
`--parallel` stays in the CLI); otherwise 4 per core (`defaultParallel()` in Pulumi's
pkg/cmd/pulumi/operations/up.go, 4 * GOMAXPROCS)."""
STEPS_PER_CORE = 4
SWITCH = "BITRIX24_WIDE_HOST"
OFF = ("0", "false", "no", "off")
HOST_MODULE = "pulumi.dynamic.__main__"
"""The module the engine runs as `__main__` in the provider host (`-m pulumi.dynamic`)."""

_lock = threading.Lock()
_width: int | None = None  # decided once per process


def widen(environ: Mapping[str, str]) -> int:
    """Widen the provider host's pool, once per process; the calls it serves at once.

    Call it from a provider call (`configure`): the pool found is the one running it.
    """
    global _width
    with _lock:
        if _width is None:
            _width = _decide(environ)
        return _width


def width() -> int:
    """The calls the host serves at once, as `widen` decided (the SDK's before it ran)."""
    return SDK_WIDTH if _width is None else _width


def calls_at_once(environ: Mapping[str, str]) -> int:
    """How many provider calls can be waiting together: the host's width, or fewer when the
    engine runs fewer steps at once. The coalescer stops gathering writes at this mark; one
    it can never reach (50, when the engine runs its default 8 steps on 2 cores) would hold
    every request for the whole gathering window, for company that cannot come."""
    return min(width(), engine_steps(environ))


def engine_steps(environ: Mapping[str, str]) -> int:
    """The engine's steps at once, as PULUMI_PARALLEL or the engine's default gives it."""
    value = environ.get(ENGINE_PARALLEL, "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return STEPS_PER_CORE * len(os.sched_getaffinity(0))


def _decide(environ: Mapping[str, str]) -> int:
    if not in_host():
        return SDK_WIDTH
    if environ.get(SWITCH, "").strip().lower() in OFF:
        log.info("%s is off: the provider host serves %d calls at once", SWITCH, SDK_WIDTH)
        return SDK_WIDTH
    cause = widen_pool(threading.current_thread(), WIDTH)
    if cause is not None:
        log.warning(
            "the provider host serves only %d calls at once, so a request carries at most"
            " %d writes: %s. Fix: none needed, runs are slower; report it with your"
            " Pulumi SDK and Python versions",
            SDK_WIDTH,
            SDK_WIDTH,
            cause,
        )
        return SDK_WIDTH
    log.debug("the provider host serves up to %d calls at once", WIDTH)
    return WIDTH


def in_host() -> bool:
    """Whether this process is Pulumi's dynamic provider host."""
    spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return getattr(spec, "name", None) == HOST_MODULE


def widen_pool(thread: threading.Thread, width: int) -> str | None:
    """Let the pool that runs `thread` grow to `width` threads; None, or why it cannot."""
    pool = serving_pool(thread)
    if pool is None:
        return f"the call runs on {thread.name!r}, which is no ThreadPoolExecutor's worker"
    if not isinstance(getattr(pool, "_max_workers", None), int):
        return "the host's ThreadPoolExecutor has no _max_workers to raise"
    if not grows():
        return "this Python's ThreadPoolExecutor does not grow when _max_workers is raised"
    pool._max_workers = max(pool._max_workers, width)  # type: ignore[attr-defined]
    start_threads_for_waiting_calls(pool)
    return None


def start_threads_for_waiting_calls(pool: ThreadPoolExecutor) -> None:
    """Start a thread for each call already queued in `pool`: the engine sends `destroy`'s
    deletes all at once, so they are queued behind the four workers before the first one
    configures the provider and widens the pool. The pool starts a thread only when handed
    a call (and not even then once earlier calls have finished: it counts each as an idle
    worker), so without this the queued calls would go on four at a time. One empty call
    per queued call, submitted now, starts a thread each; the threads take the queued calls
    first, in order."""
    queue = getattr(pool, "_work_queue", None)
    for _ in range(queue.qsize() if queue is not None else 0):
        pool.submit(_nothing)


def _nothing() -> None:
    """A call that only makes the pool start a thread (see start_threads_for_waiting_calls)."""


def serving_pool(thread: threading.Thread) -> ThreadPoolExecutor | None:
    """The ThreadPoolExecutor `thread` works for, if any: a worker is started with a weak
    reference to its executor as its first argument. (Its executor's `_threads` is no
    guide: a worker is added to it only after it has started, and may run a call first.)"""
    for arg in getattr(thread, "_args", ()):
        pool = arg() if isinstance(arg, weakref.ref) else None
        if isinstance(pool, ThreadPoolExecutor):
            return pool
    return None


def grows() -> bool:
    """Whether a ThreadPoolExecutor starts threads past its size once `_max_workers` is
    raised. Three tasks that block until released: each submit finds no idle worker and
    starts a thread if the limit allows, before it returns; no clock involved."""
    release = threading.Event()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hostpool-probe")
    try:
        pool._max_workers = 3  # type: ignore[attr-defined]
        for _ in range(3):
            pool.submit(release.wait)
        return len(getattr(pool, "_threads", ())) == 3
    finally:
        release.set()
        pool.shutdown(wait=True)
