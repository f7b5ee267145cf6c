"""Who a /rest call comes from: an OAuth access token or an incoming webhook."""

from __future__ import annotations

from .context import Caller
from .errors import ApiError
from .store import WEBHOOK_POOL, Store


def webhook_caller(store: Store, user_id: str, code: str) -> Caller:
    """The caller behind `/rest/<user_id>/<code>/...`; INVALID_CREDENTIALS if unknown."""
    scopes = store.webhook_scopes(user_id, code)
    if scopes is None:
        raise ApiError(401, "INVALID_CREDENTIALS", "Invalid request credentials")
    return Caller(WEBHOOK_POOL, f"webhook:{user_id}", scopes, None)


def token_caller(store: Store, token: object, now: float) -> Caller:
    """The application whose access token this is, refusing absent, unknown, expired ones."""
    if not token:
        raise ApiError(401, "NO_AUTH_FOUND", "Wrong authorization data")
    found = store.token_with_app(str(token), "access")
    if found is None:
        raise ApiError(401, "invalid_token", "Unable to get application by token")
    issued, app = found
    if issued.expires <= now:
        raise ApiError(401, "expired_token", "The access token provided has expired.")
    return Caller(app.client_id, app.client_id, issued.scopes, app)
