"""What a line's values may be, as the portal really stores them.

One home for the rules, used twice: by the stack file loader (which adds file,
line and column) and by the provider's `check` (which turns them into Pulumi
CheckFailures for a program that bypasses the stack file). Each rule raises
InputError naming the property and the fix; none calls the API. The defaults of
the optional properties live here too (`DEFAULTS`, `default_name`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from types import MappingProxyType

from provider.bitrix24 import urls
from provider.bitrix24.errors import InputError
from provider.bitrix24.urls import Problem
from provider.bitrix24.urls import (
    is_loopback as is_loopback,  # its old home; callers still import it
)

NUMBER_MAX = 50  # varchar(50) on the portal
NAME_MAX = 255  # varchar(255) on the portal
EXAMPLE_NUMBER = "74951234567"

DEFAULTS: Mapping[str, bool] = MappingProxyType(
    {"crm_auto_create": True, "adopt": False, "protect": False}
)
"""The value of each optional boolean when it is not given (the API's CRM default is "Y").
`name` has a default too, computed from the number: see `default_name`."""


def default_name(number: str) -> str:
    """A line's name when none is given: its number, so it is never nameless (see `name`)."""
    return number


def _text(
    prop: str,
    value: object,
    *,
    example: str,
    maximum: int,
    empty: tuple[str, str],
    refuse: Callable[[str], None] | None = None,
) -> str:
    """Trimmed text of at most `maximum` characters; `empty` is the (reason, fix) for
    blank text, and `refuse` may raise for what else this property forbids."""
    if not isinstance(value, str):
        raise InputError(
            prop, f"must be text, got {type(value).__name__}", f'quote it, e.g. {prop}: "{example}"'
        )
    text = value.strip()
    if not text:
        raise InputError(prop, *empty)
    if refuse is not None:
        refuse(text)
    if len(text) > maximum:
        raise InputError(
            prop,
            f"is {len(text)} characters long, over the portal's {maximum}",
            f"shorten it to at most {maximum} characters",
        )
    return text


def _boolean(prop: str, value: object) -> bool:
    """Only a real boolean, never a string or number that might be read either way."""
    if not isinstance(value, bool):
        raise InputError(
            prop,
            f"must be true or false, got {value!r}",
            f"write {prop}: true or {prop}: false (unquoted)",
        )
    return value


def _describe(ch: str) -> str:
    """A character as Unicode names it, for messages: `U+200B ZERO WIDTH SPACE`."""
    return f"U+{ord(ch):04X} {unicodedata.name(ch, '(a control character)')}"


def _plain_number(text: str) -> None:
    """Refuse what would make two numbers look alike but differ: a NUMBER is matched as exact
    text, so full-width digits, zero-width spaces, bidi overrides or a NUL (which the portal
    trims, so the line never matches again) make a second, unreachable line."""
    for position, ch in enumerate(text, 1):
        if not ("!" <= ch <= "~"):
            plain = "".join(c for c in unicodedata.normalize("NFKC", text) if "!" <= c <= "~")
            raise InputError(
                "number",
                f"{text!r} has {_describe(ch)} at character {position}; NUMBER is matched as"
                " exact text, so it takes printable ASCII only, without spaces",
                f'write "{plain}"' if plain else f'write the number, e.g. "{EXAMPLE_NUMBER}"',
            )


def _visible_name(text: str) -> None:
    """Refuse control and invisible formatting characters (Unicode Cc, Cf) in a name: the
    portal stores them, and two names that read the same would differ."""
    for position, ch in enumerate(text, 1):
        if unicodedata.category(ch) in ("Cc", "Cf"):
            raise InputError(
                "name",
                f"{text!r} has {_describe(ch)} at character {position}; a name takes no control"
                " or invisible formatting characters",
                "delete it (retype the name rather than paste it)",
            )


def number(value: object) -> str:
    """A NUMBER as the portal will match it: trimmed text, exact, nothing it would mangle."""
    return _text(
        "number",
        value,
        example=EXAMPLE_NUMBER,
        maximum=NUMBER_MAX,
        empty=("is empty", f'write the line\'s number, e.g. "{EXAMPLE_NUMBER}"'),
        refuse=_plain_number,
    )


def name(value: object) -> str:
    """A NAME that is never empty: newer portals delete nameless lines after 90 days unused."""
    return _text(
        "name",
        value,
        example="Sales",
        maximum=NAME_MAX,
        empty=(
            "is empty; the portal's clean-up agent deletes nameless lines after 90 days unused",
            "give the line a name",
        ),
        refuse=_visible_name,
    )


def crm_auto_create(value: object) -> bool:
    """Only a real boolean: the portal stores anything but the exact string "Y" as "N"."""
    return _boolean("crm_auto_create", value)


def adopt(value: object) -> bool:
    """Only a real boolean: adopting takes over a line the portal already has, so no guessing."""
    return _boolean("adopt", value)


def protect(value: object) -> bool:
    """Only a real boolean: it decides whether a line may ever be deleted."""
    return _boolean("protect", value)


def portal(value: object) -> str:
    """The portal's base URL: https, or http on loopback only (the sandbox); see bitrix24.urls."""
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
