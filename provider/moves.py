"""Whether a portal's new address is the same portal: the one decision behind `portal`'s diff.

Spelling is settled before this (urls.origin for the file, urls.respelled for older
state): a different spelling of one address is no change at all. A real change of
address is the same portal when the portal says so:
the stack's credentials must work at the new address (so it is the portal they
belong to) and their member_id must be the one recorded with the line. The same
portal keeps its lines, updated in place; another portal gets them replaced.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from provider import portals
from provider.bitrix24.errors import AuthRejected, CredentialsError

log = logging.getLogger(__name__)

_warned: set[tuple[str, str]] = set()  # (old, new) addresses already warned about
_lock = threading.Lock()


def same_portal(olds: dict[str, Any], new_portal: str) -> bool:
    """Whether `new_portal` is the portal the line in `olds` is on, under a new address.

    State from before identities were recorded carries none: then the credentials
    working at the new address decide alone. When the credentials cannot be used (a
    plain preview has none) nothing can be asked: an update is planned, the plan
    carries a warning saying so, and `up` asks before changing anything.
    """
    try:
        api = portals.lines_for(new_portal)
    except CredentialsError as err:
        _warn_once(olds["portal"], new_portal, err.reason)
        return True
    try:
        found = api.identity(confirm=True)
    except AuthRejected as err:
        raise type(err)(
            err.method,
            err.status,
            err.code,
            err.description,
            f"{new_portal} does not accept this stack's credentials, so it is not the portal"
            f" the lines are on ({olds['portal']}): check the portal address in the stack file",
        ) from err
    recorded = olds.get("member_id") or ""
    return not (recorded and found) or recorded == found


def _warn_once(old: str, new: str, why: str) -> None:
    with _lock:
        if (old, new) in _warned:
            return
        _warned.add((old, new))
    log.warning(
        "the portal address changes from %s to %s, and this run cannot check that it is the"
        " same portal (%s), so it shows the lines updated in place. `pulumi up` checks the"
        " portal's member_id first: the same portal keeps its lines, another portal gets"
        " them replaced",
        old,
        new,
        why,
    )
