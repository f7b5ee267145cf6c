"""`python -m provider validate`, run as CI runs it: a subprocess, exit codes, stdout, stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.stackfile.expected import BAD

HERE = Path(__file__).parent
ROOT = HERE.parents[1]
GOOD_FILE = "portal: https://acme.bitrix24.com\nlines:\n  - number: 012345\n"


def run(
    *args: str, cwd: Path = ROOT, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, *python, "-m", "provider", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_good_and_bad_files_exit_1_with_ok_on_stdout_and_errors_on_stderr() -> None:
    bad = "tests/stackfile/bad/several_bad_entries.yaml"
    result = run("validate", "stacks/sandbox.yaml", bad)
    assert result.returncode == 1
    assert result.stdout == "ok  stacks/sandbox.yaml  (4 lines, portal http://127.0.0.1:8450)\n"
    assert result.stderr == "".join(f"{bad}:{line}\n" for line in BAD["several_bad_entries"])


def test_without_files_it_validates_every_stack_in_the_project() -> None:
    result = run("validate")
    assert (result.returncode, result.stderr) == (0, "")
    assert "ok  stacks/sandbox.yaml  (4 lines, portal http://127.0.0.1:8450)\n" in result.stdout


def test_without_files_it_globs_stacks_of_the_working_directory(tmp_path: Path) -> None:
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "a.yaml").write_text(GOOD_FILE)
    (tmp_path / "stacks" / "b.yaml").write_text("portal: https://acme.bitrix24.com\n")
    (tmp_path / "stacks" / "notes.txt").write_text("not a stack")
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == "ok  stacks/a.yaml  (1 line, portal https://acme.bitrix24.com)\n"
    assert result.stderr == (
        "stacks/b.yaml:1:1: lines: is missing. "
        'Fix: write lines: with entries such as - number: "74951234567"\n'
    )


def test_all_good_exits_0(tmp_path: Path) -> None:
    (tmp_path / "one.yaml").write_text(GOOD_FILE)
    result = run("validate", "one.yaml", "one.yaml", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout == (
        "ok  one.yaml  (1 line, portal https://acme.bitrix24.com)\n"
        "ok  one.yaml  (the same file as one.yaml)\n"  # read once: not a second stack
    )


def test_missing_file_exits_1_naming_it(tmp_path: Path) -> None:
    result = run("validate", "absent.yaml", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == (
        "stack file: cannot read absent.yaml (No such file or directory). Fix: check the path\n"
    )


def test_nothing_to_validate_is_a_usage_error(tmp_path: Path) -> None:
    result = run("validate", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "validate: no stacks/*.yaml here; run it in the project directory or name the files\n"
    )


def test_usage_errors_exit_2() -> None:
    for args in [(), ("nosuchverb",), ("validate", "--nosuchflag")]:
        result = run(*args)
        assert result.returncode == 2, args
        assert result.stderr.startswith("usage: python -m provider"), args


def test_validate_imports_neither_pulumi_nor_requests() -> None:
    """CI lint runs it before anything is installed beyond PyYAML; it must stay that light."""
    result = run("validate", "stacks/sandbox.yaml", python=("-X", "importtime"))
    assert result.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "provider.stack.stackfile" in imported
    assert not {name for name in imported if name.split(".")[0] in ("pulumi", "requests")}


def test_one_number_on_one_portal_in_two_stacks_is_refused_following_symlinks_once(
    tmp_path: Path,
) -> None:
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "a.yaml").write_text(GOOD_FILE)
    (stacks / "b.yaml").write_text(  # the same portal, spelled another way
        "portal: HTTPS://Acme.Bitrix24.com:443/\nlines:\n  - number: '1'\n  - number: '012345'\n"
    )
    (stacks / "c.yaml").write_text(GOOD_FILE.replace("acme", "other"))  # another portal
    (stacks / "prod.yaml").symlink_to("a.yaml")  # one file, reached twice
    result = run("validate", cwd=tmp_path)
    assert result.returncode == 1
    assert "ok  stacks/prod.yaml  (the same file as stacks/a.yaml)\n" in result.stdout
    assert result.stderr == (
        "stacks/b.yaml:4:5: number: '012345' on https://acme.bitrix24.com is declared in"
        " stacks/a.yaml too (line 3); both stacks would own the line, and destroying either"
        " deletes it. Fix: keep the line in one of the two stack files\n"
    )
    (stacks / "b.yaml").unlink()
    assert run("validate", cwd=tmp_path).returncode == 0


def test_a_fifo_or_a_directory_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    """Reading a FIFO blocks until someone writes to it: validate must not even open it so."""
    fifo = tmp_path / "prod.yaml"
    os.mkfifo(fifo)
    result = run("validate", str(fifo), str(tmp_path), "stacks/sandbox.yaml")
    assert result.returncode == 1
    fix = "Fix: point at the stack file itself, a plain YAML file"
    assert result.stderr == (
        f"stack file: {fifo} is a FIFO (named pipe), not a regular file. {fix}\n"
        f"stack file: {tmp_path} is a directory, not a regular file. {fix}\n"
    )
    assert result.stdout.startswith("ok  stacks/sandbox.yaml")
