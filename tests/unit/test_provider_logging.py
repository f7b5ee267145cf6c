"""The provider process's log lines reach Pulumi's output through stderr, redacted."""

from __future__ import annotations

import logging

import pytest

from provider import portals
from provider.bitrix24 import redact


@pytest.fixture
def provider_logger():
    logger = logging.getLogger("provider")
    saved = logger.handlers[:], logger.level
    logger.handlers.clear()
    yield logger
    logger.handlers[:], logger.level = saved


def test_level_from_the_environment_and_secrets_masked(provider_logger, capsys, monkeypatch):
    monkeypatch.setenv(portals.LOG_LEVEL_ENV, "info")
    portals.configure({"bitrix24:clientId": "local.app"})
    redact.remember("s3cr3t-refresh-token-0123456789")
    logging.getLogger("provider.bitrix24.lines").info("got %s", "s3cr3t-refresh-token-0123456789")
    logging.getLogger("provider.bitrix24.lines").debug("not shown at INFO")
    err = capsys.readouterr().err
    assert err.startswith("bitrix24 INFO: got ")
    assert "s3cr3t" not in err and "not shown" not in err


def test_quiet_by_default(provider_logger, capsys, monkeypatch):
    monkeypatch.delenv(portals.LOG_LEVEL_ENV, raising=False)
    portals.configure({})
    logging.getLogger("provider.bitrix24.rest").info("a routine call")
    assert capsys.readouterr().err == ""
