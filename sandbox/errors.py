"""The one error the sandbox raises while answering a call, and the texts it carries.

Every refusal a portal can give (business, auth, limit, system) is the same shape on
the wire: an HTTP status plus `{"error": CODE, "error_description": TEXT}`. Keeping
one exception for all of them lets every layer raise and the server render once.
"""

from __future__ import annotations


class ApiError(Exception):
    """A refusal to send back as `{"error", "error_description"}` with `status`."""

    def __init__(self, status: int, code: str, description: str) -> None:
        self.status = status
        self.code = code
        self.description = description
        super().__init__(f"{status} {code}: {description}")

    def body(self) -> dict[str, str]:
        """The JSON object Bitrix24 sends for this error."""
        return {"error": self.code, "error_description": self.description}


def query_limit() -> ApiError:
    """The intensity-limit refusal, given by the bucket and by the injected fault alike."""
    return ApiError(503, "QUERY_LIMIT_EXCEEDED", "Too many requests")


def wrong_auth_type() -> ApiError:
    """The refusal for a call made outside an application context."""
    return ApiError(403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")
