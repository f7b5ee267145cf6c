"""Running `python -m provider` as a person does: a subprocess with only the BITRIX24_*
settings a test gives it, none from the developer's shell."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def provider_cli(
    *args: str, cwd: Path = REPO, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    """`python -m provider ARGS` in `cwd`, with `env` as its only BITRIX24_* settings."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("BITRIX24_")}
    return subprocess.run(
        [sys.executable, "-m", "provider", *args],
        cwd=cwd,
        env={**base, "PYTHONPATH": str(REPO), **env},
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
