"""The stack layer's errors: a bad stack file, and a run a guard stops.

They extend InputError of provider.bitrix24.errors, where the whole tree is drawn, so a
caller that catches InputError (the program, the provider's check) catches these too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from provider.bitrix24.errors import InputError

if TYPE_CHECKING:  # `validate` must not import the HTTP client that calls.py brings
    from provider.bitrix24.calls import Usage


class StackFileError(InputError):
    """An InputError located in a stack file, so editors and CI can jump to it."""

    def __init__(self, path: str, line: int, column: int, prop: str, reason: str, fix: str) -> None:
        self.path = path
        self.line = line
        self.column = column
        InputError.__init__(self, prop, reason, fix)
        self.args = (f"{path}:{line}:{column}: {prop}: {reason}. Fix: {fix}",)

    def __str__(self) -> str:
        return self.args[0]


class StackFileErrors(InputError):
    """Every error found in one stack file, so one run shows all there is to fix.

    `errors` holds each StackFileError in file order; the message has one per line.
    """

    def __init__(self, errors: Iterable[StackFileError]) -> None:
        self.errors = tuple(sorted(errors, key=lambda err: (err.line, err.column)))
        self.path = self.errors[0].path
        count = len(self.errors)
        InputError.__init__(
            self,
            "stack file",
            f"{self.path} has {count} error{'s' if count > 1 else ''}",
            "fix each error listed",
        )
        self.args = ("\n".join(str(err) for err in self.errors),)

    def __str__(self) -> str:
        return self.args[0]


class GuardRefusal(InputError):
    """A guard stopped a run before anything changed, over the file's `lines:` as a whole:
    the message names the file, not a line of it."""

    def __init__(self, path: str, reason: str, fix: str) -> None:
        self.path = path
        InputError.__init__(self, "lines", reason, fix)
        self.args = (f"{path}: lines: {reason}. Fix: {fix}",)

    def __str__(self) -> str:
        return self.args[0]


class UnsafeChange(GuardRefusal):
    """The mass-delete guard stopped a run (provider.stack.guard).

    `deleted` and `replaced` are the numbers at risk, `existing` the lines in state.
    """

    def __init__(
        self,
        path: str,
        existing: int,
        deleted: tuple[str, ...],
        replaced: tuple[str, ...],
        reason: str,
        fix: str,
    ) -> None:
        self.existing = existing
        self.deleted = deleted
        self.replaced = replaced
        super().__init__(path, reason, fix)


class LinesInUse(GuardRefusal):
    """The in-use guard stopped a run: lines it would delete carried calls lately
    (provider.stack.inuse). `busy` holds each such line's usage, `days` the window."""

    def __init__(self, path: str, busy: tuple[Usage, ...], days: int, reason: str, fix: str):
        self.busy = busy
        self.days = days
        super().__init__(path, reason, fix)
