"""The in-use guard's look at the portal: the program asks the call history before deleting.

It has to be the program: a line dropped from the stack file gets no `check` or `diff`
from the engine, only a `delete` at the end of the run, after the adds and updates. The
program runs before any resource is declared, so a refusal here changes nothing (the
mass-delete guard stops runs the same way). It connects with the stack's own settings
(config first, then the environment; the token store is shared with the provider, so a
refresh here is the provider's too).

- `pulumi up` with lines to delete checks them, and stops on any line in use that
  `retire:` does not list, or on anything that keeps it from knowing (no credentials,
  the permission missing, a reply it cannot read).
- `pulumi preview` checks them too when it has credentials, with the same outcome, and
  says each line's calls; without credentials (the pull-request preview holds none) it
  says they will be checked when the change is applied.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta

from provider import portals
from provider.bitrix24 import application, calls
from provider.bitrix24.auth import newest_refresh_token, uses_webhook
from provider.bitrix24.errors import CredentialsError
from provider.bitrix24.settings import read
from provider.configcheck import stack_config
from provider.stack import inuse
from provider.stack.stackfile import PortalSpec

USAGE_NOTE = "in-use guard:"
"""How each line's usage starts in the run's output; provider.plan reads it back."""


def deletions(previous: Iterable[str], spec: PortalSpec) -> list[str]:
    """The numbers in state that the stack file no longer declares: the run deletes them."""
    declared = {line.number for line in spec.lines}
    return sorted(number for number in previous if number not in declared)


def check(
    spec: PortalSpec,
    previous: Iterable[str],
    *,
    dry_run: bool,
    now: datetime | None = None,
    environ: Mapping[str, str] = os.environ,
) -> list[str]:
    """Raise what stops the run; else one line of output per line to be deleted, saying
    what the guard found (the pull-request comment shows them by number)."""
    deleted = deletions(previous, spec)
    retired = {entry.number for entry in spec.retire}
    said = {number: "listed under retire:, deleted whatever its calls" for number in retired}
    checked = [number for number in deleted if number not in retired]
    if checked and spec.in_use_days is None:
        said.update(dict.fromkeys(checked, "calls not checked (in_use_guard: false)"))
    elif checked and dry_run and not _can_connect(stack_config(), environ):
        said.update(
            dict.fromkeys(
                checked,
                "calls checked when the change is applied (this preview has no credentials)",
            )
        )
    elif checked:
        usage = _recent(spec, checked, now or datetime.now(UTC), environ)
        inuse.check(usage, retired, spec.in_use_days, spec.path)
        said.update({number: _said(usage[number], spec.in_use_days) for number in checked})
    return [f"{USAGE_NOTE} {number}: {said[number]}" for number in deleted]


def _recent(
    spec: PortalSpec, numbers: list[str], now: datetime, environ: Mapping[str, str]
) -> dict[str, calls.Usage]:
    """The calls on `numbers` within the stack's window, registered by this application."""
    assert spec.in_use_days is not None
    client = portals.client_for(spec.portal, stack_config(), environ)
    app = application.identify(client)
    return calls.recent(client, numbers, app.id, now - timedelta(days=spec.in_use_days))


def _can_connect(config: Mapping[str, str], environ: Mapping[str, str]) -> bool:
    """Whether a preview has the means to ask: an application with a token to use. A
    webhook has no application, whose ID the call history is filtered by."""
    if uses_webhook(config, environ):
        return False
    if read(config, environ, "access_token"):
        return True
    try:
        newest_refresh_token(config, environ)
    except CredentialsError:
        return False
    return True


def _said(usage: calls.Usage, days: int) -> str:
    """One line's calls as the run's output and the pull-request comment show them."""
    if not usage.calls:
        return f"no call in the last {days} days"
    plural = "" if usage.calls == 1 else "s"
    return f"{usage.calls} call{plural} in the last {days} days, the last {usage.last}"
