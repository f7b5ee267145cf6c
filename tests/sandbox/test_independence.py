"""The sandbox is the product's judge, so it must share no code with the product."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_running_the_sandbox_loads_no_product_module():
    probe = (
        "import sys, sandbox, sandbox.__main__\n"
        "from sandbox import Sandbox\n"
        "Sandbox().start().stop()\n"
        "print(sorted(m for m in sys.modules if m == 'provider' or m.startswith('provider.')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_sandbox_lives_outside_the_product_package():
    assert (REPO / "sandbox" / "__main__.py").is_file()
    assert not (REPO / "provider" / "sandbox").exists()
