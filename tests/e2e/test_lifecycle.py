"""The life of a stack's lines through the real CLI: up, preview, change, drift, destroy."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, on_both_backends, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject

BAD = Path(__file__).parents[1] / "stackfile" / "bad"
ACME = b"https://acme.bitrix24.com"
MAIN = ("+74951234567", "Moscow office")
SALES = ("74951234568", "Sales", False)
SUPPORT = ("14151234567", "Support")


def steps(preview: dict) -> dict[str, str]:
    """Each ExternalLine's planned operation, by number (the resource's logical name)."""
    return {
        step["urn"].rsplit("::", 1)[1]: step["op"]
        for step in preview.get("steps", [])
        if step["urn"].split("::")[2] == "pulumi-python:dynamic/bitrix24:ExternalLine"
    }


def test_up_creates_exactly_the_declared_lines_with_add_ids(project, sandbox):
    project.write_stack(stack_file(sandbox, MAIN, SALES, SUPPORT))
    project.up()

    held = portal_lines(sandbox)
    assert {n: (line["NAME"], line["CRM_AUTO_CREATE"]) for n, line in held.items()} == {
        "+74951234567": ("Moscow office", "Y"),
        "74951234568": ("Sales", "N"),
        "14151234567": ("Support", "Y"),
    }
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    providers = {res["outputs"].pop("__provider") for res in state.values()}
    assert len(providers) == 1 and len(providers.pop()) < 200  # one class reference, no secret
    assert state["74951234568"]["outputs"] == {
        "portal": sandbox.url,
        "number": "74951234568",
        "name": "Sales",
        "crm_auto_create": False,
        "member_id": "",  # no token reply yet: the access token came straight from config
    }
    calls = [m for e in sandbox.request_log() for m in e["commands"] or [e["method"]]]
    assert calls.count("telephony.externalLine.add") == 3  # alone or in a batch, once each
    project.run("preview", "--expect-no-changes")


@on_both_backends
def test_rename_updates_in_place_number_change_replaces_removal_deletes(project, sandbox):
    project.write_stack(stack_file(sandbox, MAIN, SALES, SUPPORT))
    project.up()
    ids_before = {n: line["ID"] for n, line in portal_lines(sandbox).items()}

    project.write_stack(
        stack_file(sandbox, ("+74951234567", "Moscow HQ"), ("74951234569", "Sales", False))
    )
    assert steps(project.preview_json()) == {
        "+74951234567": "update",
        "74951234569": "create",
        "14151234567": "delete",
        "74951234568": "delete",
    }
    project.up()

    held = portal_lines(sandbox)
    assert sorted(held) == ["+74951234567", "74951234569"]
    assert held["+74951234567"]["NAME"] == "Moscow HQ"
    assert held["+74951234567"]["ID"] == ids_before["+74951234567"]  # updated, not re-added
    project.run("preview", "--expect-no-changes")


def test_number_change_under_one_name_is_a_replacement_adding_first(project, sandbox):
    """A changed number under one logical name is a replacement, new line first."""
    project.write_stack(stack_file(sandbox, MAIN))
    project.up()
    state = project.line_resources()["+74951234567"]
    urn = state["urn"]

    # Same logical name, new number: only a program can do that (the stack file names
    # each resource by its number), so drive the provider through a custom program.
    (project.root / "__main__.py").unlink()
    (project.root / "__main__.py").write_text(
        "from provider.resource import ExternalLine\n"
        f"ExternalLine('+74951234567', portal={sandbox.url!r}, number='74951230000',"
        " name='Moscow office')\n"
    )
    preview = project.preview_json()
    planned = [(s["op"], s.get("replaceReasons")) for s in preview["steps"] if s["urn"] == urn]
    assert planned == [("replace", ["number"])]
    sandbox.clear_log()
    project.up()
    assert sorted(portal_lines(sandbox)) == ["74951230000"]
    calls = [e["method"].rsplit(".", 1)[1] for e in sandbox.request_log()]
    assert calls == ["add", "delete"]  # the new number first: no moment without a line


def test_reordering_the_file_changes_nothing(project, sandbox):
    project.write_stack(stack_file(sandbox, MAIN, SALES, SUPPORT))
    project.up()
    project.write_stack(stack_file(sandbox, SUPPORT, MAIN, SALES))
    project.run("preview", "--expect-no-changes")


def test_refresh_sees_out_of_band_changes_and_up_repairs_them(project, sandbox):
    project.write_stack(stack_file(sandbox, MAIN, SALES, SUPPORT))
    project.up()
    sandbox.rename_line(CLIENT_ID, "+74951234567", "Renamed by a person")
    sandbox.delete_line(CLIENT_ID, "14151234567")

    refresh = project.run("refresh", "--yes", "--skip-preview")
    assert "~ 1 updated" in refresh.stdout and "- 1 deleted" in refresh.stdout, refresh.stdout
    state = project.line_resources()
    assert "14151234567" not in state
    assert state["+74951234567"]["outputs"]["name"] == "Renamed by a person"

    assert steps(project.preview_json()) == {
        "+74951234567": "update",
        "14151234567": "create",
    }
    project.up()
    held = portal_lines(sandbox)
    assert held["+74951234567"]["NAME"] == "Moscow office"
    assert held["14151234567"]["NAME"] == "Support"
    project.run("preview", "--expect-no-changes")


@on_both_backends
def test_destroy_leaves_the_application_pool_empty(project, sandbox):
    project.write_stack(stack_file(sandbox, MAIN, SALES, SUPPORT))
    project.up()
    project.run("destroy", "--yes", "--skip-preview")
    assert portal_lines(sandbox) == {}
    assert project.line_resources() == {}


def test_two_stacks_on_two_portals_never_touch_each_others_lines(tmp_path: Path, sandbox):
    with Sandbox() as other:
        other.add_app(CLIENT_ID, "other-secret", scopes=("telephony",))
        first = PulumiProject.create(tmp_path / "a", "first", {})
        first.connect(sandbox, CLIENT_ID, CLIENT_SECRET)
        second = PulumiProject.create(tmp_path / "b", "second", {})
        second.connect(other, CLIENT_ID, "other-secret")
        first.write_stack(stack_file(sandbox, MAIN, SALES))
        second.write_stack(stack_file(other, MAIN, SUPPORT))
        first.up()
        second.up()
        assert sorted(portal_lines(sandbox)) == ["+74951234567", "74951234568"]
        assert sorted(portal_lines(other)) == ["+74951234567", "14151234567"]

        second.run("destroy", "--yes", "--skip-preview")
        assert portal_lines(other) == {}
        assert sorted(portal_lines(sandbox)) == ["+74951234567", "74951234568"]
        first.run("preview", "--expect-no-changes")


@pytest.mark.parametrize(
    "fixture",
    [
        "number_float_exponent",
        "number_inner_whitespace",
        "number_zero_width_space",  # looks exactly like 74951234567
        "number_fullwidth_digits",
        "duplicate_number",
        "duplicate_key_in_line",
        "tab_indentation",
        "billion_laughs",
        "not_utf8",
        "unknown_key_line_close",
        "crm_quoted_yes",
        "name_256_characters",
    ],
)
def test_a_bad_stack_file_fails_preview_like_validate_before_any_api_call(
    project, sandbox, fixture
):
    """The stack file's own fixtures, pointed at the live sandbox: nothing may reach it."""
    text = (BAD / f"{fixture}.yaml").read_bytes().replace(ACME, sandbox.url.encode())
    path = project.root / "stacks" / f"{project.stack}.yaml"
    path.write_bytes(text)
    sandbox.clear_log()
    preview = project.run("preview", check=False)
    assert preview.returncode != 0
    validate = subprocess.run(
        [sys.executable, "-m", "provider", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=project.root,
        check=False,
    )
    assert validate.returncode == 1
    errors = validate.stderr.strip().splitlines()
    assert errors and all(line.startswith(f"{path}:") for line in errors)
    for line in errors:
        assert line in preview.stdout, preview.stdout
    assert sandbox.request_log() == []
