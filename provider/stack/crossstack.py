"""Checks across stack files: one portal's line belongs to one stack.

Two stacks that declare the same number on the same portal both take it over
(after an `adopt: true`), and destroying either deletes the other's line. Each
file is fine alone, so only a look at every stack file together finds this; the
portals are compared in their one spelling (provider.bitrix24.urls.origin), so
`https://ACME.bitrix24.com/` in one file and `https://acme.bitrix24.com` in
another are the same portal.
"""

from __future__ import annotations

from collections.abc import Iterable

from provider.stack.errors import StackFileError
from provider.stack.stackfile import PortalSpec


def duplicates(specs: Iterable[PortalSpec]) -> list[StackFileError]:
    """An error at every later declaration of a (portal, number) an earlier file declares.

    `specs` must hold each file once: a file reached twice (a symlink, or named twice)
    is not a second stack.
    """
    first: dict[tuple[str, str], tuple[str, int]] = {}  # (portal, number) -> (path, line)
    errors: list[StackFileError] = []
    for spec in specs:
        for line in spec.lines:
            owner = first.setdefault((spec.portal, line.number), (spec.path, line.line))
            if owner[0] == spec.path:
                continue
            errors.append(
                StackFileError(
                    spec.path,
                    line.line,
                    line.column,
                    "number",
                    f"{line.number!r} on {spec.portal} is declared in {owner[0]} too (line"
                    f" {owner[1]}); both stacks would own the line, and destroying either"
                    " deletes it",
                    "keep the line in one of the two stack files",
                )
            )
    return errors
