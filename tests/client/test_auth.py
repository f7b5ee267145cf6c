"""Credentials: settings lookup, OAuth refresh and rotation, the token store, webhooks."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from provider.bitrix24 import errors
from provider.bitrix24.auth import OAuth, Webhook, authorise, newest_refresh_token, settings_from
from provider.bitrix24.oauth import exchange_code, token_request
from provider.bitrix24.tokenstore import TokenStore, fingerprint

from .conftest import APP, HOOK_CODE, SECRET, Portal

GET = "telephony.externalLine.get"
ROOT = Path(__file__).resolve().parents[2]


def oauth_log(portal: Portal) -> list[tuple[object, object]]:
    return [(e["status"], e["error"]) for e in portal.log("oauth/token")]


def stored(portal: Portal) -> dict:
    (path,) = portal.store_dir.glob("*.json")
    return json.loads(path.read_text())["tokens"]


# Settings


def test_config_wins_over_environment(tmp_path: Path) -> None:
    config = {
        "bitrix24:clientId": "from.config",
        "bitrix24:clientSecret": "config-secret-1",
        "bitrix24:refreshToken": "config-refresh-1",
        "bitrix24:tokenStore": str(tmp_path),
    }
    environ = {
        "BITRIX24_CLIENT_ID": "from.env",
        "BITRIX24_CLIENT_SECRET": "env-secret-1",
        "BITRIX24_REFRESH_TOKEN": "env-refresh-1",
        "BITRIX24_OAUTH_SERVER": "https://oauth.bitrix24.tech",
    }
    auth = settings_from(config, environ)
    assert isinstance(auth, OAuth)
    assert auth.client_id == "from.config"
    assert auth.oauth_server == "https://oauth.bitrix24.tech"  # only the env had it
    assert "config-secret-1" not in repr(auth) and "refresh" not in repr(auth)


def test_environment_alone_is_enough(tmp_path: Path) -> None:
    auth = settings_from(
        {},
        {
            "BITRIX24_CLIENT_ID": "env.app",
            "BITRIX24_CLIENT_SECRET": "s" * 8,
            "BITRIX24_ACCESS_TOKEN": "a" * 10,
            "BITRIX24_TOKEN_STORE": str(tmp_path),
        },
    )
    assert isinstance(auth, OAuth) and auth.oauth_server == "https://oauth.bitrix.info"


def test_no_credentials_names_every_way_to_set_them(leaks) -> None:
    with leaks.raises(errors.CredentialsError) as info:
        settings_from({}, {})
    message = str(info.value)
    for part in (
        "pulumi config set bitrix24:clientId",
        "BITRIX24_CLIENT_ID",
        "pulumi config set --secret bitrix24:clientSecret",
        "pulumi config set --secret bitrix24:refreshToken",
        "pulumi config set --secret bitrix24:webhookUrl",
    ):
        assert part in message


def test_missing_secret_names_exactly_that_key(leaks) -> None:
    with leaks.raises(errors.CredentialsError) as info:
        settings_from({"bitrix24:clientId": "app.x"}, {})
    assert "pulumi config set --secret bitrix24:clientSecret <value>" in info.value.fix
    assert "BITRIX24_CLIENT_SECRET" in info.value.fix
    assert "refreshToken" not in str(info.value)


def test_missing_refresh_token_with_an_empty_store(tmp_path: Path, leaks) -> None:
    with leaks.raises(errors.CredentialsError, match="bitrix24:refreshToken") as info:
        settings_from(
            {
                "bitrix24:clientId": "app.x",
                "bitrix24:clientSecret": SECRET,
                "bitrix24:tokenStore": str(tmp_path),
            },
            {},
        )
    assert f"the token store ({tmp_path}/app.x@oauth.bitrix.info.json)" in info.value.reason


@pytest.mark.parametrize(
    ("config", "environ", "named"),
    [
        ({}, {"BITRIX24_TOKEN_STORE": ""}, "BITRIX24_TOKEN_STORE is set but empty"),
        ({"bitrix24:tokenStore": " "}, {}, "bitrix24:tokenStore is set but empty"),
    ],
)
def test_an_empty_token_store_setting_is_an_error_not_the_home_folder(
    config: dict, environ: dict, named: str, leaks
) -> None:
    settings = {"bitrix24:clientId": "app.x", "bitrix24:clientSecret": SECRET, **config}
    with leaks.raises(errors.CredentialsError) as info:
        settings_from(settings, {"BITRIX24_REFRESH_TOKEN": "r" * 20, **environ})
    assert str(info.value) == (
        f"{named}. Fix: point it at a private directory outside any repository, or unset it to"
        " use ~/.config/bitrix24-lines"
    )
    assert not Path(os.environ["HOME"], ".config").exists()


@pytest.mark.parametrize("key", ["bitrix24:oauthServer", "bitrix24:webhookUrl"])
def test_plain_http_off_loopback_is_refused(key: str, tmp_path: Path, leaks) -> None:
    config = {
        "bitrix24:clientId": "app.x",
        "bitrix24:clientSecret": SECRET,
        "bitrix24:refreshToken": "r" * 10,
        "bitrix24:tokenStore": str(tmp_path),
    }
    if key == "bitrix24:webhookUrl":
        config = {}
    config[key] = f"http://portal.example.com/rest/1/{HOOK_CODE}/"
    if key == "bitrix24:oauthServer":
        config[key] = "http://oauth.example.com"
    with leaks.raises(errors.CredentialsError, match="plain http"):
        settings_from(config, {})


@pytest.mark.parametrize("key", ["bitrix24:oauthServer", "bitrix24:webhookUrl"])
def test_a_url_with_a_password_is_refused(key: str, tmp_path: Path, leaks) -> None:
    config = {
        "bitrix24:clientId": "app.x",
        "bitrix24:clientSecret": SECRET,
        "bitrix24:refreshToken": "r" * 10,
        "bitrix24:tokenStore": str(tmp_path),
        key: "https://user:pw-0123456789@oauth.example.com",
    }
    if key == "bitrix24:webhookUrl":
        config = {key: f"https://user:pw-0123456789@acme.bitrix24.com/rest/1/{HOOK_CODE}/"}
    leaks.add("pw-0123456789")
    with leaks.raises(errors.CredentialsError, match="carries a user name or password"):
        settings_from(config, {})


def test_webhook_settings(leaks) -> None:
    auth = settings_from(
        {}, {"BITRIX24_WEBHOOK_URL": f"https://acme.bitrix24.com/rest/7/{HOOK_CODE}/"}
    )
    assert isinstance(auth, Webhook)
    assert (auth.portal, auth.user_id) == ("https://acme.bitrix24.com", "7")
    assert HOOK_CODE not in repr(auth)
    with leaks.raises(errors.CredentialsError, match="not an incoming webhook address"):
        settings_from({"bitrix24:webhookUrl": "https://acme.bitrix24.com/rest/"}, {})


# Refresh and rotation


def test_expired_token_is_refreshed_once_and_the_rotation_is_kept(portal: Portal, leaks) -> None:
    first = portal.tokens()
    client = portal.client(portal.auth(first))
    client.call(GET)
    portal.sb.expire_access_tokens()
    assert client.call(GET) == []
    assert [(e["method"], e["status"], e["error"]) for e in portal.log()] == [
        (GET, 200, None),
        (GET, 401, "expired_token"),
        ("oauth/token", 200, None),
        (GET, 200, None),
    ]
    saved = stored(portal)
    assert saved["refresh_token"] != first["refresh_token"]
    assert (stat.S_IMODE(os.stat(portal.store_dir).st_mode)) == 0o700
    for path in portal.store_dir.glob("*.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert (portal.store_dir / ".gitignore").read_text() == "*\n"
    assert saved["seed"] == fingerprint(first["refresh_token"])
    with leaks.raises(errors.ReauthorizationRequired):  # the old refresh token is dead
        token_request(
            portal.url,
            {
                "grant_type": "refresh_token",
                "client_id": APP,
                "client_secret": SECRET,
                "refresh_token": first["refresh_token"],
            },
        )


def test_each_new_process_continues_from_the_stores_newest_pair(portal: Portal) -> None:
    configured = portal.tokens()  # what the stack config holds, unchanged all along
    for _run in range(3):  # three runs, each a new auth + client built from the same config
        portal.sb.expire_access_tokens()
        client = portal.client(portal.auth(configured))
        assert client.call(GET) == []
    assert oauth_log(portal) == [(200, None)] * 3


def test_a_configured_token_the_chain_has_spent_is_superseded_by_the_store(
    portal: Portal,
) -> None:
    """Another stack's config holds a token this chain rotated away: use its newest one."""
    configured = portal.tokens()
    portal.sb.expire_access_tokens()
    portal.client(portal.auth(configured)).call(GET)  # T0 -> T1, into the store
    rotated_away = {"refresh_token": stored(portal)["refresh_token"]}  # T1, copied elsewhere
    portal.sb.expire_access_tokens()
    portal.client(portal.auth(configured)).call(GET)  # T1 -> T2
    assert stored(portal)["spent"] == [
        fingerprint(configured["refresh_token"]),
        fingerprint(rotated_away["refresh_token"]),
    ]
    portal.sb.expire_access_tokens()
    portal.sb.clear_log()
    assert portal.client(portal.auth(rotated_away, access=False)).call(GET) == []
    assert oauth_log(portal) == [(200, None)]  # T2 refreshed; T1, spent, never sent
    assert stored(portal)["seed"] == fingerprint(configured["refresh_token"])


