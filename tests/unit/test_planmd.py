"""The plan renderer on hand-made plans: what a line's text can do to a comment.

The shapes of real previews are tested in tests/e2e/test_plan.py; here only what
no sandbox run produces: hostile names, stack names that share a prefix, the cut.
"""

from __future__ import annotations

from pathlib import Path

from provider.plan.changes import Kind, LineChange, LineValues, StackPlan, from_preview
from provider.plan.markdown import marker, render


def add(number: str, name: str) -> LineChange:
    return LineChange(Kind.ADD, None, LineValues(number, name, True))


def table_rows(comment: str) -> list[str]:
    return [line for line in comment.splitlines() if line.startswith("| add")]


def test_a_name_cannot_break_the_table_ping_anyone_or_inject_html():
    comment = render([StackPlan("dev", None, (add("1", "a | b @team #12 <img src=x> *x*"),))])
    (row,) = table_rows(comment)
    assert row == (r"| add | `1` | a \| b &#64;team &#35;12 &lt;img src=x&gt; \*x\* | yes |")


def test_a_number_with_backticks_stays_one_code_span():
    comment = render([StackPlan("dev", None, (add("1`2", "x"),))])
    assert table_rows(comment) == ["| add | ``1`2`` | x | yes |"]


def test_markers_of_stacks_sharing_a_prefix_never_contain_each_other():
    dev, tokyo = marker(["dev"]), marker(["dev-tokyo"])
    assert dev == "<!-- bitrix24-lines:stack=dev -->"
    assert dev not in tokyo and tokyo not in dev
    assert marker(["prod", "dev", "dev"]) == "<!-- bitrix24-lines:stack=dev,prod -->"


def test_a_small_limit_cuts_rows_but_keeps_heading_banner_and_summary():
    deleted = LineChange(Kind.DELETE, LineValues("9", "gone", True), None)
    plan = StackPlan(
        "dev", "https://a.bitrix24.com", (deleted, *(add(f"{i:04}", "n") for i in range(300)))
    )
    full = render([plan], limit=10**6)
    cut = render([plan], limit=3_000)
    assert len(full) > 3_000 >= len(cut)
    for kept in (
        "<!-- bitrix24-lines:stack=dev -->",
        "[!WARNING]",
        "**+300 added, ~0 changed, -1 deleted, 0 unchanged**",
    ):
        assert kept in cut
    shown = len(table_rows(cut))
    assert 0 < shown < 300
    assert f"…and {301 - shown - 1:,} lines more" in cut


def test_a_step_without_states_still_gives_a_row_by_its_logical_name():
    """Pulumi may leave out what it cannot know yet; the row says so instead of failing."""
    urn = "urn:pulumi:dev::bitrix24-lines::pulumi-python:dynamic/bitrix24:ExternalLine::74951234567"
    plan = from_preview({"steps": [{"op": "create", "urn": urn}]}, "x", Path())
    assert table_rows(render([plan])) == [
        "| add | `74951234567` | _(known after apply)_ | _(known after apply)_ |"
    ]


def test_warnings_show_as_notes_and_errors_drop_the_engines_own_line():
    urn = "urn:pulumi:dev::bitrix24-lines::pulumi-python:dynamic/bitrix24:ExternalLine::1"
    diagnostics = [
        {"severity": "warning", "message": "warning: /p/stacks/dev.yaml: deletes 4 of 10 lines\n"},
        {"severity": "info", "message": "hello\n"},
    ]
    plan = from_preview(
        {"steps": [{"op": "create", "urn": urn}], "diagnostics": diagnostics}, "x", Path("/p")
    )
    assert plan.warnings == ("stacks/dev.yaml: deletes 4 of 10 lines",)
    assert "\n> [!NOTE]\n> stacks/dev.yaml: deletes 4 of 10 lines\n" in render([plan])
    failed = from_preview(
        {
            "diagnostics": [
                {"severity": "error", "message": "error: /p/stacks/dev.yaml:1:1: bad\n"},
                {
                    "severity": "error",
                    "message": "error: an unhandled error occurred: program "
                    "exited with non-zero exit code: 1\n",
                },
            ]
        },
        "dev",
        Path("/p"),
    )
    assert failed.errors == ("stacks/dev.yaml:1:1: bad",)


def test_each_deleted_line_shows_what_the_in_use_guard_said_of_its_calls():
    """The program's info lines `in-use guard: NUMBER: text` become one item per deleted row;
    a row the program said nothing of (an older program) gets the default."""
    lines = "urn:pulumi:dev::bitrix24-lines::pulumi-python:dynamic/bitrix24:ExternalLine::"
    old = {"outputs": {"number": "+7495", "name": "Old", "crm_auto_create": True}}
    steps = [
        {"op": "delete", "urn": f"{lines}+7495", "oldState": old},
        {"op": "delete", "urn": f"{lines}7496", "oldState": {"outputs": {"number": "7496"}}},
    ]
    diagnostics = [
        {"severity": "info", "message": "in-use guard: +7495: 3 calls in the last 30 days, x\n"},
        {"severity": "info", "message": "in-use guard: 9999: not a deleted row\n"},
    ]
    plan = from_preview({"steps": steps, "diagnostics": diagnostics}, "dev", Path())
    assert plan.calls == {"+7495": "3 calls in the last 30 days, x", "9999": "not a deleted row"}
    comment = render([plan])
    assert "- `+7495`: 3 calls in the last 30 days, x\n" in comment
    assert "- `7496`: calls checked when the change is applied\n" in comment
    assert "9999" not in comment
    assert "no longer reach" not in comment and "makes the line again, nameless" in comment
