"""Every error the product raises, rooted in one place.

Callers and tests read the attributes, not the message text; each class builds
its own message from them. No message ever carries a token or a secret: the
classes take only what is safe to show (a method name, a NUMBER, a portal URL
without credentials), and texts that come from outside (a server's description,
a library's exception) are redacted before they get here.

The stack layer's errors live in provider.stack.errors, the layer that raises them;
the rest live here, at the bottom, because every layer raises or catches them.

    Bitrix24Error
    ├── InputError (ValueError)          bad stack file or config, caught before any API call
    │   ├── StackFileError                   ... with file, line and column
    │   ├── StackFileErrors                  every StackFileError of one file, together
    │   └── GuardRefusal                     a guard stopped the run before any change
    │       ├── UnsafeChange                     it would delete or replace too many lines
    │       └── LinesInUse                       it would delete lines that carried calls
    ├── CredentialsError                 no usable credentials, or the OAuth server refused them
    │   └── ReauthorizationRequired          the refresh token is dead: authorise again
    ├── TransportError                   no HTTP answer (timeout, dropped connection)
    ├── DeadlineExceeded                 an operation ran out of retries or time
    └── ApiError                         the portal answered with an error
        ├── RetryableApiError                the same request may succeed later
        │   ├── ServerFault                      500 INTERNAL_SERVER_ERROR, ERROR_UNEXPECTED_ANSWER
        │   ├── QueryLimitExceeded               503 QUERY_LIMIT_EXCEEDED (intensity limit)
        │   └── OperationTimeLimit               429 OPERATION_TIME_LIMIT (method time budget)
        ├── Overloaded                       503 OVERLOAD_LIMIT: REST blocked, never retried
        ├── ExpiredToken                     401 expired_token: refresh and repeat
        ├── AuthRejected                     NO_AUTH_FOUND, invalid_token, INVALID_CREDENTIALS
        ├── WrongAuthType                    WRONG_AUTH_TYPE: the method wants an application
        ├── InsufficientScope                insufficient_scope: the telephony scope is missing
        ├── AccessDenied                     ACCESS_DENIED (plan), user_access_error
        ├── PortalDeleted                    PORTAL_DELETED
        ├── MethodNotFound                   ERROR_METHOD_NOT_FOUND
        ├── InvalidRequest                   INVALID_REQUEST (e.g. "Https required")
        ├── RedirectRefused                  a redirect to an unsafe address, or too many
        ├── BatchError                       ERROR_BATCH_LENGTH_EXCEEDED, ..._METHOD_NOT_ALLOWED
        └── LineError                        a telephony.externalLine business error
            ├── LineExists
            ├── LineNotFound
            ├── NoFieldsToUpdate
            ├── NumberMissing                    "NUMBER should not be empty"
            └── LineStorageFailed                "DB error"
"""

from __future__ import annotations


class Bitrix24Error(Exception):
    """Root of the product's errors, so a caller can catch them all at once."""


class InputError(Bitrix24Error, ValueError):
    """A value the user wrote is wrong; `fix` tells them what to write instead."""

    def __init__(self, prop: str, reason: str, fix: str) -> None:
        self.prop = prop
        self.reason = reason
        self.fix = fix
        super().__init__(f"{prop}: {reason}. Fix: {fix}")


class CredentialsError(Bitrix24Error):
    """The provider cannot authenticate; the message says which setting to provide."""

    def __init__(self, reason: str, fix: str) -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}. Fix: {fix}")


class ReauthorizationRequired(CredentialsError):
    """The OAuth server refused the refresh token (invalid_grant): only a person can fix it."""


class TransportError(Bitrix24Error):
    """The request got no HTTP answer.

    `maybe_applied` is False only when the request certainly never reached the
    portal (connection refused, connect timeout); otherwise a write may have
    happened, and only reading the portal's state can tell.
    """

    def __init__(self, method: str, portal: str, cause: str, *, maybe_applied: bool = True) -> None:
        self.method = method
        self.portal = portal
        self.cause = cause
        self.maybe_applied = maybe_applied
        effect = "it may have been applied" if maybe_applied else "it was not sent"
        super().__init__(f"{method} on {portal}: no answer ({cause}); {effect}")


