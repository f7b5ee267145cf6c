"""Coalescing writes into `batch`, against the sandbox over HTTP.

Which writes share a request is decided by when they wait, so these tests hold the
leader's window (its `gather`) or its wait for the rate limit until every writer has
queued: the grouping is then certain, not a matter of thread timing.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from provider.bitrix24 import errors
from provider.bitrix24.batching import (
    BATCH_MAX,
    FULL,
    STREAM_GAP,
    STREAM_WINDOW,
    WINDOW,
    Coalescer,
    command,
    holds_reference,
)
from provider.bitrix24.lines import ADD, DELETE, GET, UPDATE, Line, LinesApi
from provider.bitrix24.pacing import LeakyBucket
from sandbox.references import REFERENCE_MODES

from .conftest import APP, Portal

BATCH = "batch"
HANG_GUARD = 30.0  # seconds before a test that would hang fails instead


def until(condition: Callable[[], bool]) -> None:
    """Wait for `condition`; raise rather than hang if it never comes."""
    give_up = time.monotonic() + HANG_GUARD
    while not condition():
        if time.monotonic() > give_up:
            raise TimeoutError("the writers never queued")
        time.sleep(0.001)


class Gate:
    """A Coalescer whose first request goes only once `expected` writes are queued (or
    counted by `arrived`, when given); later ones (retries) go as they come."""

    def __init__(
        self,
        portal: Portal,
        expected: int,
        arrived: Callable[[], int] | None = None,
        **client: Any,
    ) -> None:
        self.expected = expected
        self.pauses: list[float] = []
        self.client = portal.client(**client)
        self.writes = Coalescer(self.client, gather=self.gather, clock=self.clock)
        self.lines = LinesApi(self.client, writes=self.writes)
        self.arrived = arrived or self.writes.waiting
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    def gather(self, full: Callable[[], bool], seconds: float) -> None:
        self.pauses.append(seconds)
        if len(self.pauses) == 1:
            until(lambda: self.arrived() >= self.expected)


def fault_first_batch(portal: Portal, kind: str) -> None:
    """`kind` on the first batch only: the sandbox draws once per faultable request from
    its seeded generator, so a seed whose first draw is under the rate and the next
    twenty are not faults exactly one."""
    rate = 0.05
    seed = next(
        seed
        for seed in range(100_000)
        if [draw < rate for draw in _draws(seed, 21)] == [True] + [False] * 20
    )
    portal.sb.set_faults(**{kind: rate, "seed": seed, "methods": [BATCH]})


def _draws(seed: int, count: int) -> list[float]:
    generator = random.Random(seed)
    return [generator.random() for _ in range(count)]


def sent(portal: Portal, method: str) -> int:
    """How many calls of `method` reached the portal, alone or inside a batch."""
    return sum([e["method"], *e["commands"]].count(method) for e in portal.log())


def together(*work: Callable[[], object]) -> list[object]:
    """Run each callable in its own thread, as the engine's workers would; their
    results (or raised exceptions) in order."""
    outcomes: list[object] = [None] * len(work)

    def run(index: int) -> None:
        try:
            outcomes[index] = work[index]()
        except Exception as err:
            outcomes[index] = err

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def test_writes_waiting_together_share_one_batch_and_get_their_own_results(
    portal: Portal,
) -> None:
    portal.sb.seed_line(APP, "7", name="already there")
    portal.sb.seed_line(APP, "8", name="to rename")
    portal.sb.seed_line(APP, "9", name="to delete")
    gate = Gate(portal, 5)
    lines = gate.lines
    outcomes = together(
        lambda: lines.add(Line("1", "one", True)),
        lambda: lines.add(Line("2", "two", False)),
        lambda: lines.add(Line("7", "clash", True)),
        lambda: lines.update("8", name="renamed"),
        lambda: lines.delete("9"),
    )
    stored = portal.portal_lines()
    assert outcomes[:2] == [str(stored["1"]["ID"]), str(stored["2"]["ID"])]
    assert isinstance(outcomes[2], errors.LineExists) and outcomes[2].number == "7"
    assert "Line already exists" in str(outcomes[2])
    assert outcomes[3:] == [str(stored["8"]["ID"]), True]
    assert (stored["8"]["NAME"], stored["7"]["NAME"], "9" in stored) == (
        "renamed",
        "already there",
        False,
    )
    sent = portal.log()
    assert [e["method"] for e in sent] == [BATCH]
    assert sorted(sent[0]["commands"]) == sorted([ADD, ADD, ADD, UPDATE, DELETE])


def test_a_write_alone_goes_alone_after_a_few_milliseconds(portal: Portal) -> None:
    gate = Gate(portal, 1)
    line_id = gate.lines.add(Line("1", "one", True))
    assert gate.pauses == [WINDOW] and WINDOW <= 0.01
    assert [(e["method"], e["commands"]) for e in portal.log()] == [(ADD, ())]
    assert portal.portal_lines()["1"]["ID"] == int(line_id)
    gate.now += 0.01
    gate.lines.update("1", name="uno")  # the same thread again: still a lone writer
    assert gate.pauses == [WINDOW, WINDOW]


def test_while_other_workers_write_the_leader_waits_longer_for_company(portal: Portal) -> None:
    """The engine hands out a run's writes 10 to 30 ms apart: a leader that waited only
    the lone writer's few milliseconds would go alone nearly every time."""
    gate = Gate(portal, 1)
    lines = gate.lines
    lines.add(Line("1", "one", True))
    gate.now += STREAM_GAP / 2
    together(lambda: lines.add(Line("2", "two", True)))  # another worker, just after
    gate.now += STREAM_GAP * 2
    lines.add(Line("3", "three", True))  # after a quiet spell
    assert gate.pauses == [WINDOW, STREAM_WINDOW, WINDOW]
    assert STREAM_WINDOW <= 0.2 and FULL == 4


