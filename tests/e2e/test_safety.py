"""The guards of README "Safety", through the real CLI against the sandbox."""

from __future__ import annotations

from sandbox import Sandbox
from tests.e2e.conftest import on_both_backends, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject

TWELVE = [(f"7495000{index:04d}", f"Line {index}") for index in range(12)]
LINE_METHODS = "telephony.externalLine."


def line_calls(sandbox) -> list[str]:
    return [e["method"] for e in sandbox.request_log() if e["method"].startswith(LINE_METHODS)]


@on_both_backends
def test_guard_refuses_a_mass_delete_in_preview_and_bare_up_then_the_override_lets_it(
    project: PulumiProject, sandbox
):
    # A new stack has no previous state: the first run is never guarded.
    project.write_stack(stack_file(sandbox, *TWELVE))
    first = project.run("up", "--yes")
    assert "+ 13 created" in first.stdout, first.stdout
    ids = {number: line["ID"] for number, line in portal_lines(sandbox).items()}
    assert len(ids) == 12

    # Four of twelve (33 %) gone from the file, as after a bad merge.
    project.write_stack(stack_file(sandbox, *TWELVE[:8]))
    sandbox.clear_log()
    preview = project.run("preview", "--diff", check=False)
    up = project.run("up", "--yes", check=False)  # bare: no wrapper, no --skip-preview
    for result in (preview, up):
        assert result.returncode != 0
        shown = result.stdout + result.stderr  # --diff sends diagnostics to stderr
        assert "4 of 12 lines (33 %) would be deleted" in shown, shown
        assert "Fix: if this is intended, set allow_deletes: 4 in" in shown
        assert "Traceback" not in shown
    assert line_calls(sandbox) == []
    assert {n: line["ID"] for n, line in portal_lines(sandbox).items()} == ids
    assert len(project.line_resources()) == 12

    # Too small an override is refused the same way, naming what it admits.
    project.write_stack({**stack_file(sandbox, *TWELVE[:8]), "allow_deletes": 3})
    short = project.run("up", "--yes", check=False)
    assert short.returncode != 0
    assert "more than allow_deletes: 3 admits" in short.stdout, short.stdout
    assert len(portal_lines(sandbox)) == 12

    project.write_stack({**stack_file(sandbox, *TWELVE[:8]), "allow_deletes": "40%"})
    done = project.run("up", "--yes")
    assert "- 4 deleted" in done.stdout, done.stdout
    assert sorted(portal_lines(sandbox)) == sorted(number for number, _ in TWELVE[:8])

    # Left in the file, the override is pointed out: it would hide the next mistake.
    again = project.run("preview", "--expect-no-changes")
    assert "allow_deletes: 40% is set, but this run deletes and replaces no line" in again.stdout


def test_a_small_stack_is_not_guarded(project: PulumiProject, sandbox):
    project.write_stack(stack_file(sandbox, *TWELVE[:9]))
    project.up()
    project.write_stack(stack_file(sandbox, *TWELVE[:1]))
    project.up()
    assert sorted(portal_lines(sandbox)) == [TWELVE[0][0]]


def test_a_protected_line_survives_its_removal_from_the_file(project: PulumiProject, sandbox):
    protected = {"number": "74950009999", "name": "Hotline", "protect": True}
    file = stack_file(sandbox, *TWELVE[:2])
    project.write_stack({**file, "lines": [*file["lines"], protected]})
    project.up()
    kept_id = portal_lines(sandbox)["74950009999"]["ID"]

    project.write_stack(stack_file(sandbox, *TWELVE[:2]))
    sandbox.clear_log()
    up = project.run("up", "--yes", check=False)
    assert up.returncode != 0
    assert "74950009999" in up.stdout and "protect" in up.stdout, up.stdout
    assert portal_lines(sandbox)["74950009999"]["ID"] == kept_id
    assert "telephony.externalLine.delete" not in line_calls(sandbox)
    assert "74950009999" in project.line_resources()

    # Released as README "Safety" says: protect: false first, then the removal deletes it.
    project.write_stack({**file, "lines": [*file["lines"], {**protected, "protect": False}]})
    project.up()
    project.write_stack(stack_file(sandbox, *TWELVE[:2]))
    project.up()
    assert "74950009999" not in portal_lines(sandbox)


