"""A portal whose voximplant predates 23.0.0, through the real CLI.

Such a portal writes NAME from every update (absent: empty), ignores CRM_AUTO_CREATE
and lists NUMBER and NAME only (sandbox `legacy_lines`). A change of the flag alone must
not wipe the name, the flag must never show as a change, and the run says once, in the
preview and so in the pull request's comment, that the flag is not managed there.
"""

from __future__ import annotations

import json

from tests.e2e.conftest import portal_lines, stack_file
from tests.e2e.test_plan import plan

LINES = (("74951234567", "Reception", True), ("74951234568", "Sales", True))


def test_an_older_portal_keeps_names_and_the_flag_never_shows_as_a_change(
    tmp_path, project, sandbox
):
    sandbox.configure(legacy_lines=True)
    project.write_stack(stack_file(sandbox, *LINES))
    project.up()

    # The flag of one line changes alone, before any refresh has shown the portal's age.
    project.write_stack(stack_file(sandbox, LINES[0], ("74951234568", "Sales", False)))
    project.up()
    held = portal_lines(sandbox)
    assert {n: line["NAME"] for n, line in held.items()} == {
        "74951234567": "Reception",
        "74951234568": "Sales",  # not wiped: NAME went with the update
    }
    state = project.line_resources()["74951234568"]["outputs"]
    assert (state["crm_auto_create"], state["crm_auto_create_managed"]) == (False, False)

    project.run("refresh", "--yes", "--skip-preview")
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception", False), LINES[1]))
    preview = project.run("preview", "--json", "--expect-no-changes")  # the flag: no change
    parsed = json.loads(preview.stdout)
    warnings = [d["message"] for d in parsed.get("diagnostics", []) if d["severity"] == "warning"]
    assert len(warnings) == 1 and "does not keep CRM_AUTO_CREATE" in warnings[0]
    assert sandbox.url in warnings[0] and "voximplant 23.0.0" in warnings[0]

    saved = tmp_path / "preview.json"
    saved.write_text(preview.stdout)
    comment = plan(saved, cwd=project.root)
    assert r"> [!NOTE]" in comment and r"does not keep CRM\_AUTO\_CREATE" in comment

    project.write_stack(stack_file(sandbox, ("74951234567", "Front desk", False), LINES[1]))
    project.up()  # a rename still goes through, and only it
    assert portal_lines(sandbox)["74951234567"]["NAME"] == "Front desk"
    project.run("preview", "--expect-no-changes", "--refresh")
