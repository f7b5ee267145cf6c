"""Who may call: tokens, webhooks, scopes and unknown methods (app.info: test_application)."""

from __future__ import annotations

import time

import pytest

from sandbox import WEBHOOK_POOL, Sandbox

from .conftest import APP, Portal, error_of

GET, ADD = "telephony.externalLine.get", "telephony.externalLine.add"
UPDATE, DELETE = "telephony.externalLine.update", "telephony.externalLine.delete"
WRONG_AUTH = (403, "WRONG_AUTH_TYPE", "Current authorization type is denied for this method")


def test_no_token_at_all_is_no_auth_found(portal: Portal) -> None:
    assert error_of(portal.call(GET, token=None)) == (
        401,
        "NO_AUTH_FOUND",
        "Wrong authorization data",
    )


def test_never_issued_token_is_invalid_token(portal: Portal) -> None:
    reply = portal.call(GET, token="f" * 40)
    assert error_of(reply) == (401, "invalid_token", "Unable to get application by token")


def test_refresh_token_is_not_an_access_token(portal: Portal) -> None:
    reply = portal.call(GET, token=portal.tokens["refresh_token"])
    assert error_of(reply)[1] == "invalid_token"


def test_access_token_expires_after_its_lifetime(sandbox: Sandbox) -> None:
    sandbox.configure(token_lifetime=1)
    portal = Portal(sandbox)
    assert portal.tokens["expires_in"] == 1
    # A real wait: this is the lifetime test (forced expiry is the next one). Only the
    # refusal after it is asserted: a slower machine waits longer, never less; that a token
    # works within its lifetime every other test shows, at the default hour.
    time.sleep(1.1)
    expired = (401, "expired_token", "The access token provided has expired.")
    assert error_of(portal.call(GET)) == expired


def test_expire_access_tokens_expires_every_token_now(portal: Portal, sandbox: Sandbox) -> None:
    assert sandbox.expire_access_tokens() == 1
    assert error_of(portal.call(GET))[:2] == (401, "expired_token")
    assert portal.call(GET, token=sandbox.issue_tokens(APP)["access_token"]).status_code == 200


def test_uninstalled_application_tokens_are_invalid(portal: Portal, sandbox: Sandbox) -> None:
    portal.ok(ADD, NUMBER="100")
    sandbox.remove_app(APP)
    assert error_of(portal.call(GET))[:2] == (401, "invalid_token")
    sandbox.add_app(APP, "secret1")
    assert sandbox.lines(APP) == []


def test_token_without_telephony_scope_is_insufficient_scope(sandbox: Sandbox) -> None:
    sandbox.add_app("crm.only", "s", scopes=("crm",))
    portal = Portal(sandbox)
    token = sandbox.issue_tokens("crm.only")["access_token"]
    assert error_of(portal.call(GET, token=token)) == (
        403,
        "insufficient_scope",
        "The request requires higher privileges than provided by the access token",
    )
    assert portal.call("scope", token=token).json()["result"] == ["crm"]


def test_scope_lists_the_tokens_scopes(portal: Portal) -> None:
    assert portal.ok("scope") == ["telephony"]


def test_unknown_method(portal: Portal) -> None:
    reply = portal.call("telephony.externalLine.list")
    assert error_of(reply) == (404, "ERROR_METHOD_NOT_FOUND", "Method not found!")


def test_webhook_lines_form_their_own_pool(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    portal.ok(ADD, NUMBER="100", NAME="app")
    reply = portal.webhook(1, "abc123", ADD + ".json", NUMBER="100", NAME="hook")
    assert reply.json()["result"] == {"ID": 2}
    assert portal.webhook(1, "abc123", GET).json()["result"] == [
        {"NUMBER": "100", "NAME": "hook", "CRM_AUTO_CREATE": "Y"}
    ]
    assert [line["ID"] for line in sandbox.lines(WEBHOOK_POOL)] == [2]
    assert portal.webhook(1, "abc123", "scope").json()["result"] == ["telephony"]
    assert sandbox.request_log()[-1]["app"] == "webhook:1"


def test_webhook_lines_have_no_application_so_a_number_can_repeat(
    portal: Portal, sandbox: Sandbox
) -> None:
    """Rest\\Helper::addExternalLine relies on the unique key (application, number), which
    does not hold for the NULL application: a second add makes a second line, and update
    and delete by number reach the oldest of them."""
    sandbox.add_webhook(user_id=1, code="abc123")
    sandbox.add_webhook(user_id=2, code="other")
    first = portal.webhook(1, "abc123", ADD, NUMBER="100", NAME="mine").json()["result"]["ID"]
    second = portal.webhook(2, "other", ADD, NUMBER="100", NAME="theirs").json()["result"]["ID"]
    assert second != first
    assert [line["NAME"] for line in portal.webhook(2, "other", GET).json()["result"]] == [
        "mine",
        "theirs",
    ]
    updated = portal.webhook(2, "other", UPDATE, NUMBER="100", NAME="renamed").json()
    assert updated["result"] == {"ID": str(first)}
    assert portal.webhook(2, "other", DELETE, NUMBER="100").json()["result"] == []
    assert [(line["ID"], line["NAME"]) for line in sandbox.lines(WEBHOOK_POOL)] == [
        (second, "theirs")
    ]


def test_sip_numbers_share_the_webhooks_null_application(portal: Portal, sandbox: Sandbox) -> None:
    """The SIP connector's numbers sit in the same table with no application: a webhook
    lists them and its delete by number removes one; an application never sees them."""
    sandbox.add_webhook(user_id=1, code="abc123")
    sip = sandbox.add_sip_line("74950001122", "Office PBX")
    assert portal.ok(GET) == []
    assert portal.webhook(1, "abc123", GET).json()["result"] == [
        {"NUMBER": "74950001122", "NAME": "Office PBX", "CRM_AUTO_CREATE": "Y"}
    ]
    portal.webhook(1, "abc123", ADD, NUMBER="74950001122", NAME="hook")
    assert portal.webhook(1, "abc123", DELETE, NUMBER="74950001122").json()["result"] == []
    assert sip not in [line["ID"] for line in sandbox.lines(WEBHOOK_POOL)]
    assert portal.ok(ADD, NUMBER="74950001122", NAME="app")["ID"]
    assert error_of(portal.call(ADD, NUMBER="74950001122"))[2] == "Line already exists"


def test_webhooks_denied_get_wrong_auth_type(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.configure(webhooks_allowed=False)
    sandbox.add_webhook(user_id=1, code="abc123")
    assert error_of(portal.webhook(1, "abc123", GET)) == WRONG_AUTH
    assert error_of(portal.webhook(1, "abc123", ADD, NUMBER="100")) == WRONG_AUTH
    assert portal.webhook(1, "abc123", "scope").status_code == 200
    assert portal.ok(GET) == []


@pytest.mark.parametrize(("user_id", "code"), [(1, "wrong"), (2, "abc123")])
def test_bad_webhook_credentials(portal: Portal, sandbox: Sandbox, user_id, code) -> None:
    sandbox.add_webhook(user_id=1, code="abc123")
    reply = portal.webhook(user_id, code, GET)
    assert error_of(reply) == (401, "INVALID_CREDENTIALS", "Invalid request credentials")


def test_webhook_without_telephony_scope(portal: Portal, sandbox: Sandbox) -> None:
    sandbox.add_webhook(user_id=3, code="crm", scopes=("crm",))
    assert error_of(portal.webhook(3, "crm", GET))[:2] == (403, "insufficient_scope")