def test_a_spent_config_token_hiding_the_environments_names_the_config_rm(
    portal: Portal, leaks
) -> None:
    """An ephemeral pipeline passes its fresh token in the environment, but a spent one left
    in the stack's config wins: the fix is to remove that one, not to authorise again."""
    spent = portal.tokens()
    portal.sb.expire_access_tokens()
    portal.client(portal.auth(spent, store=False)).call(GET)  # rotated away, nowhere stored
    config = {
        "bitrix24:clientId": APP,
        "bitrix24:clientSecret": SECRET,
        "bitrix24:refreshToken": spent["refresh_token"],
        "bitrix24:oauthServer": portal.url,
        "bitrix24:tokenStore": str(portal.store_dir),
    }
    environ = {"BITRIX24_REFRESH_TOKEN": portal.tokens()["refresh_token"]}
    client = portal.client(settings_from(config, environ))
    with leaks.raises(errors.ReauthorizationRequired) as err:
        client.call(GET)
    assert str(err.value).endswith(
        "the refresh token is spent or expired. Fix: remove the stack's spent token, which"
        " hides BITRIX24_REFRESH_TOKEN (config wins over the environment): pulumi config rm"
        " bitrix24:refreshToken"
    )


def test_a_different_configured_token_means_reauthorised_and_wins(portal: Portal) -> None:
    portal.client(portal.auth(portal.tokens())).call(GET)
    portal.sb.expire_access_tokens()
    portal.client(portal.auth(portal.tokens(), access=False)).call(GET)  # rotates into the store
    portal.sb.expire_access_tokens()  # the store's access token is dead now
    fresh = portal.tokens()  # the user authorised again and set these in config
    portal.sb.clear_log()
    portal.client(portal.auth(fresh)).call(GET)
    assert oauth_log(portal) == []  # config's live access token was used, not the store's