def test_writes_queued_behind_the_rate_limit_ride_in_the_next_request(portal: Portal) -> None:
    """The pacer's wait is where a run at the portal's limit coalesces: whoever queues
    while the leader waits for its slot goes with it."""
    writes: Coalescer

    def sleep(seconds: float) -> None:  # the bucket is full: wait until three more queue
        until(lambda: writes.waiting() >= 4)

    bucket = LeakyBucket(2.0, 1, clock=lambda: 0.0, sleep=sleep)
    bucket.acquire()  # a request a moment ago filled the bucket
    client = portal.client(pacer=bucket)
    writes = Coalescer(client, gather=lambda full, seconds: None)
    lines = LinesApi(client, writes=writes)
    together(*(lambda n=n: lines.add(Line(str(n), f"line {n}", True)) for n in range(4)))
    assert [(e["method"], len(e["commands"])) for e in portal.log()] == [(BATCH, 4)]
    assert sorted(portal.portal_lines()) == ["0", "1", "2", "3"]


NAMES = [
    "Tom & Jerry",
    "a=b",
    "why?",
    "#1 office",
    "100% sure",
    "one + one",
    "line one\nline two\r\n",
    "say \"hi\" 'there'",
    "emoji \U0001f4de\u260e\ufe0f",
    "  padded  ",
    "x&NUMBER=999&CRM_AUTO_CREATE=N",
    "%26NAME%3Dinjected",
    "back\\slash;semi,comma/slash",
    "cmd[w9]=scope",
]


def test_every_value_arrives_byte_for_byte_and_injects_nothing(portal: Portal) -> None:
    wanted = [Line(f"+7495{index:03d}", name, True) for index, name in enumerate(NAMES)]
    wanted.append(Line("+1 (800) 555+0100", "plus signs", True))
    gate = Gate(portal, len(wanted))
    together(*(lambda line=line: gate.lines.add(line) for line in wanted))
    assert [len(e["commands"]) for e in portal.log()] == [len(wanted)]  # one batch
    stored = portal.portal_lines()
    assert {n: (row["NAME"], row["CRM_AUTO_CREATE"]) for n, row in stored.items()} == {
        line.number: (line.name, "Y") for line in wanted
    }


def test_a_command_is_the_method_and_percent_encoded_pairs_only() -> None:
    text = command(ADD, {"NUMBER": "+7", "NAME": NAMES[10] + NAMES[11], "CRM_AUTO_CREATE": "Y"})
    pairs = text.partition("?")[2].split("&")
    assert [pair.split("=")[0] for pair in pairs] == ["NUMBER", "NAME", "CRM_AUTO_CREATE"]
    assert all(re.fullmatch(r"[A-Za-z0-9_.~%-]+=[A-Za-z0-9_.~%-]*", pair) for pair in pairs)
    assert pairs[0] == "NUMBER=%2B7"


REFERENCE_NAMES = ["$result[w0]", "Ext $result[w1][ID] x", "$result[a][0][NAME]", "$RESULT[w0] x"]
"""Names a batch would store as something else: the portal resolves them as references."""


def plain_writes(portal: Portal) -> int:
    """Line writes that reached the portal as plain calls, not inside a batch."""
    return sum(e["method"] in (ADD, UPDATE, DELETE) for e in portal.log())


