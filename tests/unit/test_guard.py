"""The mass-delete guard's arithmetic: thresholds, what counts, what the override admits."""

from __future__ import annotations

import pytest

from provider.bitrix24.errors import InputError
from provider.stack import guard
from provider.stack.errors import UnsafeChange
from provider.stack.guard import Allowance

A = "https://acme.bitrix24.com"
B = "https://other.bitrix24.com"


def lines(count: int, portal: str = A) -> dict[str, str]:
    return {f"7495{index:07d}": portal for index in range(count)}


def test_thirty_percent_passes_and_one_more_line_stops() -> None:
    previous = lines(10)
    assert guard.check(guard.changes(previous, lines(7)), None, "s.yaml") is None
    with pytest.raises(UnsafeChange) as caught:
        guard.check(guard.changes(previous, lines(6)), None, "s.yaml")
    err = caught.value
    assert isinstance(err, InputError)
    assert (err.existing, len(err.deleted), err.replaced) == (10, 4, ())
    assert str(err).startswith("s.yaml: lines: 4 of 10 lines (40 %) would be deleted (")
    assert "Fix: if this is intended, set allow_deletes: 4 in s.yaml" in str(err)


def test_a_stack_below_the_minimum_is_not_guarded() -> None:
    assert guard.check(guard.changes(lines(9), {}), None, "s.yaml") is None


def test_a_new_stack_has_nothing_to_lose() -> None:
    assert guard.check(guard.changes({}, lines(40)), None, "s.yaml") is None


def test_a_portal_change_counts_every_line_as_replaced() -> None:
    found = guard.changes(lines(10), lines(10, B))
    assert (found.deleted, len(found.replaced), found.new_portal) == ((), 10, B)
    with pytest.raises(UnsafeChange, match=f"would be moved to {B}") as caught:
        guard.check(found, None, "s.yaml")
    assert str(caught.value).endswith(f"if not, set portal: {A} again")


@pytest.mark.parametrize(
    ("allowance", "passes"),
    [
        (Allowance(count=4), True),
        (Allowance(count=3), False),
        (Allowance(percent=40), True),
        (Allowance(percent=39.9), False),
    ],
)
def test_the_override_admits_up_to_its_count_or_share(allowance: Allowance, passes: bool) -> None:
    found = guard.changes(lines(10), lines(6))
    if passes:
        assert guard.check(found, allowance, "s.yaml") is None
    else:
        with pytest.raises(UnsafeChange, match=f"more than allow_deletes: {allowance} admits"):
            guard.check(found, allowance, "s.yaml")


def test_an_override_left_in_place_is_pointed_out() -> None:
    warning = guard.check(guard.changes(lines(10), lines(10)), Allowance(count=4), "s.yaml")
    assert warning is not None and "allow_deletes: 4 is set, but this run deletes" in warning