def test_spelling_the_portal_another_way_is_no_change(project: PulumiProject, sandbox):
    project.write_stack(stack_file(sandbox, *TWELVE[:3]))
    project.up()
    host, port = sandbox.url.removeprefix("http://").split(":")
    for spelling in (f"HTTP://{host}:0{port}/", f"http://{host}:{port}//"):
        project.write_stack({**stack_file(sandbox, *TWELVE[:3]), "portal": spelling})
        project.run("preview", "--expect-no-changes")
    sandbox.clear_log()
    project.up()
    assert line_calls(sandbox) == []
    state = project.line_resources()
    assert {res["outputs"]["portal"] for res in state.values()} == {sandbox.url}


def test_a_new_address_of_the_same_portal_moves_lines_in_place_without_line_calls(
    project: PulumiProject, sandbox
):
    # As after `python -m provider auth --code`: no access token in config, so the first
    # call refreshes and the token reply says which portal this is.
    project.run("config", "rm", "--stack", project.stack, "bitrix24:accessToken")
    project.write_stack(stack_file(sandbox, *TWELVE[:3]))
    first = project.up()
    assert sandbox.store.member_id() in first.stdout  # the identity, as a stack output
    ids = {n: res["id"] for n, res in project.line_resources().items()}
    assert {res["outputs"]["member_id"] for res in project.line_resources().values()} == {
        sandbox.store.member_id()
    }

    # The portal is renamed: the old address answers 302, the file gets the new one.
    renamed = sandbox.url.replace("127.0.0.1", "localhost")
    sandbox.move_to(renamed)
    project.write_stack({**stack_file(sandbox, *TWELVE[:3]), "portal": renamed})

    # Without credentials (a fork's pull request) the plan says it cannot check.
    bare = {"PULUMI_CONFIG_PASSPHRASE": "e2e-test", "BITRIX24_TOKEN_STORE": "/nonexistent"}
    for key in ("clientId", "clientSecret", "refreshToken", "accessToken"):
        project.run("config", "rm", "--stack", project.stack, f"bitrix24:{key}")
    blind = project.run("preview", env=bare)
    assert "cannot check that it is the same portal" in blind.stdout + blind.stderr, blind.stdout
    assert "~ 3 to update" in blind.stdout and "to replace" not in blind.stdout, blind.stdout
    project.connect(sandbox, "local.e2e", "e2e-client-secret-DO-NOT-LEAK")

    sandbox.clear_log()
    plan = project.preview_json()
    assert {step["op"] for step in plan["steps"] if "ExternalLine" in step["urn"]} == {"update"}
    project.up()
    assert line_calls(sandbox) == []
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == ids
    assert {res["outputs"]["portal"] for res in state.values()} == {renamed}
    project.run("preview", "--expect-no-changes")


def test_a_redirect_to_another_domain_is_refused_and_the_token_never_goes_there(
    project: PulumiProject, sandbox
):
    project.write_stack(stack_file(sandbox, *TWELVE[:2]))
    project.up()
    with Sandbox(host="127.0.0.2") as elsewhere:  # another address: another owner
        sandbox.move_to(elsewhere.url)
        project.write_stack(stack_file(sandbox, (TWELVE[0][0], "Renamed"), TWELVE[1]))
        up = project.up(check=False)
        assert up.returncode != 0
        assert elsewhere.request_log() == []  # not one request, so never the token
        said = up.stdout + up.stderr
        assert f"redirects to {elsewhere.url}, in another domain; nothing was sent there" in said
        assert f"write portal: {elsewhere.url} in the stack file" in said, said
        assert "Traceback" not in said  # one message with its fix, as the user reads it
    assert portal_lines(sandbox)[TWELVE[0][0]]["NAME"] == TWELVE[0][1]
