"""tools/langhost.py judges the program's exit as the official Python language host does.

The official host (sdk/python/cmd/pulumi-language-python/main.go) bails quietly on exit
code 32 alone; any other non-zero code, 1 after a pulumi.RunError included, becomes
"program exited with non-zero exit code: N", which the engine prints as a second error
("an unhandled error occurred: ..."). A host kinder than that would let a program pass
here that prints the extra line for users.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from pulumi.runtime.proto import language_pb2

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("langhost", REPO / "tools" / "langhost.py")
assert _spec is not None and _spec.loader is not None
langhost = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(langhost)


def run_program_exiting(tmp_path: Path, code: int) -> language_pb2.RunResponse:
    """Run a stand-in exec script that exits with `code`, silent on stderr: as after a
    RunError, whose message went to the engine's log."""
    script = tmp_path / "exec"
    script.write_text(f"import sys\nsys.exit({code})\n")
    (tmp_path / "venv" / "bin").mkdir(parents=True)
    (tmp_path / "venv" / "bin" / "python").symlink_to(sys.executable)
    request = language_pb2.RunRequest(pwd=str(tmp_path))
    request.info.root_directory = str(tmp_path)
    request.info.options.update({"virtualenv": "venv"})
    return langhost.PythonHost(script, "127.0.0.1:1").Run(request, None)


@pytest.mark.parametrize(
    ("code", "bail", "error"),
    [
        (0, False, ""),
        (32, True, ""),  # the program showed its message: nothing more
        (1, False, "program exited with non-zero exit code: 1"),  # even after a RunError
        (2, False, "program exited with non-zero exit code: 2"),
    ],
)
def test_exit_codes_are_judged_as_the_official_host_does(
    tmp_path: Path, code: int, bail: bool, error: str
) -> None:
    response = run_program_exiting(tmp_path, code)
    assert (response.bail, response.error) == (bail, error)
