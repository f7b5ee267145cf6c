"""The value rules and defaults every entry point shares, with their exact messages."""

from __future__ import annotations

import pytest

from provider.bitrix24 import rules
from provider.bitrix24.errors import InputError


def test_defaults() -> None:
    assert dict(rules.DEFAULTS) == {"crm_auto_create": True, "adopt": False, "protect": False}
    assert rules.default_name("74951234567") == "74951234567"
    with pytest.raises(TypeError):
        rules.DEFAULTS["adopt"] = True  # type: ignore[index]


@pytest.mark.parametrize(
    ("rule", "value", "message"),
    [
        (
            rules.number,
            7,
            'number: must be text, got int. Fix: quote it, e.g. number: "74951234567"',
        ),
        (rules.number, " ", 'number: is empty. Fix: write the line\'s number, e.g. "74951234567"'),
        (
            rules.number,
            "7 " * 30,
            "number: '7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7 7"
            " 7 7' has U+0020 SPACE at character 2; NUMBER is matched as exact text, so it takes"
            f' printable ASCII only, without spaces. Fix: write "{"7" * 30}"',
        ),
        (
            rules.number,
            "7" * 51,
            "number: is 51 characters long, over the portal's 50. Fix: shorten"
            " it to at most 50 characters",
        ),
        (rules.name, None, 'name: must be text, got NoneType. Fix: quote it, e.g. name: "Sales"'),
        (
            rules.name,
            "\t",
            "name: is empty; the portal's clean-up agent deletes nameless lines"
            " after 90 days unused. Fix: give the line a name",
        ),
        (
            rules.name,
            "n" * 256,
            "name: is 256 characters long, over the portal's 255. Fix: shorten"
            " it to at most 255 characters",
        ),
        (
            rules.crm_auto_create,
            "Y",
            "crm_auto_create: must be true or false, got 'Y'. Fix: write"
            " crm_auto_create: true or crm_auto_create: false (unquoted)",
        ),
        (
            rules.adopt,
            1,
            "adopt: must be true or false, got 1. Fix: write adopt: true or adopt:"
            " false (unquoted)",
        ),
    ],
)
def test_each_rule_refuses_with_its_message(rule, value: object, message: str) -> None:
    with pytest.raises(InputError) as info:
        rule(value)
    assert str(info.value) == message


def test_good_values_come_back_trimmed() -> None:
    assert rules.number(" +74951234567 ") == "+74951234567"
    assert rules.name(" Sales desk ") == "Sales desk"
    assert rules.crm_auto_create(False) is False and rules.adopt(True) is True
