"""Names a batch would rewrite reach the portal as written, through the real CLI.

Inside a `batch` the portal replaces `$result[key][...]` in a command's values with an
earlier command's result (a name that is only a reference becomes "Array"), so a line
named so must travel as a plain call; the other lines of the run still share batches.
"""

from __future__ import annotations

from sandbox import Sandbox
from tests.e2e.conftest import portal_lines, stack_file

ADD = "telephony.externalLine.add"
UPDATE = "telephony.externalLine.update"
REFERENCES = ["$result[w0]", "Ext $result[w1][ID] x", "$result[a][0][NAME]"]
PLAIN = [f"Office {n}" for n in range(12)]


def lines(names: list[str]) -> list[tuple[str, str]]:
    return [(f"7495100{index:02d}", name) for index, name in enumerate(names)]


def sent(portal: Sandbox, method: str) -> tuple[int, int]:
    """(calls of `method` inside batches, plain calls of it) since the log was cleared."""
    log = portal.request_log()
    batched = sum(e["commands"].count(method) for e in log if e["method"] == "batch")
    return batched, sum(e["method"] == method for e in log)


def test_names_that_look_like_batch_references_are_stored_as_written(project, sandbox):
    first = lines(REFERENCES + PLAIN)
    project.write_stack(stack_file(sandbox, *first))
    project.up()
    assert {n: line["NAME"] for n, line in portal_lines(sandbox).items()} == dict(first)
    batched, plain = sent(sandbox, ADD)
    assert plain >= len(REFERENCES) and batched >= 2  # the other adds shared batches
    assert batched + plain == len(first)

    # rename: the lines named by reference get plain names, three others reference names
    others = [f"{name} renamed" for name in PLAIN[len(REFERENCES) :]]
    renamed = lines([f"Back office {n}" for n in range(len(REFERENCES))] + REFERENCES + others)
    sandbox.clear_log()
    project.write_stack(stack_file(sandbox, *renamed))
    project.up()
    assert {n: line["NAME"] for n, line in portal_lines(sandbox).items()} == dict(renamed)
    batched, plain = sent(sandbox, UPDATE)
    assert plain >= len(REFERENCES) and batched >= 2  # the plain renames shared batches
    assert (batched + plain, sent(sandbox, ADD)) == (len(renamed), (0, 0))
    project.run("preview", "--expect-no-changes")