@pytest.mark.parametrize("mode", list(REFERENCE_MODES))
def test_a_value_the_portal_would_resolve_as_a_reference_goes_as_a_plain_call(
    make_portal, mode: str
) -> None:
    """In every server version's reading of references, the lines with such names get them
    byte for byte, on add and on rename, while the others still share one batch."""
    portal = make_portal(batch_references=mode)
    for index in range(len(REFERENCE_NAMES) + 1):
        portal.sb.seed_line(APP, f"9{index}", name=f"old {index}")
    adds = [Line(f"1{index}", name, True) for index, name in enumerate(REFERENCE_NAMES)]
    renames = [(f"9{index}", name) for index, name in enumerate(REFERENCE_NAMES)]
    # the leader goes once the plain writes are queued and every other write has been sent
    gate = Gate(
        portal, 2 * len(REFERENCE_NAMES) + 3, lambda: gate.writes.waiting() + plain_writes(portal)
    )
    outcomes = together(
        lambda: gate.lines.add(Line("1", "one", True)),
        lambda: gate.lines.add(Line("2", "two", False)),
        lambda: gate.lines.update(f"9{len(REFERENCE_NAMES)}", name="renamed"),
        *(lambda line=line: gate.lines.add(line) for line in adds),
        *(lambda n=n, name=name: gate.lines.update(n, name=name) for n, name in renames),
    )
    assert not [o for o in outcomes if isinstance(o, Exception)]
    stored = {number: row["NAME"] for number, row in portal.portal_lines().items()}
    assert {line.number: stored[line.number] for line in adds} == {
        line.number: line.name for line in adds
    }
    assert {number: stored[number] for number, _ in renames} == dict(renames)
    assert (stored["1"], stored["2"], stored[f"9{len(REFERENCE_NAMES)}"]) == (
        "one",
        "two",
        "renamed",
    )
    batches = [e["commands"] for e in portal.log() if e["method"] == BATCH]
    assert [sorted(commands) for commands in batches] == [[ADD, ADD, UPDATE]]
    assert plain_writes(portal) == 2 * len(REFERENCE_NAMES)


def test_reference_detection_covers_what_the_portal_resolves() -> None:
    for text in [
        *REFERENCE_NAMES,
        "$time[w0][start]",
        "$Error[w1][error]",
        "a$resultx[0]",
        "$\n[k]",
    ]:
        assert holds_reference({"NAME": text}), text
    for text in ["Sales", "price $5", "[net] $", "$result", "$result[]", "a[0]"]:
        assert not holds_reference({"NAME": text}), text


def test_never_more_than_50_commands_in_one_batch(portal: Portal) -> None:
    wanted = [Line(str(n), f"line {n}", True) for n in range(BATCH_MAX + 10)]
    gate = Gate(portal, len(wanted))
    outcomes = together(*(lambda line=line: gate.lines.add(line) for line in wanted))
    stored = portal.portal_lines()
    assert outcomes == [str(stored[line.number]["ID"]) for line in wanted]
    # the first 50 in one batch, the other 10 in the next (the two may overlap)
    assert sorted((e["method"], len(e["commands"])) for e in portal.log()) == [
        (BATCH, 10),
        (BATCH, BATCH_MAX),
    ]


@pytest.mark.parametrize(("full", "mark"), [(FULL, FULL), (12, 12), (64, BATCH_MAX)])
def test_the_leader_gathers_until_the_hosts_width_has_queued(
    portal: Portal, full: int, mark: int
) -> None:
    """`full` is how many calls the provider host serves at once (provider.hostpool): the
    leader's window ends once that many writes wait, never past BATCH_MAX. The writers
    are started one by one here, so the queue's length when `full()` is asked is known."""
    release = threading.Event()
    asked: list[Callable[[], bool]] = []

    def gather(full_now: Callable[[], bool], seconds: float) -> None:
        if not asked:  # the first leader holds its window until the test has asked
            asked.append(full_now)
            release.wait(HANG_GUARD)

    client = portal.client()
    writes = Coalescer(client, full=full, gather=gather)
    lines = LinesApi(client, writes=writes)
    writers = [
        threading.Thread(target=lines.add, args=(Line(str(n), f"line {n}", True),))
        for n in range(mark)
    ]
    writers[0].start()
    until(lambda: bool(asked))
    for writer in writers[1:-1]:
        writer.start()
    until(lambda: writes.waiting() == mark - 1)
    assert not asked[0]()
    writers[-1].start()
    until(lambda: writes.waiting() == mark)
    assert asked[0]()
    release.set()
    for writer in writers:
        writer.join()
    assert [len(e["commands"]) for e in portal.log()] == [mark]
    assert len(portal.portal_lines()) == mark


