"""How a leader gathers company: on a timeline the test plays, never the machine's clock."""

from __future__ import annotations

from collections.abc import Callable

from provider.bitrix24.batching import GATHER_MAX, STREAM_WINDOW, gather_while_joining


class Timeline:
    """Writes that join the queue at the given moments; `wait_for` plays a Condition's
    wait on it: time jumps to the next join if it comes within the timeout, else to the
    timeout."""

    def __init__(self, joins: list[float], full_at: int = 50) -> None:
        self.joins = sorted(joins)
        self.t = 0.0
        self.full_at = full_at

    def now(self) -> float:
        return self.t

    def queued(self) -> int:
        return 1 + sum(at <= self.t for at in self.joins)  # the leader's own write, and those

    def full(self) -> bool:
        return self.queued() >= self.full_at

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        if predicate():
            return True
        later = [at for at in self.joins if self.t < at <= self.t + timeout]
        self.t = later[0] if later else self.t + timeout
        return predicate()

    def gather(self) -> tuple[float, int]:
        gather_while_joining(self.full, self.queued, self.wait_for, STREAM_WINDOW, self.now)
        return round(self.t, 3), self.queued()


def test_writes_that_keep_joining_keep_the_leader_waiting_past_its_window():
    """Ten lines checked 100 ms apart: a fixed 150 ms window took two of them."""
    joins = [0.1 * n for n in range(1, 11)]
    assert Timeline(joins).gather() == (1.0 + STREAM_WINDOW, 11)


def test_a_pause_longer_than_the_window_sends_what_has_joined():
    assert Timeline([0.1, 0.2, 0.6]).gather() == (0.2 + STREAM_WINDOW, 3)


def test_a_full_request_leaves_at_once():
    assert Timeline([0.01 * n for n in range(1, 100)], full_at=50).gather() == (0.49, 50)


def test_a_stream_that_never_pauses_is_cut_at_the_most():
    joins = [0.1 * n for n in range(1, 100)]
    time_left, queued = Timeline(joins, full_at=1000).gather()
    assert time_left == GATHER_MAX and queued == 1 + round(GATHER_MAX / 0.1)


def test_a_write_alone_waits_only_the_window():
    assert Timeline([]).gather() == (STREAM_WINDOW, 1)
