"""Where each setting comes from: the stack's config first, then the environment.

Config wins so a stack can override a developer's shell; the environment is how
a pipeline passes secrets it keeps elsewhere. Credentials are read by
provider.bitrix24.auth; the tuning knobs here shape the REST client (a slow on-premise
portal wants a longer timeout, an Enterprise plan a bigger rate).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from provider.bitrix24.errors import InputError
from provider.bitrix24.pacing import DEFAULT_BURST, DEFAULT_RATE
from provider.bitrix24.retry import DEFAULT_DEADLINE

SETTINGS = {
    "client_id": ("bitrix24:clientId", "BITRIX24_CLIENT_ID"),
    "client_secret": ("bitrix24:clientSecret", "BITRIX24_CLIENT_SECRET"),
    "refresh_token": ("bitrix24:refreshToken", "BITRIX24_REFRESH_TOKEN"),
    "access_token": ("bitrix24:accessToken", "BITRIX24_ACCESS_TOKEN"),
    "oauth_server": ("bitrix24:oauthServer", "BITRIX24_OAUTH_SERVER"),
    "webhook_url": ("bitrix24:webhookUrl", "BITRIX24_WEBHOOK_URL"),
    "token_store": ("bitrix24:tokenStore", "BITRIX24_TOKEN_STORE"),
    "request_timeout": ("bitrix24:requestTimeout", "BITRIX24_REQUEST_TIMEOUT"),
    "rate_limit": ("bitrix24:rateLimit", "BITRIX24_RATE_LIMIT"),
    "deadline": ("bitrix24:deadline", "BITRIX24_DEADLINE"),
}
"""Each setting's stack-config key and environment variable (design.md, README)."""

CONNECT_TIMEOUT = 5.0
DEFAULT_READ_TIMEOUT = 65.0  # a cloud request may run up to 60 s


def read(config: Mapping[str, str], environ: Mapping[str, str], name: str) -> str | None:
    """The setting's value, stripped; None when neither source sets it.

    A blank value (only whitespace) counts as unset, in config as in the environment,
    so `bitrix24:clientId: " "` does not hide BITRIX24_CLIENT_ID.
    """
    key, env = SETTINGS[name]
    for value in (config.get(key), environ.get(env)):
        if value and value.strip():
            return value.strip()
    return None


def how_to_set(name: str, secret: bool = True) -> str:
    """The command that sets `name`, for error messages' fixes."""
    key, env = SETTINGS[name]
    flag = "--secret " if secret else ""
    return f"pulumi config set {flag}{key} <value> (or export {env})"


@dataclass(frozen=True)
class Tuning:
    """How the REST client paces, waits and gives up."""

    timeout: tuple[float, float] = (CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)
    rate: float = DEFAULT_RATE
    burst: int = DEFAULT_BURST
    deadline: float = DEFAULT_DEADLINE


def tuning_from(config: Mapping[str, str], environ: Mapping[str, str]) -> Tuning:
    """The tuning knobs, each checked; a bad value names its key and an example."""
    timeout = _positive(config, environ, "request_timeout", DEFAULT_READ_TIMEOUT, "65")
    deadline = _positive(config, environ, "deadline", DEFAULT_DEADLINE, "120")
    rate, burst = DEFAULT_RATE, DEFAULT_BURST
    limit = read(config, environ, "rate_limit")
    if limit is not None:
        text_rate, _, text_burst = limit.partition("/")
        try:
            rate, burst = float(text_rate), int(text_burst)
        except ValueError:
            rate = burst = 0
        if not _positive_finite(rate) or burst < 1:
            raise _bad("rate_limit", limit, "requests per second / burst, e.g. 5/250 (Enterprise)")
    return Tuning((CONNECT_TIMEOUT, timeout), rate, burst, deadline)


def _positive(
    config: Mapping[str, str], environ: Mapping[str, str], name: str, default: float, example: str
) -> float:
    text = read(config, environ, name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not _positive_finite(value):
        raise _bad(name, text, f"a number of seconds above 0, e.g. {example}")
    return value


def _positive_finite(value: float) -> bool:
    """float() reads "nan" and "inf" too: a NaN compares false with everything, so it would
    pass `<= 0` and then make every wait and deadline meaningless."""
    return math.isfinite(value) and value > 0


def _bad(name: str, value: str, expected: str) -> InputError:
    key, env = SETTINGS[name]
    return InputError(key, f"{value!r} is not {expected}", f"set {key} (or {env}) to {expected}")
