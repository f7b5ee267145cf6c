"""The CI files users copy, and the exact command lines in them, for the tests to run."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
GITHUB = REPO / "ci" / "github" / "workflows" / "bitrix24-lines.yml"
GITLAB = REPO / "ci" / "gitlab" / "bitrix24-lines.gitlab-ci.yml"
GITLAB_JOBS = REPO / "ci" / "gitlab" / "bitrix24-lines-jobs.yml"
ACTIONLINT = next(REPO.glob(".cache/actionlint-*/actionlint"), None)
CHECK_JSONSCHEMA = REPO / ".venv" / "bin" / "check-jsonschema"
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def github_step(job: str, step_id: str) -> dict[str, Any]:
    """One step of the GitHub workflow, by job and step id."""
    steps = load(GITHUB)["jobs"][job]["steps"]
    (step,) = [step for step in steps if step.get("id") == step_id]
    return step


def gitlab_script(job: str, part: str = "script") -> str:
    """A hidden job's script lines, joined as the runner runs them: one shell, in order."""
    lines = load(GITLAB_JOBS)[job][part]
    return "\n".join(lines) + "\n"


def gitlab_stacks_script() -> str:
    return "\n".join(load(GITLAB)["bitrix24-lines-stacks"]["script"]) + "\n"


def expressions(text: str) -> list[str]:
    """The `${{ ... }}` left in a script: the runner would substitute them, the test cannot."""
    return re.findall(r"\$\{\{.*?\}\}", text)


def lint(tool: str, path: Path) -> subprocess.CompletedProcess[str]:
    if tool == "actionlint":
        assert ACTIONLINT, "actionlint is missing: run scripts/bootstrap --dev (needs Go)"
        cmd = [str(ACTIONLINT), "-no-color", str(path)]
    else:
        cmd = [str(CHECK_JSONSCHEMA), "--builtin-schema", SCHEMAS[tool], str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)
