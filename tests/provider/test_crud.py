"""Create, Read, Update and Delete through the host against the sandbox portal."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from tests.provider.conftest import ADD, APP, DELETE, GET, UPDATE, Stack
from tests.provider.host import PROVIDER, Host


def test_create_returns_the_portals_id_and_the_outputs(stack: Stack, host: Host) -> None:
    id_, outs = host.create(stack.line("+74951234567", "Moscow office", False))
    held = stack.lines()["+74951234567"]
    assert id_ == str(held["ID"])
    assert (held["NAME"], held["CRM_AUTO_CREATE"]) == ("Moscow office", "N")
    assert outs == stack.outs("+74951234567", "Moscow office", False)
    assert outs["__provider"] == PROVIDER
    assert [e["method"] for e in stack.log()] == [ADD]  # no get, no token refresh


def test_ids_are_the_portals_for_several_lines(stack: Stack, host: Host) -> None:
    ids = [host.create(stack.line(n), name=n)[0] for n in ("101", "102", "103")]
    assert ids == [str(stack.lines()[n]["ID"]) for n in ("101", "102", "103")]
    assert len(set(ids)) == 3


def test_read_of_an_undrifted_line_keeps_the_inputs(
    stack: Stack, hosts: Callable[..., Host]
) -> None:
    """No inputs back: the engine keeps the state's (with `adopt`), so a refresh shows no diff;
    a drifted line gets the portal's values as inputs (tests/provider/test_refresh.py)."""
    id_, outs = hosts().create(stack.line("74951234567", "Sales", False, adopt=True))
    got_id, got_outs, got_inputs = hosts().read(id_, outs)  # a refresh: a new process
    assert got_id == id_
    assert got_outs == outs
    assert got_inputs is None


def test_reads_in_one_process_cost_one_get(stack: Stack, hosts: Callable[..., Host]) -> None:
    writer = hosts()
    created = [writer.create(stack.line(str(n)), name=str(n)) for n in range(200, 210)]
    stack.sb.clear_log()
    refresh = hosts()
    with ThreadPoolExecutor(4) as pool:  # the engine reads up to 4 resources at once
        reads = list(pool.map(lambda c: refresh.read(*c, name=c[1]["number"]), created))
    for again in created:
        refresh.read(*again, name=again[1]["number"])
    assert [r[0] for r in reads] == [c[0] for c in created]
    assert [r[1] for r in reads] == [c[1] for c in created]
    assert [e["method"] for e in stack.log()] == [GET]
    # and one look at whose lines these are, beside that first get, not per read
    assert sorted(e["method"] for e in stack.sb.request_log() if e["method"] != GET) == [
        "app.info",
        "event.get",
    ]


def test_update_sends_only_the_changed_name(stack: Stack, host: Host) -> None:
    """CRM_AUTO_CREATE was switched off by hand: a name change must not switch it back on."""
    seeded = stack.sb.seed_line(APP, "74951234567", "Old", "N")
    olds = stack.outs("74951234567", "Old", True)
    news = stack.line("74951234567", "New", True)
    outs = host.update(str(seeded), olds, news)
    assert outs == stack.outs("74951234567", "New", False)  # what the portal holds, not news
    held = stack.lines()["74951234567"]
    assert (held["ID"], held["NAME"], held["CRM_AUTO_CREATE"]) == (seeded, "New", "N")
    assert [e["method"] for e in stack.log()] == [UPDATE, GET]


def test_update_sends_only_the_changed_flag(stack: Stack, host: Host) -> None:
    """The name was changed by hand: a flag change must not write the old name back, and
    state must record the name the portal holds, so the next plan shows the rename."""
    id_, outs = host.create(stack.line("74951234567", "Sales", True))
    stack.sb.rename_line(APP, "74951234567", "Renamed by hand")
    new_outs = host.update(id_, outs, stack.line("74951234567", "Sales", False))
    assert new_outs == stack.outs("74951234567", "Renamed by hand", False)
    held = stack.lines()["74951234567"]
    assert (str(held["ID"]), held["NAME"], held["CRM_AUTO_CREATE"]) == (id_, "Renamed by hand", "N")
    # NAME went too, as the portal holds it: older portals empty a NAME left out.
    assert [e["method"] for e in stack.log()] == [ADD, GET, UPDATE]


def test_update_of_both_fields(stack: Stack, host: Host) -> None:
    id_, outs = host.create(stack.line("74951234567", "Sales", True))
    host.update(id_, outs, stack.line("74951234567", "Support", False))
    held = stack.lines()["74951234567"]
    assert (str(held["ID"]), held["NAME"], held["CRM_AUTO_CREATE"]) == (id_, "Support", "N")


def test_delete_removes_the_line(stack: Stack, host: Host) -> None:
    id_, outs = host.create(stack.line("74951234567"))
    keep_id, _ = host.create(stack.line("74951234568"), name="other")
    host.delete(id_, outs)
    assert {n: str(line["ID"]) for n, line in stack.lines().items()} == {"74951234568": keep_id}
    assert [(e["method"], e["status"]) for e in stack.log()] == [
        (ADD, 200),
        (ADD, 200),
        (DELETE, 200),
    ]


def test_delete_of_a_line_already_gone_succeeds(stack: Stack, host: Host) -> None:
    id_, outs = host.create(stack.line("74951234567"))
    stack.sb.delete_line(APP, "74951234567")
    host.delete(id_, outs)  # no error: the desired end state holds
    assert stack.lines() == {}
    assert [(e["method"], e["status"]) for e in stack.log()] == [(ADD, 200), (DELETE, 400)]


def test_replacement_of_a_number_is_add_then_delete(stack: Stack, host: Host) -> None:
    """What the engine does for a number change (create before delete), in its order."""
    old_id, outs = host.create(stack.line("74951234567", "Sales"))
    new_id, new_outs = host.create(stack.line("74951234569", "Sales"))
    host.delete(old_id, outs)
    assert new_id != old_id
    assert {n: str(line["ID"]) for n, line in stack.lines().items()} == {"74951234569": new_id}
    assert new_outs == stack.outs("74951234569", "Sales")
