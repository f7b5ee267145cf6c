"""Diff through the host: what the engine is told to update, replace, or leave alone.

`olds` are the previous outputs (no `adopt`), `news` the checked inputs.
"""

from __future__ import annotations

import pytest
from pulumi.runtime import proto

from tests.provider.host import Diff, Host, with_provider

PORTAL = "https://acme.bitrix24.com"
OLDS = with_provider(
    {"portal": PORTAL, "number": "74951234567", "name": "Sales", "crm_auto_create": True}
)
NEWS = {**OLDS, "adopt": False}
NONE = Diff(proto.DiffResponse.DIFF_NONE, [], False)


def test_identical_is_no_change(offline_host: Host) -> None:
    assert offline_host.diff("7", OLDS, NEWS) == NONE


@pytest.mark.parametrize(
    "change",
    [
        {"name": "Sales desk"},
        {"crm_auto_create": False},
        {"name": "Sales desk", "crm_auto_create": False},
    ],
)
def test_name_and_crm_update_in_place(offline_host: Host, change: dict) -> None:
    assert offline_host.diff("7", OLDS, {**NEWS, **change}) == Diff(
        proto.DiffResponse.DIFF_SOME, [], False
    )


@pytest.mark.parametrize(
    ("change", "replaces"),
    [
        ({"number": "74951234568"}, ["number"]),
        ({"portal": "https://other.bitrix24.com"}, ["portal"]),
        (
            {"portal": "https://other.bitrix24.com", "number": "74951234568", "name": "x"},
            ["portal", "number"],
        ),
    ],
)
def test_number_or_portal_replace_deleting_first_only_for_a_portal(
    offline_host: Host, change: dict, replaces: list[str]
) -> None:
    """A new number is added before the old is deleted (no clash, no gap in service); a new
    portal address may be the same portal renamed, so the old line goes first."""
    assert offline_host.diff("7", OLDS, {**NEWS, **change}) == Diff(
        proto.DiffResponse.DIFF_SOME, replaces, "portal" in replaces
    )


def test_adopt_alone_changes_nothing(offline_host: Host) -> None:
    assert offline_host.diff("7", OLDS, {**NEWS, "adopt": True}) == NONE
    assert offline_host.diff("7", {**OLDS, "adopt": True}, NEWS) == NONE


def test_provider_alone_changes_nothing(offline_host: Host) -> None:
    """Old state may hold another pickle of the provider (another SDK, another dill)."""
    stale = {**OLDS, "__provider": "c3RhbGUgcGlja2xl"}
    assert offline_host.diff("7", stale, NEWS) == NONE
    assert offline_host.diff("7", stale, {**NEWS, "adopt": True}) == NONE
