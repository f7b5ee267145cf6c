"""Expected failures as users read them in `pulumi up`: one message, one fix, no traceback."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import CLIENT_ID, stack_file
from tests.e2e.output import diagnostics

LINE = ("74951234567", "Reception")


def line_exists(project, sandbox):
    sandbox.seed_line(CLIENT_ID, LINE[0], "Made by hand")
    return "exists on the portal as 'Made by hand' with CRM_AUTO_CREATE Y"


def spent_token(project, sandbox):
    sandbox.expire_access_tokens()
    sandbox.revoke_refresh_tokens(CLIENT_ID)
    return "the refresh token is spent or expired"


def refused_redirect(project, sandbox):
    sandbox.move_to("http://acme.example.com")
    return "http://acme.example.com"


@pytest.mark.parametrize("cause", [line_exists, spent_token, refused_redirect])
def test_an_expected_failure_reads_as_one_message_with_one_fix(project, sandbox, cause):
    project.write_stack(stack_file(sandbox, LINE))
    expected = cause(project, sandbox)
    failed = project.up(check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stdout + failed.stderr
    provider_errors = [e for e in diagnostics(failed.stdout) if e.startswith("bitrix24: ")]
    assert len(provider_errors) == 1, failed.stdout
    assert "\n" not in provider_errors[0] and provider_errors[0].count("Fix:") == 1
    assert expected in provider_errors[0]


def test_a_guard_refusal_reads_as_one_message_with_one_fix(project, sandbox):
    """The program's own refusals (pulumi.RunError) too: no "unhandled error" line after it."""
    twelve = [(f"7495000{index:04d}", f"Line {index}") for index in range(12)]
    project.write_stack(stack_file(sandbox, *twelve))
    project.up()
    project.write_stack(stack_file(sandbox, *twelve[:8]))  # a third deleted, as a bad merge does
    failed = project.up(check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stdout + failed.stderr
    (refusal,) = diagnostics(failed.stdout)
    assert "4 of 12 lines (33 %) would be deleted" in refusal and refusal.count("Fix:") == 1
