"""`update` records what the portal holds after the call, not the inputs it was given."""

from __future__ import annotations

from tests.e2e.conftest import CLIENT_ID, portal_lines, stack_file


def test_a_flag_change_after_a_rename_by_hand_records_the_portals_name(project, sandbox):
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception", True)))
    project.up()
    sandbox.rename_line(CLIENT_ID, "74951234567", "Renamed by hand")  # no --refresh follows
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception", False)))
    project.up()

    held = portal_lines(sandbox)["74951234567"]
    assert (held["NAME"], held["CRM_AUTO_CREATE"]) == ("Renamed by hand", "N")  # name not sent
    outputs = project.line_resources()["74951234567"]["outputs"]
    assert (outputs["name"], outputs["crm_auto_create"]) == ("Renamed by hand", False)
    # State tells the truth, so the next plan puts the declared name back.
    assert project.run("preview", "--expect-no-changes", check=False).returncode != 0
    project.up()
    assert portal_lines(sandbox)["74951234567"]["NAME"] == "Reception"
    project.run("preview", "--refresh", "--expect-no-changes")
