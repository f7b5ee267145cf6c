"""The stack's config is checked by preview: credentials never in clear, tunables sane; and a
plain preview needs no credentials at all."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import stack_file
from tests.e2e.output import diagnostics
from tests.e2e.pulumi_cli import PulumiProject

LINE = ("74951234567", "Reception")
PLAIN = "plain-credential-0123456789"


@pytest.mark.parametrize(
    ("key", "env"),
    [
        ("bitrix24:clientSecret", "BITRIX24_CLIENT_SECRET"),
        ("bitrix24:refreshToken", "BITRIX24_REFRESH_TOKEN"),
        ("bitrix24:accessToken", "BITRIX24_ACCESS_TOKEN"),
        ("bitrix24:webhookUrl", "BITRIX24_WEBHOOK_URL"),
    ],
)
def test_a_credential_in_plain_config_is_refused_before_any_call(project, sandbox, key, env):
    project.write_stack(stack_file(sandbox, LINE))
    project.run("config", "rm", "--stack", project.stack, key, check=False)
    # Pulumi asks for --secret or --plaintext for names that look secret; not for all four,
    # and not in a hand-edited Pulumi.<stack>.yaml.
    project.run("config", "set", "--stack", project.stack, key, "--plaintext", stdin=PLAIN)
    sandbox.clear_log()
    for failed in (project.run("preview", check=False), project.up(check=False)):
        assert failed.returncode != 0
        assert "Traceback" not in failed.stdout + failed.stderr
        errors = diagnostics(failed.stdout)
        assert len(errors) == 1, failed.stdout  # and no "unhandled error" after it
        (refusal,) = errors
        assert refusal.count("Fix:") == 1
        assert refusal.startswith(
            f"{key}: is stored in clear in the stack's config file (set without --secret)"
        )
        assert f"Fix: pulumi config set --secret {key} (type the value on stdin" in refusal
        assert f"export {env}" in refusal
        assert PLAIN not in failed.stdout + failed.stderr
    assert sandbox.request_log() == []

    project.config_set(key, PLAIN, secret=True)  # the fix the message gives
    assert "is stored in clear" not in project.run("preview", check=False).stdout


def test_a_plain_preview_with_no_bitrix24_credentials_anywhere_shows_the_plan(tmp_path, sandbox):
    """The pull-request job: no Bitrix24 setting in config or the environment, no store."""
    project = PulumiProject.create(tmp_path / "pr", "pr", {})
    project.write_stack(stack_file(sandbox, LINE, ("74951234568", "Sales")))
    assert not any(
        key.startswith("BITRIX24_") and key != "BITRIX24_TOKEN_STORE" for key in project.env
    )
    assert "bitrix24:" not in project.run("config", "--stack", project.stack).stdout
    preview = project.preview_json()
    creates = sorted(
        step["urn"].rsplit("::", 1)[1] for step in preview["steps"] if step["op"] == "create"
    )
    assert "74951234567" in creates and "74951234568" in creates
    assert sandbox.request_log() == []
    assert not (project.root / ".tokens").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("bitrix24:deadline", "nan"),
        ("bitrix24:requestTimeout", "inf"),
        ("bitrix24:rateLimit", "0/50"),
    ],
)
def test_a_tuning_value_that_is_not_a_positive_number_fails_preview(project, sandbox, key, value):
    project.write_stack(stack_file(sandbox, LINE))
    project.config_set(key, value)
    sandbox.clear_log()
    failed = project.run("preview", check=False)
    assert failed.returncode != 0 and "Traceback" not in failed.stdout
    (refusal,) = diagnostics(failed.stdout)
    assert refusal.startswith(f"{key}: {value!r} is not ") and refusal.count("Fix:") == 1
    assert sandbox.request_log() == []
