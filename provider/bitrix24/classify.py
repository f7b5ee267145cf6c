"""Turn a portal's error reply into the product's exception, with a fix for the user.

Status codes disagree between the docs, the server and the SDKs, so the `error`
string decides; the HTTP status is only the fallback for codes we do not know.
The externalLine business errors carry an empty code (server source) or
ERROR_CORE (docs), so for them the `error_description` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from provider.bitrix24.errors import (
    AccessDenied,
    ApiError,
    AuthRejected,
    BatchError,
    ExpiredToken,
    InsufficientScope,
    InvalidRequest,
    LineError,
    LineExists,
    LineNotFound,
    LineStorageFailed,
    MethodNotFound,
    NoFieldsToUpdate,
    NumberMissing,
    OperationTimeLimit,
    Overloaded,
    PortalDeleted,
    QueryLimitExceeded,
    RetryableApiError,
    ServerFault,
    WrongAuthType,
)
from provider.bitrix24.redact import redact

LINE_METHOD_PREFIX = "telephony.externalline."
BUSINESS_CODES = frozenset({"", "ERROR_CORE"})

SYSTEM_ERRORS: Mapping[str, tuple[type[ApiError], str]] = {
    "QUERY_LIMIT_EXCEEDED": (QueryLimitExceeded, ""),
    "OPERATION_TIME_LIMIT": (
        OperationTimeLimit,
        "the portal's time budget for this method is spent (other applications and webhooks"
        " calling it may share it) and frees over up to 10 minutes; run again later, or set"
        " bitrix24:deadline to 660 to wait it out",
    ),
    "INTERNAL_SERVER_ERROR": (ServerFault, ""),
    "ERROR_UNEXPECTED_ANSWER": (ServerFault, ""),
    "OVERLOAD_LIMIT": (
        Overloaded,
        "REST is blocked on this portal for overload; ask the portal's administrator or"
        " Bitrix24 support to lift the block, and do not re-run in a loop meanwhile",
    ),
    "expired_token": (
        ExpiredToken,
        "the token expired again right after a refresh; check the machine's clock",
    ),
    "NO_AUTH_FOUND": (
        AuthRejected,
        "the request carried no usable authorisation; set bitrix24:clientId,"
        " bitrix24:clientSecret and bitrix24:refreshToken (pulumi config set --secret ...)",
    ),
    "invalid_token": (
        AuthRejected,
        "the portal does not know this access token: check that the tokens belong to this"
        " portal's application, or remove bitrix24:accessToken and let it refresh",
    ),
    "INVALID_CREDENTIALS": (
        AuthRejected,
        "the webhook's user id or code is wrong or deleted; copy the incoming webhook URL"
        " again into bitrix24:webhookUrl",
    ),
    "WRONG_AUTH_TYPE": (
        WrongAuthType,
        "this method refuses incoming webhooks; use a local application (OAuth):"
        " set bitrix24:clientId, bitrix24:clientSecret and bitrix24:refreshToken and remove"
        " bitrix24:webhookUrl",
    ),
    "insufficient_scope": (
        InsufficientScope,
        "add the telephony scope to the local application (or webhook) in the portal's"
        " developer resources, then authorise it again",
    ),
    "ACCESS_DENIED": (
        AccessDenied,
        "REST is available only on commercial plans; upgrade the portal's plan",
    ),
    "user_access_error": (
        AccessDenied,
        "the user who authorised the application has no access to it; give them access in"
        " the application's settings, or authorise as an administrator",
    ),
    "PORTAL_DELETED": (
        PortalDeleted,
        "check the portal address in the stack file; this portal is closed or deleted",
    ),
    "ERROR_METHOD_NOT_FOUND": (
        MethodNotFound,
        "check the portal address in the stack file, and that telephony is enabled there",
    ),
    "INVALID_REQUEST": (
        InvalidRequest,
        "use the portal's https:// address in the stack file",
    ),
    "ERROR_BATCH_LENGTH_EXCEEDED": (BatchError, "send at most 50 commands per batch"),
    "ERROR_BATCH_METHOD_NOT_ALLOWED": (BatchError, "call this method outside a batch"),
}
"""Portal-wide error codes (exact spelling of the facts table) -> (class, fix)."""

_BY_LOWER = {code.lower(): entry for code, entry in SYSTEM_ERRORS.items()}

LINE_ERRORS: tuple[tuple[str, type[LineError], str], ...] = (
    (
        "Line already exists",
        LineExists,
        "the application already has this line; let the provider adopt it, or delete it",
    ),
    (
        "Could not find line with number",
        LineNotFound,
        "the line is gone from the portal; refresh the stack to recreate it",
    ),
    ("There are no fields to update", NoFieldsToUpdate, ""),
    ("NUMBER should not be empty", NumberMissing, ""),
    (
        "DB error",
        LineStorageFailed,
        "the portal could not store the line; check that NUMBER has at most 50 characters"
        " and NAME at most 255, then retry",
    ),
)
"""externalLine business errors: description prefix -> (class, fix)."""

STATUS_FALLBACK: Mapping[int, type[ApiError]] = {
    401: AuthRejected,
    403: AccessDenied,
    404: MethodNotFound,
    429: OperationTimeLimit,
}


def _retry_at(body: Mapping[str, Any]) -> float | None:
    timing = body.get("time")
    reset = timing.get("operating_reset_at") if isinstance(timing, Mapping) else None
    return float(reset) if isinstance(reset, int | float) else None


def classify(method: str, status: int, body: object, number: str = "") -> ApiError:
    """The exception for an error reply; `number` is the NUMBER sent, for line errors."""
    if not isinstance(body, Mapping):
        return _not_json(method, status)
    fields: Mapping[str, Any] = body
    code = str(fields.get("error") or "")
    description = redact(str(fields.get("error_description") or ""))
    if not fields:
        description = f"an empty JSON object (HTTP {status})"
    if code in BUSINESS_CODES and method.lower().startswith(LINE_METHOD_PREFIX):
        for prefix, line_class, fix in LINE_ERRORS:
            if description.startswith(prefix):
                return line_class(method, status, code, description, number=number, fix=fix)
    entry = _BY_LOWER.get(code.lower())
    if entry is None:
        fallback = ServerFault if status >= 500 else STATUS_FALLBACK.get(status, ApiError)
        entry = (fallback, "")
    cls, fix = entry
    if issubclass(cls, RetryableApiError):
        retry_at = _retry_at(fields) if cls is OperationTimeLimit else None
        return cls(method, status, code, description, fix, retry_at=retry_at)
    return cls(method, status, code, description, fix)


def _not_json(method: str, status: int) -> ApiError:
    """A reply that is not a JSON object: an HTML page from the web server in front of an
    overloaded portal, or a reply cut off when a worker died. With a success status, or a
    server's (5xx), it is a server fault: a read may be repeated, and an add may have been
    applied, which the lines API then checks. A 4xx page keeps its status's meaning
    (a wrong address answers 404 whatever the body)."""
    description = f"a reply that is not JSON (HTTP {status}); the portal may be overloaded"
    if status < 400 or status >= 500:
        return ServerFault(method, status, "", description)
    return STATUS_FALLBACK.get(status, ApiError)(method, status, "", description)
