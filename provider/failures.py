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
"""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from provider.bitrix24.errors import Bitrix24Error

_P = ParamSpec("_P")
_R = TypeVar("_R")
BUG_FRAMES = 64  # enough of a bug's traceback to find it


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
