"""The portal's switches, validated in one place so a bad value fails at start-up.

Every switch can also change while the portal runs (admin `POST /_sandbox/settings`),
so the server reads a `Settings` snapshot per request instead of caching fields.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from .references import REFERENCE_MODES

DEFAULT_SCOPES = ("telephony",)
"""Scopes of an application or webhook registered without naming any."""

BUSINESS_ERROR_CODES = ("", "ERROR_CORE")
"""The server source raises business errors with an empty code; the docs say ERROR_CORE."""

SYSTEM_ERRORS: dict[str, tuple[int, str]] = {
    "OVERLOAD_LIMIT": (503, "REST API is blocked due to overload."),
    "ACCESS_DENIED": (403, "REST API is available only on commercial plans."),
    "PORTAL_DELETED": (410, "Portal was deleted"),
    "user_access_error": (403, "The user does not have access to the application."),
    "ERROR_UNEXPECTED_ANSWER": (500, "Server returned an unexpected response."),
}
"""Portal-wide refusals a switch can turn on, with their usual HTTP status."""


@dataclass(frozen=True)
class Settings:
    """How the portal behaves; the defaults are those of a cloud portal."""

    token_lifetime: float = 3600.0
    """Seconds an access token lives."""
    refresh_lifetime: float = 180 * 86400.0
    """Seconds a refresh token lives: 180 days in the REST docs, 28 in the training course."""
    refresh_ends_access: bool = True
    """Whether a refresh kills the access token issued with the refresh token it spends, as
    the training course says; False keeps that token alive to its expiry."""
    rate: float = 2.0
    """Leaky-bucket drain per second; 0 turns the intensity limit off."""
    burst: int = 50
    """Requests the bucket holds before it answers QUERY_LIMIT_EXCEEDED."""
    time_budget: float = 0.0
    """Seconds of method execution allowed per window; 0 turns the budget off."""
    call_cost: float | None = None
    """Virtual seconds each call charges to its method; None charges the measured time."""
    budget_window: float = 600.0
    """Length of the execution-time window (ten buckets)."""
    shared_time_budget: bool = False
    """Count a method's time for the whole portal, every application and webhook together,
    as the issue this was built from reads the server; False keeps one budget per caller's
    pool of lines."""
    error_time_block: bool = False
    """Whether an error reply carries the `time` block (so a 429 has `operating_reset_at`).
    The docs say every reply does; the rest module adds it to successes only (False)."""
    error_code: str = ""
    """The `error` code of business errors: "" (server source) or "ERROR_CORE" (docs)."""
    webhooks_allowed: bool = True
    """Whether the externalLine methods admit incoming-webhook calls."""
    require_https: bool = False
    """Answer every /rest call with INVALID_REQUEST "Https required"."""
    system_error: str = ""
    """A SYSTEM_ERRORS code every /rest call answers with; "" for none."""
    system_status: int = 0
    """HTTP status for `system_error`; 0 uses the usual one from SYSTEM_ERRORS."""
    db_error: bool = False
    """Make every externalLine.add fail with "DB error"."""
    sql_error: bool = False
    """Make every externalLine.update and .delete fail as a refused database write does:
    500 ERROR_CORE "SQL query error!", nothing applied (add catches the same failure and
    answers "DB error" instead, see db_error)."""
    legacy_lines: bool = False
    """Play the line methods of voximplant before 23.0.0: add ignores CRM_AUTO_CREATE,
    update writes NAME from the request (absent: empty) and ignores the flag, and get
    returns NUMBER and NAME only."""
    legacy_statistic: bool = False
    """Play voximplant.statistic.get of older voximplant, which counts the matches first
    and answers a filter that matches nothing with a bare `[]`: no `total`."""
    batch_references: str = "scalars"
    """How a batch reference inside a longer value is replaced (references.REFERENCE_MODES):
    "scalars" as the newest rest module, "strings" or "any" as older ones."""

    def __post_init__(self) -> None:
        problems = []
        if self.token_lifetime <= 0:
            problems.append("token_lifetime must be > 0 seconds")
        if self.refresh_lifetime <= 0:
            problems.append("refresh_lifetime must be > 0 seconds")
        if self.rate < 0:
            problems.append("rate must be >= 0 (0 turns the limit off)")
        if self.burst < 1:
            problems.append("burst must be >= 1")
        if self.time_budget < 0:
            problems.append("time_budget must be >= 0 (0 turns the budget off)")
        if self.call_cost is not None and self.call_cost < 0:
            problems.append("call_cost must be >= 0 seconds, or None to charge measured time")
        if self.budget_window <= 0:
            problems.append("budget_window must be > 0 seconds")
        if self.error_code not in BUSINESS_ERROR_CODES:
            problems.append(f"error_code must be one of {BUSINESS_ERROR_CODES}")
        if self.batch_references not in REFERENCE_MODES:
            problems.append(f"batch_references must be one of {sorted(REFERENCE_MODES)}")
        if self.system_error and self.system_error not in SYSTEM_ERRORS:
            problems.append(f"system_error must be '' or one of {sorted(SYSTEM_ERRORS)}")
        if self.system_status and not 400 <= self.system_status <= 599:
            problems.append("system_status must be 0 or an HTTP error status (400-599)")
        if problems:
            raise ValueError("; ".join(problems))

    def system_refusal(self) -> tuple[int, str, str] | None:
        """The (status, code, description) every call answers with, or None."""
        if not self.system_error:
            return None
        status, description = SYSTEM_ERRORS[self.system_error]
        return self.system_status or status, self.system_error, description

    def as_dict(self) -> dict[str, object]:
        """The switches as JSON-ready values, for the admin API."""
        return {f.name: getattr(self, f.name) for f in fields(self)}
