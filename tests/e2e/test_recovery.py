"""An `up` killed mid-run recovers with the documented steps, and leaves nothing of ours running.

500 lines, with the pipelines' PULUMI_PARALLEL, so a request carries up to 50 of them,
and the client paced at one request a second, so a run lasts ten seconds or more
whatever the machine's speed. The CLI is killed with SIGKILL once 100 lines are on the
portal, the documented recovery starts, and its `up` is interrupted with SIGINT at 300,
the next one with SIGTERM at 400; then the recovery for that. Afterwards the portal
holds exactly the declared lines, once each, state matches it, and a preview finds
nothing to do. After each interruption the processes this project owns (the program
and the provider host) must be gone within 5 seconds, and the portal must hear nothing
more. The language host is Pulumi's: after a `kill -9` the official one stays up to
5 minutes (its health check of the engine), holding no lock and sending no call, so the
kill tests run under a language host that exits at once and one that lingers
(tools/langhost.py, LANGHOST_LINGER). On both backends, a folder and PostgreSQL: the
kill leaves the dead run's lock, the next `up` is refused naming it, and `pulumi cancel`
removes it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.e2e.backends import LOCKED, Backend
from tests.e2e.conftest import CLIENT_ID, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject

LINES = 500
PACE = "1/1"  # the client's rate limit: a request a second, no burst
PARALLEL = "64"  # as the pipelines in ci/ and scripts/env.sh set it
KILL_AT = 100  # lines on the portal when the first `up` is killed
INTERRUPT_AT = 300  # ... when the recovery's `up` gets SIGINT
TERMINATE_AT = 400  # ... when the next `up` gets SIGTERM
GONE_WITHIN = 5.0  # seconds after the CLI's exit: the requirement, polled
POLL = 0.25
WAIT_FOR_LINES = 2400  # polls before giving up on the portal reaching a count (a hung run)
LANGUAGE_HOSTS = ("pulumi-language-python", "langhost.py")  # the official one, our stand-in
LINGER = "300"  # seconds, as the official host's health check of the engine
hosts = pytest.mark.parametrize("langhost", ["exits", "lingers"], indirect=True)


@pytest.fixture
def langhost(request: pytest.FixtureRequest, project: PulumiProject):
    """The language host exits with the CLI, or lingers as the official one does; those
    left lingering are ended after the test (they were started for it)."""
    if request.param == "lingers":
        project.env["LANGHOST_LINGER"] = LINGER
    yield request.param
    for pid in run_processes(project, language_hosts=True):
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(autouse=True)
def paced(project: PulumiProject) -> None:
    project.env["PULUMI_PARALLEL"] = PARALLEL
    project.config_set("bitrix24:rateLimit", PACE)


def declared(sandbox) -> dict:
    return stack_file(sandbox, *((f"7495{i:07d}", f"Line {i}") for i in range(LINES)))


def run_processes(project: PulumiProject, *, language_hosts: bool = False) -> list[int]:
    """Live processes started for this project (each inherits its PULUMI_HOME): those this
    project owns, or (`language_hosts`) the language hosts, which are Pulumi's."""
    marker = f"\0PULUMI_HOME={project.env['PULUMI_HOME']}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = b"\0" + (entry / "environ").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue  # gone meanwhile, or not ours to read
        names = {os.path.basename(arg.decode(errors="replace")) for arg in argv}
        language_host = bool(names & set(LANGUAGE_HOSTS))
        if marker in environ and state != "Z" and language_host == language_hosts:
            found.append(int(entry.name))
    return found


def left_after_a_while(project: PulumiProject) -> list[int]:
    """The processes of ours still running once they have had GONE_WITHIN s to go."""
    left = run_processes(project)
    for _ in range(round(GONE_WITHIN / POLL)):
        if not left:
            break
        time.sleep(POLL)
        left = run_processes(project)
    return left