class DeadlineExceeded(Bitrix24Error):
    """Retries gave up; the last error says why the portal kept refusing.

    `last` is None when time ran out before the first request could be sent (a long
    wait for the rate limit or for a token refresh).
    """

    def __init__(self, method: str, portal: str, seconds: float, last: Exception | None) -> None:
        self.method = method
        self.portal = portal
        self.seconds = seconds
        self.last = last
        why = f"last error: {last}" if last is not None else "too little time was left to send it"
        super().__init__(f"{method} on {portal}: gave up after {seconds:.1f} s of retries; {why}")


class ApiError(Bitrix24Error):
    """The portal answered with an error body: classified by `code`, then `description`.

    `fix` is what the user can do about it ("" when nothing but waiting helps).
    """

    def __init__(
        self, method: str, status: int, code: str, description: str, fix: str = ""
    ) -> None:
        self.method = method
        self.status = status
        self.code = code
        self.description = description
        self.fix = fix
        message = f"{method}: HTTP {status} {code or '(no code)'}: {description}"
        # A description may end its sentence itself ("... operation time limit.").
        super().__init__(f"{message.rstrip('.')}. Fix: {fix}" if fix else message)


class RetryableApiError(ApiError):
    """The same request may succeed later; `retry_at` (unix time) is when, if known."""

    def __init__(
        self,
        method: str,
        status: int,
        code: str,
        description: str,
        fix: str = "",
        *,
        retry_at: float | None = None,
    ) -> None:
        super().__init__(method, status, code, description, fix)
        self.retry_at = retry_at


class ServerFault(RetryableApiError):
    """The portal failed inside (500): a write may or may not have been applied."""


class QueryLimitExceeded(RetryableApiError):
    """The portal's request-intensity bucket is full: nothing was applied, slow down."""


class OperationTimeLimit(RetryableApiError):
    """The method's execution-time budget is spent until `retry_at`: nothing was applied."""


class Overloaded(ApiError):
    """REST was blocked on the portal by hand (OVERLOAD_LIMIT): retrying makes it worse."""


class ExpiredToken(ApiError):
    """The access token has expired; the client refreshes it and repeats the call once."""


class AuthRejected(ApiError):
    """The portal does not recognise the token or webhook credentials at all."""


class WrongAuthType(ApiError):
    """The method refuses this kind of authorisation (an incoming webhook, usually)."""


class InsufficientScope(ApiError):
    """The application or webhook was not granted the scope this method needs."""


class AccessDenied(ApiError):
    """The portal's plan or the user's rights do not allow the REST call."""


class PortalDeleted(ApiError):
    """The portal is closed or deleted."""


class MethodNotFound(ApiError):
    """The portal does not know the method (wrong address, or the module is missing)."""


class InvalidRequest(ApiError):
    """The request itself is malformed, or was sent over plain http."""


class RedirectRefused(ApiError):
    """The portal redirected where credentials may not go (plain http, a password in the
    URL, not http at all) or in circles. Nothing was applied; repeating cannot help."""


class BatchError(ApiError):
    """A batch was refused as a whole (too many commands, or a method not allowed in it)."""


class LineError(ApiError):
    """A telephony.externalLine business error; `number` is the line it concerns."""

    def __init__(
        self, method: str, status: int, code: str, description: str, *, number: str, fix: str = ""
    ) -> None:
        super().__init__(method, status, code, description, fix)
        self.number = number


class LineExists(LineError):
    """add of a NUMBER the application already holds."""


class LineNotFound(LineError):
    """update or delete of a NUMBER the application does not hold."""


class NoFieldsToUpdate(LineError):
    """update with neither NAME nor CRM_AUTO_CREATE."""


class NumberMissing(LineError):
    """A line method called without NUMBER: a bug in the caller, never user input."""


class LineStorageFailed(LineError):
    """The portal's database refused the write ("DB error")."""
