"""The layers of the tree hold: imports point one way, as `.importlinter` declares.

import-linter reads the real import graph (imports inside functions and TYPE_CHECKING
blocks included), so the contracts are checked on the code as it is, and a broken one
is reported with the chain of imports that crosses the line.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """import-linter over the packages under `root`, with the contracts of `.importlinter`."""
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / ".importlinter")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=False,
    )


def test_every_contract_is_kept() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "6 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "wrong_import", "contract"),
    [
        # the Bitrix24 client reaching up to the Pulumi layer, as rest.py once did for lifeline
        ("provider/bitrix24/rest.py", "from provider import lifeline", "Imports point down"),
        ("provider/stack/guard.py", "from provider import stackstate", "import nothing of the"),
        ("provider/plan/changes.py", "from provider.bitrix24 import urls", "The plan reads only"),
        ("sandbox/store.py", "from provider.bitrix24 import rules", "share no code"),
    ],
)
def test_a_wrong_arrow_breaks_a_contract(
    tmp_path: Path, module: str, wrong_import: str, contract: str
) -> None:
    for part in ("provider", "sandbox", ".importlinter"):
        copy = shutil.copytree if (REPO / part).is_dir() else shutil.copy
        copy(REPO / part, tmp_path / part)
    target = tmp_path / module
    target.write_text(f"{target.read_text()}\n{wrong_import}  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode == 1, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken) >= 1 and any(contract in line for line in broken), result.stdout
