"""The lines that calls use, through the real CLI: the in-use guard, `retire:`, the lines no
stack file declares, and the application that handles calls."""

from __future__ import annotations

from sandbox import Sandbox
from tests.e2e.conftest import CLIENT_ID, comment_rows, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject
from tests.e2e.test_takeover import python

KEPT = ("74951230001", "Kept")
BUSY = ("74951230002", "Busy")
IDLE = ("74951230003", "Idle")
STATS = "voximplant.statistic.get"


def methods(portal: Sandbox) -> list[str]:
    return [str(entry["method"]) for entry in portal.request_log()]


def three_lines(project: PulumiProject, sandbox: Sandbox) -> None:
    project.write_stack(stack_file(sandbox, KEPT, BUSY, IDLE))
    project.up()


def comment(project: PulumiProject, *preview: str) -> str:
    """The pull-request comment of a `pulumi preview --json` with these arguments."""
    plan = project.root / "plan.json"
    plan.write_text(project.run("preview", "--json", *preview).stdout)
    return python(project, "plan", str(plan)).stdout


def messages(parsed: dict, severity: str) -> list[str]:
    return [d["message"] for d in parsed.get("diagnostics", []) if d["severity"] == severity]


def test_a_busy_line_dropped_from_the_file_stays_until_retired(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    sandbox.place_call(CLIENT_ID, BUSY[0], days_ago=2)
    sandbox.place_call(CLIENT_ID, BUSY[0], days_ago=1)
    sandbox.place_call(CLIENT_ID, IDLE[0], days_ago=45)  # older than the window: no matter
    project.write_stack(stack_file(sandbox, KEPT))
    sandbox.clear_log()

    refused = project.up(check=False)

    assert refused.returncode != 0
    out = refused.stdout + refused.stderr
    assert out.split("Diagnostics:")[1].count("carried calls in the last 30 days") == 1
    assert f"{BUSY[0]} (2 calls, last " in out and IDLE[0] not in out.split("Fix:")[0]
    assert f'retire: ["{BUSY[0]}"]' in out
    assert "Traceback" not in out
    assert set(portal_lines(sandbox)) == {KEPT[0], BUSY[0], IDLE[0]}  # nothing changed
    assert methods(sandbox).count(STATS) == 1  # one request for both candidates
    assert not any(m.startswith("telephony.externalLine") for m in methods(sandbox))

    project.write_stack({**stack_file(sandbox, KEPT), "retire": [BUSY[0]]})
    project.up()
    assert set(portal_lines(sandbox)) == {KEPT[0]}
    assert set(project.line_resources()) == {KEPT[0]}
    project.run("preview", "--refresh", "--expect-no-changes")


def test_an_idle_line_goes_without_ceremony_and_the_preview_says_its_calls(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    sandbox.place_call(CLIENT_ID, IDLE[0], days_ago=31)
    project.write_stack(stack_file(sandbox, KEPT, BUSY))

    preview = project.preview_json()
    assert f"in-use guard: {IDLE[0]}: no call in the last 30 days" in [
        m.strip() for m in messages(preview, "info")
    ]

    project.up()
    assert set(portal_lines(sandbox)) == {KEPT[0], BUSY[0]}
    project.run("preview", "--refresh", "--expect-no-changes")


def test_the_pull_request_preview_has_no_credentials_and_says_calls_are_checked_on_apply(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    project.write_stack(stack_file(sandbox, KEPT, BUSY))
    for key in ("refreshToken", "accessToken", "clientSecret"):
        project.run("config", "rm", "--stack", project.stack, f"bitrix24:{key}")
    tokens = project.root / ".tokens"
    for path in tokens.glob("*"):
        path.unlink()
    sandbox.clear_log()

    said = comment(project)

    assert not any(entry["method"] == STATS for entry in sandbox.request_log())
    assert f"- `{IDLE[0]}`: calls checked when the change is applied" in said
    assert ["delete", f"`{IDLE[0]}`", IDLE[1], "yes"] in comment_rows(said)


def test_without_the_statistics_permission_the_run_stops_with_one_message(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    sandbox.deny_statistics(CLIENT_ID)
    project.write_stack(stack_file(sandbox, KEPT))

    refused = project.up(check=False)

    out = refused.stdout + refused.stderr
    assert refused.returncode != 0
    shown = out.split("Diagnostics:")[1]
    assert shown.count("error:") == 1 and "HTTP 403 ACCESS_DENIED" in shown
    assert '"Call Statistics - View"' in shown.split("Fix:")[1] and "in_use_guard: false" in shown
    assert "Traceback" not in out
    assert set(portal_lines(sandbox)) == {KEPT[0], BUSY[0], IDLE[0]}


def test_a_line_made_by_a_call_is_named_by_a_refreshing_preview_and_left_alone(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    sandbox.place_call(CLIENT_ID, "74959990000")  # the PBX's call on an undeclared number
    sandbox.seed_line(CLIENT_ID, "74959990001", "Made by hand")

    said = comment(project, "--refresh")  # the drift job's and a refreshing preview's comment
    (note,) = [line for line in said.splitlines() if "declared by no stack file" in line]
    assert "74959990000 (made by a call)" in note and "74959990001 'Made by hand'" in note
    assert "export --merge" in note and KEPT[0] not in note

    project.run("up", "--yes", "--refresh")
    lines = portal_lines(sandbox)
    assert lines["74959990000"]["NAME"] == "" and lines["74959990001"]["NAME"] == "Made by hand"
    assert "74959990000" not in project.line_resources()


def test_auth_check_and_a_refreshing_preview_warn_when_no_handler_takes_calls(
    project: PulumiProject, sandbox: Sandbox
):
    three_lines(project, sandbox)
    app_id = sandbox.app_id(CLIENT_ID)
    checked = python(project, "auth", "--stack", project.stack, "--check")
    assert checked.returncode == 0, checked.stderr
    assert f"application ID {app_id}, code " in checked.stdout
    assert "OnExternalCallStart handled" in checked.stdout
    assert "warning" not in checked.stderr

    sandbox.unbind_event(CLIENT_ID)
    checked = python(project, "auth", "--stack", project.stack, "--check")
    assert "OnExternalCallStart NOT handled" in checked.stdout
    assert checked.stderr.count("has no OnExternalCallStart handler") == 1
    preview = project.run("preview", "--refresh")
    shown = preview.stdout.split("Diagnostics:")[1]
    assert shown.count("has no OnExternalCallStart handler") == 1
    assert "Fix: authorise this tool as the local application" in shown
    assert comment(project, "--refresh").count("has no OnExternalCallStart handler") == 1
