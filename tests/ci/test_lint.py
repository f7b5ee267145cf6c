"""The workflow files pass the real linters, which do catch a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.ci.workflows import GITHUB, GITLAB, GITLAB_JOBS, gitlab_scripts, lint


@pytest.mark.parametrize(
    ("tool", "path"),
    [("actionlint", GITHUB), ("github", GITHUB), ("gitlab", GITLAB), ("gitlab", GITLAB_JOBS)],
)
def test_the_ci_files_pass_their_linters(tool: str, path: Path) -> None:
    result = lint(tool, path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("name", sorted(gitlab_scripts()))
def test_the_gitlab_scripts_pass_shellcheck(name: str, tmp_path: Path) -> None:
    """actionlint runs ShellCheck on the GitHub steps; GitLab's need it done by hand."""
    script = tmp_path / "script.sh"
    script.write_text(gitlab_scripts()[name])
    result = lint("shellcheck", script)
    assert result.returncode == 0, result.stdout
    script.write_text(gitlab_scripts()[name] + "echo $STACK\n")  # a broken copy is caught
    assert "SC2086" in lint("shellcheck", script).stdout


@pytest.mark.parametrize(
    ("tool", "path", "break_it", "said"),
    [
        (
            "actionlint",
            GITHUB,
            ("needs.stacks.outputs.lanes", "needs.stacks.outputs.lane"),
            "lane",
        ),
        ("github", GITHUB, ("runs-on: ubuntu-latest", "runs_on: ubuntu-latest"), "runs_on"),
        ("gitlab", GITLAB, ("strategy: depend", "strategy: sometimes"), "sometimes"),
        (
            "actionlint",
            GITHUB,
            ('validate "stacks/$stack.yaml"', "validate stacks/$stack.yaml"),
            "SC2086",
        ),
    ],
)
def test_the_linters_catch_a_broken_copy(tool, path, break_it, said, tmp_path: Path) -> None:
    """Without this, a linter that checks nothing (wrong schema, no file) would pass."""
    broken = tmp_path / path.name
    broken.write_text(path.read_text().replace(*break_it, 1))
    result = lint(tool, broken)
    assert result.returncode != 0
    assert said in result.stdout + result.stderr
