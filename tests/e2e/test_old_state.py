"""State written before the layout move still works after it.

Every line's state holds `__provider`, a dill pickle of provider.resource's
ExternalLineProvider by reference: its module path and class name are part of the
state format. fixtures/state-before-layout.json is `pulumi stack export --show-secrets`
of a 3-line stack made by the code before the move (commit 1f1f758), with the
sandbox's address and the stack's secrets replaced by placeholders and the machine's
source paths dropped. The test imports it, seeds the portal with the same lines (the
sandbox numbers them 1, 2, 3 in the same order), and refreshes, updates and deletes.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import yaml

from tests.e2e.conftest import CLIENT_ID, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject

FIXTURE = Path(__file__).parent / "fixtures" / "state-before-layout.json"
LINES = (("+74951234567", "Moscow office"), ("14151234567", "Support"), ("74951234568", "Sales"))
CRM = {"74951234568": "N"}  # the others keep the API's default, Y


def import_old_state(project: PulumiProject, sandbox, tmp_path: Path) -> None:
    text = FIXTURE.read_text().replace("@PORTAL@", sandbox.url)
    for key in ("accessToken", "clientSecret", "refreshToken"):
        value = project.secrets["client_secret" if key == "clientSecret" else _token(key)]
        text = text.replace(f"@{key}@", str(value))
    state = json.loads(text)
    # The stack's own passphrase salt (from `pulumi config set --secret`) encrypts the
    # placeholders' values again on import; the engine needs to be told which one it is.
    config = yaml.safe_load((project.root / f"Pulumi.{project.stack}.yaml").read_text())
    state["deployment"]["secrets_providers"] = {
        "type": "passphrase",
        "state": {"salt": config["encryptionsalt"]},
    }
    exported = tmp_path / "state.json"
    exported.write_text(json.dumps(state))
    project.run("stack", "import", "--stack", project.stack, "--file", str(exported))


def _token(key: str) -> str:
    return {"accessToken": "access_token", "refreshToken": "refresh_token"}[key]


def test_the_fixture_pickles_the_provider_by_its_fixed_path() -> None:
    deployment = json.loads(FIXTURE.read_text())["deployment"]
    pickles = {
        res["outputs"]["__provider"]
        for res in deployment["resources"]
        if res["type"] == "pulumi-python:dynamic/bitrix24:ExternalLine"
    }
    assert len(pickles) == 1
    raw = base64.b64decode(pickles.pop())
    assert b"provider.resource" in raw and b"ExternalLineProvider" in raw


def test_old_state_refreshes_updates_and_deletes_after_the_move(tmp_path, sandbox) -> None:
    project = PulumiProject.create(tmp_path / "project", "before-layout", {})
    project.secrets = project.connect(sandbox, CLIENT_ID, "e2e-client-secret-DO-NOT-LEAK")
    for number, name in LINES:
        sandbox.seed_line(CLIENT_ID, number, name, CRM.get(number, "Y"))
    import_old_state(project, sandbox, tmp_path)
    ids = {n: res["id"] for n, res in project.line_resources().items()}
    assert ids == {n: str(line["ID"]) for n, line in portal_lines(sandbox).items()}

    # refresh: the old pickle reads the lines back through the moved modules; no drift
    project.run("refresh", "--yes", "--skip-preview")
    declared = [(n, name, False) if n in CRM else (n, name) for n, name in LINES]
    project.write_stack(stack_file(sandbox, *declared))
    project.run("preview", "--expect-no-changes")

    # update one line and delete another, on the IDs the old state recorded
    renamed = [("+74951234567", "Moscow HQ"), ("74951234568", "Sales", False)]
    project.write_stack(stack_file(sandbox, *renamed))
    project.up()
    held = portal_lines(sandbox)
    assert sorted(held) == ["+74951234567", "74951234568"]
    assert held["+74951234567"]["NAME"] == "Moscow HQ"
    assert str(held["+74951234567"]["ID"]) == ids["+74951234567"]  # updated in place
    project.run("preview", "--expect-no-changes")

    project.run("destroy", "--yes", "--skip-preview")
    assert portal_lines(sandbox) == {}
