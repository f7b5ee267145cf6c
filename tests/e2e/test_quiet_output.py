"""What a reviewer reads in Pulumi's own output: only what changes, no refresh noise."""

from __future__ import annotations

import re

from tests.e2e.conftest import CLIENT_ID, stack_file

LINES = (("74951234567", "Sales"), ("74951234568", "Support"), ("74951234569", "Taken over"))


def declare(project, sandbox, *names: str) -> None:
    data = stack_file(
        sandbox, *((number, name) for (number, _), name in zip(LINES, names, strict=True))
    )
    data["lines"][2]["adopt"] = True
    project.write_stack(data)


def test_preview_diff_shows_adopt_only_on_the_line_that_sets_it(project, sandbox):
    sandbox.seed_line(CLIENT_ID, "74951234569", "Made by hand")
    declare(project, sandbox, *(name for _, name in LINES))
    project.up()
    declare(project, sandbox, "Sales 2", "Support 2", "Taken over 2")
    diff = project.run("preview", "--diff").stdout
    assert diff.count("~ pulumi-python:dynamic/bitrix24:ExternalLine: (update)") == 3, diff
    assert re.findall(r"^\s+adopt\s*:.*$", diff, re.M) == ["        adopt          : true"]


def test_a_refresh_of_an_undrifted_stack_shows_no_diff(project, sandbox):
    sandbox.seed_line(CLIENT_ID, "74951234569", "Made by hand")
    declare(project, sandbox, *(name for _, name in LINES))
    project.up()
    for command in (
        ("up", "--refresh", "--yes"),
        ("refresh", "--yes"),
        ("up", "--refresh", "--yes"),
    ):
        output = project.run(*command).stdout
        assert "[diff:" not in output, output
        assert "4 unchanged" in output, output
    project.run("preview", "--refresh", "--expect-no-changes")

    sandbox.rename_line(CLIENT_ID, "74951234568", "Renamed by hand")
    output = project.run("refresh", "--yes").stdout
    # Only the drifted line, in the preview pass and in the refresh itself.
    assert set(re.findall(r"ExternalLine (\S+) .*\[diff: (.*)\]", output)) == {
        ("74951234568", "~name")
    }, output
