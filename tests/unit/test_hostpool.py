"""provider.hostpool finds the pool that runs a call, widens it, and says why when it cannot.

The pools here are real ThreadPoolExecutors; the provider host itself is driven in
tests/provider/test_hostpool.py and through the CLI in tests/e2e/test_wide_host.py.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import types
from concurrent.futures import ThreadPoolExecutor

import pytest

from provider import hostpool


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """A process in which nothing has been decided yet."""
    monkeypatch.setattr(hostpool, "_width", None)


@pytest.fixture
def in_the_host(monkeypatch: pytest.MonkeyPatch, fresh: None) -> None:
    """`__main__` as `python -m pulumi.dynamic` leaves it."""
    main = types.ModuleType("__main__")
    main.__spec__ = types.SimpleNamespace(name=hostpool.HOST_MODULE)  # type: ignore[assignment]
    monkeypatch.setitem(sys.modules, "__main__", main)


def widen_me(width: int) -> str | None:
    """Widen the pool that runs this call (its cause if it cannot)."""
    return hostpool.widen_pool(threading.current_thread(), width)


def test_this_python_grows_a_pool_whose_max_workers_was_raised() -> None:
    assert hostpool.grows()


def test_a_call_on_a_pool_worker_widens_that_pool() -> None:
    release = threading.Event()
    with ThreadPoolExecutor(max_workers=2) as pool:
        assert pool.submit(widen_me, 8).result() is None
        assert pool._max_workers == 8  # type: ignore[attr-defined]
        for _ in range(8):
            pool.submit(release.wait)
        assert len(pool._threads) == 8  # type: ignore[attr-defined]
        release.set()


def test_calls_queued_before_the_widening_get_a_thread_each_at_once() -> None:
    """As `destroy`'s deletes: queued behind a full pool before the first one widens it."""
    start, release = threading.Event(), threading.Event()

    def widen_then_hold() -> int:
        start.wait()
        assert widen_me(8) is None
        return len(pool._threads)  # type: ignore[attr-defined]

    with ThreadPoolExecutor(max_workers=1) as pool:
        widening = pool.submit(widen_then_hold)
        queued = [pool.submit(release.wait) for _ in range(5)]
        start.set()
        try:
            assert widening.result() == 6  # the widening worker and one for each queued call
        finally:
            release.set()  # else the pool's shutdown would wait for them forever
        assert all(call.result() for call in queued)


def test_a_wider_pool_is_not_narrowed() -> None:
    with ThreadPoolExecutor(max_workers=100) as pool:
        assert pool.submit(widen_me, 8).result() is None
        assert pool._max_workers == 100  # type: ignore[attr-defined]


def test_a_thread_of_no_pool_is_named_as_the_cause() -> None:
    cause = hostpool.widen_pool(threading.current_thread(), 8)
    assert cause == "the call runs on 'MainThread', which is no ThreadPoolExecutor's worker"


def test_a_pool_without_max_workers_is_named_as_the_cause() -> None:
    with ThreadPoolExecutor(max_workers=2) as pool:
        pool.submit(lambda: None).result()
        del pool._max_workers  # type: ignore[attr-defined]
        cause = pool.submit(widen_me, 8).result()
    assert cause == "the host's ThreadPoolExecutor has no _max_workers to raise"


def test_outside_the_host_nothing_is_touched_or_said(
    fresh: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="provider"):
        assert hostpool.widen({}) == hostpool.SDK_WIDTH
    assert caplog.records == []


def test_in_the_host_a_failure_is_one_warning_and_the_sdks_width(
    in_the_host: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="provider"):
        assert hostpool.widen({}) == hostpool.SDK_WIDTH  # the main thread: no pool
        assert hostpool.widen({}) == hostpool.SDK_WIDTH  # decided once
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "the provider host serves only 4 calls at once, so a request carries at most 4"
            " writes: the call runs on 'MainThread', which is no ThreadPoolExecutor's worker."
            " Fix: none needed, runs are slower; report it with your Pulumi SDK and Python"
            " versions",
        )
    ]
    assert hostpool.width() == hostpool.SDK_WIDTH


def test_in_the_host_a_call_on_a_pool_worker_widens_it(in_the_host: None) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert pool.submit(hostpool.widen, {}).result() == hostpool.WIDTH
        assert pool._max_workers == hostpool.WIDTH  # type: ignore[attr-defined]
    assert hostpool.width() == hostpool.WIDTH


@pytest.mark.parametrize("value", ["false", "0", "OFF", " no "])
def test_switched_off_the_host_keeps_its_four(in_the_host: None, value: str) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert pool.submit(hostpool.widen, {hostpool.SWITCH: value}).result() == 4
        assert pool._max_workers == 4  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("parallel", "steps"),
    [("64", 64), (" 16 ", 16), ("", None), ("0", None), ("x", None)],
)
def test_the_engine_steps_are_pulumi_parallel_or_four_per_core(parallel: str, steps) -> None:
    default = 4 * len(os.sched_getaffinity(0))  # the engine's 4 per core
    assert hostpool.engine_steps({hostpool.ENGINE_PARALLEL: parallel}) == (steps or default)
    assert hostpool.engine_steps({}) == default


@pytest.mark.parametrize(("parallel", "mark"), [("64", 64), ("8", 8), ("2", 2)])
def test_a_widened_host_waits_for_no_more_writes_than_the_engine_runs_at_once(
    monkeypatch: pytest.MonkeyPatch, parallel: str, mark: int
) -> None:
    monkeypatch.setattr(hostpool, "_width", hostpool.WIDTH)
    assert hostpool.calls_at_once({hostpool.ENGINE_PARALLEL: parallel}) == mark


def test_a_host_left_at_four_waits_for_four_at_most(fresh: None) -> None:
    assert hostpool.calls_at_once({hostpool.ENGINE_PARALLEL: "64"}) == hostpool.SDK_WIDTH
