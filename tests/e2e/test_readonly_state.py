"""The preview job's state, read-only: a PostgreSQL role that may only SELECT.

A pull request's code runs in the preview job, so that job gets state it can read but
not change. Pulumi v3.274.1's PostgreSQL backend opens with a SELECT when its table
exists (`pkg/backend/diy/postgres/bucket.go`), a plain preview takes no lock and writes no
history or checkpoint (`pkg/backend/diy/backend.go`: a discarding persister for dry runs,
`Lock` only in update, refresh, destroy and import): so the preview passes with that role,
and writes nothing. An `up` with it fails at its lock, before the program runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from sandbox import Sandbox
from tests.e2e.backends import TABLE, Backend
from tests.e2e.conftest import portal_lines, stack_file
from tests.e2e.pulumi_cli import REPO, PulumiProject

# All Pulumi v3.274.1 prints for an up with the read-only role: its lock's INSERT refused.
REFUSED = (
    "error: 2 errors occurred:\n    1) pq: permission denied for table pulumi_state (42501)\n"
    "    2) Unknown\n"
)


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_a_plain_preview_reads_with_a_select_only_role_and_up_is_refused(
    project: PulumiProject, sandbox: Sandbox, backend: Backend, tmp_path
):
    assert backend.server is not None
    project.write_stack(stack_file(sandbox, ("74950000001", "Reception")))
    project.up()
    reader = backend.server.reader(backend.database, backend.url)
    rows = f"SELECT key, md5(data::text), updated_at FROM {TABLE} ORDER BY key"
    before = backend.server.query(backend.database, rows)

    project.write_stack(stack_file(sandbox, ("74950000001", "Front desk"), ("74950000002", "New")))
    as_reader = {"PULUMI_BACKEND_URL": reader}
    preview = project.run("preview", "--json", env=as_reader)
    steps = {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in json.loads(preview.stdout)["steps"]}
    assert steps["74950000001"] == "update" and steps["74950000002"] == "create"
    assert backend.server.query(backend.database, rows) == before  # no lock, history, checkpoint

    refused = project.run("up", "--yes", "--skip-preview", check=False, env=as_reader)
    assert refused.returncode != 0
    assert refused.stderr.count("error:") == 1, refused.stderr
    assert refused.stderr.strip() == REFUSED.strip()
    assert backend.server.password not in refused.stdout + refused.stderr
    assert reader.split(":")[2].split("@")[0] not in refused.stdout + refused.stderr
    assert backend.server.query(backend.database, rows) == before
    assert portal_lines(sandbox)["74950000001"]["NAME"] == "Reception"  # nothing applied

    # Pulumi's words do not say which credential is wrong: the pipelines' report adds it.
    up = tmp_path / "up"
    up.mkdir()
    (up / f"{project.stack}.json").write_text(refused.stdout)
    (up / f"{project.stack}.log").write_text(refused.stderr)
    report = subprocess.run(
        [sys.executable, "-m", "provider", "plan", "--applied", str(up / f"{project.stack}.json")],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (message,) = re.findall(r"```text\n(.*?)\n```", report, re.S)
    assert message == (
        f"{REFUSED.strip()}\n\nthe state backend refused to write: this job's "
        "PULUMI_BACKEND_URL is a role that may only read the state. Fix: give the up and drift "
        "jobs the writable state (the secret PULUMI_BACKEND_URL of the lane's environment on "
        "GitHub, PULUMI_WRITER_BACKEND_URL on GitLab; docs/pipelines.md)"
    )
    assert f"stack `{project.stack}`: `pulumi up` stopped" in report
