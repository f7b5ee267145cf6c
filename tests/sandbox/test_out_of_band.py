"""Changes made outside the REST methods, portal-wide switches, and the request log."""

from __future__ import annotations

import pytest

from sandbox import SYSTEM_ERRORS, Sandbox

from .conftest import APP, Portal, error_of

GET, ADD = "telephony.externalLine.get", "telephony.externalLine.add"


def test_seed_rename_delete_show_through_get(portal: Portal, sandbox: Sandbox) -> None:
    assert sandbox.seed_line(APP, " 100 ", name="Seeded", crm_auto_create="N") == 1
    sandbox.rename_line(APP, "100", "Renamed")
    assert portal.ok(GET) == [{"NUMBER": "100", "NAME": "Renamed", "CRM_AUTO_CREATE": "N"}]
    assert error_of(portal.call(ADD, NUMBER="100"))[2] == "Line already exists"
    sandbox.delete_line(APP, "100")
    assert portal.ok(GET) == []


def test_out_of_band_errors(sandbox: Sandbox) -> None:
    with pytest.raises(KeyError, match="no line"):
        sandbox.rename_line(APP, "100", "x")
    with pytest.raises(KeyError, match="no line"):
        sandbox.delete_line(APP, "100")
    with pytest.raises(KeyError, match=r"no application 'app\.9'"):
        sandbox.lines("app.9")
    sandbox.seed_line(APP, "100")
    with pytest.raises(ValueError, match="Line already exists: 100"):
        sandbox.seed_line(APP, "100")
    with pytest.raises(ValueError, match="CRM_AUTO_CREATE"):
        sandbox.seed_line(APP, "200", crm_auto_create="y")
    with pytest.raises(ValueError, match="reserved"):
        sandbox.add_app("webhook", "s")


def test_register_call_creates_a_nameless_line_then_add_fails(portal: Portal, sandbox) -> None:
    assert sandbox.register_call(APP, "+74951234567") == 1
    assert sandbox.register_call(APP, "+74951234567") == 1
    assert portal.ok(GET) == [{"NUMBER": "+74951234567", "NAME": "", "CRM_AUTO_CREATE": "Y"}]
    assert error_of(portal.call(ADD, NUMBER="+74951234567"))[2] == "Line already exists"


def test_clean_up_agent_collects_only_nameless_crm_y_lines(portal: Portal, sandbox) -> None:
    sandbox.register_call(APP, "1")
    portal.ok(ADD, NUMBER="2", NAME="named")
    portal.ok(ADD, NUMBER="3", CRM_AUTO_CREATE="N")
    assert sandbox.collect_unused_lines(APP) == 1
    assert [line["NUMBER"] for line in portal.ok(GET)] == ["2", "3"]


@pytest.mark.parametrize("code", sorted(SYSTEM_ERRORS))
def test_system_error_switch(portal: Portal, sandbox: Sandbox, code: str) -> None:
    sandbox.configure(system_error=code)
    status, description = SYSTEM_ERRORS[code]
    assert error_of(portal.call(GET)) == (status, code, description)
    sandbox.configure(system_status=500)
    assert error_of(portal.call(ADD, NUMBER="1"))[:2] == (500, code)
    assert sandbox.lines(APP) == []


def test_overload_limit_is_503_with_its_own_code(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(system_error="OVERLOAD_LIMIT")
    assert error_of(portal.call(GET)) == (
        503,
        "OVERLOAD_LIMIT",
        "REST API is blocked due to overload.",
    )


def test_require_https(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(require_https=True)
    assert error_of(portal.call(GET)) == (400, "INVALID_REQUEST", "Https required")
    assert error_of(portal.call(GET, token=None))[1] == "INVALID_REQUEST"


@pytest.mark.parametrize(
    "changes",
    [
        {"error_code": "CORE"},
        {"system_error": "NOPE"},
        {"rate": -1},
        {"burst": 0},
        {"token_lifetime": 0},
        {"system_status": 200},
        {"batch_references": "newest"},
    ],
)
def test_bad_settings_are_refused(sandbox: Sandbox, changes: dict) -> None:
    with pytest.raises(ValueError, match=next(iter(changes))):
        sandbox.configure(**changes)


def test_request_log_records_each_call(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=5, code="c")
    portal.ok(ADD, NUMBER="1")
    portal.call("no.such")
    portal.call(GET, token=None)
    portal.webhook(5, "c", GET)
    log = sandbox.request_log()
    assert [(e["method"], e["app"], e["status"], e["fault"], e["error"]) for e in log] == [
        (ADD, APP, 200, None, None),
        ("no.such", APP, 404, None, "ERROR_METHOD_NOT_FOUND"),
        (GET, None, 401, None, "NO_AUTH_FOUND"),
        (GET, "webhook:5", 200, None, None),
    ]
    assert all(isinstance(e["latency_ms"], float) and e["latency_ms"] > 0 for e in log)
    sandbox.clear_log()
    assert sandbox.request_log() == []
