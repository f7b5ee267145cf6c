"""Talking to the OAuth server: the two grants it makes, and what its refusals mean.

`GET <server>/oauth/token/?grant_type=...` as documented: the query carries the
client secret and the refresh token or code, so nothing here logs or raises the
URL (provider.bitrix24.redact masks it in the HTTP library's own log lines too).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from provider.bitrix24 import redact, transport
from provider.bitrix24.errors import CredentialsError, ReauthorizationRequired, TransportError

TOKEN_PATH = "/oauth/token/"
OAUTH_TIMEOUT = (5.0, 30.0)  # (connect, read) seconds for the OAuth server
AUTHORISE_FIX = (
    "authorise the application again: open https://<portal>/oauth/authorize/?client_id=<client id>"
    " as an administrator, then run `python -m provider auth --code` and paste the code within"
    " 30 seconds"
    " (or set the new pair's refresh token: pulumi config set --secret bitrix24:refreshToken"
    " <token>)"
)

INCOMPLETE_FIX = (
    "check that bitrix24:oauthServer is the Bitrix24 OAuth server (https://oauth.bitrix.info,"
    " or https://oauth.bitrix24.tech for Russian-region portals), then run again"
)

UNRESOLVED_FIX = (
    "check the address in bitrix24:oauthServer (https://oauth.bitrix.info, or"
    " https://oauth.bitrix24.tech for Russian-region portals; the sandbox's own address for"
    " the sandbox) and that this machine's DNS resolves it (a proxy or an offline runner may"
    " not), then run again"
)


@dataclass(frozen=True)
class Grant:
    """One successful reply of the OAuth server; repr shows no token."""

    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires: float | None
    client_endpoint: str
    scope: str
    member_id: str

    @classmethod
    def from_reply(cls, reply: Mapping[str, Any]) -> Grant:
        """Expiry by our own clock from `expires_in` (immune to clock skew), else the
        server's `expires`; one already past is dropped, since trusting it would
        refresh before every call. A reply without both tokens, or with an expiry
        that is not a number, is a CredentialsError (nothing of it is kept)."""
        access, refresh = reply.get("access_token"), reply.get("refresh_token")
        expires_in, expires = reply.get("expires_in"), reply.get("expires")
        try:
            if not (isinstance(access, str) and access and isinstance(refresh, str) and refresh):
                raise ValueError("a token is missing")
            now = time.time()
            expires = now + _seconds(expires_in) if expires_in else expires
            expires = None if expires is None else _seconds(expires)
        except ValueError:
            raise CredentialsError(
                "the OAuth server sent an incomplete token reply (missing tokens or an expiry"
                " that is not a number)",
                INCOMPLETE_FIX,
            ) from None
        if expires is not None and expires <= now:
            expires = None
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires=expires,
            client_endpoint=str(reply.get("client_endpoint", "")),
            scope=str(reply.get("scope", "")),
            member_id=str(reply.get("member_id", "")),
        )


def _seconds(value: object) -> float:
    """A number of seconds or a unix time, as JSON numbers or numeric text; else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"not a number: {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError("not a finite number")
    return number


def _oauth_error(client_id: str, status: int, code: str, description: str) -> CredentialsError:
    said = f"the OAuth server refused {client_id} (HTTP {status} {code}: {description})"
    if code == "invalid_grant":
        return ReauthorizationRequired(
            said + "; the refresh token is spent or expired", AUTHORISE_FIX
        )
    fixes = {
        "invalid_client": "check that bitrix24:clientId and bitrix24:clientSecret are those of"
        " the local application (Developer resources > Other > Local application)",
        "insufficient_scope": "add the telephony scope to the local application, then authorise"
        " it again",
        "PAYMENT_REQUIRED": "the portal's plan does not allow this application; renew the plan",
    }
    fallback = (
        "the OAuth server failed; run again later"
        if status >= 500
        else "check the bitrix24:oauthServer setting"
    )
    return CredentialsError(said, fixes.get(code, fallback))


def token_request(
    oauth_server: str,
    params: Mapping[str, str],
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] = OAUTH_TIMEOUT,
) -> Grant:
    """GET `<oauth_server>/oauth/token/` as documented; the query carries secrets, so
    nothing here logs or raises the URL (see provider.bitrix24.redact)."""
    redact.guard_library_loggers()
    redact.remember(*(params.get(k) for k in ("client_secret", "refresh_token", "code")))
    client_id = params.get("client_id", "")
    try:
        response = (session or requests).get(
            oauth_server.rstrip("/") + TOKEN_PATH,
            params=params,
            timeout=timeout,
            headers={"Accept": "application/json"},
            allow_redirects=False,
        )
    except requests.RequestException as err:
        unresolved = transport.unresolved(err)
        if unresolved is not None:
            raise CredentialsError(
                f"the OAuth server {oauth_server} was not reached: {unresolved}; nothing was"
                " sent, so the tokens are as they were",
                UNRESOLVED_FIX,
            ) from redact.scrubbed(err)
        cause = redact.redact(f"{type(err).__name__}: {err}")
        raise TransportError(
            "oauth/token", oauth_server, cause, maybe_applied=not transport.never_sent(err)
        ) from redact.scrubbed(err)
    try:
        body = response.json()
    except ValueError:  # requests' JSONDecodeError; its text is only a position
        body = None
    if not isinstance(body, dict) or response.status_code != 200 or "error" in body:
        fields = body if isinstance(body, dict) else {}
        description = str(fields.get("error_description", "")) or "a reply that is not JSON"
        raise _oauth_error(
            client_id,
            response.status_code,
            str(fields.get("error", "")),
            redact.redact(description),
        )
    grant = Grant.from_reply(body)
    redact.remember(grant.access_token, grant.refresh_token)
    return grant


def exchange_code(oauth_server: str, client_id: str, client_secret: str, code: str) -> Grant:
    """Trade an authorization code (valid 30 s) for the first token pair.

    `oauth_server` must already be checked (https, or http on loopback); the CLI goes
    through `provider.bitrix24.auth.authorise`, which checks it and stores the pair.
    """
    params = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
    }
    return token_request(oauth_server, params)
