"""Error paths as the engine sees them: a gRPC error whose details end with the provider's
message. Each message must say what to do, and none may carry a secret."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import grpc
import pytest

from sandbox import WEBHOOK_POOL
from tests.provider.conftest import ADD, APP, GET, HOOK_CODE, SECRET, UPDATE, Stack
from tests.provider.host import Host, secret

OAUTH = "oauth/token"


def test_add_of_an_existing_line_says_how_to_adopt(stack: Stack, host: Host) -> None:
    stack.sb.register_call(APP, "74951234567")  # a call registered before the stack existed
    with pytest.raises(grpc.RpcError) as err:
        host.create(stack.line("74951234567", "Sales"))
    assert stack.failure(err) == (
        "bitrix24: telephony.externalLine.add: HTTP 400 (no code): Line"
        " already exists. Fix: line 74951234567 exists on the portal as '' with"
        " CRM_AUTO_CREATE Y, not 'Sales' with CRM_AUTO_CREATE Y: made by hand, by"
        " telephony.externalCall.register, or by an interrupted run of another version of the"
        " stack file; to manage it here, set `adopt: true` on the line (or for the whole"
        " portal) in the stack file and run again: it will be updated to the declared values"
    )
    held = stack.lines()["74951234567"]
    assert (held["NAME"], held["CRM_AUTO_CREATE"]) == ("", "Y")  # left alone


def test_a_line_exactly_as_declared_is_adopted_without_the_flag(stack: Stack, host: Host) -> None:
    """What an interrupted run leaves behind: the line was added, the engine never heard."""
    seeded = stack.sb.seed_line(APP, "74951234567", "Sales", "N")
    id_, outs = host.create(stack.line("74951234567", "Sales", False))
    assert id_ == str(seeded)
    assert outs == stack.outs("74951234567", "Sales", False)
    assert [(e["method"], e["status"]) for e in stack.log()] == [
        (ADD, 400),
        (GET, 200),
        (UPDATE, 200),
    ]
    assert [(r["NUMBER"], r["NAME"]) for r in stack.sb.lines(APP)] == [("74951234567", "Sales")]
    assert (
        "bitrix24 WARNING: line 74951234567 already existed exactly as declared, left by an"
        f" interrupted run; adopted it (ID {seeded})"
    ) in host.stderr()


@pytest.mark.parametrize("name, crm", [("Sales desk", "N"), ("Sales", "Y")])
def test_a_line_with_other_values_still_needs_adopt(
    stack: Stack, host: Host, name: str, crm: str
) -> None:
    stack.sb.seed_line(APP, "74951234567", name, crm)
    with pytest.raises(grpc.RpcError) as err:
        host.create(stack.line("74951234567", "Sales", False))
    assert "set `adopt: true` on the line" in stack.failure(err)
    held = stack.lines()["74951234567"]
    assert (held["NAME"], held["CRM_AUTO_CREATE"]) == (name, crm)  # left alone


def test_a_bug_keeps_its_traceback(stack: Stack, host: Host) -> None:
    """Expected errors lose their frames; an unexpected one must still show where it is."""
    line = stack.line("74951234567")
    del line["number"]
    with pytest.raises(grpc.RpcError) as err:
        host.create(line)
    details = err.value.details()
    assert details.startswith("bitrix24: Traceback (most recent call last):\n")
    assert 'resource.py", line' in details and details.rstrip().endswith("KeyError: 'number'")
    assert stack.log() == []


def test_adopt_takes_the_line_over_with_the_id_update_gives_and_no_add(
    stack: Stack, host: Host
) -> None:
    seeded = stack.sb.seed_line(APP, "74951234567", "By hand", "Y")
    stack.sb.seed_line(APP, "74951234500", "Someone else's", "Y")
    id_, outs = host.create(stack.line("74951234567", "Sales", False, adopt=True))
    assert id_ == str(seeded)
    assert outs == stack.outs("74951234567", "Sales", False)
    held = stack.lines()["74951234567"]
    assert (held["ID"], held["NAME"], held["CRM_AUTO_CREATE"]) == (seeded, "Sales", "N")
    assert [(e["method"], e["status"]) for e in stack.log()] == [(GET, 200), (UPDATE, 200)]


def test_adopt_of_a_free_number_just_adds(stack: Stack, host: Host) -> None:
    id_, _ = host.create(stack.line("74951234567", "Sales", adopt=True))
    assert id_ == str(stack.lines()["74951234567"]["ID"])
    assert [(e["method"], e["status"]) for e in stack.log()] == [(GET, 200), (ADD, 200)]


def test_adopt_of_a_line_added_after_the_runs_get_falls_back_to_update(
    stack: Stack, host: Host
) -> None:
    host.create(stack.line("74951234500", "Sales", adopt=True))  # the run's one get
    seeded = stack.sb.seed_line(APP, "74951234567", "By hand", "Y")
    id_, _ = host.create(stack.line("74951234567", "Support", adopt=True))
    assert id_ == str(seeded)
    assert [(e["method"], e["status"]) for e in stack.log()][2:] == [(ADD, 400), (UPDATE, 200)]


def test_update_of_a_line_deleted_out_of_band_says_refresh(stack: Stack, host: Host) -> None:
    id_, outs = host.create(stack.line("74951234567", "Sales"))
    stack.sb.delete_line(APP, "74951234567")
    with pytest.raises(grpc.RpcError) as err:
        host.update(id_, outs, stack.line("74951234567", "Support"))
    assert stack.failure(err) == (
        "bitrix24: telephony.externalLine.update: HTTP 400 (no code): Could"
        " not find line with number 74951234567. Fix: line 74951234567 was deleted outside"
        " Pulumi; run `pulumi up --refresh` to drop it from state and add it again"
    )
    assert stack.lines() == {}  # not re-added behind the engine's back


def test_expired_access_token_is_refreshed_transparently(
    stack: Stack, hosts: Callable[..., Host]
) -> None:
    host = hosts()
    host.create(stack.line("101"), name="101")
    assert stack.sb.expire_access_tokens() >= 1
    id_, _ = host.create(stack.line("102"), name="102")
    assert id_ == str(stack.lines()["102"]["ID"])
    assert [(e["method"], e["status"], e["error"]) for e in stack.log()] == [
        (ADD, 200, None),
        (ADD, 401, "expired_token"),
        (OAUTH, 200, None),
        (ADD, 200, None),
    ]
    rotated = stack.all_secrets() - stack.secrets
    assert len(rotated) == 2  # the new pair was kept in the token store ...
    stack.sb.clear_log()
    hosts().create(stack.line("103"), name="103")  # ... so the next run does not use the spent one
    assert [(e["method"], e["status"]) for e in stack.log()] == [(ADD, 200)]
    assert sorted(stack.lines()) == ["101", "102", "103"]


def test_concurrent_calls_share_one_refresh(stack: Stack, host: Host) -> None:
    """The engine calls from 4 threads; a refresh rotates the pair, so only one may run."""
    host.create(stack.line("100"), name="100")
    stack.sb.expire_access_tokens()
    numbers = [str(n) for n in range(101, 109)]
    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(lambda n: host.create(stack.line(n), name=n)[0], numbers))
    held = stack.lines()
    assert ids == [str(held[n]["ID"]) for n in numbers]
    assert [e["status"] for e in stack.log(OAUTH)] == [200]
    # the adds went alone or several to a batch; each was refused (401) or applied once
    calls = [e for e in stack.log() if e["method"] != OAUTH]
    assert all(e["status"] in (200, 401) for e in calls)
    applied = [e["commands"] or (e["method"],) for e in calls if e["status"] == 200]
    assert [method for each in applied for method in each] == [ADD] * 9


def test_revoked_refresh_token_asks_to_authorise_again(stack: Stack, host: Host) -> None:
    stack.sb.expire_access_tokens()
    stack.sb.revoke_refresh_tokens(APP)
    with pytest.raises(grpc.RpcError) as err:
        host.create(stack.line("74951234567"))
    assert stack.failure(err) == (
        f"bitrix24: the OAuth server refused {APP} (HTTP 400"
        " invalid_grant: Invalid refresh token); the refresh token is spent or expired. Fix:"
        " authorise the application again: open https://<portal>/oauth/authorize/?client_id="
        "<client id> as an administrator, then run `python -m provider auth --code` and paste"
        " the code within 30 seconds (or set the new pair's refresh token: pulumi config set"
        " --secret bitrix24:refreshToken <token>)"
    )
    assert stack.lines() == {}


def test_missing_telephony_scope(stack: Stack, hosts: Callable[..., Host]) -> None:
    stack.sb.add_app(APP, SECRET, scopes=("crm",))
    stack.tokens = stack.new_tokens()  # installed (authorised) without telephony
    with pytest.raises(grpc.RpcError) as err:
        hosts().create(stack.line("74951234567"))
    assert stack.failure(err) == (
        "bitrix24: telephony.externalLine.add: HTTP 403"
        " insufficient_scope: The request requires higher privileges than provided by the access"
        " token. Fix: add the telephony scope to the local application (or webhook) in the"
        " portal's developer resources, then authorise it again"
    )


def webhook_config(stack: Stack) -> dict[str, str]:
    stack.sb.add_webhook(1, HOOK_CODE)
    return {"bitrix24:webhookUrl": f"{stack.url}/rest/1/{HOOK_CODE}/"}


WEBHOOK_REFUSED = (
    "bitrix24: webhook mode neither reads nor writes lines: a webhook reaches only the lines of"
    " no application, never those an application (OAuth) made, which are all the lines this"
    " provider manages, and among its lines one number can repeat (other webhooks', the SIP"
    " connector's); a refresh through it would read another line or none, and a write could"
    " add a second line or change someone else's. Fix: use OAuth: create a local application"
    " with the telephony scope, set bitrix24:clientId, bitrix24:clientSecret and"
    " bitrix24:refreshToken (docs/real-portal.md), and remove bitrix24:webhookUrl; a plain"
    " `pulumi preview` makes no call to the lines and works meanwhile"
)


def test_webhook_mode_refuses_every_call(stack: Stack, hosts: Callable[..., Host]) -> None:
    """A webhook's calls reach the lines of no application only (REST_APP_ID NULL), never an
    application's, and among them a number may repeat: whatever it read or wrote could be
    another line. Nothing is sent, whatever the portal holds or would admit."""
    stack.sb.add_sip_line("74951234567", "Office PBX")
    host = hosts(webhook_config(stack))
    outs = stack.outs("74951234567", "Sales")
    calls = {
        "read": lambda: host.read("1", outs),
        "create": lambda: host.create(stack.line("74951234567", "Sales")),
        "update": lambda: host.update("1", outs, {**stack.line("74951234567"), "name": "x"}),
        "delete": lambda: host.delete("1", outs),
    }
    for call in calls.values():
        with pytest.raises(grpc.RpcError) as err:
            call()
        assert stack.failure(err) == WEBHOOK_REFUSED
    assert stack.log() == []
    assert [line["NAME"] for line in stack.sb.lines(WEBHOOK_POOL)] == ["Office PBX"]


NO_CREDENTIALS = (
    "bitrix24: no Bitrix24 credentials are configured. Fix: pulumi config"
    " set bitrix24:clientId <value> (or export BITRIX24_CLIENT_ID), pulumi config set --secret"
    " bitrix24:clientSecret <value> (or export BITRIX24_CLIENT_SECRET) and pulumi config set"
    " --secret bitrix24:refreshToken <value> (or export BITRIX24_REFRESH_TOKEN); or pulumi config"
    " set --secret bitrix24:webhookUrl <value> (or export BITRIX24_WEBHOOK_URL)"
)


@pytest.mark.parametrize("call", ["create", "read", "update", "delete"])
def test_missing_credentials_name_the_config_keys(
    stack: Stack, hosts: Callable[..., Host], call: str
) -> None:
    host = hosts({})
    line, outs = stack.line("74951234567"), stack.outs("74951234567", "74951234567")
    calls = {
        "create": lambda: host.create(line),
        "read": lambda: host.read("7", outs),
        "update": lambda: host.update("7", outs, {**line, "name": "Sales"}),
        "delete": lambda: host.delete("7", outs),
    }
    with pytest.raises(grpc.RpcError) as err:
        calls[call]()
    assert stack.failure(err) == NO_CREDENTIALS
    assert stack.log() == []


def test_missing_client_secret_names_its_key(stack: Stack, hosts: Callable[..., Host]) -> None:
    with pytest.raises(grpc.RpcError) as err:
        hosts(stack.config(clientSecret=None)).create(stack.line("74951234567"))
    assert stack.failure(err) == (
        f"bitrix24: bitrix24:clientSecret is not set for {APP}. Fix:"
        " pulumi config set --secret bitrix24:clientSecret <value> (or export"
        " BITRIX24_CLIENT_SECRET)"
    )


def test_secret_config_as_the_engine_may_wrap_it(stack: Stack, hosts: Callable[..., Host]) -> None:
    """Configure unwraps secret values: the provider must see the plain strings."""
    config = stack.config()
    for key in ("bitrix24:clientSecret", "bitrix24:refreshToken", "bitrix24:accessToken"):
        config[key] = secret(config[key])
    stack.sb.expire_access_tokens()  # forces a refresh, which needs the unwrapped secret
    id_, _ = hosts(config).create(stack.line("74951234567"))
    assert id_ == str(stack.lines()["74951234567"]["ID"])
    assert [e["method"] for e in stack.log()] == [ADD, OAUTH, ADD]


def test_unreachable_oauth_server_shows_no_secret(stack: Stack, hosts: Callable[..., Host]) -> None:
    """requests puts the token URL, client_secret and refresh_token included, in its error."""
    config = stack.config(oauthServer="http://127.0.0.1:9", accessToken=None)
    with pytest.raises(grpc.RpcError) as err:
        hosts(config).read("7", stack.outs("74951234567", "74951234567"))
    message = stack.failure(err)
    assert message.startswith(
        "bitrix24: oauth/token on http://127.0.0.1:9: no answer (ConnectionError: "
    )
    assert "client_secret=***&refresh_token=***" in message
    assert stack.log() == []  # the read never reached the portal