def interrupted_up(project: PulumiProject, sandbox, sig: signal.Signals, at: int) -> dict:
    """Start `pulumi up`, send `sig` once the portal holds `at` lines; what happened after."""
    cli = subprocess.Popen(
        project.command("up", "--yes", "--skip-preview"),
        env=project.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # like a runner: only the CLI gets the signal
    )
    for _ in range(WAIT_FOR_LINES):
        if len(sandbox.lines(CLIENT_ID)) >= at or cli.poll() is not None:
            break
        time.sleep(POLL)
    assert cli.poll() is None, "the up finished before it could be interrupted"
    lines_at_signal = len(sandbox.lines(CLIENT_ID))
    requests_at_signal = len(sandbox.request_log())
    cli.send_signal(sig)
    cli.wait()
    died = time.monotonic()
    left = left_after_a_while(project)
    gone_after = time.monotonic() - died
    assert left == [], f"still running {GONE_WITHIN} s after the CLI's exit: {left}"
    # Pulumi's language host may stay (the official one does, up to 5 minutes after a kill):
    # it holds no lock and calls no one. When it was told to linger, it must be there, or
    # this test would not be testing a lingering host.
    lingering = run_processes(project, language_hosts=True)
    if sig == signal.SIGKILL and project.env.get("LANGHOST_LINGER"):
        assert lingering, "the language host was to linger after the kill, as the official one"
    requests_when_gone = len(sandbox.request_log())
    time.sleep(1)  # anything still queued somewhere would arrive now
    assert len(sandbox.request_log()) == requests_when_gone
    figures = {
        "pid": cli.pid,
        "lines at signal": lines_at_signal,
        "lines after": len(sandbox.lines(CLIENT_ID)),
        "requests after signal": requests_when_gone - requests_at_signal,
        "processes gone after (s)": round(gone_after, 2),
        "language hosts left": len(lingering),
    }
    print(sig.name, figures)
    return figures


@pytest.mark.parametrize(
    ("backend", "langhost"),
    [("file", "exits"), ("file", "lingers"), ("postgres", "lingers")],
    indirect=True,
)
def test_kill_and_interrupt_then_the_documented_recovery(
    project, sandbox, backend: Backend, langhost: str
):
    project.write_stack(declared(sandbox))

    killed = interrupted_up(project, sandbox, signal.SIGKILL, KILL_AT)
    for sidecar in backend.emptied_sidecars():  # a folder only, 1 kill in 8: see below
        sidecar.unlink()
    # The dead run's lock is left: one lock object (a file, or a row of pulumi_state).
    (lock,) = backend.locks().values()
    assert lock["pid"] == killed["pid"]
    refused = project.up(check=False)
    assert refused.returncode != 0 and LOCKED in refused.stderr, refused.stderr
    assert [secret for secret in backend.secrets if secret in refused.stderr] == []
    # The documented recovery after a kill (docs/faults-and-recovery.md: "Recovering from an
    # interrupted run"): the lock first, then the creates that never reported back.
    project.run("cancel", "--yes")
    assert backend.locks() == {}
    project.run("refresh", "--clear-pending-creates", "--yes", "--skip-preview")
    assert project.state()["deployment"].get("pending_operations", []) == []
    interrupted_up(project, sandbox, signal.SIGINT, INTERRUPT_AT)
    # After SIGINT the CLI cancels cleanly: no lock and no pending operation is left.
    assert project.state()["deployment"].get("pending_operations", []) == []
    interrupted_up(project, sandbox, signal.SIGTERM, TERMINATE_AT)  # a CI cancel's signal
    assert project.state()["deployment"].get("pending_operations", []) == []
    final = project.up()
    assert "pending operations" not in final.stdout

    held = portal_lines(sandbox)
    want = {line["number"]: line["name"] for line in declared(sandbox)["lines"]}
    assert {number: line["NAME"] for number, line in held.items()} == want
    assert len(sandbox.lines(CLIENT_ID)) == LINES  # once each
    state = project.line_resources()
    assert {n: (res["id"], res["outputs"]["name"]) for n, res in state.items()} == {
        n: (str(line["ID"]), line["NAME"]) for n, line in held.items()
    }
    project.run("preview", "--expect-no-changes")
    project.run("preview", "--refresh", "--expect-no-changes")


