"""Every error the product raises, in one place.

Callers and tests read the attributes, not the message text; each class builds
its own message from them. No message ever carries a token or a secret: the
classes take only what is safe to show (a method name, a NUMBER, a portal URL
without credentials).

    Bitrix24Error
    ├── InputError (ValueError)          bad stack file or config, caught before any API call
    │   └── StackFileError                   ... with file, line and column
    ├── CredentialsError                 no usable credentials, or the portal refused them
    │   └── ReauthorizationRequired          the refresh token is dead: authorise again
    ├── TransportError                   no HTTP answer (timeout, dropped connection)
    ├── DeadlineExceeded                 an operation ran out of retries or time
    └── ApiError                         the portal answered with an error
        ├── RetryableApiError                503 QUERY_LIMIT_EXCEEDED, 500, 429 OPERATION_TIME_LIMIT
        ├── ExpiredToken                     401 expired_token: refresh and repeat
        └── LineError                        a telephony.externalLine business error
            ├── LineExists
            ├── LineNotFound
            └── NoFieldsToUpdate
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


class StackFileError(InputError):
    """An InputError located in a stack file, so editors and CI can jump to it."""

    def __init__(
        self, path: str, line: int, column: int, prop: str, reason: str, fix: str
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        InputError.__init__(self, prop, reason, fix)
        self.args = (f"{path}:{line}:{column}: {prop}: {reason}. Fix: {fix}",)

    def __str__(self) -> str:
        return self.args[0]


class CredentialsError(Bitrix24Error):
    """The provider cannot authenticate; the message says which setting to provide."""

    def __init__(self, reason: str, fix: str) -> None:
        self.reason = reason
        self.fix = fix
        super().__init__(f"{reason}. Fix: {fix}")


class ReauthorizationRequired(CredentialsError):
    """The OAuth server refused the refresh token (invalid_grant): only a person can fix it."""


class TransportError(Bitrix24Error):
    """The request got no HTTP answer. It may or may not have been applied."""

    def __init__(self, method: str, portal: str, cause: str) -> None:
        self.method = method
        self.portal = portal
        self.cause = cause
        super().__init__(f"{method} on {portal}: no answer ({cause})")


class DeadlineExceeded(Bitrix24Error):
    """Retries gave up; the last error says why the portal kept refusing."""

    def __init__(self, method: str, portal: str, seconds: float, last: Exception) -> None:
        self.method = method
        self.portal = portal
        self.seconds = seconds
        self.last = last
        super().__init__(
            f"{method} on {portal}: gave up after {seconds:.0f} s of retries; last error: {last}"
        )


class ApiError(Bitrix24Error):
    """The portal answered with an error body: classify by `code`, then `description`."""

    def __init__(self, method: str, status: int, code: str, description: str) -> None:
        self.method = method
        self.status = status
        self.code = code
        self.description = description
        super().__init__(f"{method}: HTTP {status} {code or '(no code)'}: {description}")


class RetryableApiError(ApiError):
    """The same request may succeed later: rate limit, time budget or a server fault."""

    def __init__(
        self,
        method: str,
        status: int,
        code: str,
        description: str,
        retry_at: float | None = None,
    ) -> None:
        super().__init__(method, status, code, description)
        self.retry_at = retry_at


class ExpiredToken(ApiError):
    """The access token has expired; the client refreshes it and repeats the call once."""


class LineError(ApiError):
    """A telephony.externalLine business error; `number` is the line it concerns."""

    def __init__(
        self, method: str, status: int, code: str, description: str, number: str
    ) -> None:
        super().__init__(method, status, code, description)
        self.number = number


class LineExists(LineError):
    """add of a NUMBER the application already holds."""


class LineNotFound(LineError):
    """update or delete of a NUMBER the application does not hold."""


class NoFieldsToUpdate(LineError):
    """update with neither NAME nor CRM_AUTO_CREATE."""
