"""The OAuth server: rotation of refresh tokens, code exchange, and its errors."""

from __future__ import annotations

import time
from urllib.parse import parse_qsl, urlsplit

import pytest

from sandbox import Sandbox

from .conftest import APP, SECRET, Portal, error_of

REPLY_FIELDS = {
    "access_token",
    "refresh_token",
    "expires",
    "expires_in",
    "client_endpoint",
    "server_endpoint",
    "domain",
    "member_id",
    "scope",
    "status",
    "user_id",
}


def refresh(portal: Portal, token: str, **overrides: str):
    params = {
        "grant_type": "refresh_token",
        "client_id": APP,
        "client_secret": SECRET,
        "refresh_token": token,
    } | overrides
    return portal.oauth(**params)


def test_refresh_reply_has_every_field(portal: Portal, sandbox: Sandbox) -> None:
    before = time.time()
    reply = refresh(portal, portal.tokens["refresh_token"])
    assert reply.status_code == 200
    tokens = reply.json()
    assert set(tokens) == REPLY_FIELDS
    assert tokens["client_endpoint"] == tokens["server_endpoint"] == sandbox.url + "/rest/"
    assert tokens["domain"] == sandbox.url.removeprefix("http://")
    assert tokens["expires_in"] == 3600
    assert before + 3599 <= tokens["expires"] <= time.time() + 3600
    assert (tokens["scope"], tokens["status"], tokens["user_id"]) == ("telephony", "L", 1)
    assert tokens["member_id"] == portal.tokens["member_id"]


def test_every_refresh_rotates_and_the_old_refresh_token_dies(portal: Portal) -> None:
    first = refresh(portal, portal.tokens["refresh_token"]).json()
    assert first["refresh_token"] != portal.tokens["refresh_token"]
    again = refresh(portal, portal.tokens["refresh_token"])
    assert error_of(again)[:2] == (400, "invalid_grant")
    second = refresh(portal, first["refresh_token"]).json()
    assert portal.call("scope", token=second["access_token"]).status_code == 200
    # The access token issued with a spent refresh token died with it (training course).
    assert error_of(portal.call("scope", token=first["access_token"]))[:2] == (
        401,
        "invalid_token",
    )


def test_a_refresh_leaves_the_old_access_token_alive_in_the_docs_reading(
    portal: Portal, sandbox: Sandbox
) -> None:
    sandbox.configure(refresh_ends_access=False)
    first = refresh(portal, portal.tokens["refresh_token"]).json()
    refresh(portal, first["refresh_token"])
    assert portal.call("scope", token=first["access_token"]).status_code == 200


def test_a_refresh_token_lives_as_long_as_the_setting_says(
    portal: Portal, sandbox: Sandbox
) -> None:
    sandbox.configure(refresh_lifetime=28 * 86400.0)
    before = time.time()
    first = refresh(portal, portal.tokens["refresh_token"]).json()
    held = sandbox.store.token(first["refresh_token"], "refresh")
    assert held is not None and before + 28 * 86400 - 1 <= held.expires <= time.time() + 28 * 86400


def test_post_form_is_accepted_too(portal: Portal) -> None:
    reply = portal.http.post(
        portal.sb.url + "/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "client_id": APP,
            "client_secret": SECRET,
            "refresh_token": portal.tokens["refresh_token"],
        },
    )
    assert reply.status_code == 200 and "access_token" in reply.json()


def test_authorization_code_is_exchanged_once(portal: Portal, sandbox: Sandbox) -> None:
    code = sandbox.issue_auth_code(APP)
    params = {
        "grant_type": "authorization_code",
        "client_id": APP,
        "client_secret": SECRET,
        "code": code,
    }
    tokens = portal.oauth(**params).json()
    assert portal.call("scope", token=tokens["access_token"]).status_code == 200
    assert error_of(portal.oauth(**params)) == (400, "invalid_grant", "Invalid code")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"client_secret": "wrong"}, (401, "invalid_client", "Invalid client credentials")),
        ({"client_id": "app.9"}, (401, "invalid_client", "Invalid client credentials")),
        ({"refresh_token": "never-issued"}, (400, "invalid_grant", "Invalid refresh token")),
        ({"grant_type": "password"}, (400, "invalid_request", "Unsupported grant_type: password")),
        ({"refresh_token": ""}, (400, "invalid_request", "Missing parameter: refresh_token")),
        ({"client_id": ""}, (400, "invalid_request", "Missing parameter: client_id")),
    ],
)
def test_oauth_errors(portal: Portal, overrides: dict, expected: tuple) -> None:
    assert error_of(refresh(portal, portal.tokens["refresh_token"], **overrides)) == expected


def test_a_refresh_token_of_another_app_is_invalid_grant(portal: Portal, sandbox) -> None:
    sandbox.add_app("app.2", "secret2")
    other = sandbox.issue_tokens("app.2")["refresh_token"]
    assert error_of(refresh(portal, other))[1] == "invalid_grant"
    assert refresh(portal, other, client_id="app.2", client_secret="secret2").status_code == 200


def test_revoked_refresh_tokens_are_invalid_grant(portal: Portal, sandbox: Sandbox) -> None:
    assert sandbox.revoke_refresh_tokens(APP) == 1
    assert error_of(refresh(portal, portal.tokens["refresh_token"]))[1] == "invalid_grant"


def test_oauth_calls_are_logged_with_the_client_id(portal: Portal, sandbox: Sandbox) -> None:
    refresh(portal, portal.tokens["refresh_token"])
    refresh(portal, portal.tokens["refresh_token"])
    assert [(e["method"], e["app"], e["status"], e["error"]) for e in sandbox.request_log()] == [
        ("oauth/token", APP, 200, None),
        ("oauth/token", APP, 400, "invalid_grant"),
    ]


def authorize(portal: Portal, **params: str):
    return portal.http.get(
        f"{portal.sb.url}/oauth/authorize/", params=params, allow_redirects=False, timeout=10
    )


def test_authorize_redirects_with_a_code_the_token_endpoint_takes_once(
    portal: Portal, sandbox: Sandbox
) -> None:
    reply = authorize(portal, client_id=APP, state="xyz")
    assert reply.status_code == 302
    location = urlsplit(reply.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{sandbox.url}/oauth/authorized/"
    )
    query = dict(parse_qsl(location.query, keep_blank_values=True))
    host = sandbox.url.removeprefix("http://")
    assert {k: v for k, v in query.items() if k != "code"} == {
        "state": "xyz",
        "domain": host,
        "member_id": portal.tokens["member_id"],
        "scope": "telephony",
        "server_domain": host,
    }
    page = portal.http.get(reply.headers["Location"], timeout=10)
    assert page.status_code == 200 and page.json()["code"] == query["code"]
    params = {"grant_type": "authorization_code", "client_id": APP, "client_secret": SECRET}
    assert portal.oauth(**params, code=query["code"]).status_code == 200
    assert error_of(portal.oauth(**params, code=query["code"]))[:2] == (400, "invalid_grant")
    assert sandbox.request_log()[0]["method"] == "oauth/authorize"


def test_authorize_sends_the_code_to_the_redirect_uri_given(portal: Portal) -> None:
    reply = authorize(portal, client_id=APP, redirect_uri="https://app.example/handler?x=1")
    assert reply.headers["Location"].startswith("https://app.example/handler?x=1&code=")


def test_authorize_of_an_unknown_application_is_refused(portal: Portal) -> None:
    reply = authorize(portal, client_id="local.nobody")
    assert error_of(reply) == (400, "invalid_client", "No application local.nobody")
    assert "Location" not in reply.headers
