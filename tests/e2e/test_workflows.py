"""The GitHub workflow's own command lines, run against the sandbox with the real CLI.

Each step's `run:` script is taken from ci/github/workflows/bitrix24-lines.yml (not
retyped) and run the way the runner runs it, in a git repository holding a copy of
the project with five stack files, one per portal. GitHub itself is played by
tests/ci/fake_gh.py: a pull request's comments, the pull requests of a commit and the
environments' secrets. The state is a PostgreSQL database: the preview jobs reach it
through a role that may only read it, the up and drift jobs as its owner.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.ci.fake_gitlab import FakeGitLab
from tests.ci.workflows import GITHUB, GITLAB, GITLAB_JOBS, expressions, github_step, lint, load
from tests.e2e.backends import Backend
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, portal_lines, stack_file
from tests.e2e.conftest import comment_rows as rows
from tests.e2e.postgres import PostgresServer
from tests.e2e.pulumi_cli import REPO, PulumiProject

FAKE_GH = Path(__file__).parents[1] / "ci" / "fake_gh.py"
PR = "42"
PASSPHRASE = "e2e-test"  # PulumiProject's; a secret of the workflow in real life
_databases = itertools.count(1)
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

GUARDED = [(f"7495444444{i}", f"QA line {i}") for i in range(10)]  # the mass-delete guard's size


@dataclass
class Repository:
    """A user's repository with the project in it, and what GitHub would hold for it."""

    project: PulumiProject
    sandbox: Sandbox
    gh_state: Path
    base: str
    writer: str = field(repr=False)  # the state's URL as its owner: up and drift
    reader: str = field(repr=False)  # as a role that may only read it: the previews
    current_token: str = field(default="", repr=False)  # the chain's, after the setup's ups

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

    def merged(self, number: str) -> None:
        """GitHub's record that the commit now at HEAD came with pull request `number`."""
        state = self.github()
        merged = {"number": int(number), "merged_at": "2026-12-07T06:00:00Z"}
        state.setdefault("pulls", {})[self.git("rev-parse", "HEAD")] = [merged]
        state["pr"] = number
        self.gh_state.write_text(json.dumps(state))

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
        (`${{ }}`: secrets, the matrix) are given by the test, names checked. What the step
        adds to GITHUB_ENV is added to `env`, for the job's next steps."""
        step = github_step(job, step_id)
        script = step["run"]
        assert expressions(script) == [], "scripts read env, not ${{ }}: the test runs them"
        declared = {**load(GITHUB)["jobs"][job].get("env", {}), **step.get("env", {})}
        plain = {name: str(value) for name, value in declared.items()}
        plain = {name: value for name, value in plain.items() if not expressions(value)}
        computed = set(declared) - set(plain)
        assert computed <= set(env), f"{job}.{step_id} needs {sorted(computed - set(env))}"
        github_env = self.root / "github-env"
        github_env.write_text("")
        result = self.shell(
            f"{job}.{step_id}", script, {**plain, **env, "GITHUB_ENV": str(github_env)}
        )
        env.update(line.split("=", 1) for line in github_env.read_text().splitlines())
        if check:
            assert result.returncode == 0, f"{job}.{step_id}:\n{result.stdout}\n{result.stderr}"
        return result


@pytest.fixture
def repository(
    tmp_path: Path, sandbox: Sandbox, postgres_server: PostgresServer
) -> Iterator[Repository]:
    backend = Backend.postgres(postgres_server, f"workflows{next(_databases)}")
    assert backend.server is not None
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
    project = PulumiProject.create(tmp_path / "repo", "dev", env, backend=backend.url)
    project.env["PATH"] = f"{bin_dir}{os.pathsep}{project.env['PATH']}"
    # As on a fresh runner: the workflow gives the backend and passphrase, scripts/env.sh
    # picks a token store.
    for name in ("BITRIX24_TOKEN_STORE", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"):
        del project.env[name]
    for name in ("scripts", "requirements.txt"):
        (project.root / name).symlink_to(REPO / name)
    (project.root / ".gitignore").write_text(
        ".pulumi*\n.cache/\nplan/\nup/\ncomments/\nPulumi.*.yaml\ngithub-*\nsummary*\n"
    )
    reader = backend.server.reader(backend.database, backend.url)
    repo = Repository(project, sandbox, gh_state, "", backend.url, reader)
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
        "PULUMI_BACKEND_URL": backend.url,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    }
    for stack in STACKS:
        project.stack = stack
        project.run("stack", "select", "--create", stack, env=credentials)
        project.run("up", "--yes", "--skip-preview", env=credentials)
    repo.current_token = newest_token(repo, credentials)
    state = repo.github()
    state["secrets"] = {f"{stack}/BITRIX24_REFRESH_TOKEN": repo.current_token for stack in STACKS}
    gh_state.write_text(json.dumps(state))
    yield repo


