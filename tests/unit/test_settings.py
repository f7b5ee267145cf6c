"""Tuning settings: config wins over the environment, and a bad value names its key."""

from __future__ import annotations

import pytest

from provider.bitrix24.errors import InputError
from provider.bitrix24.settings import Tuning, read, tuning_from


def test_defaults_suit_a_cloud_portal() -> None:
    assert tuning_from({}, {}) == Tuning((5.0, 65.0), 2.0, 50, 120.0)


def test_config_wins_over_the_environment() -> None:
    config = {"bitrix24:requestTimeout": "10", "bitrix24:rateLimit": "5/250"}
    environ = {"BITRIX24_REQUEST_TIMEOUT": "99", "BITRIX24_DEADLINE": "30"}
    assert tuning_from(config, environ) == Tuning((5.0, 10.0), 5.0, 250, 30.0)
    assert read({"bitrix24:clientId": " app "}, {"BITRIX24_CLIENT_ID": "env"}, "client_id") == "app"


@pytest.mark.parametrize("blank", ["", " ", "\t\n"])
def test_a_blank_config_value_does_not_hide_the_environment(blank: str) -> None:
    environ = {"BITRIX24_CLIENT_ID": " env "}
    assert read({"bitrix24:clientId": blank}, environ, "client_id") == "env"
    assert read({"bitrix24:clientId": blank}, {"BITRIX24_CLIENT_ID": blank}, "client_id") is None


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"bitrix24:rateLimit": "fast"},
            "bitrix24:rateLimit: 'fast' is not requests per second / burst, e.g. 5/250 "
            "(Enterprise). Fix: set bitrix24:rateLimit (or BITRIX24_RATE_LIMIT) to requests "
            "per second / burst, e.g. 5/250 (Enterprise)",
        ),
        (
            {"bitrix24:requestTimeout": "-1"},
            "bitrix24:requestTimeout: '-1' is not a number of seconds above 0, e.g. 65. Fix: "
            "set bitrix24:requestTimeout (or BITRIX24_REQUEST_TIMEOUT) to a number of seconds "
            "above 0, e.g. 65",
        ),
    ],
)
def test_a_bad_value_names_its_key_and_an_example(config: dict, message: str) -> None:
    with pytest.raises(InputError) as info:
        tuning_from(config, {})
    assert str(info.value) == message


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "infinity", "0", "-0.5", "1e999"])
@pytest.mark.parametrize("key", ["bitrix24:requestTimeout", "bitrix24:deadline"])
def test_seconds_refuse_nan_infinity_and_non_positive_values(key: str, value: str) -> None:
    with pytest.raises(InputError, match=f"^{key}: '{value}' is not a number of seconds above 0"):
        tuning_from({key: value}, {})


@pytest.mark.parametrize("value", ["nan/50", "inf/50", "0/50", "-1/50", "2/0"])
def test_a_rate_limit_refuses_nan_infinity_and_non_positive_values(value: str) -> None:
    with pytest.raises(InputError, match=f"^bitrix24:rateLimit: '{value}' is not requests"):
        tuning_from({}, {"BITRIX24_RATE_LIMIT": value})