def test_a_known_expiry_is_renewed_before_the_call_and_not_earlier(make_portal) -> None:
    """The client's own clock reaching the expiry it was told (expires_in), moved by the
    test: the portal's token lives an hour, so only the client's clock can make it renew."""
    lifetime = 3600
    portal = make_portal(token_lifetime=lifetime)
    ahead = 0.0
    client = portal.client(portal.auth(access=False, clock=lambda: time.time() + ahead))
    for _ in range(5):
        client.call(GET)
    assert len(oauth_log(portal)) == 1  # the first call had no access token; then none
    ahead = lifetime - 60  # a minute before the expiry: not yet
    client.call(GET)
    assert len(oauth_log(portal)) == 1
    ahead = lifetime + 1  # past it: renewed before the call, not after a refusal
    client.call(GET)
    assert len(oauth_log(portal)) == 2
    assert [e["status"] for e in portal.log(GET)] == [200] * 7  # never a 401


def test_concurrent_threads_refresh_exactly_once(portal: Portal) -> None:
    client = portal.client()
    portal.sb.expire_access_tokens()
    barrier = threading.Barrier(8)
    results: list[object] = []

    def worker() -> None:
        barrier.wait()
        results.append(client.call(GET))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [[]] * 8
    assert oauth_log(portal) == [(200, None)]