def newest_token(repo: Repository, env: dict[str, str]) -> str:
    """What `auth --print-refresh-token` prints with `env`: the chain's newest token."""
    return subprocess.run(
        [str(REPO / ".venv" / "bin" / "python"), "-m", "provider", "auth", "--print-refresh-token"],
        cwd=repo.root,
        env={**repo.project.env, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


def lanes_to_run(repo: Repository, event: str, base: str) -> list[list[dict[str, str]]]:
    """The stacks job: the lanes of each matrix job (two chunks of up to 256)."""
    output = repo.root / "github-output"
    output.write_text("")
    repo.step("stacks", "changed", {"BASE": base, "EVENT": event, "GITHUB_OUTPUT": str(output)})
    (line,) = output.read_text().splitlines()
    assert line.startswith("lanes=")
    return json.loads(line.removeprefix("lanes="))


def chains(chunks: list[list[dict[str, str]]]) -> list[str]:
    return [lane["chain"] for chunk in chunks for lane in chunk]


def preview(repo: Repository, lane: dict[str, str], job: str = "preview") -> str:
    """The preview job for one lane, its steps in order; the job summary it wrote. It gets
    the read-only state and no Bitrix24 setting at all."""
    summary = repo.root / f"summary-{lane['chain']}.md"
    summary.write_text("")
    env = {
        "STACKS": lane["stacks"],
        "PR": PR,
        "PULUMI_BACKEND_URL": repo.reader,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_TOKEN": "t",
    }
    for step_id in ("setup", "preview", "post"):
        repo.step(job, step_id, env)
    return summary.read_text()


def up(repo: Repository, lane: dict[str, str], check: bool = True, **extra: str) -> dict:
    """The up job of a lane on a push, its steps in order, from the token GitHub holds for
    the lane's environment; each step's result by id, and the job summary."""
    summary = repo.root / f"summary-up-{lane['chain']}.md"
    summary.write_text("")
    env = {
        "STACKS": lane["stacks"],
        "CHAIN": lane["chain"],
        "PULUMI_BACKEND_URL": repo.writer,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
        "BITRIX24_REFRESH_TOKEN": repo.github()["secrets"][
            f"{lane['chain']}/BITRIX24_REFRESH_TOKEN"
        ],
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SHA": repo.git("rev-parse", "HEAD"),
        "GH_TOKEN": "t",
        **extra,
    }
    done = {"up": repo.step("up", "setup", env)}
    done["up"] = repo.step("up", "up", env, check=check)
    for step_id in ("pull-request", "post", "write-back"):
        done[step_id] = repo.step("up", step_id, env, check=check or step_id != "write-back")
    done["summary"] = summary.read_text()
    return done


def comments(repo: Repository) -> dict[str, str]:
    """The pull request's comments by their first line, the marker."""
    return {c["body"].splitlines()[0]: c["body"] for c in repo.github().get("comments", [])}


def lane_of(chunks: list[list[dict[str, str]]], chain: str) -> dict[str, str]:
    (lane,) = [lane for chunk in chunks for lane in chunk if lane["chain"] == chain]
    return lane


def test_each_job_holds_only_what_it_needs():
    """The preview job: the read-only state, the passphrase, the workflow's own token; no
    environment, so no Bitrix24 secret and no writable state. The up and drift jobs: the
    lane's environment, which the repository limits to the default branch."""
    jobs = load(GITHUB)["jobs"]
    assert "PULUMI_BACKEND_URL" not in json.dumps(load(GITHUB).get("env", {}))
    for name in ("preview", "preview-2"):
        job = jobs[name]
        assert "environment" not in job
        names = {*job["env"], *(n for step in job["steps"] for n in step.get("env", {}))}
        assert not {n for n in names if n.startswith("BITRIX24_")}
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_READER_BACKEND_URL }}"
        secrets = {s for s in json.dumps(job).split("secrets.")[1:]}
        assert {s.split(" ")[0] for s in secrets} == {
            "PULUMI_READER_BACKEND_URL",
            "PULUMI_CONFIG_PASSPHRASE",
        }
    for name in ("up", "up-2", "drift", "drift-2"):
        job = jobs[name]
        assert job["environment"] == "${{ matrix.lane.chain }}"
        assert job["env"]["PULUMI_BACKEND_URL"] == "${{ secrets.PULUMI_BACKEND_URL }}"
        assert job["concurrency"]["group"] == "bitrix24-lines-${{ matrix.lane.chain }}"
    # The -2 jobs are the first ones on the second chunk of lanes, and nothing else.
    for name in ("preview", "up", "drift"):
        first, second = jobs[name], jobs[f"{name}-2"]
        assert (
            second["strategy"]["matrix"]["lane"].replace("[1]", "[0]")
            == (first["strategy"]["matrix"]["lane"])
        )
        assert {k: v for k, v in second.items() if k not in ("if", "strategy")} == {
            k: v for k, v in first.items() if k not in ("if", "strategy")
        }


