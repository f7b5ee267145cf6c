"""The in-use guard: a line that still carries calls is not deleted by accident.

Deleting a line is the riskiest change a stack file makes: the number drops out of
the PBX integration's set while calls still come in on it, and the integration's next
call registration makes it again, nameless. So before a run deletes lines (a number
dropped from the file, or changed), the program asks the portal's call history about
all of them (provider.bitrix24.calls), and a line with calls within the window stops the
run before anything changes. The override is `retire:` in the stack file: exactly the
numbers listed may go, and the pull request that lists them shows it. `in_use_guard:`
sets the window in days, or turns the check off, in the same reviewed file.

Pure data in, an error out, like the mass-delete guard (provider.stack.guard).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from provider.bitrix24.errors import InputError

if TYPE_CHECKING:  # `validate` must not import the HTTP client that calls.py brings
    from provider.bitrix24.calls import Usage
from provider.stack.errors import LinesInUse

DEFAULT_DAYS = 30
MAX_DAYS = 365
WINDOW_FIX = (
    "write in_use_guard: 30 (the days of call history to look at) or in_use_guard: false"
    " (delete without looking)"
)


@dataclass(frozen=True)
class Retired:
    """A number listed under `retire:`: the in-use guard lets exactly this one go."""

    number: str
    line: int


def window(value: object) -> int | None:
    """`in_use_guard:`: whole days from 1 to MAX_DAYS, or false for no check (None)."""
    if value is False:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DAYS:
        return value
    raise InputError(
        "in_use_guard",
        f"must be a number of days from 1 to {MAX_DAYS}, or false, got {value!r}",
        WINDOW_FIX,
    )


def check(usage: Mapping[str, Usage], retired: Iterable[str], days: int, path: str) -> None:
    """Raise LinesInUse naming every line to be deleted, not retired, that carried calls."""
    let_go = set(retired)
    busy = tuple(
        usage[number] for number in sorted(usage) if usage[number].calls and number not in let_go
    )
    if not busy:
        return
    count = f"{len(busy)} line{'s' if len(busy) > 1 else ''}"
    entries = ", ".join(f'"{line.number}"' for line in busy)
    raise LinesInUse(
        path,
        busy,
        days,
        f"{count} this run would delete carried calls in the last {days} days:"
        f" {', '.join(map(str, busy))}; the PBX integration's next call on a deleted number"
        " makes it again, nameless; nothing was changed",
        f"if they are to go all the same, write retire: [{entries}] in {path} (or add them to"
        " its retire: list) and run again; if not, restore their entries under lines:",
    )


def stale(retired: Iterable[Retired], previous: Iterable[str], path: str) -> list[str]:
    """A warning for each `retire:` number the stack's state does not hold: it may be gone
    already (deleted by an earlier run), and left in the file it would wave a later line
    of that number through unchecked."""
    held = set(previous)
    return [
        f"{path}:{entry.line}: retire: {entry.number!r} is not among the stack's lines, so there"
        " is nothing to retire (it may be gone already). Fix: remove it from retire:"
        for entry in retired
        if entry.number not in held
    ]
