"""What every REST method is given and what it is: the caller, the portal's parts, the
method's description, and the shapes a method answers with.

Kept apart from methods.py, which holds the registry, so that each group of methods
(lines, the application's own, calls, call history) can live in a module of its own and
still be listed in one registry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from .errors import ApiError
from .limits import TimeBudget
from .settings import Settings
from .store import App, Store


@dataclass(frozen=True)
class Caller:
    """Who is calling: an application (OAuth) or an incoming webhook."""

    pool: str
    """The pool of lines the caller sees: the client id, or WEBHOOK_POOL."""
    label: str
    """How the request log names the caller: the client id, or "webhook:<user>"."""
    scopes: tuple[str, ...]
    app: App | None
    """None for a webhook call."""


@dataclass(frozen=True)
class Context:
    """What a method needs to run one call."""

    store: Store
    settings: Settings
    budget: TimeBudget
    caller: Caller


class Webhooks(Enum):
    """Whether a method admits incoming-webhook calls."""

    ALWAYS = "always"
    SWITCH = "switch"
    """Only when `Settings.webhooks_allowed`: the docs refuse, the server source admits."""
    NEVER = "never"


@dataclass(frozen=True)
class Method:
    """A REST method: its implementation and what a caller needs to use it."""

    name: str
    run: Callable[[Context, dict[str, object]], object]
    scope: str | None
    webhooks: Webhooks


@dataclass(frozen=True)
class Page:
    """One page of a list method's rows, with the count of all rows that match and where
    the next page starts (None on the last page). The portal moves `next` and `total` out
    of the result into the reply beside it (CRestServer::processResponse)."""

    rows: list[object]
    total: int
    next: int | None


def business_error(ctx: Context, description: str) -> ApiError:
    """A method's own refusal: HTTP 400 with the code the portal gives such errors."""
    return ApiError(400, ctx.settings.error_code, description)