def test_a_pull_request_previews_and_comments_only_the_stacks_it_touches(repository):
    repo = repository
    repo.open_pull_request()

    lanes = lanes_to_run(repo, "pull_request", repo.base)
    assert lanes == [
        [{"chain": stack, "stacks": stack} for stack in ("dev", "dev-tokyo", "prod")],
        [],
    ]
    summaries = {lane["chain"]: preview(repo, lane) for lane in lanes[0]}

    posted = comments(repo)
    assert sorted(posted) == [f"<!-- bitrix24-lines:stack={s} -->" for s in chains(lanes)]
    dev = posted["<!-- bitrix24-lines:stack=dev -->"]
    assert summaries["dev"] == dev  # the job summary shows the same comment
    plan_rows = [
        ["delete", "`74950000004`", "Dev line 4", "yes"],
        ["delete", "`74950000005`", "Dev line 5", "yes"],
        ["add", "`74950000009`", "New line", "yes"],
        ["rename", "`74950000000`", "Dev line 0 → Reception", "yes"],
        ["rename", "`74950000001`", "Dev line 1 → Sales", "yes"],
        ["rename", "`74950000002`", "Dev line 2 → Support", "yes"],
    ]
    assert rows(dev) == plan_rows
    assert "**+1 added, ~3 changed, -2 deleted, 1 unchanged**" in dev
    assert "> **This plan deletes 2 lines**" in dev
    assert rows(posted["<!-- bitrix24-lines:stack=dev-tokyo -->"]) == [
        ["rename", "`81300000001`", "Tokyo reception → Tokyo front desk", "yes"]
    ]

    # Merged: the push runs up for the same stacks, reports to the pull request, and writes
    # the rotated token back. Meanwhile someone renamed a line by hand: the up writes the
    # stack file's name back, and the report says so.
    repo.merged(PR)
    assert lanes_to_run(repo, "push", repo.base) == lanes
    repo.sandbox.rename_line(CLIENT_ID, "74950000003", "Renamed by hand")
    spent = repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"]
    done = up(repo, lane_of(lanes, "dev"))
    held = portal_lines(repo.sandbox)
    assert {n: held[n]["NAME"] for n, _ in PR_DEV} == dict(PR_DEV)
    assert not {"74950000004", "74950000005"} & set(held)
    assert repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"] != spent  # rotated, kept

    report = comments(repo)["<!-- bitrix24-lines:applied=dev -->"]
    assert report == done["summary"]
    assert report.splitlines()[2] == (
        f"### Bitrix24 lines: stack `dev` on {repo.sandbox.url}: applied"
    )
    assert rows(report) == [
        *plan_rows,
        ["rename (drift written back)", "`74950000003`", "Renamed by hand → Dev line 3", "yes"],
    ]
    assert "**Applied: +1 added, ~4 changed, -2 deleted, 0 unchanged**" in report
    assert "**1 line had drifted** on the portal" in report
    for secret in (CLIENT_SECRET, spent, repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"]):
        assert secret not in json.dumps(repo.github()["comments"])

    # A later run of the same stack edits its report, and never the plan comment.
    up(repo, lane_of(lanes, "dev"))
    assert len(repo.github()["comments"]) == 4
    assert (
        "**Applied: No changes, 5 unchanged**"
        in comments(repo)["<!-- bitrix24-lines:applied=dev -->"]
    )
    assert rows(comments(repo)["<!-- bitrix24-lines:stack=dev -->"]) == plan_rows


def test_a_refused_up_reports_its_message_and_a_direct_push_only_its_summary(repository):
    repo = repository
    repo.write("qa", GUARDED)
    repo.commit("qa: ten lines, pushed straight to main")
    lane = lane_of(lanes_to_run(repo, "push", repo.base), "qa")
    done = up(repo, lane)
    assert "no pull request: the job summary holds the report" in done["post"].stdout
    assert "comments" not in repo.github() or repo.github()["comments"] == []
    assert "**Applied: +10 added, ~0 changed, -1 deleted, 0 unchanged**" in done["summary"]

    base = repo.git("rev-parse", "HEAD")
    repo.write("qa", GUARDED[:5])
    repo.commit("qa: drop five lines")
    repo.merged(PR)
    done = up(repo, lane_of(lanes_to_run(repo, "push", base), "qa"), check=False)
    assert done["up"].returncode != 0
    (report,) = repo.github()["comments"]
    body = report["body"]
    assert body.startswith("<!-- bitrix24-lines:applied=qa -->\n")
    assert "stack `qa`" in body and ": `pulumi up` stopped" in body
    (message,) = re.findall(r"```text\n(.*?)\n```", body, re.S)
    assert "5 of 10 lines (50 %) would be deleted" in message
    assert "Fix: if this is intended, set allow_deletes: 5 in stacks/qa.yaml" in message
    assert message.count("\n") == 0, message  # one message, not the engine's echoes of it
    assert rows(body) == []  # nothing was applied
    assert {number for number, _ in GUARDED} <= set(portal_lines(repo.sandbox))


def test_the_scheduled_drift_check_fails_and_reports_a_drifted_portal(repository):
    repo = repository
    lanes = lanes_to_run(repo, "schedule", "")
    assert chains(lanes) == sorted(STACKS)
    summary = repo.root / "summary.md"
    env = {
        "STACKS": "prod",
        "CHAIN": "prod",
        "PULUMI_BACKEND_URL": repo.writer,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
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


def test_stacks_sharing_a_token_chain_run_in_one_lane_and_would_spend_it_twice_apart(
    repository,
):
    """dev and prod name one application in their committed config: one refresh token.
    Their lane runs both in one job, one after the other, from one secret, and writes the
    chain's newest token back once. Two jobs started from that secret at once, each on a
    runner of its own (per-stack lanes, as before), spend it twice: the second is locked
    out, and nothing keeps its rotated token."""
    repo = repository
    admin = {"PULUMI_BACKEND_URL": repo.writer, "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE}
    for stack in ("dev", "prod"):
        for key, value in (("clientId", CLIENT_ID), ("oauthServer", repo.sandbox.url)):
            repo.project.run("config", "set", "--stack", stack, f"bitrix24:{key}", value, env=admin)
    lanes = lanes_to_run(repo, "schedule", "")
    assert chains(lanes) == ["demo", "dev-tokyo", CLIENT_ID, "qa"]
    shared = lane_of(lanes, CLIENT_ID)
    assert shared["stacks"] == "dev prod"
    token = repo.current_token
    state = repo.github()
    state["secrets"][f"{CLIENT_ID}/BITRIX24_REFRESH_TOKEN"] = token
    repo.gh_state.write_text(json.dumps(state))

    # Apart, as two jobs: both start from the same token on fresh runners.
    apart = {
        stack: up(
            repo,
            {"chain": CLIENT_ID, "stacks": stack},
            check=False,
            BITRIX24_TOKEN_STORE=str(repo.root / f".runner-{stack}"),
            BITRIX24_REFRESH_TOKEN=token,
        )
        for stack in ("dev", "prod")
    }
    assert apart["dev"]["up"].returncode == 0
    assert apart["prod"]["up"].returncode != 0
    assert "the refresh token is spent or expired" in apart["prod"]["summary"]
    # The first job kept its rotated token; the second's write-back then put the spent one
    # back over it, so the next run of either stack would be locked out too.
    runner = {"BITRIX24_CLIENT_SECRET": CLIENT_SECRET, "BITRIX24_REFRESH_TOKEN": token}
    newest = newest_token(repo, {**runner, "BITRIX24_TOKEN_STORE": str(repo.root / ".runner-dev")})
    assert newest != token
    assert repo.github()["secrets"][f"{CLIENT_ID}/BITRIX24_REFRESH_TOKEN"] == token

    # In one lane: both pass from the one secret the chain's environment holds (re-seeded
    # with the newest token, as an administrator would after the lock-out).
    state = repo.github()
    state["secrets"][f"{CLIENT_ID}/BITRIX24_REFRESH_TOKEN"] = newest
    repo.gh_state.write_text(json.dumps(state))
    repo.sandbox.rename_line(CLIENT_ID, "74951111111", "Renamed by hand")
    done = up(repo, shared, BITRIX24_TOKEN_STORE=str(repo.root / ".runner-lane"))
    assert done["up"].returncode == 0, done["summary"]
    assert "stack `dev`" in done["summary"] and "stack `prod`" in done["summary"]
    assert portal_lines(repo.sandbox)["74951111111"]["NAME"] == "Reception"
    kept = repo.github()["secrets"][f"{CLIENT_ID}/BITRIX24_REFRESH_TOKEN"]
    assert kept not in (token, newest)  # rotated once by the lane, and kept
    lane_store = {"BITRIX24_TOKEN_STORE": str(repo.root / ".runner-lane")}
    assert newest_token(repo, {**runner, "BITRIX24_REFRESH_TOKEN": newest, **lane_store}) == kept


def test_300_stacks_fan_out_in_two_matrix_jobs(repository):
    """GitHub starts at most 256 jobs from one matrix: 300 stacks (each its own chain) fill
    the first job's matrix and 44 of the second's; a lane of the second previews and
    comments like any other. Its stack is not in the state yet, which the read-only preview
    cannot create: it previews from an empty local state."""
    repo = repository
    for i in range(295):
        repo.write(f"portal-{i:03}", [(f"7812{i:07}", f"Portal {i} reception")])
    repo.commit("295 more portals")
    lanes = lanes_to_run(repo, "schedule", "")  # every stack, as a program change
    assert [len(chunk) for chunk in lanes] == [256, 44]
    assert sorted(chains(lanes)) == sorted([*STACKS, *(f"portal-{i:03}" for i in range(295))])
    last = lanes[1][-1]
    assert last == {"chain": "qa", "stacks": "qa"}
    late = lane_of(lanes, "portal-294")
    assert late in lanes[1]
    preview(repo, late, job="preview-2")
    (comment,) = comments(repo).values()
    assert rows(comment) == [["add", "`78120000294`", "Portal 294 reception", "yes"]]
    assert "**+1 added, ~0 changed, -0 deleted, 0 unchanged**" in comment
    with FakeGitLab({"notes": "n", "variables": "v"}):
        children = child_pipeline(repo, "schedule", "")
    assert len(children) == 300
    assert children["drift portal-294"] == {
        "extends": ".bitrix24-lines-drift",
        "variables": {"CHAIN": "portal-294", "STACKS": "portal-294"},
    }


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
    """One job's before_script and script (or its after_script) in one shell, set -eo pipefail.
    A variable the job maps from another (`$PULUMI_READER_BACKEND_URL`) is expanded, as
    GitLab does."""
    job = gitlab_job(name)
    lines = [*job.get("before_script", []), *job["script"]] if part == "script" else job[part]
    lines = [line for line in lines if not any(skip in line for skip in INSTALLER)]
    variables = {
        key: env.get(value[1:], "") if str(value).startswith("$") else str(value)
        for key, value in job.get("variables", {}).items()
    }
    return repo.shell(f"{name} {part}", "\n".join(lines), {**variables, **env})


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
        f"preview {stack}": {
            "extends": ".bitrix24-lines-preview",
            "variables": {"CHAIN": stack, "STACKS": stack},
        }
        for stack in ("dev", "dev-tokyo", "prod")
    }
    spent = repo.github()["secrets"]["dev/BITRIX24_REFRESH_TOKEN"]
    with FakeGitLab({"notes": "notes-token", "variables": "api-token"}) as gitlab:
        mr = {
            "CI_API_V4_URL": gitlab.api,
            "CI_PROJECT_ID": "7",
            "MR_IID": "3",
            "GITLAB_NOTES_TOKEN": "notes-token",
            "PULUMI_READER_BACKEND_URL": repo.reader,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        }
        for stack in ("dev", "dev-tokyo"):
            job = run_gitlab(repo, ".bitrix24-lines-preview", {**mr, "STACKS": stack})
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
            f"up {stack}": {
                "extends": ".bitrix24-lines-up",
                "variables": {"CHAIN": stack, "STACKS": stack},
            }
            for stack in ("dev", "dev-tokyo", "prod")
        }
        gitlab.merge_requests[repo.git("rev-parse", "HEAD")] = [
            {"iid": 2, "state": "closed"},
            {"iid": 3, "state": "merged"},
        ]
        deploy = {
            "CI_API_V4_URL": gitlab.api,
            "CI_PROJECT_ID": "7",
            "CI_COMMIT_SHA": repo.git("rev-parse", "HEAD"),
            "MR_IID": "",  # a push: the parent pipeline had no merge request
            "STACKS": "dev",
            "CHAIN": "dev",
            "PULUMI_WRITER_BACKEND_URL": repo.writer,
            "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
            "BITRIX24_CLIENT_SECRET": CLIENT_SECRET,
            "BITRIX24_REFRESH_TOKEN": spent,
            "GITLAB_API_TOKEN": "api-token",
            "GITLAB_NOTES_TOKEN": "notes-token",
        }
        job = run_gitlab(repo, ".bitrix24-lines-up", deploy)
        assert job.returncode == 0, job.stdout + job.stderr
        assert run_gitlab(repo, ".bitrix24-lines-up", deploy, "after_script").returncode == 0
        rotated = gitlab.variables["dev/BITRIX24_REFRESH_TOKEN"]
        assert rotated != spent
        assert {n: portal_lines(repo.sandbox)[n]["NAME"] for n, _ in PR_DEV} == dict(PR_DEV)
        report = gitlab.notes[2]["body"]
        assert report.startswith("<!-- bitrix24-lines:applied=dev -->\n")
        assert rows(report) == rows(dev)
        assert "**Applied: +1 added, ~3 changed, -2 deleted, 1 unchanged**" in report

        job = run_gitlab(repo, ".bitrix24-lines-preview", {**mr, "STACKS": "dev"})
        assert job.returncode == 0, job.stdout + job.stderr
        assert len(gitlab.notes) == 3  # edited in place
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
        assert "dev drifted from stacks/dev.yaml; pulumi up --refresh --stack dev repairs it" in (
            job.stdout
        )


def test_a_broken_stack_file_fails_the_preview_job_and_comments_its_errors(repository):
    repo = repository
    (repo.root / "stacks" / "qa.yaml").write_text(f"portal: {repo.sandbox.url}\nlines: 3\n")
    repo.commit("break qa")
    lanes = lanes_to_run(repo, "pull_request", repo.base)
    assert chains(lanes) == ["qa"]
    summary = repo.root / "summary.md"
    env = {
        "STACKS": "qa",
        "PR": PR,
        "PULUMI_BACKEND_URL": repo.reader,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GH_TOKEN": "t",
    }
    repo.step("preview", "setup", env)
    failed = repo.step("preview", "preview", env, check=False)
    assert failed.returncode == 1  # the job fails
    error = "stacks/qa.yaml:2:8: lines: must be a list of entries, got 3 (an integer)."
    assert failed.stderr.startswith(error)
    repo.step("preview", "post", env)
    (comment,) = comments(repo).values()
    assert "### Bitrix24 lines: stack `qa`: preview failed" in comment
    assert f"```text\n{error}" in comment
    assert summary.read_text() == comment
