"""Two stacks of one application sharing a token store, one holding a rotated-away token."""

from __future__ import annotations

import json

from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, portal_lines, stack_file
from tests.e2e.pulumi_cli import PulumiProject


def store_refresh_token(project: PulumiProject) -> str:
    (path,) = (project.root / ".tokens").glob("*.json")
    return json.loads(path.read_text())["tokens"]["refresh_token"]


def test_a_config_token_the_shared_store_rotated_away_is_superseded(tmp_path, project, sandbox):
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception")))
    project.up()
    sandbox.expire_access_tokens()
    project.run("refresh", "--yes", "--skip-preview")  # stack A rotates T0 -> T1
    copied = store_refresh_token(project)  # a person copies T1 into stack B's config

    other = PulumiProject.create(
        tmp_path / "b", "b", {"BITRIX24_TOKEN_STORE": str(project.root / ".tokens")}
    )
    other.config_set("bitrix24:clientId", CLIENT_ID)
    other.config_set("bitrix24:clientSecret", CLIENT_SECRET, secret=True)
    other.config_set("bitrix24:refreshToken", copied, secret=True)
    other.config_set("bitrix24:oauthServer", sandbox.url)
    other.write_stack(stack_file(sandbox, ("74951234568", "Sales")))

    sandbox.expire_access_tokens()
    project.run("refresh", "--yes", "--skip-preview")  # stack A rotates T1 -> T2: T1 is spent
    assert store_refresh_token(project) != copied
    sandbox.expire_access_tokens()
    other.up()  # starts from the store's T2, not from the spent T1 in its config

    assert sorted(portal_lines(sandbox)) == ["74951234567", "74951234568"]
    refused = [
        e for e in sandbox.request_log() if e["method"] == "oauth/token" and e["status"] != 200
    ]
    assert refused == []
    project.run("preview", "--refresh", "--expect-no-changes")  # A carries on from the same chain
