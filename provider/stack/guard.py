"""The mass-delete guard: a run may not delete or replace most of a stack's lines by accident.

A truncated or wrongly merged stack file looks exactly like a decision to delete
lines, and `pulumi up --yes` would carry it out. As octoDNS does for DNS records,
a stack that already holds at least MIN_EXISTING lines may lose or replace at most
MAX_PERCENT of them in one run; beyond that the program stops before declaring any
resource, so the engine changes nothing (in `preview` too). The override is
`allow_deletes:` in the stack file, so the pull request that needs it shows it.

Pure data in, an error out: the program gathers what the last run left in state
(provider.stackstate) and what the file declares, and calls `check`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from provider.bitrix24.errors import InputError
from provider.stack.errors import UnsafeChange

MIN_EXISTING = 10  # smaller stacks are not guarded: there a few lines are a large share
MAX_PERCENT = 30.0  # of the existing lines, deleted and replaced together
SHOWN = 5  # numbers named in a message; the count says how many more


_PERCENT = re.compile(r"(\d+(?:\.\d+)?) ?%")
ALLOW_DELETES_FIX = "write allow_deletes: 12 (a number of lines) or allow_deletes: 40% (a share)"


@dataclass(frozen=True)
class Allowance:
    """How many lines one run may delete or replace beyond the guard: a count or a share."""

    count: int | None = None
    percent: float | None = None

    def limit(self, existing: int) -> int:
        """The number of lines this allowance admits out of `existing`."""
        if self.count is not None:
            return self.count
        return math.floor(existing * (self.percent or 0.0) / 100 + 1e-9)

    def __str__(self) -> str:
        return str(self.count) if self.count is not None else f"{self.percent:g}%"


def allow_deletes(value: object) -> Allowance:
    """A whole number of lines, or a percentage written with `%` (`40%`, `12.5 %`)."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InputError("allow_deletes", f"{value} is negative", ALLOW_DELETES_FIX)
        return Allowance(count=value)
    match = _PERCENT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise InputError(
            "allow_deletes", f"must be a count or a percentage, got {value!r}", ALLOW_DELETES_FIX
        )
    percent = float(match.group(1))
    if percent > 100:
        raise InputError("allow_deletes", f"{value} is over 100%", ALLOW_DELETES_FIX)
    return Allowance(percent=percent)


@dataclass(frozen=True)
class Changes:
    """What a run would do to the lines already in state, by NUMBER."""

    existing: int
    deleted: tuple[str, ...]  # in state, no longer declared
    replaced: tuple[str, ...]  # declared on another portal address than the state's
    old_portal: str = ""  # the address in state of the first replaced line, for the message
    new_portal: str = ""  # the address it is declared on now

    @property
    def at_risk(self) -> int:
        return len(self.deleted) + len(self.replaced)

    @property
    def percent(self) -> float:
        return 100.0 * self.at_risk / self.existing if self.existing else 0.0


def changes(previous: Mapping[str, str], declared: Mapping[str, str]) -> Changes:
    """Compare the state's lines with the file's; both map NUMBER -> normalised portal.

    A line whose portal address changed counts as replaced: the program cannot ask
    the portal who it is, and only the provider learns whether the new address is
    the same portal (moved in place) or another one (every line deleted and re-added).
    """
    deleted = tuple(sorted(number for number in previous if number not in declared))
    replaced = tuple(
        sorted(
            number
            for number, portal in previous.items()
            if number in declared and declared[number] != portal
        )
    )
    if not replaced:
        return Changes(len(previous), deleted, replaced)
    return Changes(len(previous), deleted, replaced, previous[replaced[0]], declared[replaced[0]])


def check(found: Changes, allowance: Allowance | None, path: str) -> str | None:
    """Raise UnsafeChange when `found` goes beyond the guard and the allowance.

    Returns a warning when an allowance is set but this run needs none: left in the
    file, it would wave through the next mistake unseen.
    """
    guarded = found.existing >= MIN_EXISTING and found.at_risk * 100 > MAX_PERCENT * found.existing
    if not guarded:
        if allowance is not None and found.at_risk == 0:
            return (
                f"{path}: allow_deletes: {allowance} is set, but this run deletes and replaces no"
                " line; remove it, or it will let the next mass delete through unchecked"
            )
        return None
    if allowance is not None and found.at_risk <= allowance.limit(found.existing):
        return None
    counted = f"{found.at_risk} of {found.existing} lines ({found.percent:.0f} %) would be"
    parts = []
    if found.deleted:
        parts.append(f"deleted ({_some(found.deleted)})")
    if found.replaced:
        parts.append(
            f"moved to {found.new_portal} ({_some(found.replaced)}), which replaces them unless it"
            " is the same portal"
        )
    over = f"over the guard's {MAX_PERCENT:.0f} % for a stack of {MIN_EXISTING} lines or more"
    if allowance is not None:
        over = f"more than allow_deletes: {allowance} admits"
    raise UnsafeChange(
        path,
        found.existing,
        found.deleted,
        found.replaced,
        f"{counted} {' and '.join(parts)}, {over}; nothing was changed",
        f"if this is intended, set allow_deletes: {found.at_risk} in {path} for this run and"
        f" remove it afterwards; if not, {_undo(found)}",
    )


def _undo(found: Changes) -> str:
    """What puts the file back, in the words of the change it undoes."""
    undo = ["restore the missing lines"] if found.deleted else []
    if found.replaced:
        undo.append(f"set portal: {found.old_portal} again")
    return " and ".join(undo)


def _some(numbers: tuple[str, ...]) -> str:
    """A few numbers for the message, and how many more there are."""
    shown = ", ".join(numbers[:SHOWN])
    rest = len(numbers) - SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown
