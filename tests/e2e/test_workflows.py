"""The GitHub workflow's own command lines, run against the sandbox with the real CLI.

Each step's `run:` script is taken from ci/github/workflows/bitrix24-lines.yml (not
retyped) and run the way the runner runs it, in a git repository holding a copy of
the project with five stack files, one per portal. GitHub itself is played by
tests/ci/fake_gh.py: a pull request's comments and the environments' secrets.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.ci.fake_gitlab import FakeGitLab
from tests.ci.workflows import GITHUB, GITLAB, GITLAB_JOBS, expressions, github_step, lint, load
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, portal_lines, stack_file
from tests.e2e.conftest import comment_rows as rows
from tests.e2e.pulumi_cli import REPO, PulumiProject

FAKE_GH = Path(__file__).parents[1] / "ci" / "fake_gh.py"
PR = "42"
# One portal per stack in real life; here one sandbox, each stack with numbers of its own.
STACKS = {
    "dev": [(f"7495000000{i}", f"Dev line {i}") for i in range(6)],
    "dev-tokyo": [("81300000001", "Tokyo reception")],
    "prod": [("74951111111", "Reception")],
    "qa": [("74952222222", "QA")],
    "demo": [("74953333333", "Demo")],
}
# The pull request of the issue: in dev rename 3, delete 2, add 1; one change elsewhere in two.
PR_DEV = [
    ("74950000000", "Reception"),
    ("74950000001", "Sales"),
    ("74950000002", "Support"),
    ("74950000003", "Dev line 3"),
    ("74950000009", "New line"),
]
PR_OTHERS = {
    "dev-tokyo": [("81300000001", "Tokyo front desk")],
    "prod": [*STACKS["prod"], ("74951111112", "Sales")],
}


@dataclass
class Repository:
    """A user's repository with the project in it, and what GitHub would hold for it."""

    project: PulumiProject
    sandbox: Sandbox
    gh_state: Path
    base: str

    @property
    def root(self) -> Path:
        return self.project.root

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=self.root, capture_output=True, text=True, check=True
        ).stdout.strip()

    def write(self, stack: str, lines: list[tuple[str, str]]) -> None:
        data = stack_file(self.sandbox, *lines)
        (self.root / "stacks" / f"{stack}.yaml").write_text(json.dumps(data))

    def open_pull_request(self) -> None:
        """The issue's pull request: in dev rename 3, delete 2, add 1; two more stacks touched."""
        self.write("dev", PR_DEV)
        for stack, lines in PR_OTHERS.items():
            self.write(stack, lines)
        self.commit("rename 3, delete 2, add 1 in dev; one change each in dev-tokyo and prod")

    def commit(self, message: str) -> str:
        self.git("add", "-A")
        self.git("commit", "-qm", message)
        return self.git("rev-parse", "HEAD")

    def shell(self, label: str, script: str, env: dict[str, str]):
        """A script in one bash, as both runners run it: stop at the first failure."""
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
            cwd=self.root,
            env={**self.project.env, **env},
            capture_output=True,
            text=True,
            check=False,
        )
        self.project.transcript.append(f"$ {label}\n{result.stdout}\n{result.stderr}")
        return result

    def github(self) -> dict:
        return json.loads(self.gh_state.read_text())

    def step(self, job: str, step_id: str, env: dict[str, str], check: bool = True):
        """Run one step's script as the runner does: bash -eo pipefail, the job's and the
        step's env. Plain values come from the workflow itself; those the runner computes
        (`${{ }}`: secrets, the matrix) are given by the test, names checked."""
        step = github_step(job, step_id)
        script = step["run"]
        assert expressions(script) == [], "scripts read env, not ${{ }}: the test runs them"
        declared = {**load(GITHUB)["jobs"][job].get("env", {}), **step.get("env", {})}
        plain = {name: str(value) for name, value in declared.items()}
        plain = {name: value for name, value in plain.items() if not expressions(value)}
        computed = set(declared) - set(plain)
        assert computed <= set(env), f"{job}.{step_id} needs {sorted(computed - set(env))}"
        result = self.shell(f"{job}.{step_id}", script, {**plain, **env})
        if check:
            assert result.returncode == 0, f"{job}.{step_id}:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def repository(tmp_path: Path, sandbox: Sandbox) -> Iterator[Repository]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    gh = bin_dir / "gh"
    gh.write_text(f'#!/bin/sh\nexec {REPO / ".venv" / "bin" / "python"} {FAKE_GH} "$@"\n')
    gh.chmod(gh.stat().st_mode | stat.S_IXUSR)
    gh_state = tmp_path / "github.json"
    gh_state.write_text("{}")
    tokens = sandbox.issue_tokens(CLIENT_ID)
    env = {
        # Not secret, so in the repository's config in real life (Pulumi.<stack>.yaml)
        "BITRIX24_CLIENT_ID": CLIENT_ID,
        "BITRIX24_OAUTH_SERVER": sandbox.url,
        "FAKE_GH_STATE": str(gh_state),
        "GITHUB_REPOSITORY": "acme/lines",
    }
    project = PulumiProject.create(tmp_path / "repo", "dev", env)
    project.env["PATH"] = f"{bin_dir}{os.pathsep}{project.env['PATH']}"
    del project.env["BITRIX24_TOKEN_STORE"]  # as on a fresh runner: scripts/env.sh picks one
    for name in ("scripts", "requirements.txt"):
        (project.root / name).symlink_to(REPO / name)
    (project.root / ".gitignore").write_text(".pulumi*\n.cache/\nplan/\nPulumi.*.yaml\n")
    repo = Repository(project, sandbox, gh_state, "")
    for stack, lines in STACKS.items():
        repo.write(stack, lines)
    repo.git("init", "-q", "-b", "main")
    repo.git("config", "user.email", "ci@example.com")
    repo.git("config", "user.name", "CI")
    repo.base = repo.commit("five portals")
    # The portals as they are before the pull request: every stack up to date.
    credentials = {
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_REFRESH_TOKEN": tokens["refresh_token"],
        "BITRIX24_TOKEN_STORE": str(tmp_path / "admin-tokens"),
    }
    for stack in STACKS:
        project.stack = stack
        project.run("stack", "select", "--create", stack)
        project.run("up", "--yes", "--skip-preview", env=credentials)
    current = subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "provider", "auth", "--print-refresh-token"],
        cwd=project.root,
        env={**project.env, **credentials},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    state = repo.github()
    state["secrets"] = {f"{stack}/BITRIX24_REFRESH_TOKEN": current for stack in STACKS}
    gh_state.write_text(json.dumps(state))
    yield repo


def stacks_to_run(repo: Repository, event: str, base: str) -> list[str]:
    output = repo.root / "github-output"
    output.write_text("")
    repo.step("stacks", "changed", {"BASE": base, "EVENT": event, "GITHUB_OUTPUT": str(output)})
    (line,) = output.read_text().splitlines()
    assert line.startswith("stacks=")
    return json.loads(line.removeprefix("stacks="))


def preview(repo: Repository, stack: str) -> str:
    """The preview job for one stack, its steps in order; the job summary it wrote."""
    summary = repo.root / f"summary-{stack}.md"
    summary.write_text("")
    env = {"STACK": stack, "GITHUB_STEP_SUMMARY": str(summary), "GH_TOKEN": "t", "PR": PR}
    assert not {name for name in env if name.startswith("BITRIX24_")}
    for step_id in ("setup", "validate", "preview", "comment", "post"):
        repo.step("preview", step_id, env)
    return summary.read_text()


def comments(repo: Repository) -> dict[str, str]:
    """The pull request's comments by their first line, the marker."""
    return {c["body"].splitlines()[0]: c["body"] for c in repo.github().get("comments", [])}


def test_the_preview_job_has_no_bitrix24_secret():
    jobs = load(GITHUB)["jobs"]
    assert "environment" not in jobs["preview"]
    names = set(jobs["preview"].get("env", {}))
    for step in jobs["preview"]["steps"]:
        names |= set(step.get("env", {}))
    assert not {name for name in names if name.startswith("BITRIX24_")}
    assert not [s for s in jobs["preview"]["steps"] if "secrets." in json.dumps(s)]


