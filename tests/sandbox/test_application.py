"""app.info and the application's event handlers: event.get, event.bind, event.unbind."""

from __future__ import annotations

import pytest

from sandbox import Sandbox

from .conftest import APP, Portal, error_of

START = "ONEXTERNALCALLSTART"
HANDLER = "https://pbx.example/handler"
WRONG_AUTH = (403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")


def test_app_info_names_the_calling_application(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_app("local.6572f0.1234", "s2")
    other = Portal(sandbox)
    other.tokens = sandbox.issue_tokens("local.6572f0.1234")
    info = other.ok("app.info")
    assert (info["ID"], info["CODE"], info["STATUS"], info["INSTALLED"]) == (
        sandbox.app_id("local.6572f0.1234"),
        "local.6572f0.1234",
        "L",
        True,
    )
    assert info["ID"] != portal.ok("app.info")["ID"]
    assert set(info) >= {"VERSION", "PAYMENT_EXPIRED", "LICENSE"}


def test_app_info_needs_no_scope(sandbox: Sandbox) -> None:
    sandbox.add_app("crm.only", "s", scopes=("crm",))
    portal = Portal(sandbox)
    token = sandbox.issue_tokens("crm.only")["access_token"]
    assert portal.call("app.info", token=token).json()["result"]["CODE"] == "crm.only"


def test_app_info_through_a_webhook_names_no_application(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    result = portal.webhook(1, "abc123", "app.info").json()["result"]
    assert set(result) == {"SCOPE", "LICENSE"} and result["SCOPE"] == ["telephony"]


def test_a_new_application_has_no_handler(portal: Portal) -> None:
    assert portal.ok("event.get") == []


def test_bind_then_get_lists_the_handler_upper_cased(portal: Portal) -> None:
    assert portal.ok("event.bind", event="OnExternalCallStart", handler=HANDLER) is True
    assert portal.ok("event.get") == [
        {"event": START, "handler": HANDLER, "auth_type": "0", "offline": 0}
    ]


def test_handlers_belong_to_their_application(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_app("app.2", "s2")
    sandbox.bind_event("app.2")
    assert portal.ok("event.get") == []
    assert sandbox.handlers("app.2") == [{"event": START, "handler": HANDLER}]


def test_bound_out_of_band_shows_in_event_get(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.bind_event(APP, handler="https://pbx.example/other")
    sandbox.bind_event(APP, handler="https://pbx.example/other")  # again: nothing changes
    assert [h["handler"] for h in portal.ok("event.get")] == ["https://pbx.example/other"]


def test_unbind_removes_the_named_handler(portal: Portal) -> None:
    portal.ok("event.bind", event="OnExternalCallStart", handler=HANDLER)
    portal.ok("event.bind", event="OnExternalCallStart", handler="https://pbx.example/2")
    assert portal.ok("event.unbind", EVENT="onexternalcallstart", HANDLER=HANDLER) == {"count": 1}
    assert [h["handler"] for h in portal.ok("event.get")] == ["https://pbx.example/2"]
    assert portal.ok("event.unbind", event=START, handler=HANDLER) == {"count": 0}


def test_unbind_out_of_band_removes_every_handler_of_the_event(
    portal: Portal, sandbox: Sandbox
) -> None:
    sandbox.bind_event(APP)
    sandbox.bind_event(APP, handler="https://pbx.example/2")
    sandbox.bind_event(APP, "OnAppUninstall")
    sandbox.unbind_event(APP)
    assert [h["event"] for h in portal.ok("event.get")] == ["ONAPPUNINSTALL"]


def test_binding_the_same_handler_twice_is_refused(portal: Portal) -> None:
    portal.ok("event.bind", event=START, handler=HANDLER)
    reply = portal.call("event.bind", event="OnExternalCallStart", handler=HANDLER)
    assert error_of(reply) == (
        400,
        "ERROR_CORE",
        "Unable to set event handler: Handler already binded",
    )


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"handler": HANDLER}, ("ERROR_ARGUMENT", "Argument 'EVENT' is null or empty")),
        ({"event": START}, ("ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty")),
        ({"event": "OnNothing", "handler": HANDLER}, ("ERROR_EVENT_NOT_FOUND", "Event not found")),
        (
            {"event": START, "handler": "https://localhost/h"},
            ("ERROR_WRONG_HANDLER_URL", "Wrong handler URL"),
        ),
        (
            {"event": START, "handler": "ftp://pbx.example/h"},
            ("ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol"),
        ),
        (
            {"event": START, "handler": HANDLER, "event_type": "sometimes"},
            ("ERROR_ARGUMENT", "Value must be one of {online|offline}"),
        ),
    ],
)
def test_bind_refusals(portal: Portal, params, error) -> None:
    assert error_of(portal.call("event.bind", **params)) == (400, *error)
    assert portal.ok("event.get") == []


def test_unbind_needs_a_handler(portal: Portal) -> None:
    reply = portal.call("event.unbind", event=START)
    assert error_of(reply) == (400, "ERROR_ARGUMENT", "Argument 'HANDLER' is null or empty")


def test_a_telephony_event_needs_the_telephony_scope(sandbox: Sandbox) -> None:
    sandbox.add_app("crm.only", "s", scopes=("crm",))
    portal = Portal(sandbox)
    token = sandbox.issue_tokens("crm.only")["access_token"]
    reply = portal.call("event.bind", token=token, event=START, handler=HANDLER)
    assert error_of(reply) == (400, "ERROR_EVENT_NOT_FOUND", "Event not found")
    assert portal.call("event.bind", token=token, event="OnAppUninstall", handler=HANDLER).ok


def test_an_offline_binding_lists_as_offline(portal: Portal) -> None:
    portal.ok("event.bind", event=START, event_type="offline")
    assert portal.ok("event.get") == [{"event": START, "connector_id": "", "offline": 1}]
    assert portal.ok("event.unbind", event=START, event_type="offline") == {"count": 1}


def test_event_methods_refuse_webhooks(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    for method in ("event.get", "event.bind", "event.unbind"):
        reply = portal.webhook(1, "abc123", method, event=START, handler=HANDLER)
        assert error_of(reply) == WRONG_AUTH


def test_uninstalling_drops_the_handlers(sandbox: Sandbox) -> None:
    sandbox.bind_event(APP)
    sandbox.remove_app(APP)
    sandbox.add_app(APP, "secret1")
    assert sandbox.handlers(APP) == []
