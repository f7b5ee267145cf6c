"""Refresh (Read) against changes made outside Pulumi.

Read is served from the line list a provider process fetched once, so what a
refresh sees depends on the process: `pulumi refresh` and `pulumi up --refresh`
each start a new one, and that one must see the portal as it is now.
"""

from __future__ import annotations

from collections.abc import Callable

from pulumi.runtime import proto

from tests.provider.conftest import ADD, APP, GET, UPDATE, Stack
from tests.provider.host import PROVIDER, Diff, Host


def test_a_new_run_sees_an_out_of_band_rename(stack: Stack, hosts: Callable[..., Host]) -> None:
    id_, outs = hosts().create(stack.line("74951234567", "Sales", False))
    stack.sb.rename_line(APP, "74951234567", "Renamed by hand")
    got_id, got_outs, got_inputs = hosts().read(id_, outs)
    renamed = stack.outs("74951234567", "Renamed by hand", False)
    inputs = {key: value for key, value in renamed.items() if key != "member_id"}  # an output
    assert (got_id, got_outs, got_inputs) == (id_, renamed, inputs)


def test_a_new_run_sees_an_out_of_band_deletion(stack: Stack, hosts: Callable[..., Host]) -> None:
    id_, outs = hosts().create(stack.line("74951234567", "Sales"))
    stack.sb.delete_line(APP, "74951234567")
    got_id, got_outs, got_inputs = hosts().read(id_, outs)
    assert got_id == ""  # the engine drops the resource from state
    assert got_outs == {"__provider": PROVIDER}
    assert got_inputs is None


def test_one_process_keeps_the_list_it_fetched(stack: Stack, hosts: Callable[..., Host]) -> None:
    """Within one run the first read's list is reused: no `get` per resource."""
    id_, outs = hosts().create(stack.line("74951234567", "Sales"))
    stack.sb.clear_log()
    refresh = hosts()
    assert refresh.read(id_, outs)[1] == outs
    stack.sb.rename_line(APP, "74951234567", "Renamed by hand")
    assert refresh.read(id_, outs)[1] == outs  # the same run: the list fetched at its start
    assert [e["method"] for e in stack.log()] == [GET]
    assert hosts().read(id_, outs)[1]["name"] == "Renamed by hand"  # the next run


def test_up_refresh_restores_a_renamed_line_in_place(
    stack: Stack, hosts: Callable[..., Host]
) -> None:
    """`pulumi up --refresh` in one process: read, then diff against the program, update."""
    id_, outs = hosts().create(stack.line("74951234567", "Sales"))
    stack.sb.rename_line(APP, "74951234567", "Renamed by hand")
    stack.sb.clear_log()
    run = hosts()
    _, refreshed, _ = run.read(id_, outs)
    program = stack.line("74951234567", "Sales")
    assert run.diff(id_, refreshed, program) == Diff(proto.DiffResponse.DIFF_SOME, [], False)
    assert run.update(id_, refreshed, program) == outs
    held = stack.lines()["74951234567"]
    assert (str(held["ID"]), held["NAME"]) == (id_, "Sales")
    assert [e["method"] for e in stack.log()] == [GET, UPDATE]
    assert run.read(id_, outs)[1] == outs  # the run's own write is in its list


def test_up_refresh_adds_a_deleted_line_again(stack: Stack, hosts: Callable[..., Host]) -> None:
    id_, outs = hosts().create(stack.line("74951234567", "Sales"))
    stack.sb.delete_line(APP, "74951234567")
    stack.sb.clear_log()
    run = hosts()
    assert run.read(id_, outs)[0] == ""
    new_id, new_outs = run.create(stack.line("74951234567", "Sales"))
    assert new_id != id_ and new_outs == outs
    assert new_id == str(stack.lines()["74951234567"]["ID"])
    assert run.read(new_id, new_outs)[:2] == (new_id, outs)  # served from the list, updated
    assert [e["method"] for e in stack.log()] == [GET, ADD]
