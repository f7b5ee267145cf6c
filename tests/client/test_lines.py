"""LinesApi against the sandbox: every method, the cache, and adds that got no clear answer."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from provider.bitrix24 import errors
from provider.bitrix24.auth import Webhook
from provider.bitrix24.lines import Line, LinesApi
from sandbox import WEBHOOK_POOL

from .conftest import APP, FAST, HOOK_CODE, FakeTime, Portal

GET = "telephony.externalLine.get"
ADD = "telephony.externalLine.add"
UPDATE = "telephony.externalLine.update"


def test_add_sends_exact_flags_and_returns_the_id_as_text(portal: Portal) -> None:
    lines = portal.lines()
    first = lines.add(Line("+74951234567", "Main", True))
    second = lines.add(Line("74951234567", "Other", False))
    stored = portal.portal_lines()
    assert first == str(stored["+74951234567"]["ID"]) and second == str(stored["74951234567"]["ID"])
    assert stored["+74951234567"]["CRM_AUTO_CREATE"] == "Y"
    assert stored["74951234567"]["CRM_AUTO_CREATE"] == "N"
    assert LinesApi(portal.client()).list() == {
        "+74951234567": Line("+74951234567", "Main", True),
        "74951234567": Line("74951234567", "Other", False),
    }


def test_one_get_per_process_kept_current_by_our_writes(portal: Portal) -> None:
    lines = portal.lines()
    assert lines.list() == {}
    lines.add(Line("1", "one", True))
    lines.update("1", name="uno")
    lines.add(Line("2", "two", False))
    lines.delete("2")
    assert lines.list() == {"1": Line("1", "uno", True)}
    assert lines.find("2") is None
    assert len(portal.log(GET)) == 1


def test_four_threads_asking_at_once_share_one_get(portal: Portal) -> None:
    """Each get takes a second (the sandbox's slow fault). Without a cache, four threads
    wait for one get. Fresh: a first thread's get is out when three more ask; each of them
    needs a get started after it asked, and they share one, whatever the scheduler does."""
    lines = portal.lines()
    portal.sb.set_faults(slow=1.0, slow_seconds=1.0, methods=[GET])

    def together(count: int, fresh: bool) -> list[threading.Thread]:
        barrier = threading.Barrier(count)

        def ask() -> None:
            barrier.wait()
            lines.list(fresh=fresh)

        threads = [threading.Thread(target=ask) for _ in range(count)]
        for thread in threads:
            thread.start()
        return threads

    for thread in together(4, fresh=False):
        thread.join()
    assert len(portal.log(GET)) == 1

    portal.sb.clear_log()
    first = together(1, fresh=True)
    time.sleep(0.3)  # not a bound: only gives the first get time to leave (it takes 1 s)
    later = together(3, fresh=True)
    for thread in first + later:
        thread.join()
    assert 1 <= len(portal.log(GET)) <= 2  # never one per thread (4)


def test_threads_waiting_on_a_failing_get_share_its_failure(portal: Portal, leaks) -> None:
    policy = FAST.__class__(deadline=1.0, backoff_factor=0.05, backoff_max=0.1)
    lines = portal.lines(policy=policy)
    portal.sb.set_faults(error500=1.0)  # the portal is down: each get retries for 1 s
    caught: list[BaseException] = []

    def ask(fresh: bool) -> None:
        try:
            lines.list(fresh=fresh)
        except errors.Bitrix24Error as err:
            caught.append(err)

    first = threading.Thread(target=ask, args=(False,))
    first.start()
    while not portal.log(GET):  # the first get is under way; the others queue behind it
        time.sleep(0.005)
    waiting = [threading.Thread(target=ask, args=(i % 2 == 0,)) for i in range(3)]
    for thread in waiting:
        thread.start()
    for thread in (first, *waiting):
        thread.join()
    # One deadline, not four in turn: every caller got the very exception of the one get
    # that failed (a get of its own would have raised a new one).
    assert len(caught) == 4 and all(err is caught[0] for err in caught)
    assert isinstance(caught[0], errors.DeadlineExceeded)
    leaks.check_exception(caught[0])
    portal.sb.set_faults()
    assert lines.list() == {}  # a later caller tries again: the failure is not sticky


def test_fresh_sees_what_changed_behind_our_back(portal: Portal) -> None:
    lines = portal.lines()
    lines.list()
    lines.add(Line("10", "ten", True))
    portal.sb.rename_line(APP, "10", "renamed in the UI")
    assert lines.find("10") == Line("10", "ten", True)  # cached
    assert lines.find("10", fresh=True) == Line("10", "renamed in the UI", True)


def test_update_sends_only_the_given_fields(portal: Portal) -> None:
    lines = portal.lines()
    line_id = lines.add(Line("20", "twenty", False))
    assert lines.update("20", name="XX") == line_id
    assert portal.portal_lines()["20"]["CRM_AUTO_CREATE"] == "N"
    assert lines.update("20", crm_auto_create=True) == line_id
    assert (portal.portal_lines()["20"]["NAME"], lines.find("20")) == ("XX", Line("20", "XX", True))


def test_update_with_nothing_is_refused_without_a_call(portal: Portal) -> None:
    lines = portal.lines()
    with pytest.raises(ValueError, match="give name and/or crm_auto_create"):
        lines.update("20")
    assert portal.log(UPDATE) == []


def test_update_of_a_missing_line(portal: Portal, leaks) -> None:
    with leaks.raises(errors.LineNotFound, match="Could not find line with number 404") as info:
        portal.lines().update("404", name="x")
    assert info.value.number == "404"


def test_adopt_brings_an_existing_line_to_our_values_and_gives_its_id(portal: Portal) -> None:
    lines = portal.lines()
    assert lines.list() == {}
    line_id = portal.sb.register_call(APP, "30")  # implicit line: no name, CRM Y
    assert lines.adopt(Line("30", "Adopted", False)) == str(line_id)
    row = portal.portal_lines()["30"]
    assert (row["NAME"], row["CRM_AUTO_CREATE"]) == ("Adopted", "N")
    assert lines.find("30") == Line("30", "Adopted", False)
    assert len(portal.log(GET)) == 1  # the adoption updated the cache


def test_add_of_an_existing_number_is_line_exists(portal: Portal, leaks) -> None:
    portal.sb.seed_line(APP, "40", name="someone else's")
    with leaks.raises(errors.LineExists):
        portal.lines().add(Line("40", "ours", True))
    assert portal.log(UPDATE) == []  # no ambiguity, so no adoption


def test_delete_twice(portal: Portal) -> None:
    lines = portal.lines()
    lines.add(Line("50", "fifty", True))
    assert lines.delete("50") is True
    assert lines.delete("50") is False
    assert "50" not in portal.portal_lines() and lines.find("50") is None


def fault_first_add(portal: Portal, kind: str, then: Callable[[], None] = lambda: None) -> None:
    """Inject `kind` until the first add has been hit, then switch faults off and run `then`."""
    portal.sb.set_faults(**{kind: 1.0, "slow_seconds": 1.0})

    def watch() -> None:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            applied = kind == "slow" and portal.portal_lines()
            if applied or any(e["fault"] == kind for e in portal.log(ADD)):
                portal.sb.set_faults()
                then()
                return
            time.sleep(0.005)

    threading.Thread(target=watch, daemon=True).start()


def test_add_that_landed_without_an_answer_is_adopted_with_its_id(portal: Portal) -> None:
    lines = portal.lines(timeout=(2.0, 0.5))
    fault_first_add(portal, "slow")  # applied, then the reply comes too late
    line_id = lines.add(Line("60", "sixty", True))
    assert portal.portal_lines() == {
        "60": {"ID": int(line_id), "NUMBER": "60", "NAME": "sixty", "CRM_AUTO_CREATE": "Y"}
    }
    assert len(portal.log(UPDATE)) == 1  # the ID came from the adoption


def test_add_that_landed_but_was_changed_meanwhile_is_line_exists(portal: Portal, leaks) -> None:
    lines = portal.lines(timeout=(2.0, 0.5))
    fault_first_add(portal, "slow", then=lambda: portal.sb.rename_line(APP, "61", "not ours"))
    with leaks.raises(errors.LineExists, match="not ours"):
        lines.add(Line("61", "sixty-one", True))
    assert portal.log(UPDATE) == []


def test_add_dropped_before_it_applied_is_sent_again(portal: Portal) -> None:
    lines = portal.lines()
    fault_first_add(portal, "drop")
    line_id = lines.add(Line("62", "sixty-two", False))
    assert portal.portal_lines()["62"]["ID"] == int(line_id)
    adds = portal.log(ADD)
    assert adds[0]["fault"] == "drop" and adds[-1]["status"] == 200


def test_ambiguous_add_rounds_back_off_and_end_at_the_deadline(portal: Portal, leaks) -> None:
    fake = FakeTime()
    policy = fake.policy(deadline=2.0, backoff_factor=0.2, backoff_max=5.0, backoff_jitter=0)
    lines = portal.lines(policy=policy)
    portal.sb.set_faults(error500=1.0, methods=[ADD])  # every add fails, every get works
    with leaks.raises(errors.DeadlineExceeded, match="INTERNAL_SERVER_ERROR") as info:
        lines.add(Line("63", "sixty-three", True))
    assert isinstance(info.value.last, errors.ServerFault)
    # waits of 0, 0.4 and 0.8 s between four rounds; a fifth (after 1.6 s) would pass
    # the deadline, so the loop gives up at 1.2 s instead of sleeping into it
    assert fake.sleeps == [0, 0.4, 0.8] and info.value.seconds == pytest.approx(1.2)
    assert len(portal.log(ADD)) == 4 and len(portal.log(GET)) == 4
    assert portal.portal_lines() == {}


def test_adds_under_commit_then_drop_never_duplicate_or_lose(portal: Portal) -> None:
    lines = portal.lines()
    portal.sb.set_faults(commit_drop=0.3, error500=0.1, seed=7)
    wanted = {str(1000 + i): Line(str(1000 + i), f"line {i}", i % 2 == 0) for i in range(30)}
    ids = {number: lines.add(line) for number, line in wanted.items()}
    portal.sb.set_faults()
    stored = portal.portal_lines()
    assert {n: str(row["ID"]) for n, row in stored.items()} == ids
    assert LinesApi(portal.client()).list() == wanted
    faults = {e["fault"] for e in portal.log(ADD)}
    assert {"commit_drop", "error500"} <= faults  # the faults really happened


def test_through_a_webhook_no_line_is_read_or_written(portal: Portal, leaks) -> None:
    """A webhook's get lists the lines of no application: the SIP connector's numbers and
    other webhooks' lines, which may share a number, and never an application's
    (docs/bitrix24-facts.md). Whatever it read could be another line: nothing is sent."""
    leaks.add(HOOK_CODE)
    portal.sb.add_webhook(user_id=1, code=HOOK_CODE, scopes=("telephony",))
    portal.sb.add_sip_line("74950001122", "Office PBX")
    portal.sb.seed_line(WEBHOOK_POOL, "74950001122", "Made through a webhook")
    lines = LinesApi(portal.client(Webhook(f"{portal.url}/rest/1/{HOOK_CODE}/")))
    calls = {
        "list": lines.list,
        "find": lambda: lines.find("74950001122"),
        "add": lambda: lines.add(Line("74950001122", "Sales", True)),
        "update": lambda: lines.update("74950001122", name="Sales"),
        "adopt": lambda: lines.adopt(Line("74950001122", "Sales", True)),
        "delete": lambda: lines.delete("74950001122"),
    }
    for call in calls.values():
        with leaks.raises(errors.CredentialsError, match="Fix: use OAuth"):
            call()
    assert portal.log() == []
    assert len(portal.sb.lines(WEBHOOK_POOL)) == 2
