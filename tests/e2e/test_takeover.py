"""Bringing a portal that already has lines under management: export, then a first `up`
that adds nothing and changes nothing but the names of nameless lines."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from provider.stack import stackfile
from sandbox import Sandbox
from tests.e2e.conftest import CLIENT_ID, portal_lines
from tests.e2e.pulumi_cli import PulumiProject

ADD = "telephony.externalLine.add"
NAMES = [
    'Sales "EU"',
    "Support: 24/7",
    "Line #3",
    "Отдел продаж",
    "Zürich ☎",
    "yes",
    "null",
    "0123",
    "- dash",
    "'single' quotes",
    "a: b # c",
    "[brackets]",
    "&anchor *alias",
    "! not a tag",
    "% of calls",
]


def seed_portal(portal: Sandbox) -> None:
    """60 lines as a real portal grows them: 45 made by hand, 15 by calls (nameless)."""
    for n, name in enumerate(NAMES):
        crm = "YN"[n % 2]
        portal.seed_line(CLIENT_ID, f"+7495{n:07d}", name, crm)  # with +
        portal.seed_line(CLIENT_ID, f"7495{n:07d}", f"{name} (no plus)", crm)  # the same without
        portal.seed_line(CLIENT_ID, f"0{n:04d}", f"{name}, leading zero", "YN"[n % 3 == 0])
        portal.register_call(CLIENT_ID, f"88005{n:06d}")  # telephony.externalCall.register


def python(project: PulumiProject, *args: str) -> subprocess.CompletedProcess:
    """`python -m provider ...` in the project folder, with the stack's environment."""
    return subprocess.run(
        [sys.executable, "-m", "provider", *args],
        cwd=project.root,
        env=project.env,
        capture_output=True,
        text=True,
        check=False,
    )


def calls(portal: Sandbox) -> Counter:
    """The REST methods the portal ran, each command of a `batch` counted as its own."""
    return Counter(
        method
        for e in portal.request_log()
        if e["method"] != "oauth/token"
        for method in (e["commands"] or [e["method"]])
    )


# Each process that lists the lines looks once at whose they are (docs/bitrix24-facts.md).
LOOK = {"app.info": 1, "event.get": 1}


def requests(portal: Sandbox) -> int:
    """HTTP requests to the REST API: what the portal's rate limit counts."""
    return sum(e["method"] != "oauth/token" for e in portal.request_log())


def test_export_then_up_takes_over_sixty_lines_changing_only_nameless_names(project, sandbox):
    seed_portal(sandbox)
    before = portal_lines(sandbox)
    assert len(before) == 60

    exported = python(project, "export", "--stack", project.stack, "--portal", sandbox.url)
    assert exported.returncode == 0, exported.stderr
    assert calls(sandbox) == {**LOOK, "telephony.externalLine.get": 1}
    path = project.root / "stacks" / f"{project.stack}.yaml"
    shown = exported.stdout + exported.stderr + path.read_text()
    secrets = {k: v for k, v in project.secrets.items() if "token" in k or "secret" in k}
    assert len(secrets) == 3
    assert [name for name, secret in secrets.items() if secret in shown] == []
    validated = python(project, "validate")
    assert validated.returncode == 0, validated.stderr
    assert (
        validated.stdout == f"ok  stacks/{project.stack}.yaml  (60 lines, portal {sandbox.url})\n"
    )
    spec = stackfile.load(path)
    assert {line.number: (line.name, line.crm_auto_create) for line in spec.lines} == {
        number: (line["NAME"] or number, line["CRM_AUTO_CREATE"] == "Y")
        for number, line in before.items()
    }

    sandbox.clear_log()
    project.up()

    assert calls(sandbox) == {
        **LOOK,
        "telephony.externalLine.get": 1,
        "telephony.externalLine.update": 60,
    }
    assert requests(sandbox) < 61  # the updates travel in `batch` requests
    after = portal_lines(sandbox)
    renamed = {number: number for number, line in before.items() if not line["NAME"]}
    assert len(renamed) == 15
    assert after == {
        number: {**line, "NAME": renamed.get(number, line["NAME"])}
        for number, line in before.items()
    }
    state = project.line_resources()
    assert {number: res["id"] for number, res in state.items()} == {
        number: str(line["ID"]) for number, line in after.items()
    }
    assert all(res["outputs"]["name"] == after[n]["NAME"] for n, res in state.items())
    sandbox.clear_log()
    project.run("preview", "--expect-no-changes")
    project.run("preview", "--refresh", "--expect-no-changes")
    assert ADD not in calls(sandbox)


MINE = """\
# yaml-language-server: $schema=./schema.json
# Production lines: ask #telephony before changing them.
portal: {url}
lines:
  # the switchboard, renamed on purpose
  - number: "+74951234567"
    name: Moscow HQ
    crm_auto_create: false

  - number: "74990000000"   # ordered, not connected yet
    name: New office
# keep this list sorted by office
"""


def test_merge_into_a_commented_file_then_up_adopts_only_the_added_lines(project, sandbox):
    path = project.write_stack(MINE.format(url=sandbox.url))
    project.up()
    ids = {number: line["ID"] for number, line in portal_lines(sandbox).items()}
    sandbox.seed_line(CLIENT_ID, "0123", "Made by hand: #2", "N")
    sandbox.register_call(CLIENT_ID, "+74957654321")
    sandbox.delete_line(CLIENT_ID, "74990000000")  # declared, but gone from the portal

    merged = python(project, "export", "--stack", project.stack, "--merge")

    assert merged.returncode == 0, merged.stderr
    assert (
        f"export: stacks/{project.stack}.yaml:10: '74990000000' is declared here but not on the"
        " portal; kept: the next `pulumi up` adds it" in merged.stderr
    )
    text = path.read_text()
    mine = MINE.format(url=sandbox.url).splitlines()
    assert text.splitlines()[: len(mine) - 1] == mine[:-1]  # comments, order, blank line kept
    assert text.endswith("\n# keep this list sorted by office\n")
    declared = {line.number: line for line in stackfile.load(path).lines}
    assert [n for n, line in declared.items() if line.adopt] == ["+74957654321", "0123"]
    assert declared["+74957654321"].name == "+74957654321"  # nameless: named after its number

    sandbox.clear_log()
    project.up("--refresh")  # the refresh finds 74990000000 gone, so it is added again

    assert calls(sandbox) == {
        **LOOK,
        "telephony.externalLine.get": 1,
        "telephony.externalLine.update": 2,  # the two adopted lines
        ADD: 1,  # the declared line the portal had lost
    }
    held = portal_lines(sandbox)
    assert held["+74951234567"]["ID"] == ids["+74951234567"]
    assert (held["0123"]["NAME"], held["0123"]["CRM_AUTO_CREATE"]) == ("Made by hand: #2", "N")
    state = project.line_resources()
    assert {n: res["id"] for n, res in state.items()} == {
        n: str(line["ID"]) for n, line in held.items()
    }
    project.run("preview", "--refresh", "--expect-no-changes")
