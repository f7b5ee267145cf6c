"""Keep tokens, client secrets and webhook codes out of logs and exception texts.

Two nets, because either alone leaks: the exact secrets this process holds
(registered by the auth objects the moment they learn them), and patterns for
the places secrets sit in URLs (OAuth query parameters, the webhook path), which
catch what a library puts in its own messages before we could register it.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading

MASK = "***"
MIN_SECRET = 6  # shorter strings would mask ordinary words; no real token is that short

_QUERY_SECRET = re.compile(r"(?i)\b(client_secret|refresh_token|access_token|auth|code)=[^&\s'\"]+")
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


def _chain(err: BaseException) -> list[BaseException]:
    """`err` and every exception a traceback would print under it, once each."""
    chain: list[BaseException] = []
    current: BaseException | None = err
    while current is not None and all(current is not seen for seen in chain):
        chain.append(current)
        current = current.__cause__ or (
            None if current.__suppress_context__ else current.__context__
        )
    return chain


def scrubbed(err: BaseException) -> BaseException:
    """`err` itself when neither it nor its chain (`__cause__`, `__context__`) shows a
    secret; else a chain of RedactedErrors mirroring it, to chain from instead.

    The engine prints `traceback.format_exc()`, which shows the whole chain: a
    library exception that is clean itself may sit on one quoting a URL with a token.
    """
    chain = _chain(err)
    if all(redact(str(link)) == str(link) for link in chain):
        return err
    mirrored = [RedactedError(link) for link in chain]
    for index, (copy, below) in enumerate(itertools.pairwise(mirrored)):
        if chain[index].__cause__ is not None:
            copy.__cause__ = below
        else:
            copy.__context__ = below
    return mirrored[0]


class RedactingFilter(logging.Filter):
    """Masks secrets in a record's message and exception text; never drops a record.

    Works on a logger or on a handler: `handler.addFilter(RedactingFilter())`. On a
    handler it also covers records of loggers that have no filter of their own,
    and the traceback of `log.exception(...)`, which it formats (once, as the
    default Formatter does) so the handler prints the masked copy.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # bad %-arguments: leave it to the handler to report
            return True
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_FORMATTER = logging.Formatter()
_FILTER = RedactingFilter()


def guard_library_loggers() -> None:
    """Attach the filter to the HTTP library's loggers (idempotent)."""
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