def test_two_auth_objects_sharing_the_store_refresh_once(portal: Portal) -> None:
    configured = portal.tokens()
    clients = [portal.client(portal.auth(configured)) for _ in range(2)]
    portal.sb.expire_access_tokens()
    barrier = threading.Barrier(2)
    threads = [threading.Thread(target=lambda c=c: (barrier.wait(), c.call(GET))) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert oauth_log(portal) == [(200, None)]
    assert len([e for e in portal.log(GET) if e["status"] == 200]) == 2


def test_separate_processes_sharing_the_store_refresh_once(portal: Portal) -> None:
    configured = portal.tokens()
    portal.sb.expire_access_tokens()
    script = textwrap.dedent(f"""
        import sys
        from provider.bitrix24.auth import OAuth
        from provider.bitrix24.pacing import Unpaced
        from provider.bitrix24.rest import RestClient
        from provider.bitrix24.tokenstore import TokenStore
        auth = OAuth({APP!r}, sys.argv[1], refresh_token=sys.argv[2], access_token=sys.argv[3],
                     oauth_server={portal.url!r}, store=TokenStore({str(portal.store_dir)!r}))
        print(RestClient({portal.url!r}, auth, pacer=Unpaced()).call({GET!r}))
    """)
    args = [
        sys.executable,
        "-c",
        script,
        SECRET,
        configured["refresh_token"],
        configured["access_token"],
    ]
    procs = [
        subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    outputs = [proc.communicate(timeout=60) for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0, 0], outputs
    assert oauth_log(portal) == [(200, None)]


def test_a_token_killed_by_another_processs_refresh_is_reread_not_refreshed_again(
    portal: Portal,
) -> None:
    """Two runs share the token store. The first refreshes; the portal then kills the access
    token issued with the refresh token it spent, which the second still holds. The second
    meets invalid_token, finds the new pair in the store and uses it: one refresh in all."""
    configured = portal.tokens()
    first, second = portal.client(portal.auth(configured)), portal.client(portal.auth(configured))
    second.call(GET)  # the configured access token works
    portal.sb.expire_access_tokens()
    first.call(GET)  # expired_token: refreshes, and the configured access token dies
    assert second.call(GET) == []
    assert oauth_log(portal) == [(200, None)]  # never a second refresh
    assert [e["error"] for e in portal.log(GET)] == [
        None,
        "expired_token",
        None,
        "invalid_token",
        None,
    ]


def test_an_unknown_token_with_nothing_newer_is_refused_after_one_look(
    portal: Portal, leaks
) -> None:
    client = portal.client(portal.auth(access=True))
    portal.sb.store.delete_tokens(APP, "access")  # revoked: no refresh happened anywhere
    with leaks.raises(errors.AuthRejected, match="invalid_token"):
        client.call(GET)
    assert oauth_log(portal) == [] and len(portal.log(GET)) == 1


def test_invalid_grant_says_how_to_authorise_again(portal: Portal, leaks) -> None:
    client = portal.client()
    portal.sb.revoke_refresh_tokens(APP)
    portal.sb.expire_access_tokens()
    with leaks.raises(errors.ReauthorizationRequired) as info:
        client.call(GET)
    assert "python -m provider auth --code" in info.value.fix
    assert "invalid_grant" in info.value.reason and APP in info.value.reason


def test_invalid_client_is_a_credentials_error_about_the_secret(portal: Portal, leaks) -> None:
    leaks.add("wrong-secret-value")
    client = portal.client(portal.auth(secret="wrong-secret-value"))
    portal.sb.expire_access_tokens()
    with leaks.raises(errors.CredentialsError, match="bitrix24:clientSecret") as info:
        client.call(GET)
    assert not isinstance(info.value, errors.ReauthorizationRequired)


def test_an_expired_access_token_without_refresh_token(portal: Portal, leaks) -> None:
    tokens = portal.tokens()
    client = portal.client(
        OAuth(APP, SECRET, access_token=tokens["access_token"], oauth_server=portal.url)
    )
    portal.sb.expire_access_tokens()
    with leaks.raises(errors.CredentialsError, match="no refresh token is set"):
        client.call(GET)
    assert oauth_log(portal) == []


def test_a_token_that_expires_again_is_resent_only_once(make_portal, leaks) -> None:
    portal = make_portal(token_lifetime=1e-6)  # every token is dead on arrival
    client = portal.client()
    with leaks.raises(errors.ExpiredToken, match="clock"):
        client.call(GET)
    assert len(portal.log(GET)) == 2


def test_unreachable_oauth_server_leaks_nothing(portal: Portal, leaks) -> None:
    auth = OAuth(
        APP, SECRET, refresh_token="refresh-token-abcdef", oauth_server="http://127.0.0.1:9"
    )
    leaks.add("refresh-token-abcdef")
    with leaks.raises(errors.TransportError, match="oauth/token"):
        portal.client(auth).call(GET)


def test_a_refused_connection_to_the_oauth_server_was_not_sent(portal: Portal, leaks) -> None:
    auth = OAuth(APP, SECRET, refresh_token="refresh-token-abcdef", oauth_server="http://[::1]:9")
    with leaks.raises(errors.TransportError) as info:
        portal.client(auth).call(GET)
    assert info.value.maybe_applied is False
    assert str(info.value).endswith("; it was not sent")


def test_an_oauth_server_name_that_does_not_resolve_says_what_to_check(
    portal: Portal, leaks, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolve = socket.getaddrinfo

    def no_dns(host: str, *args: object, **kwargs: object) -> object:
        if host == "oauth.bitrix24.example":  # the resolver fails as it does offline
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", no_dns)
    auth = OAuth(
        APP,
        SECRET,
        refresh_token="refresh-token-abcdef",
        oauth_server="https://oauth.bitrix24.example",
    )
    leaks.add("refresh-token-abcdef")
    with leaks.raises(errors.CredentialsError) as info:
        portal.client(auth).call(GET)
    assert str(info.value) == (
        "the OAuth server https://oauth.bitrix24.example was not reached: Failed to resolve"
        " 'oauth.bitrix24.example' ([Errno -2] Name or service not known); nothing was sent, so"
        " the tokens are as they were. Fix: check the address in bitrix24:oauthServer"
        " (https://oauth.bitrix.info, or https://oauth.bitrix24.tech for Russian-region portals;"
        " the sandbox's own address for the sandbox) and that this machine's DNS resolves it (a"
        " proxy or an offline runner may not), then run again"
    )
    assert "may have been applied" not in str(info.value)


def test_a_wrong_oauth_server_address_says_so(portal: Portal, leaks) -> None:
    auth = OAuth(
        APP, SECRET, refresh_token="refresh-token-abcdef", oauth_server=f"{portal.url}/not-oauth"
    )
    leaks.add("refresh-token-abcdef")
    with leaks.raises(errors.CredentialsError, match="check the bitrix24:oauthServer setting"):
        portal.client(auth).call(GET)


def test_exchange_code_gives_a_working_first_pair(portal: Portal, leaks) -> None:
    code = portal.sb.issue_auth_code(APP)
    leaks.add(code)
    grant = exchange_code(portal.url, APP, SECRET, code)
    leaks.add(grant.access_token, grant.refresh_token)
    assert grant.access_token not in repr(grant) and grant.refresh_token not in repr(grant)
    assert grant.client_endpoint == f"{portal.url}/rest/" and grant.scope == "telephony"
    auth = OAuth(APP, SECRET, refresh_token=grant.refresh_token, oauth_server=portal.url)
    assert portal.client(auth).call(GET) == []
    with leaks.raises(errors.ReauthorizationRequired):  # a code is single-use
        exchange_code(portal.url, APP, SECRET, code)


def test_authorise_stores_the_first_pair_for_every_later_run(portal: Portal, leaks) -> None:
    spent = portal.tokens()  # still in config, but about to be revoked
    portal.sb.revoke_refresh_tokens(APP)
    config = {
        "bitrix24:clientId": APP,
        "bitrix24:clientSecret": SECRET,
        "bitrix24:refreshToken": spent["refresh_token"],
        "bitrix24:oauthServer": portal.url,
        "bitrix24:tokenStore": str(portal.store_dir),
    }
    code = portal.sb.issue_auth_code(APP)
    leaks.add(code)
    info = authorise(config, {}, code)
    assert (info.portal, info.client_id, info.scope) == (portal.url, APP, "telephony")
    portal.sb.expire_access_tokens()
    for _run in range(2):  # the stale config token never wins over the stored pair
        assert portal.client(settings_from(config, {})).call(GET) == []
    assert oauth_log(portal) == [(200, None)] * 2  # the code exchange, then one refresh


def test_authorising_again_keeps_the_old_chain_as_spent(portal: Portal, leaks) -> None:
    """A config that still holds a token of the chain an authorisation replaced (another
    stack of the application, say) starts from the new pair, not from its spent token."""
    old = portal.tokens()
    portal.sb.expire_access_tokens()
    portal.client(portal.auth(old)).call(GET)  # the old chain, rotated once in the store
    config = {
        "bitrix24:clientId": APP,
        "bitrix24:clientSecret": SECRET,
        "bitrix24:oauthServer": portal.url,
        "bitrix24:tokenStore": str(portal.store_dir),
    }
    code = portal.sb.issue_auth_code(APP)
    leaks.add(code)
    authorise(config, {}, code)
    new = stored(portal)["refresh_token"]
    assert fingerprint(old["refresh_token"]) in stored(portal)["spent"]
    stale = {**config, "bitrix24:refreshToken": old["refresh_token"]}
    assert newest_refresh_token(stale, {}) == new


def test_info_describes_the_credential_without_secrets(portal: Portal) -> None:
    auth = portal.auth(access=False)
    portal.client(auth).call(GET)
    info = auth.info()
    assert (info.mode, info.portal, info.client_id, info.scope) == (
        "oauth",
        portal.url,
        APP,
        "telephony",
    )
    assert info.expires and info.expires > time.time()
    assert not portal.leaks.found_in(repr(info))


def test_an_unreadable_store_file_says_which_file(portal: Portal, leaks) -> None:
    auth = portal.auth()
    portal.sb.expire_access_tokens()
    portal.client(auth).call(GET)
    (path,) = portal.store_dir.glob("*.json")
    path.write_text("{not json")
    with leaks.raises(errors.CredentialsError, match=str(path)):
        portal.auth()


def test_a_store_file_of_another_format_is_refused_not_ignored(portal: Portal, leaks) -> None:
    auth = portal.auth()
    portal.sb.expire_access_tokens()
    portal.client(auth).call(GET)
    (path,) = portal.store_dir.glob("*.json")
    data = json.loads(path.read_text())
    path.write_text(json.dumps({**data, "format": 3}))
    with leaks.raises(
        errors.CredentialsError, match="has format 3; this version of the provider reads format 2"
    ):
        portal.auth()
    assert json.loads(path.read_text())["format"] == 3  # left alone for the version that reads it


def test_an_existing_store_directory_is_made_private_and_ignored_by_git(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    portal.store_dir.mkdir(mode=0o755)
    portal.store_dir.chmod(0o755)
    auth = portal.auth()
    portal.sb.expire_access_tokens()
    portal.client(auth).call(GET)  # the refresh writes the store
    assert stat.S_IMODE(os.stat(portal.store_dir).st_mode) == 0o700
    assert (portal.store_dir / ".gitignore").read_text() == "*\n"
    assert any("open to other users (mode 755)" in r.message for r in caplog.records)
    (portal.store_dir / ".gitignore").write_text("mine\n")
    auth = portal.auth()
    portal.sb.expire_access_tokens()
    portal.client(auth).call(GET)
    assert (portal.store_dir / ".gitignore").read_text() == "mine\n"  # a person's own is kept


def test_reprs_show_no_secret(portal: Portal) -> None:
    auth = portal.auth()
    client = portal.client(auth)
    portal.sb.expire_access_tokens()
    client.call(GET)
    store = TokenStore(portal.store_dir)
    saved = store.load(auth.oauth_server, APP)
    for obj in (auth, client, store, saved, Webhook(f"{portal.url}/rest/1/{HOOK_CODE}/")):
        assert not portal.leaks.found_in(repr(obj)), repr(obj)