def test_an_ambiguous_batch_failure_is_settled_by_one_get(portal: Portal) -> None:
    fault_first_batch(portal, "commit_drop")  # applied, then the connection drops
    gate = Gate(portal, 3)
    wanted = [Line(str(n), f"line {n}", n % 2 == 0) for n in range(3)]
    outcomes = together(*(lambda line=line: gate.lines.add(line) for line in wanted))
    assert [e["fault"] for e in portal.log()][:2] == ["commit_drop", None]
    assert (sent(portal, GET), sent(portal, ADD)) == (1, 3)  # one get settled all three
    stored = portal.portal_lines()
    assert outcomes == [str(stored[line.number]["ID"]) for line in wanted]  # adopted
    assert LinesApi(portal.client()).list() == {line.number: line for line in wanted}


def test_a_batch_lost_before_it_applied_adds_each_line_once(portal: Portal) -> None:
    fault_first_batch(portal, "drop")  # the connection drops before anything is applied
    gate = Gate(portal, 3)
    wanted = [Line(str(n), f"line {n}", True) for n in range(3)]
    outcomes = together(*(lambda line=line: gate.lines.add(line) for line in wanted))
    stored = portal.portal_lines()
    assert outcomes == [str(stored[line.number]["ID"]) for line in wanted]
    assert sorted(stored) == ["0", "1", "2"]
    # the dropped batch, one get that finds none of them, then each add once more
    assert [(e["method"], e["fault"]) for e in portal.log()] == [
        (BATCH, "drop"),
        (GET, None),
        (ADD, None),
        (ADD, None),
        (ADD, None),
    ]


def test_a_server_fault_on_the_batch_retries_updates_and_settles_adds(portal: Portal) -> None:
    portal.sb.seed_line(APP, "5", name="old")
    fault_first_batch(portal, "error500")
    gate = Gate(portal, 2)
    outcomes = together(
        lambda: gate.lines.add(Line("6", "new", True)),
        lambda: gate.lines.update("5", name="renamed"),
    )
    stored = portal.portal_lines()
    assert portal.log()[0]["fault"] == "error500"
    assert outcomes == [str(stored["6"]["ID"]), str(stored["5"]["ID"])]
    assert (stored["5"]["NAME"], stored["6"]["NAME"]) == ("renamed", "new")
    # after the faulted batch (refused before it was read): one get settles the add,
    # then the add and the update once more each
    assert (sent(portal, GET), sent(portal, ADD), sent(portal, UPDATE)) == (1, 1, 1)


def test_an_inner_time_limit_retries_that_write_alone(make_portal) -> None:
    # each add charges 1 s to a budget of 1.5 s per 1 s window: the third add of the batch
    # is refused with 429 and, as the portal times only the commands that succeeded, has
    # no result_time entry (so no reset time); it goes again, alone, once the window frees
    portal = make_portal(time_budget=1.5, call_cost=1.0, budget_window=1.0)
    gate = Gate(portal, 3)
    wanted = [Line(str(n), f"line {n}", True) for n in range(3)]
    outcomes = together(*(lambda line=line: gate.lines.add(line) for line in wanted))
    stored = portal.portal_lines()
    assert outcomes == [str(stored[line.number]["ID"]) for line in wanted]
    log = portal.log()
    assert (log[0]["method"], len(log[0]["commands"])) == (BATCH, 3)
    assert {e["method"] for e in log[1:]} == {ADD} and log[-1]["status"] == 200
    assert sent(portal, ADD) == 3 + len(log[1:])


@pytest.mark.parametrize("error_code", ["", "ERROR_CORE"])
def test_inner_errors_are_the_single_calls_typed_errors(make_portal, error_code: str) -> None:
    portal = make_portal(error_code=error_code)
    gate = Gate(portal, 3)
    outcomes = together(
        lambda: gate.lines.update("404", name="x"),
        lambda: gate.lines.delete("405"),
        lambda: gate.lines.add(Line("1" * 51, "too long for the portal", True)),
    )
    assert isinstance(outcomes[0], errors.LineNotFound) and outcomes[0].number == "404"
    assert outcomes[1] is False  # delete of a line already gone is not an error
    assert isinstance(outcomes[2], errors.LineStorageFailed)
    assert "at most 50 characters" in str(outcomes[2])
    assert [e["method"] for e in portal.log()] == [BATCH]
