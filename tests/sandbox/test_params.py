"""Parameters are decoded by PHP's parse_str rules, so the sandbox mangles what a portal would."""

from __future__ import annotations

import pytest

from sandbox.params import parse_query

from .conftest import Portal

ADD = "telephony.externalLine.add"


@pytest.mark.parametrize(
    ("query", "parsed"),
    [
        ("a=1&b=2", {"a": "1", "b": "2"}),
        ("a=1&a=2", {"a": "2"}),  # the last wins
        ("a+b=c+d", {"a_b": "c d"}),  # `+` is a space; a space in a name is `_`
        (" a.b=1", {"a_b": "1"}),  # leading spaces dropped, `.` is `_`
        ("NAME=%2B7%26x%3Dy%0A%F0%9F%98%80", {"NAME": "+7&x=y\n\U0001f600"}),
        ("v=%zz%4", {"v": "%zz%4"}),  # not an escape: kept as written
        ("a=b=c", {"a": "b=c"}),  # split on the first `=`
        ("=1&&[x]=2&a", {"a": ""}),  # no name: dropped; no `=`: an empty value
        ("a%00b=1", {"a": "1"}),  # a name ends at a NUL byte
        ("a[b][c]=1&a[]=x&a[]=y", {"a": {"b": {"c": "1"}, "0": "x", "1": "y"}}),
        ("a[5]=x&a[]=y", {"a": {"5": "x", "6": "y"}}),  # `[]` appends after the largest int
        ("a[ ]=1", {"a": {"0": "1"}}),
        ("a[ x]=1", {"a": {" x": "1"}}),
        ("a[b]c=1", {"a": {"b": "1"}}),  # after the `]`, the rest of the name is ignored
        ("a[b=1", {"a_b": "1"}),  # an unclosed `[` is `_`
        ("a[b.c =1", {"a_b_c_": "1"}),
        ("a[b][c=1", {"a": {"b": "1"}}),
        ("a=1&a[x]=2", {"a": {"x": "2"}}),
        ("a%5Bx%5D=1", {"a": {"x": "1"}}),  # names are decoded before the brackets are read
        ("a" + "[x]" * 65 + "=1", {}),  # deeper than PHP's 64 levels: dropped
    ],
)
def test_parse_str_rules(query: str, parsed: dict[str, object]) -> None:
    assert parse_query(query) == parsed


def test_an_unencoded_batch_command_loses_what_a_portal_would(portal: Portal) -> None:
    raw = f"{ADD}?NUMBER=+7495&NAME=Tom & Jerry&CRM_AUTO_CREATE=N#&NAME=after the hash"
    result = portal.ok("batch", halt=0, cmd={"a": raw})
    assert result["result_error"] == []
    assert portal.ok("telephony.externalLine.get") == [
        {"NUMBER": "7495", "NAME": "Tom ", "CRM_AUTO_CREATE": "N"}  # `+` a space, then trimmed
    ]


def test_an_encoded_batch_command_arrives_whole(portal: Portal) -> None:
    cmd = f"{ADD}?NUMBER=%2B7495&NAME=Tom%20%26%20Jerry%23%2B&CRM_AUTO_CREATE=N"
    portal.ok("batch", halt=0, cmd={"a": cmd})
    assert portal.ok("telephony.externalLine.get") == [
        {"NUMBER": "+7495", "NAME": "Tom & Jerry#+", "CRM_AUTO_CREATE": "N"}
    ]
