"""`python -m provider plan` on previews the real CLI made of real plans against the sandbox.

The previews are captured once per module (one project, one portal): every kind of
change, an empty plan, a failed preview, a replacement, a move to another portal, and
a 2,000-line plan. The tests then read the comment each one gives.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.e2e.conftest import CLIENT_ID, CLIENT_SECRET, stack_file
from tests.e2e.conftest import comment_rows as rows
from tests.e2e.pulumi_cli import REPO, PulumiProject

ORIGINAL = [
    ("+74951234567", "Moscow office", True),
    ("74951234568", "Sales", False),
    ("74951234569", "Support", True),
    ("74951234570", "Old fax", True),
]
BIG = 2_000


@dataclass
class Previews:
    """Each capture is the stdout of `pulumi preview --json`, as a file named for its stack."""

    folder: Path
    project: Path
    portal: str
    secrets: set[str]

    def path(self, name: str) -> Path:
        return self.folder / f"{name}.json"


def capture(project: PulumiProject, folder: Path, name: str, env: dict | None = None) -> Path:
    result = project.run("preview", "--json", check=False, env=env)
    path = folder / f"{name}.json"
    path.write_text(result.stdout)
    return path


@pytest.fixture(scope="module")
def previews(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Previews]:
    folder = tmp_path_factory.mktemp("previews")
    root = tmp_path_factory.mktemp("plan")
    with Sandbox() as portal, Sandbox() as elsewhere:
        for sb in (portal, elsewhere):
            sb.add_app(CLIENT_ID, CLIENT_SECRET, scopes=("telephony",))
        project = PulumiProject.create(root / "project", "dev", {})
        handed_out = project.connect(portal, CLIENT_ID, CLIENT_SECRET)
        secrets = {value for key, value in handed_out.items() if "token" in key}
        project.write_stack(stack_file(portal, *ORIGINAL))
        capture(project, folder, "first")
        project.up()

        capture(project, folder, "empty")
        portal.seed_line(CLIENT_ID, "74951234599", "Made by hand")
        changed = stack_file(
            portal,
            ("+74951234567", "Moscow HQ"),  # rename
            ("74951234568", "Sales", True),  # CRM flag
            ("74951234569", "Help desk", False),  # both
            ("74951234580", "New line"),  # add
            ("74951234599", "Taken over"),  # adopt
        )  # 74951234570 deleted
        changed["lines"][-1]["adopt"] = True
        project.write_stack(changed)
        capture(project, folder, "kinds")

        # Another portal that refuses this stack's credentials is an error naming both.
        project.write_stack(stack_file(elsewhere, *ORIGINAL))
        capture(project, folder, "refused")
        # Without credentials (a pull request's preview) the new address cannot be asked.
        for key in ("clientSecret", "refreshToken", "accessToken"):
            project.run("config", "rm", "--stack", "dev", f"bitrix24:{key}")
        capture(project, folder, "moved")

        project.write_stack("portal: x\nlines: 3\n")
        capture(project, folder, "failed")

        # A new number under the same logical name: only a program can ask for that.
        (project.root / "__main__.py").unlink()
        (project.root / "__main__.py").write_text(
            "from provider.resource import ExternalLine\n"
            f"for name, title, crm in {ORIGINAL!r}:\n"
            "    number = '74951230000' if name == '+74951234567' else name\n"
            f"    ExternalLine(name, portal={portal.url!r}, number=number, name=title,"
            " crm_auto_create=crm)\n"
        )
        capture(project, folder, "replaced")

        big = PulumiProject.create(root / "big", "big", {})
        big.write_stack(stack_file(portal, *((f"7495{i:07d}", f"Line {i}") for i in range(BIG))))
        capture(big, folder, "big", env={"PULUMI_SKIP_CHECKPOINTS": "true"})
        yield Previews(folder, project.root, portal.url, secrets | {CLIENT_SECRET})


def plan(*files: Path | str, stdin: str = "", cwd: Path = REPO) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "provider", "plan", *map(str, files)],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_kind_of_change_gets_one_row_riskiest_first(previews):
    comment = plan(previews.path("kinds"))
    assert rows(comment) == [
        ["delete", "`74951234570`", "Old fax", "yes"],
        ["add", "`74951234580`", "New line", "yes"],
        ["adopt", "`74951234599`", "Taken over", "yes"],
        ["rename", "`+74951234567`", "Moscow office → Moscow HQ", "yes"],
        ["CRM flag", "`74951234568`", "Sales", "no → yes"],
        ["rename, CRM flag", "`74951234569`", "Support → Help desk", "yes → no"],
    ]
    assert comment.splitlines()[0] == "<!-- bitrix24-lines:stack=dev -->"
    assert f"### Bitrix24 lines: stack `dev` on {previews.portal}" in comment
    assert "> **This plan deletes 1 line**" in comment
    assert "\n**+1 added, +1 adopted, ~3 changed, -1 deleted, 0 unchanged**\n" in comment


def test_the_summary_stays_outside_the_fold(previews):
    comment = plan(previews.path("kinds"))
    summary_at = comment.index("**+1 added")
    assert summary_at < comment.index("<details")
    assert comment.count("<details") == comment.count("</details>") == 1


def test_a_first_preview_adds_every_line_and_has_no_banner(previews):
    comment = plan(previews.path("first"))
    assert [row[:2] for row in rows(comment)] == [
        ["add", "`+74951234567`"],
        ["add", "`74951234568`"],
        ["add", "`74951234569`"],
        ["add", "`74951234570`"],
    ]
    assert "[!WARNING]" not in comment
    assert "**+4 added, ~0 changed, -0 deleted, 0 unchanged**" in comment


def test_an_empty_plan_says_no_changes(previews):
    comment = plan(previews.path("empty"))
    assert rows(comment) == []
    assert "**No changes, 4 unchanged**" in comment
    assert f"stack `dev` on {previews.portal}" in comment  # from the stack's output
    assert "[!WARNING]" not in comment and "<details" not in comment


def test_a_replacement_shows_old_and_new_number_under_a_banner(previews):
    comment = plan(previews.path("replaced"))
    assert rows(comment) == [
        ["replace (number)", "`+74951234567` → `74951230000`", "Moscow office", "yes"]
    ]
    assert "> **This plan replaces 1 line**" in comment
    assert "±1 replaced" in comment


def test_a_move_to_another_portal_names_both(previews):
    comment = plan(previews.path("moved"))
    assert re.search(r"^Portal: http://127\.0\.0\.1:\d+ → http://127\.0\.0\.1:\d+$", comment, re.M)
    assert {row[1] for row in rows(comment)} == {f"`{n}`" for n, *_ in ORIGINAL}
    assert {row[0] for row in rows(comment)} == {"portal address"}  # an update until `up` asks


def test_a_portal_refusing_the_credentials_fails_the_preview_with_one_error(previews):
    comment = plan(previews.path("refused"))
    assert "stack `dev`: preview failed" in comment
    (error,) = re.findall(r"```text\n(.*?)\n```", comment, re.S)  # no echo of the engine's
    assert "does not accept this stack's credentials" in error


def test_a_failed_preview_shows_the_stack_file_errors_with_file_and_line(previews):
    comment = plan(previews.path("failed"), cwd=previews.project)  # as CI runs it
    assert "### Bitrix24 lines: stack `dev`: preview failed" in comment
    assert "[!CAUTION]" in comment
    errors = re.search(r"```text\n(.*?)\n```", comment, re.S).group(1).splitlines()
    assert [error.split(" ", 2)[:2] for error in errors] == [
        ["stacks/dev.yaml:1:9:", "portal:"],
        ["stacks/dev.yaml:2:8:", "lines:"],
    ]
    assert "unhandled error" not in comment  # the engine's own line adds nothing


def test_a_preview_that_printed_no_json_is_reported_under_the_file_name(tmp_path):
    empty = tmp_path / "prod.json"
    empty.write_text("")
    comment = plan(empty)
    assert comment.startswith("<!-- bitrix24-lines:stack=prod -->\n")
    assert "stack `prod`: preview failed" in comment
    assert "not the JSON of `pulumi preview --json`" in comment


def test_two_thousand_lines_are_cut_to_fit_keeping_banner_and_summary(previews):
    comment = plan(previews.path("big"))
    assert len(comment) <= 65_000
    assert f"**+{BIG:,} added, ~0 changed, -0 deleted, 0 unchanged**" in comment
    shown = rows(comment)
    assert 500 < len(shown) < BIG
    assert shown[0] == ["add", "`74950000000`", "Line 0", "yes"]
    assert f"…and {BIG - len(shown):,} lines more" in comment
    assert "`pulumi preview --diff --stack big` lists them all" in comment
    assert comment.rstrip().endswith("</details>")


def test_the_cut_keeps_the_banner_when_a_stack_deletes(previews):
    comment = plan(previews.path("kinds"), previews.path("big"), previews.path("failed"))
    assert len(comment) <= 65_000
    assert "> **This plan deletes 1 line**" in comment
    assert "stack `dev`: preview failed" in comment
    assert "**+1 added, +1 adopted, ~3 changed, -1 deleted, 0 unchanged**" in comment


def test_several_previews_make_one_comment_with_a_section_each(previews):
    comment = plan(previews.path("kinds"), previews.path("big"))
    assert comment.splitlines()[0] == "<!-- bitrix24-lines:stack=big,dev -->"
    assert comment.count("### Bitrix24 lines: stack") == 2
    assert comment.index("stack `dev`") < comment.index("stack `big`")  # the order given


def test_stdin_is_read_when_no_file_is_named(previews):
    text = previews.path("kinds").read_text()
    assert plan(stdin=text) == plan(previews.path("kinds"))
    assert plan("-", stdin=text) == plan(previews.path("kinds"))


def test_no_secret_and_no_provider_pickle_reach_the_comment(previews):
    pickles = set()
    for path in previews.folder.glob("*.json"):
        for step in json.loads(path.read_text() or "{}").get("steps", []):
            for state in ("oldState", "newState"):
                for part in ("inputs", "outputs"):
                    value = ((step.get(state) or {}).get(part) or {}).get("__provider")
                    pickles.update([value] if value else [])
    assert pickles  # the previews did carry the pickle
    comment = plan(*sorted(previews.folder.glob("*.json")))
    assert len(previews.secrets) == 3  # the client secret and the token pair
    for secret in previews.secrets | pickles:
        assert secret not in comment
    assert "__provider" not in comment and "[secret]" not in comment
