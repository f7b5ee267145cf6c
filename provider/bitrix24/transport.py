"""What a failed HTTP request tells about whether it reached the server.

A request whose connection never opened (the name did not resolve, the connection
was refused, connecting timed out) changed nothing there: it is safe to repeat,
and its message must not say "it may have been applied". Anything later (a read
timeout, a dropped connection) may have been applied, and only the server's
state can tell.
"""

from __future__ import annotations

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError


def _reason(err: requests.RequestException) -> object:
    """urllib3's own exception inside requests' wrapper (MaxRetryError.reason), if any."""
    return getattr(err.args[0], "reason", None) if err.args else None


def never_sent(err: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server (refused, connect timeout)."""
    if isinstance(err, requests.ConnectTimeout):
        return True
    return isinstance(_reason(err), ConnectTimeoutError)  # NewConnectionError is one too


def unresolved(err: requests.RequestException) -> str | None:
    """urllib3's words when the host name did not resolve ("Failed to resolve 'host' (...)"),
    else None: a DNS failure is a setting or a network to fix, not a moment to wait out."""
    reason = _reason(err)
    if not isinstance(reason, NameResolutionError):
        return None
    return str(reason).split(": ", 1)[-1]  # without the connection object's repr
