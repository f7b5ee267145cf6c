"""What a line's values may be, as the portal really stores them.

One home for the rules, used twice: by the stack file loader (which adds file,
line and column) and by the provider's `check` (which turns them into Pulumi
CheckFailures for a program that bypasses the stack file). Each rule raises
InputError naming the property and the fix; none calls the API.
"""

from __future__ import annotations

from provider import urls
from provider.errors import InputError
from provider.urls import Problem
from provider.urls import is_loopback as is_loopback  # its old home; callers still import it

NUMBER_MAX = 50  # varchar(50) on the portal
NAME_MAX = 255  # varchar(255) on the portal


def number(value: object) -> str:
    """A NUMBER as the portal will match it: trimmed text, exact, nothing it would mangle."""
    if not isinstance(value, str):
        raise InputError(
            "number",
            f"must be text, got {type(value).__name__}",
            'quote it, e.g. number: "74951234567"',
        )
    text = value.strip()
    if not text:
        raise InputError("number", "is empty", 'write the line\'s number, e.g. "74951234567"')
    if any(ch.isspace() for ch in text):
        raise InputError(
            "number",
            f"{text!r} contains whitespace",
            "remove the spaces; the portal matches NUMBER as an exact string",
        )
    if len(text) > NUMBER_MAX:
        raise InputError(
            "number",
            f"is {len(text)} characters long, over the portal's {NUMBER_MAX}",
            f"shorten it to at most {NUMBER_MAX} characters",
        )
    return text


def name(value: object) -> str:
    """A NAME that is never empty: newer portals delete nameless lines after 90 days unused."""
    if not isinstance(value, str):
        raise InputError(
            "name", f"must be text, got {type(value).__name__}", "quote it, e.g. name: \"Sales\""
        )
    text = value.strip()
    if not text:
        raise InputError(
            "name",
            "is empty; the portal's clean-up agent deletes nameless lines after 90 days unused",
            "give the line a name",
        )
    if len(text) > NAME_MAX:
        raise InputError(
            "name",
            f"is {len(text)} characters long, over the portal's {NAME_MAX}",
            f"shorten it to at most {NAME_MAX} characters",
        )
    return text


def crm_auto_create(value: object) -> bool:
    """Only a real boolean: the portal stores anything but the exact string "Y" as "N"."""
    if not isinstance(value, bool):
        raise InputError(
            "crm_auto_create",
            f"must be true or false, got {value!r}",
            "write crm_auto_create: true or crm_auto_create: false (unquoted)",
        )
    return value


def adopt(value: object) -> bool:
    """Only a real boolean: adopting takes over a line the portal already has, so no guessing."""
    if not isinstance(value, bool):
        raise InputError(
            "adopt",
            f"must be true or false, got {value!r}",
            "write adopt: true or adopt: false (unquoted)",
        )
    return value


def portal(value: object) -> str:
    """The portal's base URL: https, or http on loopback only (the sandbox); see provider.urls."""
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            "portal", "is missing or not text", "write portal: https://<your-portal>.bitrix24.com"
        )
    text = value.strip().rstrip("/")
    problem = urls.problem(text)
    parts = urls.split(text)
    if problem is Problem.NOT_HTTP or parts is None:
        raise InputError(
            "portal",
            f"{text!r} is not an http(s) URL",
            "write portal: https://<your-portal>.bitrix24.com",
        )
    if problem is Problem.CREDENTIALS or parts.query or parts.fragment:
        raise InputError(
            "portal",
            "must be the bare portal address, without credentials, query or fragment",
            "write only scheme and host, e.g. https://acme.bitrix24.com; credentials go in "
            "pulumi config (see README)",
        )
    if parts.path not in ("", "/"):
        raise InputError(
            "portal",
            f"{text!r} has a path ({parts.path})",
            "write only scheme and host, e.g. https://acme.bitrix24.com",
        )
    if problem is Problem.PLAIN_HTTP:
        raise InputError(
            "portal",
            f"{text!r} uses plain http on a non-loopback host; Bitrix24 requires HTTPS",
            f"write https://{parts.netloc}",
        )
    return urls.origin(text)
