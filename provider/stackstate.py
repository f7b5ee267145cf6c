"""What the stack's last run left in state: the lines the engine would delete or replace.

The program reads this before it declares a single resource, so the mass-delete
guard (provider.stack.guard) holds for a bare `pulumi up --yes` and for `preview` alike.

The source is the engine's own builtin function `pulumi:pulumi:readStackResourceOutputs`,
answered from the stack's last checkpoint: exactly the resources the engine is about
to compare the program with, whatever the stack's outputs say (a failed run or a
`pulumi refresh` leaves those behind). It is an invoke, not a resource, so it adds
no step to a preview and needs no stack output. A new stack reads as no lines.

The reply holds every resource's outputs, the provider's decrypted config among
them; only each line's NUMBER, portal and CRM-flag mark are used, and nothing of it is
logged.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import pulumi
from pulumi.runtime import invoke

from provider.bitrix24 import urls
from provider.bitrix24.errors import InputError
from provider.resource import TYPE, UNMANAGED

READ_RESOURCES = "pulumi:pulumi:readStackResourceOutputs"


ATTEMPTS = 5  # reads of the state, READ_PAUSE seconds apart and doubling
READ_PAUSE = 0.2


@dataclass(frozen=True)
class Previous:
    """What the program needs of the last state."""

    lines: dict[str, str]  # NUMBER -> portal of every ExternalLine; {} for a new stack
    flagless: list[str]  # portals whose lines state marks as keeping no CRM_AUTO_CREATE


def previous_state() -> Previous:
    """The last state's lines, and the portals the program must say keep no CRM flag."""
    outputs = [(o, str(urls.respelled(o.get("portal", "")))) for o in _line_outputs()]
    return Previous(
        {str(o["number"]): portal for o, portal in outputs},
        sorted({portal for o, portal in outputs if o.get(UNMANAGED) is False}),
    )


def _line_outputs() -> tuple[dict, ...]:
    """The outputs of every ExternalLine in the stack's last checkpoint, read once.

    The engine writes a checkpoint as the run starts, while the program runs; a file
    backend read at that moment can find the checkpoint's metadata file (`.attrs`, which
    gocloud's fileblob rewrites in place) still empty ("failed to load checkpoint: EOF",
    seen once on a loaded machine). So a failed read is tried again a few times before
    the run is stopped. A PostgreSQL backend writes each row whole.
    """
    name = f"{pulumi.get_organization()}/{pulumi.get_project()}/{pulumi.get_stack()}"
    for attempt in range(ATTEMPTS):
        try:
            reply = invoke(READ_RESOURCES, {"stackName": name}).value or {}
            break
        except Exception as err:  # the engine's error text names the stack, never a secret
            if attempt + 1 == ATTEMPTS:
                raise InputError(
                    "state",
                    "the stack's last state could not be read to check this run against it"
                    f" ({err})",
                    "check that the state backend is reachable and PULUMI_CONFIG_PASSPHRASE is"
                    " set, then run again",
                ) from None
            time.sleep(READ_PAUSE * 2**attempt)
    return tuple(
        resource.get("outputs") or {}
        for resource in (reply.get("outputs") or {}).values()
        if resource.get("type") == TYPE and "number" in (resource.get("outputs") or {})
    )
