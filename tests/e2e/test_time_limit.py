"""A method's time budget spent by another application, through the real CLI.

OPERATION_TIME_LIMIT may count per method for the whole portal (sandbox
`shared_time_budget`), and its error reply has no `time` block, so there is no reset time
to wait for (docs/bitrix24-facts.md, "Method time limit"). The client then waits by the
portal's window, within `bitrix24:deadline`; past it, the `up` stops with one message that
says the budget may be shared and how long it can stay spent, and nothing is applied.
"""

from __future__ import annotations

import requests

from tests.e2e.conftest import CLIENT_ID, portal_lines, stack_file
from tests.e2e.output import diagnostics

ADD = "telephony.externalLine.add"


def test_a_budget_another_application_spent_stops_the_up_with_one_message(project, sandbox):
    sandbox.configure(shared_time_budget=True, time_budget=1.0, call_cost=2.0)
    sandbox.add_app("local.other", "other-secret")
    other = sandbox.issue_tokens("local.other")
    spent = requests.post(
        f"{sandbox.url}/rest/{ADD}",
        json={"auth": other["access_token"], "NUMBER": "74950000000"},
        timeout=10,
    )
    assert spent.status_code == 200  # 2 s of a 1 s budget: the method is blocked now
    project.config_set("bitrix24:deadline", "5")
    project.write_stack(stack_file(sandbox, ("74951234567", "Reception")))

    failed = project.up(check=False)
    assert failed.returncode != 0
    assert "Traceback" not in failed.stdout + failed.stderr
    (message,) = [e for e in diagnostics(failed.stdout) if e.startswith("bitrix24: ")]
    assert "OPERATION_TIME_LIMIT: Method is blocked due to operation time limit. Fix:" in message
    assert message.count("Fix:") == 1
    assert "other applications and webhooks calling it may share it" in message
    assert "up to 10 minutes" in message and "bitrix24:deadline to 660" in message
    assert portal_lines(sandbox) == {} and sandbox.lines(CLIENT_ID) == []
    assert project.line_resources() == {}
