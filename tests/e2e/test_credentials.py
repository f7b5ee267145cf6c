"""Credentials through the real CLI: rotation across pipelines, expiry mid-run, refusals,
and no secret in state, logs, errors or preview output."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.backends import Backend
from tests.e2e.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    expire_tokens_after,
    on_both_backends,
    portal_lines,
    stack_file,
)
from tests.e2e.output import diagnostics
from tests.e2e.pulumi_cli import REPO, PulumiProject

LINE = ("74951234567", "Reception")


def leaked(project: PulumiProject, secrets: set[str], *texts: str) -> list[str]:
    """Where secrets appear (by position, never by value): in texts, commands or state files."""
    sources = {f"text {i}": text for i, text in enumerate(texts)}
    sources |= {f"command {i}": text for i, text in enumerate(project.transcript)}
    sources |= {
        str(path.relative_to(project.root)): path.read_text()
        for path in (project.root / ".pulumi-state").rglob("*.json")
    }
    return [
        f"secret #{i} ({len(secret)} chars) in {name}"
        for i, secret in enumerate(sorted(secrets))
        for name, text in sources.items()
        if secret in text
    ]


def stored_tokens(store: Path) -> set[str]:
    """Every token the provider rotated into the store: secrets too."""
    found: set[str] = set()
    for path in store.glob("*.json"):
        tokens = json.loads(path.read_text())["tokens"]
        found.update(v for v in (tokens["refresh_token"], tokens["access_token"]) if v)
    return found


def provider_cli(project: PulumiProject, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "provider", *args],
        cwd=REPO,
        env={**project.env, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
    )


def test_no_secret_in_state_logs_errors_or_preview(tmp_path, sandbox):
    project = PulumiProject.create(tmp_path / "p", "leaks", {"BITRIX24_LOG_LEVEL": "DEBUG"})
    handed_out = project.connect(sandbox, CLIENT_ID, CLIENT_SECRET)
    secrets = {CLIENT_SECRET, *(v for k, v in handed_out.items() if "token" in k)}
    project.write_stack(stack_file(sandbox, LINE, ("74951234568", "Sales")))
    project.up()
    sandbox.expire_access_tokens()  # the next calls refresh and rotate
    project.write_stack(stack_file(sandbox, ("74951234567", "Front desk")))
    outputs = [
        project.run("preview", "--diff", "--refresh").stdout,
        json.dumps(project.preview_json("--refresh")),
        project.up("--refresh").stdout,
        project.run("stack", "export", "--stack", project.stack).stdout,
    ]
    sandbox.revoke_refresh_tokens(CLIENT_ID)
    sandbox.expire_access_tokens()
    failed = project.up("--refresh", check=False)
    assert failed.returncode != 0
    outputs.append(project.run("destroy", "--yes", check=False).stdout)

    rotated = stored_tokens(project.root / ".tokens")
    assert rotated, "the run should have rotated the token into the store"
    secrets |= rotated
    assert "refreshed the access token" in "".join(project.transcript)  # DEBUG logs were on
    assert leaked(project, secrets, *outputs) == []


def test_the_token_store_is_private(project, sandbox):
    project.write_stack(stack_file(sandbox, LINE))
    sandbox.expire_access_tokens()
    project.up()
    store = project.root / ".tokens"
    files = list(store.glob("*.json"))
    assert files
    assert stat.S_IMODE(store.stat().st_mode) == 0o700
    assert {stat.S_IMODE(f.stat().st_mode) for f in files} == {0o600}


@on_both_backends
def test_two_pipelines_in_a_row_survive_the_rotation(tmp_path, sandbox, backend: Backend):
    """The GitHub Actions recipe of the README: each run is a fresh runner with an empty
    token store; the refresh token lives in a CI secret that the run writes back. The
    pipelines share the state backend."""
    ci_secret = tmp_path / "ci-secret"  # stands in for the repository secret
    ci_secret.write_text(sandbox.issue_tokens(CLIENT_ID)["refresh_token"])

    def pipeline(run: int, lines: list[tuple[str, str]]) -> None:
        env = {
            "BITRIX24_CLIENT_ID": CLIENT_ID,
            "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
            "BITRIX24_REFRESH_TOKEN": ci_secret.read_text(),
            "BITRIX24_OAUTH_SERVER": sandbox.url,
        }
        project = PulumiProject.create(tmp_path / f"runner{run}", "prod", env, backend=backend.url)
        project.write_stack(stack_file(sandbox, *lines))
        project.up("--refresh")
        exported = provider_cli(project, "auth", "--print-refresh-token")
        assert exported.returncode == 0, exported.stderr
        ci_secret.write_text(exported.stdout.strip())

    first_token = ci_secret.read_text()
    pipeline(1, [LINE])
    assert ci_secret.read_text() != first_token  # the first run rotated it
    sandbox.expire_access_tokens()  # the access token the first run got is dead too
    pipeline(2, [LINE, ("74951234568", "Sales")])
    assert sorted(portal_lines(sandbox)) == ["74951234567", "74951234568"]

    # Without writing the token back, the next run would be locked out: proof it rotated.
    env = {
        "BITRIX24_CLIENT_ID": CLIENT_ID,
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_OAUTH_SERVER": sandbox.url,
        "BITRIX24_REFRESH_TOKEN": first_token,
    }
    project = PulumiProject.create(tmp_path / "stale", "stale", env)
    project.write_stack(stack_file(sandbox, ("74951239999", "Nobody")))
    failed = project.up(check=False)
    assert failed.returncode != 0
    assert "authorise the application again" in failed.stdout + failed.stderr


def test_token_expiry_in_the_middle_of_an_up_of_50_lines(tmp_path, sandbox):
    project = PulumiProject.create(tmp_path / "p", "fifty", {})
    project.connect(sandbox, CLIENT_ID, CLIENT_SECRET)
    declared = {f"7495100{n:04d}": f"Line {n}" for n in range(50)}
    project.write_stack(
        {"portal": sandbox.url, "lines": [{"number": k, "name": v} for k, v in declared.items()]}
    )
    sandbox.clear_log()
    # Once two requests are answered (the `get`, then the provider's first look at the
    # application): the adds still to come meet the expired token, as 50 adds take more
    # requests than that, with the engine handing them out a few at a time.
    expire = expire_tokens_after(sandbox, 2)
    project.up("--parallel", "8")
    expire.join()
    log = sandbox.request_log()
    expired = [e for e in log if e.get("error") == "expired_token"]
    refreshes = [e for e in log if e["method"] == "oauth/token" and e["status"] == 200]
    assert expired and refreshes, "the token should have expired mid-run and been refreshed"
    assert {n: line["NAME"] for n, line in portal_lines(sandbox).items()} == declared
    project.run("preview", "--expect-no-changes")


def test_a_revoked_refresh_token_says_how_to_authorise_again(project, sandbox):
    project.write_stack(stack_file(sandbox, LINE))
    sandbox.revoke_refresh_tokens(CLIENT_ID)
    sandbox.expire_access_tokens()
    failed = project.up(check=False)
    assert failed.returncode != 0
    out = failed.stdout + failed.stderr
    assert "the refresh token is spent or expired" in out
    assert "python -m provider auth --code` and paste the code" in out
    assert portal_lines(sandbox) == {}


@pytest.mark.parametrize(
    ("missing", "message", "fix"),
    [
        (
            "bitrix24:clientSecret",
            "bitrix24:clientSecret is not set for local.e2e",
            "pulumi config set --secret bitrix24:clientSecret <value>",
        ),
        (
            "bitrix24:clientId",
            "no Bitrix24 credentials are configured",
            "pulumi config set bitrix24:clientId <value>",
        ),
    ],
)
def test_a_missing_credential_names_the_setting(project, sandbox, missing, message, fix):
    project.run("config", "rm", "--stack", project.stack, missing)
    project.write_stack(stack_file(sandbox, LINE))
    project.run("preview")  # a plain preview calls nothing, so it needs no credentials
    failed = project.up(check=False)
    assert failed.returncode != 0
    assert message in failed.stdout and fix in failed.stdout
    assert sandbox.request_log() == []


def test_webhook_mode_previews_and_refuses_an_up_with_one_message(tmp_path, sandbox):
    code = "webhookcode0123456789abcdef"
    sandbox.add_webhook(user_id=1, code=code, scopes=("telephony",))
    project = PulumiProject.create(tmp_path / "p", "hook", {})
    project.config_set("bitrix24:webhookUrl", f"{sandbox.url}/rest/1/{code}/", secret=True)
    project.write_stack(stack_file(sandbox, LINE))
    planned = project.preview_json()  # a pull request's preview still works
    assert [s["op"] for s in planned["steps"] if s["urn"].endswith("::74951234567")] == ["create"]
    preview = json.dumps(planned)

    refused = project.up(check=False)
    assert refused.returncode != 0
    output = refused.stdout + refused.stderr
    (refusal,) = diagnostics(refused.stdout)  # one message: the program stopped before any line
    assert refusal.startswith("webhook mode neither reads nor writes lines")
    assert refusal.count("Fix:") == 1
    assert "Fix: use OAuth: create a local application with the telephony scope" in refusal
    assert "unhandled error" not in output and "Traceback" not in output
    assert sandbox.lines("webhook") == [] and sandbox.request_log() == []
    assert project.line_resources() == {}
    assert leaked(project, {code}, preview) == []


def test_a_refresh_through_a_webhook_keeps_the_lines_an_application_made(tmp_path, sandbox):
    """A webhook's get lists only the lines of no application, never an OAuth stack's: a
    drift job given a webhook in its environment, where the deploy job has OAuth's, would
    otherwise drop every line from state as deleted (and read a SIP number as one)."""
    tokens = sandbox.issue_tokens(CLIENT_ID)
    oauth = {
        "BITRIX24_CLIENT_ID": CLIENT_ID,
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_OAUTH_SERVER": sandbox.url,
        "BITRIX24_REFRESH_TOKEN": tokens["refresh_token"],
    }
    project = PulumiProject.create(tmp_path / "p", "switched", {})
    project.write_stack(stack_file(sandbox, LINE))
    project.run("up", "--yes", "--skip-preview", env=oauth)
    before = {n: (r["id"], r["outputs"]) for n, r in project.line_resources().items()}

    code = "webhookcode0123456789abcdef"
    sandbox.add_webhook(user_id=1, code=code, scopes=("telephony",))
    sandbox.add_sip_line(LINE[0], "Office PBX")  # what the webhook would have read instead
    sandbox.clear_log()
    hook = {"BITRIX24_WEBHOOK_URL": f"{sandbox.url}/rest/1/{code}/"}
    refreshed = project.run("refresh", "--yes", "--skip-preview", env=hook, check=False)
    assert refreshed.returncode != 0
    (message,) = [e for e in diagnostics(refreshed.stdout) if e.startswith("bitrix24: ")]
    assert message.startswith("bitrix24: webhook mode neither reads nor writes lines")
    assert message.count("Fix:") == 1 and "remove bitrix24:webhookUrl" in message
    assert "Traceback" not in refreshed.stdout + refreshed.stderr
    assert {n: (r["id"], r["outputs"]) for n, r in project.line_resources().items()} == before
    assert sandbox.request_log() == []
    secrets = {code, CLIENT_SECRET, tokens["refresh_token"], tokens["access_token"]}
    secrets |= stored_tokens(project.root / ".tokens")
    assert leaked(project, secrets, refreshed.stdout) == []
