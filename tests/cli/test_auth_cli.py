"""`python -m provider auth` as a person runs it, against a sandbox portal over HTTP."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.cli.conftest import provider_cli

APP, SECRET = "local.cli", "cli-secret-never-printed"


@pytest.fixture
def portal():
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET)
        sb.bind_event(APP)  # set up as the guides say: its handler takes the calls
        yield sb


def auth(
    tmp_path: Path, portal: Sandbox, *args: str, stdin: str = "", **env: str
) -> subprocess.CompletedProcess:
    settings = {
        "BITRIX24_CLIENT_ID": APP,
        "BITRIX24_CLIENT_SECRET": SECRET,
        "BITRIX24_OAUTH_SERVER": portal.url,
        "BITRIX24_TOKEN_STORE": str(tmp_path / "store"),
    }
    return provider_cli("auth", *args, stdin=stdin, **{**settings, **env})


def test_code_then_check_then_hand_on_the_rotated_token(tmp_path, portal):
    code = portal.issue_auth_code(APP)
    first = auth(tmp_path, portal, "--code", stdin=code + "\n")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[:3] == [
        f"portal      {portal.url}",
        f"credential  oauth, application {APP}",
        "scope       telephony",
    ]
    stored = auth(tmp_path, portal, "--print-refresh-token").stdout.strip()
    assert len(stored) >= 32

    portal.expire_access_tokens()  # --check must refresh, rotating the stored token
    checked = auth(tmp_path, portal, "--portal", portal.url, "--check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"portal      {portal.url}\n")
    rotated = auth(tmp_path, portal, "--print-refresh-token").stdout.strip()
    assert rotated != stored
    for result in (first, checked):
        assert SECRET not in result.stdout + result.stderr
        assert stored not in result.stdout + result.stderr


def age_the_chain(tmp_path: Path, days: float) -> float:
    """Make the token store say the chain last moved `days` ago, as a month-idle pipeline's
    store would; the time it now says."""
    (path,) = (tmp_path / "store").glob("*.json")
    data = json.loads(path.read_text())
    data["tokens"]["refreshed_at"] = time.time() - days * 86400
    path.write_text(json.dumps(data))
    return data["tokens"]["refreshed_at"]


def test_check_shows_the_chains_age_and_warns_past_21_days(tmp_path, portal):
    assert auth(tmp_path, portal, "--code", stdin=portal.issue_auth_code(APP)).returncode == 0
    fresh = auth(tmp_path, portal, "--portal", portal.url, "--check")
    assert "(0 days ago)" in fresh.stdout and "warning" not in fresh.stderr

    aged = age_the_chain(tmp_path, 22)
    idle = auth(tmp_path, portal, "--portal", portal.url, "--check")  # access token valid
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(aged))
    assert f"refreshed   {when} (22 days ago)\n" in idle.stdout
    assert "the refresh token has gone 22 days unused" in idle.stderr
    assert "schedule the drift job" in idle.stderr

    portal.expire_access_tokens()  # this check refreshes: the chain moves
    renewed = auth(tmp_path, portal, "--portal", portal.url, "--check")
    assert "(22 days ago); renewed by this check" in renewed.stdout
    assert "had gone 22 days unused" in renewed.stderr
    after = auth(tmp_path, portal, "--portal", portal.url, "--check")
    assert "(0 days ago)" in after.stdout and "warning" not in after.stderr


def test_a_spent_code_says_how_to_authorise_again(tmp_path, portal):
    code = portal.issue_auth_code(APP)
    assert auth(tmp_path, portal, "--code", stdin=code).returncode == 0
    again = auth(tmp_path, portal, "--code", stdin=code)
    assert again.returncode == 1
    assert again.stderr.startswith(f"auth: the OAuth server refused {APP}")
    assert "authorise the application again" in again.stderr
    assert code not in again.stderr


def test_a_missing_scope_is_reported(tmp_path, portal):
    portal.add_app(APP, SECRET, scopes=("crm",))
    result = auth(tmp_path, portal, "--code", stdin=portal.issue_auth_code(APP))
    assert result.returncode == 1
    assert "lacks the telephony scope" in result.stderr


def test_check_finds_the_portal_the_authorisation_named(tmp_path, portal):
    assert auth(tmp_path, portal, "--code", stdin=portal.issue_auth_code(APP)).returncode == 0
    checked = auth(tmp_path, portal, "--check")
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"portal      {portal.url}\n")


def test_check_without_a_known_portal_asks_for_one(tmp_path, portal):
    result = auth(tmp_path, portal, "--check", BITRIX24_REFRESH_TOKEN="r" * 20)
    assert result.returncode == 1
    assert result.stderr == (
        "auth: portal: is unknown: the credentials do not name it. "
        "Fix: pass --portal https://<your-portal>.bitrix24.com\n"
    )


def test_plain_http_oauth_server_off_loopback_is_refused(tmp_path, portal):
    result = auth(
        tmp_path, portal, "--code", stdin="x", BITRIX24_OAUTH_SERVER="http://oauth.example"
    )
    assert result.returncode == 1
    assert "bitrix24:oauthServer uses plain http on oauth.example" in result.stderr


def test_stack_config_without_pulumi_on_path_is_one_clear_line(tmp_path, portal):
    result = auth(tmp_path, portal, "--stack", "prod", "--check", PATH=str(tmp_path))
    assert result.returncode == 1
    assert result.stderr == (
        "auth: `pulumi` is not on PATH. Fix: run it in the project folder after "
        "`source scripts/env.sh`, with the passphrase set\n"
    )


def test_a_code_in_argv_is_refused_without_echoing_it(tmp_path, portal):
    code = portal.issue_auth_code(APP)
    result = auth(tmp_path, portal, "--code", code)
    assert result.returncode == 1
    assert result.stderr == (
        "auth: --code: takes no value: a code on the command line stays in the shell history."
        " Fix: run `python -m provider auth --code` and paste the code (or the whole address"
        " the portal redirected to) when asked, or pipe it in\n"
    )
    assert portal.request_log() == []


def test_the_address_the_portal_redirected_to_may_be_pasted_whole(tmp_path, portal):
    address = f"https://app.example/handler?code={portal.issue_auth_code(APP)}&state=&domain=x"
    result = auth(tmp_path, portal, "--code", stdin=address)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"portal      {portal.url}\n")


def test_a_pasted_address_naming_another_oauth_server_says_which_to_set(tmp_path, portal):
    code = portal.issue_auth_code(APP)
    address = f"https://acme.example/?code={code}&domain=acme.example&server_domain=oauth.example"
    result = auth(tmp_path, portal, "--code", stdin=address)
    assert result.returncode == 1
    assert result.stderr == (
        f"auth: the portal uses the OAuth server oauth.example, bitrix24:oauthServer is"
        f" {portal.url}. Fix: set it to that server's address: pulumi config set"
        " bitrix24:oauthServer <value> (or export BITRIX24_OAUTH_SERVER) with"
        " https://oauth.example, then authorise again with a new code\n"
    )
    assert portal.request_log() == []


def test_no_code_on_stdin_says_where_to_get_one(tmp_path, portal):
    result = auth(tmp_path, portal, "--code", stdin="\n")
    assert result.returncode == 1
    assert result.stderr.startswith("auth: code: is empty. Fix: open https://<portal>/oauth/")


def test_a_stray_argument_is_refused_without_a_call(tmp_path, portal):
    result = auth(tmp_path, portal, "--check", "extra")
    assert (result.returncode, result.stderr) == (
        1,
        "auth: command line: has an argument without an option. Fix: see python -m provider"
        " auth --help\n",
    )
    assert portal.request_log() == []
