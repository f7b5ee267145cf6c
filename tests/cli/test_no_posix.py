"""`validate` and everything a plain `preview` loads work where there is no POSIX `fcntl`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# An interpreter as on Windows: `import fcntl` fails (None in sys.modules blocks the import).
WITHOUT_FCNTL = (
    "import runpy, sys; sys.modules['fcntl'] = None; sys.argv = ['provider', *sys.argv[1:]];"
    " import provider.resource, provider.configcheck;"
    " runpy.run_module('provider', run_name='__main__')"
)


def test_validate_and_the_preview_modules_need_no_fcntl() -> None:
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_FCNTL, "validate", "stacks/sandbox.yaml"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok  stacks/sandbox.yaml")
