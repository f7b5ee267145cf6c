"""How a provider error reaches the user: one message, one fix, no traceback.

Pulumi's dynamic provider host turns whatever a provider method raises into
`traceback.format_exc()`, and the engine prints that text whole under the
resource: some thirty lines of frames, and for a chained exception the cause's
message (with its own, different fix) as well. Two things reduce it to one line:
`sys.tracebacklimit = 0` leaves no frames and so no "Traceback" header, and
raising `from None` leaves no chain. What the engine then shows is
`error: bitrix24: <message>. Fix: <what to do>`.

An error the product did not expect (a bug) keeps its traceback, written into
the message here, since the host's own formatting no longer has frames.

The program's own refusals (a bad stack file, the mass-delete guard, a credential in
clear config) take another road to the same one line: `stop` logs the message and
exits with the code the language host reads as "already shown to the user". A
`pulumi.RunError` would not do: the exec script exits 1 after one, and the official
Python language host prints a second error under it, "an unhandled error occurred:
program exited with non-zero exit code: 1" (docs/pulumi-facts.md).
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import NoReturn, ParamSpec, TypeVar

import pulumi

from provider.bitrix24.errors import Bitrix24Error

_P = ParamSpec("_P")
_R = TypeVar("_R")
BUG_FRAMES = 64  # enough of a bug's traceback to find it
USER_ACTIONABLE_EXIT = 32
"""The exit code that tells the language host the program showed its error already:
PYTHON_PROCESS_EXITED_AFTER_SHOWING_USER_ACTIONABLE_MESSAGE_CODE of the exec script,
pythonProcessExitedAfterShowingUserActionableMessage of the official host, which bails
without a message of its own on it and only on it."""


class ProviderFailure(Exception):
    """What a provider method raises for the host to print: only the message."""


# format_exc names the type before the message; in `builtins` it has no module path.
ProviderFailure.__module__ = "builtins"
ProviderFailure.__qualname__ = "bitrix24"


def reported(method: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run a provider method; re-raise any failure in the one form the host prints cleanly."""

    @functools.wraps(method)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        try:
            return method(*args, **kwargs)
        except Bitrix24Error as err:
            failure = ProviderFailure(str(err))
        except Exception as err:
            failure = ProviderFailure(
                "".join(traceback.format_exception(err, limit=BUG_FRAMES)).rstrip()
            )
        # Process-wide, and only the provider process gets here: every failure of the
        # provider's methods passes through this wrapper, a bug with its frames kept above.
        sys.tracebacklimit = 0
        raise failure from None

    return wrapper


def stop(err: Bitrix24Error) -> NoReturn:
    """End the Pulumi program on an error the user can act on: its message, and nothing else.

    Called before any resource is declared, so the engine has nothing to change. The log
    call is synchronous (no resource to wait for), so the message reaches the engine first.
    """
    pulumi.log.error(str(err))
    sys.exit(USER_ACTIONABLE_EXIT)
