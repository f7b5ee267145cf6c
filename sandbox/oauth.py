"""The OAuth server: issuing token pairs, refreshing them, exchanging codes.

Every refresh token and authorization code is single-use: a refresh returns a new
pair and the old refresh token is dead, so of two racing refreshes only one wins. The
access token issued with it dies too (Settings.refresh_ends_access), as Bitrix24's
training course says: "both such query and jointly issued access_token become invalid".
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from .errors import ApiError
from .settings import Settings
from .store import App, Store, Token

CODE_LIFETIME = 30.0
"""An authorization code must be exchanged within 30 seconds."""
AUTHORIZED_PATH = "/oauth/authorized/"
"""Where /oauth/authorize/ sends the browser when no redirect_uri is given: a page of the
sandbox's own that shows the code (a real portal sends it to the application's handler)."""
GRANTS = {"refresh_token": ("refresh_token", "refresh"), "authorization_code": ("code", "code")}
"""grant_type -> (the parameter holding the single-use token it spends, that token's kind)."""


@dataclass(frozen=True)
class Endpoints:
    """Where the token reply sends the client: the portal's and the OAuth server's URLs."""

    portal: str
    oauth: str


def _new_token() -> str:
    return secrets.token_hex(20)


def issue_pair(
    store: Store, app: App, settings: Settings, endpoints: Endpoints, now: float
) -> dict[str, object]:
    """Issue an access token and a refresh token; the reply the OAuth server sends."""
    access, refresh = _new_token(), _new_token()
    lifetime = settings.token_lifetime
    expires = now + lifetime
    store.put_token(Token(access, "access", app.client_id, expires, app.scopes))
    store.put_token(
        Token(refresh, "refresh", app.client_id, now + settings.refresh_lifetime, app.scopes)
    )
    store.put_pair(refresh, access)
    return {
        "access_token": access,
        "refresh_token": refresh,
        "expires": int(expires),
        "expires_in": int(lifetime),
        "client_endpoint": f"{endpoints.portal}/rest/",
        "server_endpoint": f"{endpoints.oauth}/rest/",
        "domain": urlsplit(endpoints.oauth).netloc,
        "member_id": store.member_id(),
        "scope": ",".join(app.scopes),
        "status": "L",
        "user_id": 1,
    }


def issue_code(store: Store, app: App, now: float) -> str:
    """Issue an authorization code, as the portal does when a user authorises the app."""
    code = _new_token()
    store.put_token(Token(code, "code", app.client_id, now + CODE_LIFETIME, app.scopes))
    return code


def _param(params: dict[str, object], name: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value:
        raise ApiError(400, "invalid_request", f"Missing parameter: {name}")
    return value


def grant(
    store: Store, params: dict[str, object], settings: Settings, endpoints: Endpoints, now: float
) -> dict[str, object]:
    """Answer `/oauth/token/`: check the client, spend the grant, issue a new pair."""
    grant_type = params.get("grant_type")
    if grant_type not in GRANTS:
        raise ApiError(400, "invalid_request", f"Unsupported grant_type: {grant_type}")
    spent, kind = GRANTS[grant_type]
    client_id = _param(params, "client_id")
    secret = _param(params, "client_secret")
    presented = _param(params, spent)
    app = store.app(client_id)
    if app is None or not secrets.compare_digest(app.secret.encode(), secret.encode()):
        raise ApiError(401, "invalid_client", "Invalid client credentials")
    issued = store.token(presented, kind)
    if (
        issued is None
        or issued.client_id != client_id
        or issued.expires <= now
        or store.take_token(presented, kind) is None
    ):
        raise ApiError(400, "invalid_grant", f"Invalid {spent.replace('_', ' ')}")
    partner = store.take_pair(presented)
    if partner and settings.refresh_ends_access:
        store.take_token(partner, "access")
    return issue_pair(store, app, settings, endpoints, now)


def authorize(store: Store, params: dict[str, object], endpoints: Endpoints, now: float) -> str:
    """Answer `/oauth/authorize/` as a portal does for its logged-in administrator: a new
    authorization code, and the address to redirect to with it and the portal's details.

    The sandbox has no users, so whoever asks is the administrator, and agrees at once.
    """
    client_id = _param(params, "client_id")
    app = store.app(client_id)
    if app is None:
        raise ApiError(400, "invalid_client", f"No application {client_id}")
    target = params.get("redirect_uri")
    if not isinstance(target, str) or not target:
        target = endpoints.portal + AUTHORIZED_PATH
    query = {
        "code": issue_code(store, app, now),
        "state": str(params.get("state") or ""),
        "domain": urlsplit(endpoints.portal).netloc,
        "member_id": store.member_id(),
        "scope": ",".join(app.scopes),
        "server_domain": urlsplit(endpoints.oauth).netloc,
    }
    return f"{target}{'&' if '?' in target else '?'}{urlencode(query)}"