def test_a_checkpoint_whose_metadata_a_kill_emptied_reads_again_once_it_is_removed(
    project, sandbox, backend: Backend
):
    """On a folder backend a `kill -9` in a checkpoint write can leave the stack's
    `.attrs` file empty (1 kill in 8 at 30 lines of 100): every command then fails. The
    documented step removes the empty file; the checkpoint itself is whole."""
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception")))
    project.up()
    root = Path(backend.url.removeprefix("file://"))
    (sidecar,) = root.glob(f".pulumi/stacks/*/{project.stack}.json.attrs")
    sidecar.write_bytes(b"")  # what the kill leaves: created, never written
    broken = project.up(check=False)
    assert broken.returncode != 0
    assert "error: failed to load checkpoint: EOF" in broken.stderr, broken.stderr
    assert backend.emptied_sidecars() == [sidecar]
    sidecar.unlink()  # find "$STATE/.pulumi" -name '*.attrs' -size 0 -delete
    project.run("preview", "--expect-no-changes")
    assert sorted(portal_lines(sandbox)) == ["74951234567"]


@hosts
def test_a_kill_without_checkpoints_loses_no_line_and_makes_none_twice(
    project, sandbox, langhost: str
):
    """With the pipelines' settings (PULUMI_SKIP_CHECKPOINTS=true) state is written once, at
    the end, so a `kill -9` leaves it as it was before the run while the portal holds what
    the run added. The next `up` adds those lines again, meets each as a line that already
    exists exactly as declared, and adopts it: no duplicate, no loss, and nothing pending
    to clear. An `up` interrupted by SIGINT then records what it did before it stops."""
    project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    project.write_stack(declared(sandbox))
    killed = interrupted_up(project, sandbox, signal.SIGKILL, KILL_AT)
    assert killed["lines after"] >= KILL_AT
    assert project.line_resources() == {}  # nothing was written: not even pending creates
    project.run("cancel", "--yes")  # the dead run's lock, as after any kill
    interrupted = interrupted_up(project, sandbox, signal.SIGINT, INTERRUPT_AT)
    assert len(project.line_resources()) >= interrupted["lines at signal"]
    project.up()
    held = portal_lines(sandbox)
    want = {line["number"]: line["name"] for line in declared(sandbox)["lines"]}
    assert {number: line["NAME"] for number, line in held.items()} == want
    assert len(sandbox.lines(CLIENT_ID)) == LINES  # once each
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    project.run("preview", "--refresh", "--expect-no-changes")


def test_a_failed_up_without_checkpoints_still_records_the_lines_it_made(project, sandbox):
    """Without checkpoints state is written when the run ends, failed or not: the lines a
    partly failed `up` added are in state with their IDs, so the next run adds none again."""
    project.env["PULUMI_SKIP_CHECKPOINTS"] = "true"
    sandbox.register_call(CLIENT_ID, "74950000001")  # made by hand: refused unless adopted
    lines = [("74950000001", "Reception"), ("74950000002", "Sales"), ("74950000003", "Support")]
    project.write_stack(stack_file(sandbox, *lines))
    failed = project.up(check=False)
    assert failed.returncode != 0 and "set `adopt: true` on the line" in failed.stdout
    held = portal_lines(sandbox)
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(held[n]["ID"]) for n in ("74950000002", "74950000003")
    }
    added = len(sandbox.request_log())
    project.up(check=False)  # the refused line stays refused; the others are not sent again
    calls = [
        method
        for entry in sandbox.request_log()[added:]
        for method in [entry["method"], *entry["commands"]]
    ]
    assert calls.count("telephony.externalLine.add") == 1  # the refused line's, again
    assert "telephony.externalLine.update" not in calls
    assert len(sandbox.lines(CLIENT_ID)) == 3
