"""`python -m provider changed` in a real git repository, as a CI job runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def changed(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provider", "changed", *args],
        cwd=root,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, str]:
    """Four stacks, a program and the first commit."""
    (tmp_path / "stacks").mkdir()
    (tmp_path / "provider").mkdir()
    for name in ("a", "b", "c", "dev-tokyo"):
        (tmp_path / "stacks" / f"{name}.yaml").write_text(f"# {name}\n")
    (tmp_path / "stacks" / "schema.json").write_text("{}")
    (tmp_path / "provider" / "lines.py").write_text("")
    (tmp_path / "README.md").write_text("")
    git(tmp_path, "init", "-q")
    git(
        tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "x", "--allow-empty"
    )
    git(tmp_path, "add", "-A")
    git(tmp_path, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "stacks")
    return tmp_path, git(tmp_path, "rev-parse", "HEAD")


def commit(root: Path) -> None:
    git(root, "add", "-A")
    git(root, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "change")


def test_only_the_touched_stacks_and_never_a_deleted_one(repo):
    root, base = repo
    (root / "stacks" / "a.yaml").write_text("# a, changed\n")
    (root / "stacks" / "b.yaml").unlink()
    (root / "Pulumi.dev-tokyo.yaml").write_text("config: {}\n")
    (root / "stacks" / "schema.json").write_text("{ }")
    (root / "README.md").write_text("docs")
    commit(root)
    result = changed(root, base, "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == ["a", "dev-tokyo"]
    assert changed(root, base).stdout == "a\ndev-tokyo\n"


def test_a_program_change_or_no_base_touches_every_stack(repo):
    root, base = repo
    assert changed(root, base).stdout == ""  # nothing changed yet
    assert changed(root).stdout == "a\nb\nc\ndev-tokyo\n"  # a schedule
    assert changed(root, "0" * 40).stdout == "a\nb\nc\ndev-tokyo\n"  # a branch's first push
    (root / "provider" / "lines.py").write_text("# changed")
    commit(root)
    assert changed(root, base).stdout == "a\nb\nc\ndev-tokyo\n"


def test_an_unknown_base_is_one_message(repo):
    root, _ = repo
    result = changed(root, "no-such-commit")
    assert result.returncode == 1
    assert result.stderr.startswith("changed: git could not compare no-such-commit with HEAD: ")
    assert "Traceback" not in result.stderr


def config(root: Path, stack: str, client_id: str, oauth: str | None = None) -> None:
    values = {"bitrix24:clientId": client_id, **({"bitrix24:oauthServer": oauth} if oauth else {})}
    (root / f"Pulumi.{stack}.yaml").write_text(json.dumps({"config": values}))


def test_stacks_sharing_a_token_chain_share_one_lane(repo):
    """One application (and OAuth server) has one refresh token: its stacks run in one job,
    one after another; a stack whose config names no application is a lane of its own."""
    root, _ = repo
    config(root, "a", "local.shared")
    config(root, "c", "local.shared", "https://oauth.bitrix.info/")  # the default, written out
    config(root, "dev-tokyo", "local.tokyo", "https://oauth.bitrix24.tech")
    result = changed(root, "", "--lanes", "1")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        [
            {"chain": "b", "stacks": "b"},
            {"chain": "local.shared", "stacks": "a c"},
            {"chain": "local.tokyo", "stacks": "dev-tokyo"},
        ]
    ]


def test_one_application_with_two_oauth_servers_is_one_message(repo):
    root, _ = repo
    config(root, "a", "local.shared")
    config(root, "b", "local.shared", "https://oauth.bitrix24.tech")
    result = changed(root, "", "--lanes", "1")
    assert result.returncode == 1
    assert result.stderr == (
        "changed: stacks a and b name the application local.shared with two OAuth servers "
        "(oauth.bitrix.info, oauth.bitrix24.tech), but one application has one. Fix: write the "
        "same bitrix24:oauthServer in Pulumi.a.yaml and Pulumi.b.yaml\n"
    )


def test_300_lanes_come_in_chunks_of_256_and_too_many_is_one_message(tmp_path: Path):
    """GitHub starts at most 256 jobs from one matrix: lane 257 goes to the second job."""
    (tmp_path / "stacks").mkdir()
    for i in range(300):
        (tmp_path / "stacks" / f"portal-{i:03}.yaml").write_text("")
    result = changed(tmp_path, "", "--lanes", "2")
    assert result.returncode == 0, result.stderr
    first, second = json.loads(result.stdout)
    assert (len(first), len(second)) == (256, 44)
    assert first[0] == {"chain": "portal-000", "stacks": "portal-000"}
    assert second[0] == {"chain": "portal-256", "stacks": "portal-256"}
    assert json.loads(changed(tmp_path, "", "--lanes", "3").stdout)[2] == []  # always 3 lists
    refused = changed(tmp_path, "", "--lanes", "1")
    assert refused.returncode == 1
    assert refused.stderr.startswith("changed: 300 lanes (token chains) do not fit 1 matrix job")
