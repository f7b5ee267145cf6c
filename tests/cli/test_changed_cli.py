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
