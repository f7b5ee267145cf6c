"""One LinesApi per portal for the life of the provider process.

The engine runs one provider process per deployment and calls it from many
threads at once (provider.hostpool widens the host's pool of four). Sharing one
LinesApi (and so one cached line list, one pacer and one token refresher) per portal
is what keeps a run to a single `get` and under the portal's rate limit. Credentials
arrive through `configure`, in this process only; they live here, in module state,
and never on the pickled provider instance.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import threading
from collections.abc import Mapping
from typing import Any

from provider import firstlook, hostpool, lifeline
from provider.bitrix24 import redact
from provider.bitrix24.auth import settings_from
from provider.bitrix24.batching import Coalescer
from provider.bitrix24.lines import LinesApi
from provider.bitrix24.pacing import bucket_for
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import RetryPolicy
from provider.bitrix24.settings import SETTINGS, tuning_from

LOG_LEVEL_ENV = "BITRIX24_LOG_LEVEL"  # DEBUG shows every call (secrets redacted)
_lock = threading.Lock()
_config: dict[str, str] = {}
_apis: dict[str, LinesApi] = {}


def configure(config: Any) -> None:
    """Keep the stack's `bitrix24:*` config (decrypted by the engine) for later connections."""
    _log_to_stderr(os.environ.get(LOG_LEVEL_ENV, "WARNING"))
    lifeline.watch(sys.argv)  # the provider process ends when the CLI does
    hostpool.widen(os.environ)  # many calls at once, so a request carries many writes
    values = {key: config.get(key) for key, _ in SETTINGS.values()}
    with _lock:
        _config.clear()
        _config.update({key: str(value) for key, value in values.items() if value is not None})
        _apis.clear()


def _log_to_stderr(level: str) -> None:
    """The engine shows a provider's stderr; our loggers only, so no library's DEBUG."""
    logger = logging.getLogger("provider")
    logger.setLevel(getattr(logging, level.upper(), logging.WARNING))
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("bitrix24 %(levelname)s: %(message)s"))
        handler.addFilter(redact.RedactingFilter())  # a second guard: callers redact already
        logger.addHandler(handler)


def lines_for(portal: str) -> LinesApi:
    """The shared LinesApi of `portal`, connecting on first use."""
    with _lock:
        api = _apis.get(portal)
        if api is None:
            client = client_for(portal, _config, os.environ)
            api = _apis[portal] = LinesApi(
                client,
                writes=Coalescer(client, full=hostpool.calls_at_once(os.environ)),
                on_first_list=functools.partial(firstlook.announce, portal, client),
            )
        return api


def client_for(portal: str, config: Mapping[str, str], environ: Mapping[str, str]) -> RestClient:
    """A REST client of `portal` with these settings: the provider's and the CLI's alike."""
    tuning = tuning_from(config, environ)
    return RestClient(
        portal,
        settings_from(config, environ),
        timeout=tuning.timeout,
        pacer=bucket_for(portal, tuning.rate, tuning.burst),
        policy=RetryPolicy(deadline=tuning.deadline),
        before_send=lifeline.check,
    )
