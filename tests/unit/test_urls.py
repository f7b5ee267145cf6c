"""The one URL policy (provider.bitrix24.urls) and the three places that apply it."""

from __future__ import annotations

import pytest

from provider.bitrix24 import rules, urls
from provider.bitrix24.urls import Problem


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.bitrix24.com", None),
        ("https://acme.bitrix24.com/rest/1/code/", None),
        ("http://127.0.0.1:8450", None),
        ("http://localhost:8450", None),
        ("http://[::1]:8450", None),
        ("http://acme.bitrix24.com", Problem.PLAIN_HTTP),
        ("http://10.0.0.1", Problem.PLAIN_HTTP),
        ("ftp://acme.bitrix24.com", Problem.NOT_HTTP),
        ("acme.bitrix24.com", Problem.NOT_HTTP),
        ("https://", Problem.NOT_HTTP),
        ("https://[::1", Problem.NOT_HTTP),
        ("https://acme.bitrix24.com:port", Problem.NOT_HTTP),
        ("https://user:pw@acme.bitrix24.com", Problem.CREDENTIALS),
        ("https://user@acme.bitrix24.com", Problem.CREDENTIALS),
        ("http://user@127.0.0.1", Problem.CREDENTIALS),
    ],
)
def test_problem(url: str, expected: Problem | None) -> None:
    assert urls.problem(url) is expected


def test_origin_lowers_the_host_and_keeps_the_port() -> None:
    assert urls.origin("https://ACME.Bitrix24.com:8443/rest/x") == "https://acme.bitrix24.com:8443"


@pytest.mark.parametrize(
    "spelling",
    [
        "https://acme.bitrix24.com",
        "HTTPS://ACME.Bitrix24.COM",
        "https://acme.bitrix24.com.",
        "https://acme.bitrix24.com:443",
        "https://acme.bitrix24.com:0443/",
    ],
)
def test_one_portal_has_one_spelling(spelling: str) -> None:
    assert urls.origin(spelling) == "https://acme.bitrix24.com"
    assert rules.portal(spelling) == "https://acme.bitrix24.com"


@pytest.mark.parametrize(
    ("spelling", "one"),
    [
        ("http://127.0.0.1:08450/", "http://127.0.0.1:8450"),
        ("http://LOCALHOST.:80", "http://localhost"),
        ("http://[::1]:8450", "http://[::1]:8450"),
    ],
)
def test_loopback_spellings(spelling: str, one: str) -> None:
    assert rules.portal(spelling) == one


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("acme.bitrix24.com", "bitrix24.com"),
        ("New-Acme.Bitrix24.com.", "bitrix24.com"),
        ("localhost", "localhost"),
        ("127.0.0.1", "localhost"),
        ("::1", "localhost"),
        ("LocalHost.", "localhost"),
        ("127.0.0.2", "127.0.0.2"),  # another loopback address may be another service
        ("10.0.0.1", "10.0.0.1"),
    ],
)
def test_registrable(host: str, expected: str) -> None:
    assert urls.registrable(host) == expected


def test_rules_keeps_is_loopback_importable() -> None:
    assert rules.is_loopback is urls.is_loopback
    assert rules.is_loopback("LOCALHOST") and not rules.is_loopback("acme.bitrix24.com")


def test_portal_with_a_port_that_is_not_a_number_is_not_a_url() -> None:
    with pytest.raises(ValueError, match="is not an http"):
        rules.portal("https://acme.bitrix24.com:abc")


def test_older_state_is_respelled_and_anything_else_left_alone() -> None:
    assert urls.respelled("https://ACME.bitrix24.com:443") == "https://acme.bitrix24.com"
    assert urls.respelled("https://[::1") == "https://[::1"
    assert urls.respelled(None) is None
