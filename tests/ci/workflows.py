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
SHELLCHECK = REPO / ".venv" / "bin" / "shellcheck"
SCHEMAS = {"github": "vendor.github-workflows", "gitlab": "vendor.gitlab-ci"}


def load(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text())


def github_step(job: str, step_id: str) -> dict[str, Any]:
    """One step of the GitHub workflow, by job and step id."""
    steps = load(GITHUB)["jobs"][job]["steps"]
    (step,) = [step for step in steps if step.get("id") == step_id]
    return step


def gitlab_scripts() -> dict[str, str]:
    """Every script of both GitLab files by `job part`, its lines joined as the runner runs
    them: one shell, in order."""
    return {
        f"{name} {part}": "\n".join(job[part]) + "\n"
        for path in (GITLAB, GITLAB_JOBS)
        for name, job in load(path).items()
        if isinstance(job, dict)
        for part in ("before_script", "script", "after_script")
        if part in job
    }


def expressions(text: str) -> list[str]:
    """The `${{ ... }}` left in a script: the runner would substitute them, the test cannot."""
    return re.findall(r"\$\{\{.*?\}\}", text)


def lint(tool: str, path: Path) -> subprocess.CompletedProcess[str]:
    if tool == "actionlint":
        assert ACTIONLINT, "actionlint is missing: run scripts/bootstrap --dev (needs Go)"
        cmd = [str(ACTIONLINT), "-no-color", "-shellcheck", str(SHELLCHECK), str(path)]
    elif tool == "shellcheck":  # a GitLab job's script, as one bash script; like actionlint,
        # not following `source scripts/env.sh` (SC1091)
        cmd = [str(SHELLCHECK), "--shell=bash", "--exclude=SC1091", str(path)]
    else:
        cmd = [str(CHECK_JSONSCHEMA), "--builtin-schema", SCHEMAS[tool], str(path)]
    return subprocess.run(cmd, capture_output=True, text=True, check=False)
