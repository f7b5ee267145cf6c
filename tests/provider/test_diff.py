"""Diff through the host: what the engine is told to update, replace, or leave alone.

`olds` are the previous outputs (no `adopt`), `news` the checked inputs.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest
from pulumi.runtime import proto

from sandbox import Sandbox
from tests.provider.conftest import APP, SECRET, Stack
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
    "change", [{"number": "74951234568"}, {"number": "74951234568", "name": "x"}]
)
def test_a_new_number_replaces_adding_the_new_line_first(offline_host: Host, change: dict) -> None:
    """A new number is added before the old is deleted: no clash, no gap in service."""
    assert offline_host.diff("7", OLDS, {**NEWS, **change}) == Diff(
        proto.DiffResponse.DIFF_SOME, ["number"], False
    )


@pytest.mark.parametrize(
    "spelling",
    ["HTTPS://ACME.bitrix24.com", "https://acme.bitrix24.com.", "https://acme.bitrix24.com:443"],
)
def test_a_portal_spelled_another_way_in_older_state_is_no_change(
    offline_host: Host, spelling: str
) -> None:
    assert offline_host.diff("7", {**OLDS, "portal": spelling}, NEWS) == NONE


def test_a_new_address_without_credentials_plans_in_place_and_says_it_cannot_check(
    hosts: Callable[..., Host],
) -> None:
    blind = hosts({})
    moved = {**NEWS, "portal": "https://acme-renamed.bitrix24.com"}
    assert blind.diff("7", OLDS, moved) == Diff(proto.DiffResponse.DIFF_SOME, [], False)
    assert "cannot check that it is the same portal" in blind.stderr()


def test_the_same_portal_under_a_new_address_updates_in_place_with_no_line_call(
    stack: Stack, host: Host
) -> None:
    renamed = stack.url.replace("127.0.0.1", "localhost")
    stack.sb.move_to(renamed)
    for number in ("100", "101", "102"):
        olds = {**stack.outs(number, "Sales"), "member_id": stack.sb.store.member_id()}
        news = {**stack.line(number, "Sales"), "portal": renamed}
        assert host.diff("7", olds, news) == Diff(proto.DiffResponse.DIFF_SOME, [], False)
    # One question per run, however many lines move; never a line method.
    assert [e["method"] for e in stack.log() if e["method"] != "oauth/token"] == ["scope"]


def test_another_portal_replaces_adding_the_new_lines_first(stack: Stack, host: Host) -> None:
    renamed = stack.url.replace("127.0.0.1", "localhost")
    olds = {**stack.outs("100", "Sales"), "member_id": "0f0f0f0f-another-portal"}
    news = {**stack.line("100", "Sales"), "portal": renamed}
    assert host.diff("7", olds, news) == Diff(proto.DiffResponse.DIFF_SOME, ["portal"], False)


def test_adopt_alone_changes_nothing(offline_host: Host) -> None:
    assert offline_host.diff("7", OLDS, {**NEWS, "adopt": True}) == NONE
    assert offline_host.diff("7", {**OLDS, "adopt": True}, NEWS) == NONE


def test_provider_alone_changes_nothing(offline_host: Host) -> None:
    """Old state may hold another pickle of the provider (another SDK, another dill)."""
    stale = {**OLDS, "__provider": "c3RhbGUgcGlja2xl"}
    assert offline_host.diff("7", stale, NEWS) == NONE
    assert offline_host.diff("7", stale, {**NEWS, "adopt": True}) == NONE


def test_a_new_address_that_refuses_the_credentials_is_an_error_not_a_replacement(
    stack: Stack, host: Host
) -> None:
    olds = {**stack.outs("100", "Sales"), "member_id": stack.sb.store.member_id()}
    with Sandbox(rate=0) as stranger:  # another portal: it never issued these tokens
        stranger.add_app(APP, SECRET, scopes=("telephony",))
        news = {**stack.line("100", "Sales"), "portal": stranger.url}
        with pytest.raises(grpc.RpcError) as caught:
            host.diff("7", olds, news)
        assert stranger.request_log()[0]["method"] == "scope"
        said = stack.failure(caught)
        assert f"{stranger.url} does not accept this stack's credentials" in said, said


def test_a_move_of_a_line_recorded_without_identity_records_the_one_it_learnt(
    stack: Stack, host: Host
) -> None:
    """State from before identities (or from an access token never refreshed) has none."""
    renamed = stack.url.replace("127.0.0.1", "localhost")
    olds, news = stack.outs("100", "Sales"), {**stack.line("100", "Sales"), "portal": renamed}
    assert olds["member_id"] == ""
    assert host.diff("7", olds, news) == Diff(proto.DiffResponse.DIFF_SOME, [], False)
    moved = host.update("7", olds, news)
    assert (moved["portal"], moved["member_id"]) == (renamed, stack.sb.store.member_id())
    assert not [e for e in stack.log() if e["method"].startswith("telephony.")]
