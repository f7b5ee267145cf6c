"""Check through the host: inputs normalised as the portal stores them, one failure per bad
property with its fix. Check runs in `pulumi preview` too, so this is where PRs catch bad input."""

from __future__ import annotations

import pytest
from pulumi.runtime import rpc

from tests.provider.host import PROVIDER, Host, with_provider

PORTAL = "https://acme.bitrix24.com"
NUMBER_IS_TEXT = 'must be text, got float. Fix: quote it, e.g. number: "74951234567"'


def test_defaults_and_trimming(offline_host: Host) -> None:
    inputs, failures = offline_host.check(
        with_provider({"portal": "https://ACME.bitrix24.com/", "number": "  +74951234567 "})
    )
    assert failures == []
    assert inputs == {
        "portal": "https://acme.bitrix24.com",
        "number": "+74951234567",
        "name": "+74951234567",
        "crm_auto_create": True,
        "__provider": PROVIDER,
    }  # no `adopt: false`: the default would be printed on every line of `preview --diff`


def test_given_values_are_kept_and_trimmed(offline_host: Host) -> None:
    news = with_provider(
        {
            "portal": PORTAL,
            "number": "74951234567",
            "name": "  Sales ",
            "crm_auto_create": False,
            "adopt": True,
        }
    )
    inputs, failures = offline_host.check(news, olds=news)
    assert failures == []
    assert inputs == {**news, "name": "Sales"}


def test_plain_http_is_accepted_on_loopback_only(offline_host: Host) -> None:
    inputs, failures = offline_host.check(
        with_provider({"portal": "http://127.0.0.1:8450", "number": "1"})
    )
    assert (inputs["portal"], failures) == ("http://127.0.0.1:8450", [])
    _, failures = offline_host.check(
        with_provider({"portal": "http://acme.bitrix24.com", "number": "1"})
    )
    assert failures == [
        (
            "portal",
            "'http://acme.bitrix24.com' uses plain http on a non-loopback host; Bitrix24 requires"
            " HTTPS. Fix: write https://acme.bitrix24.com",
        )
    ]


@pytest.mark.parametrize(
    ("prop", "value", "reason"),
    [
        (
            "number",
            "7" * 51,
            "is 51 characters long, over the portal's 50. Fix: shorten it to at most 50 characters",
        ),
        ("number", "7" * 50, None),
        ("number", 74951234567, NUMBER_IS_TEXT),
        ("number", "   ", 'is empty. Fix: write the line\'s number, e.g. "74951234567"'),
        (
            "number",
            "7495 123",
            "'7495 123' has U+0020 SPACE at character 5; NUMBER is matched as exact text, so it"
            ' takes printable ASCII only, without spaces. Fix: write "7495123"',
        ),
        (
            "number",
            "7495\u200b1234567",
            "'7495\\u200b1234567' has U+200B ZERO WIDTH SPACE at character 5; NUMBER is matched"
            " as exact text, so it takes printable ASCII only, without spaces. Fix: write"
            ' "74951234567"',
        ),
        (
            "name",
            "Sales\u202e",
            "'Sales\\u202e' has U+202E RIGHT-TO-LEFT OVERRIDE at character 6; a name takes no"
            " control or invisible formatting characters. Fix: delete it (retype the name rather"
            " than paste it)",
        ),
        (
            "name",
            "",
            "is empty; the portal's clean-up agent deletes nameless lines after 90 days"
            " unused. Fix: give the line a name",
        ),
        (
            "name",
            "n" * 256,
            "is 256 characters long, over the portal's 255. Fix: shorten it to at"
            " most 255 characters",
        ),
        (
            "crm_auto_create",
            "yes",
            "must be true or false, got 'yes'. Fix: write crm_auto_create:"
            " true or crm_auto_create: false (unquoted)",
        ),
        (
            "crm_auto_create",
            "Y",
            "must be true or false, got 'Y'. Fix: write crm_auto_create:"
            " true or crm_auto_create: false (unquoted)",
        ),
        (
            "portal",
            "ftp://acme.bitrix24.com",
            "'ftp://acme.bitrix24.com' is not an http(s) URL."
            " Fix: write portal: https://<your-portal>.bitrix24.com",
        ),
    ],
)
def test_each_bad_property_fails_alone_naming_itself_and_the_fix(
    offline_host: Host, prop: str, value: object, reason: str | None
) -> None:
    good = {"portal": PORTAL, "number": "74951234567", "name": "Sales", "crm_auto_create": True}
    _, failures = offline_host.check(with_provider({**good, prop: value}))
    assert failures == ([] if reason is None else [(prop, reason)])


def test_non_text_number_without_name_fails_on_number_only(offline_host: Host) -> None:
    _, failures = offline_host.check(with_provider({"portal": PORTAL, "number": 74951234567}))
    assert failures == [("number", NUMBER_IS_TEXT)]


# gRPC carries numbers as doubles, so an integer 1 arrives as 1.0.
@pytest.mark.parametrize(("value", "shown"), [("false", "'false'"), ("no", "'no'"), (1, "1.0")])
def test_adopt_must_be_a_boolean(offline_host: Host, value: object, shown: str) -> None:
    _, failures = offline_host.check(
        with_provider({"portal": PORTAL, "number": "74951234567", "adopt": value})
    )
    assert failures == [
        (
            "adopt",
            f"must be true or false, got {shown}. Fix: write adopt:"
            " true or adopt: false (unquoted)",
        )
    ]


def test_all_failures_are_reported_at_once(offline_host: Host) -> None:
    _, failures = offline_host.check(
        with_provider(
            {
                "portal": "http://example.com",
                "number": "7" * 51,
                "name": "",
                "crm_auto_create": "yes",
            }
        )
    )
    assert [prop for prop, _ in failures] == ["portal", "number", "name", "crm_auto_create"]


def test_values_unknown_during_preview_are_left_for_up(offline_host: Host) -> None:
    """An input computed from another resource is unknown in preview: not a failure."""
    unknown = rpc.UNKNOWN
    inputs, failures = offline_host.check(
        with_provider({"portal": PORTAL, "number": unknown, "crm_auto_create": unknown})
    )
    assert failures == []
    # Unknowns go back to the engine as unknowns (read back here as absent); no name is
    # made up before the number it derives from is known.
    assert inputs == {"portal": PORTAL, "__provider": PROVIDER}
