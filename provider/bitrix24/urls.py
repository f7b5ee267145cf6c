"""The one policy for addresses that tokens, secrets or webhook codes are sent to.

An address is acceptable when it is http(s) with a host, carries no user name or
password, and is https unless the host is loopback (the sandbox). The stack
file's portal, the credentials' URLs and the portal's redirects all go through
`problem`; each caller words the refusal in its own error class.
"""

from __future__ import annotations

import enum
import ipaddress
from urllib.parse import SplitResult, urlsplit

LOOPBACK_NAMES = frozenset({"localhost"})


class Problem(enum.Enum):
    """Why an address may not carry credentials; the value is a phrase for messages."""

    NOT_HTTP = "is not an http(s) URL"
    CREDENTIALS = "carries a user name or password"
    PLAIN_HTTP = "uses plain http on a non-loopback host"


def is_loopback(host: str) -> bool:
    """True for addresses that never leave this machine, where plain http is harmless."""
    host = host.rstrip(".")  # a fully qualified "localhost." is still this machine
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def split(url: str) -> SplitResult | None:
    """`urlsplit(url)`, or None when the text is not a URL at all (e.g. an unclosed `[`)."""
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return None
    return parts


def problem(url: str) -> Problem | None:
    """What is wrong with sending credentials to `url`, or None when nothing is."""
    parts = split(url)
    if parts is None or parts.scheme not in ("https", "http") or not parts.hostname:
        return Problem.NOT_HTTP
    if parts.username is not None or parts.password is not None:
        return Problem.CREDENTIALS
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return Problem.PLAIN_HTTP
    return None


DEFAULT_PORTS = {"https": 443, "http": 80}


def origin(url: str) -> str:
    """`scheme://host[:port]` of a URL `problem` accepted, in one spelling per address.

    Scheme and host lower-cased, a trailing dot of the host dropped, the port as a
    plain number and only when it is not the scheme's default: `HTTPS://Acme.Bitrix24.com.:0443/`
    and `https://acme.bitrix24.com` are one portal, and compare equal everywhere.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    port = parts.port
    shown = "" if port is None or port == DEFAULT_PORTS.get(scheme) else f":{port}"
    return f"{scheme}://{host}{shown}"


def respelled(portal: object) -> object:
    """A portal address from older state in today's one spelling (`origin`); anything that
    is not a URL unchanged. State written before a spelling rule changed compares equal."""
    return origin(portal) if isinstance(portal, str) and split(portal) else portal


THIS_MACHINE = frozenset({"localhost", "127.0.0.1", "::1"})  # one machine, three spellings


def registrable(host: str) -> str:
    """The part of `host` one owner controls, roughly: its last two labels.

    `acme.bitrix24.com` and `new-acme.bitrix24.com` share `bitrix24.com`; `localhost`,
    `127.0.0.1` and `::1` are this machine; any other IP address (127.0.0.2 included)
    is only itself. No public-suffix list, so `a.co.uk` and `b.co.uk` look alike: good
    enough to tell a portal rename from a move to someone else's host.
    """
    host = host.lower().rstrip(".")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "localhost" if host in THIS_MACHINE else ".".join(host.split(".")[-2:])
    return "localhost" if str(address) in THIS_MACHINE else str(address)
