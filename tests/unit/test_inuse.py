"""The in-use guard's rule, on hand-made usage: who stops a run, and what the message says."""

from __future__ import annotations

import pytest

from provider.bitrix24.calls import Usage
from provider.bitrix24.errors import InputError
from provider.stack import inuse
from provider.stack.errors import LinesInUse
from provider.stack.inuse import Retired


def test_a_line_with_calls_stops_the_run_naming_count_last_call_and_the_retire_fix():
    usage = {
        "+7495": Usage("+7495", 12, "2026-12-06T14:03:00+03:00"),
        "7496": Usage("7496", 0),
        "7497": Usage("7497", 1, "2026-11-20T09:00:00+03:00"),
    }
    with pytest.raises(LinesInUse) as caught:
        inuse.check(usage, retired=[], days=30, path="stacks/prod.yaml")
    assert [line.number for line in caught.value.busy] == ["+7495", "7497"]
    assert str(caught.value) == (
        "stacks/prod.yaml: lines: 2 lines this run would delete carried calls in the last 30"
        " days: +7495 (12 calls, last 2026-12-06T14:03:00+03:00), 7497 (1 call, last"
        " 2026-11-20T09:00:00+03:00); the PBX integration's next call on a deleted number makes"
        " it again, nameless; nothing was changed. Fix: if they are to go all the same, write"
        ' retire: ["+7495", "7497"] in stacks/prod.yaml (or add them to its retire: list) and'
        " run again; if not, restore their entries under lines:"
    )
    assert isinstance(caught.value, InputError)


def test_retired_and_idle_lines_go():
    usage = {"+7495": Usage("+7495", 12, "x"), "7496": Usage("7496", 0)}
    assert inuse.check(usage, retired=["+7495"], days=30, path="p") is None


@pytest.mark.parametrize(("value", "days"), [(False, None), (1, 1), (30, 30), (365, 365)])
def test_the_window_is_days_or_false(value: object, days: int | None):
    assert inuse.window(value) == days


@pytest.mark.parametrize("value", [0, 366, -1, True, "30", 1.5, None])
def test_a_bad_window_is_refused_with_the_fix(value: object):
    with pytest.raises(InputError, match="Fix: write in_use_guard: 30"):
        inuse.window(value)


def test_a_retired_number_not_in_state_is_only_a_warning_with_its_line():
    said = inuse.stale([Retired("7496", 7), Retired("7497", 8)], ["7497"], "stacks/prod.yaml")
    assert said == [
        "stacks/prod.yaml:7: retire: '7496' is not among the stack's lines, so there is nothing"
        " to retire (it may be gone already). Fix: remove it from retire:"
    ]
