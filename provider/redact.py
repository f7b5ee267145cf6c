"""Keep tokens, client secrets and webhook codes out of logs and exception texts.

Two nets, because either alone leaks: the exact secrets this process holds
(registered by the auth objects the moment they learn them), and patterns for
the places secrets sit in URLs (OAuth query parameters, the webhook path), which
catch what a library puts in its own messages before we could register it.
"""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
MIN_SECRET = 6  # shorter strings would mask ordinary words; no real token is that short

_QUERY_SECRET = re.compile(
    r"(?i)\b(client_secret|refresh_token|access_token|auth|code)=[^&\s'\"]+"
)
_WEBHOOK_PATH = re.compile(r"(/rest/\d+/)[^/\s'\"]+")
_secrets: set[str] = set()
_lock = threading.Lock()

LIBRARY_LOGGERS = (
    "urllib3.connectionpool",
    "urllib3.connection",
    "urllib3.poolmanager",
    "urllib3.response",
    "urllib3.util.retry",
)
"""Loggers that print request URLs at DEBUG; filters do not inherit, so each gets one."""


def remember(*secrets: str | None) -> None:
    """Register secrets so every later `redact` masks them wherever they appear."""
    with _lock:
        _secrets.update(s for s in secrets if s and len(s) >= MIN_SECRET)


def redact(text: str) -> str:
    """`text` with every registered secret and every URL-borne secret masked."""
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    text = _QUERY_SECRET.sub(rf"\1={MASK}", text)
    return _WEBHOOK_PATH.sub(rf"\1{MASK}", text)


class RedactedError(Exception):
    """Stands in, as `__cause__`, for a library exception whose text carried a secret."""

    def __init__(self, original: BaseException) -> None:
        self.kind = type(original).__name__
        super().__init__(f"{self.kind}: {redact(str(original))}")


def scrubbed(err: BaseException) -> BaseException:
    """`err` itself when its text is clean, else a RedactedError to chain from instead."""
    text = str(err)
    return err if redact(text) == text else RedactedError(err)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message with secrets masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_FILTER = RedactingFilter()


def guard_library_loggers() -> None:
    """Attach the filter to the HTTP library's loggers (idempotent)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
