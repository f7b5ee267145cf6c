"""Two `pulumi up` runs of one stack, started at once as two pipelines would, on each backend.

Each pipeline is a folder of its own (a runner's checkout of one commit: the same stack
file and stack config), both on one shared state backend. Pulumi's self-managed backends
lock a stack by writing a lock object, then listing the stack's locks: a run that finds
another's deletes its own and stops (pulumi/pulumi `pkg/backend/diy/lock.go`). So at most
one runs; if both wrote before either listed, both stop (a tie, never seen in 16 tries)
and, as a retried pipeline would, both are started again.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.e2e.backends import LOCKED, Backend
from tests.e2e.conftest import on_both_backends, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject

LINES = [(f"749500{index:05d}", f"Line {index}") for index in range(20)]
TRIES = 3  # starts of the pair: a tie (both refused) starts them again


def checkout(first: PulumiProject, root: Path, backend: Backend) -> PulumiProject:
    """A second runner's checkout of the same commit: the same stack file and stack config."""
    project = PulumiProject.create(root, first.stack, {}, backend=backend.url)
    for name in (f"Pulumi.{first.stack}.yaml", f"stacks/{first.stack}.yaml"):
        shutil.copy(first.root / name, project.root / name)
    return project


def up_at_once(projects: list[PulumiProject]) -> list[tuple[int, str]]:
    """Start `pulumi up` in every folder at once; each one's exit status and output."""
    logs = [(project.root / "up.log").open("w+") for project in projects]
    running = [
        subprocess.Popen(
            project.command("up", "--yes", "--skip-preview"),
            env=project.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        for project, log in zip(projects, logs, strict=True)
    ]
    outcomes = []
    for cli, log in zip(running, logs, strict=True):
        status = cli.wait()
        log.seek(0)
        outcomes.append((status, log.read()))
        log.close()
    return outcomes


@on_both_backends
def test_two_ups_at_once_one_runs_the_other_is_refused_and_nothing_is_lost(
    tmp_path, project, sandbox, backend: Backend
):
    project.write_stack(stack_file(sandbox, *LINES))
    first, second = project, checkout(project, tmp_path / "runner2", backend)
    for _ in range(TRIES):
        outcomes = up_at_once([first, second])
        if any(status == 0 for status, _ in outcomes):
            break
        assert all(LOCKED in output for _, output in outcomes), outcomes  # a tie, nothing else
        assert portal_lines(sandbox) == {}
    ran = [output for status, output in outcomes if status == 0]
    refused = [output for status, output in outcomes if status != 0]
    assert len(ran) == 1 and len(refused) == 1, outcomes
    assert "+ 21 created" in ran[0], ran[0]
    # One message, Pulumi's own: which run holds the stack, and what to do.
    said = refused[0]
    assert LOCKED in said, said
    assert said.count("error:") == 1 and "Traceback" not in said, said
    assert [secret for secret in backend.secrets if secret in said + ran[0]] == []
    assert backend.locks() == {}  # the run that held it let go

    held = portal_lines(sandbox)
    assert {number: line["NAME"] for number, line in held.items()} == dict(LINES)
    calls = [m for e in sandbox.request_log() for m in e["commands"] or [e["method"]]]
    assert calls.count("telephony.externalLine.add") == len(LINES)  # each line once
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    for runner in (first, second):  # either pipeline, run again, has nothing left to do
        runner.run("preview", "--expect-no-changes")
