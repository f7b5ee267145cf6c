"""`python -m provider plan` misused as a person would: one message, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "provider", "plan", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


def test_a_missing_file_is_one_message(tmp_path: Path) -> None:
    result = plan(str(tmp_path / "dev.json"))
    assert result.returncode == 1
    assert (
        result.stderr == f"plan: cannot read {tmp_path / 'dev.json'}: No such file or directory\n"
    )
    assert result.stdout == ""


def test_a_limit_too_small_for_the_summaries_is_refused() -> None:
    result = plan("--limit", "10")
    assert result.returncode == 2
    assert "argument --limit: write a whole number of at least 1,000" in result.stderr