def test_the_state_backend_url_is_a_secret():
    """A postgres:// URL holds the database password: the workflow reads it from a secret,
    which GitHub masks in logs (`pulumi whoami -v` prints the URL as given)."""
    assert load(GITHUB)["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_BACKEND_URL }}"
    assert "PULUMI_BACKEND_URL" not in json.dumps(load(GITHUB)["jobs"])  # nothing overrides it


def test_a_pull_request_previews_and_comments_only_the_stacks_it_touches(repository):
    repo = repository
    repo.open_pull_request()

    matrix = stacks_to_run(repo, "pull_request", repo.base)
    assert matrix == ["dev", "dev-tokyo", "prod"]
    summaries = {stack: preview(repo, stack) for stack in matrix}

    posted = comments(repo)
    assert sorted(posted) == [f"<!-- bitrix24-lines:stack={s} -->" for s in matrix]
    dev = posted["<!-- bitrix24-lines:stack=dev -->"]
    assert summaries["dev"] == dev  # the job summary shows the same comment
    assert rows(dev) == [
        ["delete", "`74950000004`", "Dev line 4", "yes"],
        ["delete", "`74950000005`", "Dev line 5", "yes"],
        ["add", "`74950000009`", "New line", "yes"],
        ["rename", "`74950000000`", "Dev line 0 → Reception", "yes"],
        ["rename", "`74950000001`", "Dev line 1 → Sales", "yes"],
        ["rename", "`74950000002`", "Dev line 2 → Support", "yes"],
    ]
    assert "**+1 added, ~3 changed, -2 deleted, 1 unchanged**" in dev
    assert "> **This plan deletes 2 lines**" in dev
    assert rows(posted["<!-- bitrix24-lines:stack=dev-tokyo -->"]) == [
        ["rename", "`81300000001`", "Tokyo reception → Tokyo front desk", "yes"]
    ]

    # Merged: the push runs up for the same stacks, and writes the rotated token back.
    assert stacks_to_run(repo, "push", repo.base) == matrix
    spent = repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"]
    credentials = {
        "STACK": "dev",
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_REFRESH_TOKEN": spent,
        "GH_TOKEN": "t",
    }
    repo.step("up", "setup", credentials)
    repo.step("up", "up", credentials)
    repo.step("up", "write-back", credentials)
    held = portal_lines(repo.sandbox)
    assert {n: held[n]["NAME"] for n, _ in PR_DEV} == dict(PR_DEV)
    assert not {"74950000004", "74950000005"} & set(held)
    assert repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"] != spent  # rotated, kept

    # The next push to the pull request edits the same comment: it now says no changes.
    preview(repo, "dev")
    posted = comments(repo)
    assert len(repo.github()["comments"]) == 3  # edited, not posted again
    assert "**No changes, 5 unchanged**" in posted["<!-- bitrix24-lines:stack=dev -->"]
    assert rows(posted["<!-- bitrix24-lines:stack=dev-tokyo -->"]) != []  # not dev's to edit


def test_the_scheduled_drift_check_fails_and_reports_a_drifted_portal(repository):
    repo = repository
    assert stacks_to_run(repo, "schedule", "") == sorted(STACKS)
    summary = repo.root / "summary.md"
    env = {
        "STACK": "prod",
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_REFRESH_TOKEN": repo.github()["secrets"]["prod/BITRIX24_REFRESH_TOKEN"],
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_TOKEN": "t",
    }
    repo.step("drift", "setup", env)
    summary.write_text("")
    repo.step("drift", "drift", env)
    assert "**No changes, 1 unchanged**" in summary.read_text()
    repo.step("drift", "write-back", env)

    repo.sandbox.rename_line(CLIENT_ID, "74951111111", "Renamed by hand")
    env["BITRIX24_REFRESH_TOKEN"] = repo.github()["secrets"]["prod/BITRIX24_REFRESH_TOKEN"]
    summary.write_text("")
    drifted = repo.step("drift", "drift", env, check=False)
    assert drifted.returncode != 0
    assert "::error title=prod drifted::" in drifted.stdout
    assert rows(summary.read_text()) == [
        ["rename", "`74951111111`", "Renamed by hand → Reception", "yes"]
    ]
    repo.step("drift", "write-back", env)


# GitLab: the same flow through ci/gitlab, its job scripts run as the runner runs them.
INSTALLER = ("get.pulumi.com", "$HOME/.pulumi/bin")  # the test's CLI is on PATH already


def gitlab_job(name: str) -> dict:
    """A hidden job of the jobs file with its `extends` chain merged, as GitLab does."""
    jobs = load(GITLAB_JOBS)
    job = dict(jobs[name])
    parent = job.pop("extends", None)
    if parent:
        base = gitlab_job(parent)
        variables = {**base.get("variables", {}), **job.get("variables", {})}
        job = {**base, **job, "variables": variables}
    return job


def run_gitlab(repo: Repository, name: str, env: dict[str, str], part: str = "script"):
    """One job's before_script and script (or its after_script) in one shell, set -eo pipefail."""
    job = gitlab_job(name)
    lines = [*job.get("before_script", []), *job["script"]] if part == "script" else job[part]
    lines = [line for line in lines if not any(skip in line for skip in INSTALLER)]
    return repo.shell(f"{name} {part}", "\n".join(lines), {**job.get("variables", {}), **env})


def child_pipeline(repo: Repository, source: str, base: str) -> dict:
    """The stacks job's script: the child pipeline it writes, checked by GitLab's schema."""
    script = "\n".join(load(GITLAB)["bitrix24-lines-stacks"]["script"])
    env = {"CI_PIPELINE_SOURCE": source, "CI_MERGE_REQUEST_DIFF_BASE_SHA": base}
    env["CI_COMMIT_BEFORE_SHA"] = base
    result = repo.shell(f"bitrix24-lines-stacks ({source})", script, env)
    assert result.returncode == 0, result.stdout + result.stderr
    path = repo.root / "bitrix24-lines-pipeline.yml"
    linted = lint("gitlab", path)
    assert linted.returncode == 0, linted.stdout
    pipeline = load(path)
    assert pipeline.pop("include") == [{"local": "ci/gitlab/bitrix24-lines-jobs.yml"}]
    return pipeline


def test_gitlab_merge_request_merge_and_schedule(repository):
    repo = repository
    repo.open_pull_request()
    children = child_pipeline(repo, "merge_request_event", repo.base)
    assert children == {
        f"preview {stack}": {"extends": ".bitrix24-lines-preview", "variables": {"STACK": stack}}
        for stack in ("dev", "dev-tokyo", "prod")
    }
    spent = repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"]
    with FakeGitLab({"notes": "notes-token", "variables": "api-token"}) as gitlab:
        mr = {
            "CI_API_V4_URL": gitlab.api,
            "CI_PROJECT_ID": "7",
            "MR_IID": "3",
            "GITLAB_NOTES_TOKEN": "notes-token",
        }
        for stack in ("dev", "dev-tokyo"):
            job = run_gitlab(repo, ".bitrix24-lines-preview", {**mr, "STACK": stack})
            assert job.returncode == 0, job.stdout + job.stderr
        dev, tokyo = (note["body"] for note in gitlab.notes)
        assert tokyo.startswith("<!-- bitrix24-lines:stack=dev-tokyo -->\n")
        assert dev.startswith("<!-- bitrix24-lines:stack=dev -->\n")
        assert len(rows(dev)) == 6 and rows(dev)[0] == [
            "delete",
            "`74950000004`",
            "Dev line 4",
            "yes",
        ]

        assert child_pipeline(repo, "push", repo.base) == {
            f"up {stack}": {"extends": ".bitrix24-lines-up", "variables": {"STACK": stack}}
            for stack in ("dev", "dev-tokyo", "prod")
        }
        deploy = {
            "CI_API_V4_URL": gitlab.api,
            "CI_PROJECT_ID": "7",
            "STACK": "dev",
            "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
            "BITRIX24_REFRESH_TOKEN": spent,
            "GITLAB_API_TOKEN": "api-token",
        }
        assert run_gitlab(repo, ".bitrix24-lines-up", deploy).returncode == 0
        assert run_gitlab(repo, ".bitrix24-lines-up", deploy, "after_script").returncode == 0
        rotated = gitlab.variables["dev/BITRIX24_REFRESH_TOKEN"]
        assert rotated != spent
        assert {n: portal_lines(repo.sandbox)[n]["NAME"] for n, _ in PR_DEV} == dict(PR_DEV)

        job = run_gitlab(repo, ".bitrix24-lines-preview", {**mr, "STACK": "dev"})
        assert job.returncode == 0, job.stdout + job.stderr
        assert len(gitlab.notes) == 2  # edited in place
        assert "**No changes, 5 unchanged**" in gitlab.notes[0]["body"]

        assert sorted(child_pipeline(repo, "schedule", "")) == [
            f"drift {s}" for s in sorted(STACKS)
        ]
        drift = {
            **deploy,
            "BITRIX24_REFRESH_TOKEN": rotated,
            "BITRIX24_TOKEN_STORE": str(repo.root / "fresh"),
        }
        job = run_gitlab(repo, ".bitrix24-lines-drift", drift)
        assert job.returncode == 0, job.stdout + job.stderr
        assert "**No changes, 5 unchanged**" in job.stdout
        repo.sandbox.rename_line(CLIENT_ID, "74950000001", "Renamed by hand")
        job = run_gitlab(repo, ".bitrix24-lines-drift", drift)
        assert job.returncode == 1
        assert rows(job.stdout) == [["rename", "`74950000001`", "Renamed by hand → Sales", "yes"]]
        assert "dev drifted from stacks/dev.yaml; pulumi up --refresh repairs it" in job.stdout


def test_a_broken_stack_file_fails_the_preview_job_and_comments_its_errors(repository):
    repo = repository
    (repo.root / "stacks" / "qa.yaml").write_text(f"portal: {repo.sandbox.url}\nlines: 3\n")
    repo.commit("break qa")
    assert stacks_to_run(repo, "pull_request", repo.base) == ["qa"]
    summary = repo.root / "summary.md"
    env = {"STACK": "qa", "GITHUB_STEP_SUMMARY": str(summary), "GH_TOKEN": "t", "PR": PR}
    repo.step("preview", "setup", env)
    validate = repo.step("preview", "validate", env, check=False)
    assert validate.returncode == 1
    error = "stacks/qa.yaml:2:8: lines: must be a list of entries, got 3 (an integer)."
    assert validate.stderr.startswith(error)
    assert repo.step("preview", "preview", env, check=False).returncode != 0  # the job fails
    repo.step("preview", "comment", env)
    repo.step("preview", "post", env)
    (comment,) = comments(repo).values()
    assert "### Bitrix24 lines: stack `qa`: preview failed" in comment
    assert f"```text\n{error}" in comment
    assert summary.read_text() == comment
