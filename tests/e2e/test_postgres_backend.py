"""The PostgreSQL backend itself: what the tests' server refuses, and what Pulumi then says."""

from __future__ import annotations

import pytest

from tests.e2e.backends import Backend
from tests.e2e.postgres import PostgresServer, PostgresUnavailable
from tests.e2e.pulumi_cli import PulumiProject


def test_without_a_server_the_postgres_tests_fail_naming_what_is_missing(tmp_path):
    with pytest.raises(PostgresUnavailable) as missing:
        PostgresServer.start(bindir=tmp_path)
    assert f"{tmp_path / 'initdb'} does not exist" in str(missing.value)
    assert "scripts/bootstrap --dev" in str(missing.value)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_wrong_password_is_one_error_that_does_not_show_it(tmp_path, backend: Backend):
    (password,) = backend.secrets
    wrong = backend.url.replace(password, "not-the-password-0123")
    project = PulumiProject.create(tmp_path / "p", "prod", {}, backend=backend.url)
    refused = project.run("stack", "ls", check=False, env={"PULUMI_BACKEND_URL": wrong})
    assert refused.returncode != 0
    assert refused.stderr.count("error:") == 1, refused.stderr
    assert 'password authentication failed for user "pulumi"' in refused.stderr
    assert "postgres://pulumi:[credential]@127.0.0.1:" in refused.stderr  # Pulumi redacts it
    assert "not-the-password-0123" not in refused.stderr + refused.stdout


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_the_password_can_stay_out_of_the_url_in_pgpassword(tmp_path, backend: Backend):
    """For a CI that masks only some characters (GitLab): the URL without its password, the
    password alone in PGPASSWORD, which the driver reads (lib/pq)."""
    (password,) = backend.secrets
    bare = backend.url.replace(f":{password}@", "@")
    project = PulumiProject.create(tmp_path / "p", "prod", {"PGPASSWORD": password}, bare)
    assert project.env["PULUMI_BACKEND_URL"] == bare and password not in bare
    assert "prod" in project.run("stack", "ls").stdout
    refused = project.run("stack", "ls", check=False, env={"PGPASSWORD": "wrong-password"})
    assert 'password authentication failed for user "pulumi"' in refused.stderr
