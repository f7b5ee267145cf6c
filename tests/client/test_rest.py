"""RestClient against the sandbox: results, redirects, and every error reply it can get."""

from __future__ import annotations

import logging
import time

import pytest

from provider.bitrix24 import errors
from provider.bitrix24.auth import AuthInfo, Webhook
from provider.bitrix24.classify import classify
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import RetryPolicy
from sandbox import SYSTEM_ERRORS, Sandbox

from .conftest import FAST, HOOK_CODE, FakeTime, Portal

GET = "telephony.externalLine.get"
ADD = "telephony.externalLine.add"
UPDATE = "telephony.externalLine.update"
DELETE = "telephony.externalLine.delete"


class NoAuth:
    """An Auth that sends no token at all, as a misconfigured client would."""

    def info(self) -> AuthInfo:
        return AuthInfo("none", "", "", "", None)

    def url(self, portal: str, method: str) -> str:
        return f"{portal}/rest/{method}"

    def token(self) -> None:
        return None

    def renew(self, stale: str | None) -> None:
        raise AssertionError("nothing to renew")


def test_call_returns_the_result_and_add_id_is_an_integer(portal: Portal) -> None:
    client = portal.client()
    added = client.call(
        ADD, {"NUMBER": "100", "NAME": "Main", "CRM_AUTO_CREATE": "N"}, idempotent=False
    )
    assert added == {"ID": portal.portal_lines()["100"]["ID"]}
    assert client.call(GET) == [{"NUMBER": "100", "NAME": "Main", "CRM_AUTO_CREATE": "N"}]
    assert client.call(UPDATE, {"NUMBER": "100", "NAME": "X"}) == {"ID": str(added["ID"])}
    assert client.call(DELETE, {"NUMBER": "100"}) == []


def test_302_resends_the_same_post_and_sticks_to_the_new_address(
    portal: Portal, caplog: pytest.LogCaptureFixture
) -> None:
    client = portal.client()
    port = portal.url.rsplit(":", 1)[1]
    new_address = f"http://localhost:{port}"
    portal.sb.move_to(new_address)
    client.call(ADD, {"NUMBER": "200", "NAME": "Moved", "CRM_AUTO_CREATE": "N"}, idempotent=False)
    client.call(UPDATE, {"NUMBER": "200", "NAME": "Moved twice"})
    line = portal.portal_lines()["200"]
    assert (line["NAME"], line["CRM_AUTO_CREATE"]) == ("Moved twice", "N")  # the body survived
    assert client.portal == new_address
    statuses = [(e["method"], e["status"]) for e in portal.log()]
    assert statuses == [(ADD, 302), (ADD, 200), (UPDATE, 200)]  # later calls go straight there
    moves = [r for r in caplog.records if r.levelno == logging.INFO and "moved to" in r.message]
    assert len(moves) == 1 and new_address in moves[0].message


def test_307_is_followed_for_that_call_only(portal: Portal, caplog) -> None:
    client = portal.client()
    port = portal.url.rsplit(":", 1)[1]
    portal.sb.move_to(f"http://localhost:{port}", status=307)
    assert client.call(GET) == []
    assert client.call(GET) == []
    assert client.portal == portal.url  # not a move: the next call starts at the old address
    assert [e["status"] for e in portal.log(GET)] == [307, 200, 307, 200]
    assert not [r for r in caplog.records if "moved to" in r.message]


@pytest.mark.parametrize(
    ("target", "says"),
    [
        ("http://acme.example.com", "uses plain http on a non-loopback host"),
        ("https://user:pw-0123456789@acme.example.com", "carries a user name or password"),
        ("ftp://acme.example.com", r"is not an http\(s\) URL"),
    ],
)
def test_a_redirect_where_credentials_may_not_go_is_refused_not_retried(
    portal: Portal, leaks, target: str, says: str
) -> None:
    leaks.add("pw-0123456789")
    client = portal.client()
    portal.sb.move_to(target)
    with leaks.raises(errors.RedirectRefused, match=says) as info:
        client.call(ADD, {"NUMBER": "210", "NAME": "x"}, idempotent=False)
    assert not isinstance(info.value, errors.InputError)  # not the user's input: a portal reply
    assert (info.value.status, info.value.method) == (302, ADD)
    assert "the stack file" in info.value.fix
    assert len(portal.log(ADD)) == 1 and client.portal == portal.url


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_to_another_domain_is_refused_before_the_token_goes_there(
    portal: Portal, leaks, status: int
) -> None:
    client = portal.client()
    portal.sb.move_to("https://acme.example.invalid", status=status)
    with leaks.raises(errors.RedirectRefused, match="in another domain; nothing was sent") as info:
        client.call(GET)
    assert info.value.fix.startswith(
        "if https://acme.example.invalid is your portal's new address, write portal:"
        " https://acme.example.invalid in the stack file"
    )
    assert len(portal.log(GET)) == 1 and client.portal == portal.url


def test_redirects_in_circles_are_refused_not_retried(tmp_path, leaks) -> None:
    state = str(tmp_path / "portal.db")
    with Sandbox(rate=0, state_path=state) as one, Sandbox(rate=0, state_path=state) as two:
        one.move_to(two.url)
        two.move_to(one.url)
        with leaks.raises(errors.RedirectRefused, match="more than 5 redirects"):
            RestClient(one.url, NoAuth(), policy=FAST).call(GET)
        assert len(one.request_log()) + len(two.request_log()) == 6


@pytest.mark.parametrize("error_code", ["", "ERROR_CORE"])
@pytest.mark.parametrize(
    ("method", "params", "cls", "description"),
    [
        (ADD, {"NUMBER": "300", "NAME": "dup"}, errors.LineExists, "Line already exists"),
        (
            UPDATE,
            {"NUMBER": "999", "NAME": "x"},
            errors.LineNotFound,
            "Could not find line with number 999",
        ),
        (DELETE, {"NUMBER": "999"}, errors.LineNotFound, "Could not find line with number 999"),
        (UPDATE, {"NUMBER": "300"}, errors.NoFieldsToUpdate, "There are no fields to update"),
        (ADD, {"NAME": "no number"}, errors.NumberMissing, "NUMBER should not be empty"),
    ],
)
def test_line_business_errors_are_classified_by_description(
    make_portal, leaks, error_code, method, params, cls, description
) -> None:
    portal = make_portal(error_code=error_code)
    portal.sb.seed_line("local.1a2b3c4d5e.67890123", "300", name="seeded")
    with leaks.raises(cls) as info:
        portal.client().call(method, params, idempotent=method != ADD)
    err = info.value
    assert (err.code, err.description, err.status) == (error_code, description, 400)
    assert err.number == params.get("NUMBER", "")
    assert err.method == method


def test_db_error_on_add_is_line_storage_failed(make_portal, leaks) -> None:
    portal = make_portal(db_error=True)
    with leaks.raises(errors.LineStorageFailed, match="at most 50 characters") as info:
        portal.client().call(ADD, {"NUMBER": "400", "NAME": "x"}, idempotent=False)
    assert info.value.description == "DB error"
    assert len(portal.log(ADD)) == 1  # a refusal, not retried


EXPECTED = {
    "OVERLOAD_LIMIT": (errors.Overloaded, "do not re-run in a loop"),
    "ACCESS_DENIED": (errors.AccessDenied, "commercial plans"),
    "PORTAL_DELETED": (errors.PortalDeleted, "portal address in the stack file"),
    "user_access_error": (errors.AccessDenied, "give them access"),
    "ERROR_UNEXPECTED_ANSWER": (errors.ServerFault, ""),
}


def test_every_switchable_system_error_is_covered() -> None:
    assert set(EXPECTED) == set(SYSTEM_ERRORS)


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_system_errors_map_to_classes_with_a_fix(make_portal, leaks, code: str) -> None:
    portal = make_portal(system_error=code)
    cls, fix = EXPECTED[code]
    policy = FAST.__class__(deadline=0.5, backoff_factor=0.05, backoff_max=0.1)
    with leaks.raises(errors.Bitrix24Error) as info:
        portal.client(policy=policy).call(GET)
    err = info.value
    if isinstance(err, errors.DeadlineExceeded):  # a server fault is retried, then given up
        assert len(portal.log(GET)) > 1
        err = err.last
    assert type(err) is cls and err.code == code
    assert fix in str(err)


def test_overload_limit_is_never_retried(make_portal, leaks) -> None:
    portal = make_portal(system_error="OVERLOAD_LIMIT")
    with leaks.raises(errors.Overloaded):
        portal.client().call(GET)
    assert len(portal.log(GET)) == 1


def test_plain_http_refusal_is_invalid_request(make_portal, leaks) -> None:
    portal = make_portal(require_https=True)
    with leaks.raises(errors.InvalidRequest, match="https://"):
        portal.client().call(GET)


def test_unknown_method(portal: Portal, leaks) -> None:
    with leaks.raises(errors.MethodNotFound, match="portal address"):
        portal.client().call("telephony.externalLine.list")


def test_no_auth_found(portal: Portal, leaks) -> None:
    with leaks.raises(errors.AuthRejected, match="NO_AUTH_FOUND"):
        portal.client(NoAuth()).call(GET)


def test_unknown_access_token_is_invalid_token(portal: Portal, leaks) -> None:
    auth = portal.auth(
        {"refresh_token": "unknown-refresh-0001", "access_token": "bogus-token-1"}, store=False
    )
    with leaks.raises(errors.AuthRejected, match="invalid_token"):
        portal.client(auth).call(GET)


def test_insufficient_scope_says_to_add_telephony(make_portal, leaks) -> None:
    portal = make_portal(scopes=("crm",))
    with leaks.raises(errors.InsufficientScope, match="add the telephony scope"):
        portal.client().call(GET)


def test_a_command_past_50_fails_inside_the_batch_and_reads_as_a_batch_error(
    portal: Portal,
) -> None:
    cmd = {f"c{i}": GET for i in range(51)}
    reply = portal.client().call("batch", {"halt": 0, "cmd": cmd})  # HTTP 200: 50 ran
    assert (len(reply["result"]), list(reply["result_error"])) == (50, ["c50"])
    err = classify("batch", 400, reply["result_error"]["c50"])
    assert isinstance(err, errors.BatchError) and "at most 50" in str(err)


def webhook_client(portal: Portal, code: str = HOOK_CODE) -> RestClient:
    portal.sb.add_webhook(user_id=1, code=HOOK_CODE, scopes=("telephony",))
    return portal.client(Webhook(f"{portal.url}/rest/1/{code}/"))


def test_webhook_calls_work_where_the_portal_admits_them(portal: Portal) -> None:
    client = webhook_client(portal)
    client.call(ADD, {"NUMBER": "500", "NAME": "hook"}, idempotent=False)
    assert client.call(GET)[0]["NUMBER"] == "500"


def test_webhook_refused_says_use_oauth(make_portal, leaks) -> None:
    portal = make_portal(webhooks_allowed=False)
    with leaks.raises(errors.WrongAuthType, match="use a local application"):
        webhook_client(portal).call(GET)


def test_wrong_webhook_code_is_invalid_credentials(portal: Portal, leaks) -> None:
    leaks.add("wrongcode0000")
    with leaks.raises(errors.AuthRejected, match="INVALID_CREDENTIALS"):
        webhook_client(portal, code="wrongcode0000").call(GET)


def test_webhook_of_another_portal_is_refused_before_any_call(portal: Portal, leaks) -> None:
    with leaks.raises(errors.CredentialsError, match="belongs to"):
        RestClient("https://other.bitrix24.com", Webhook(f"{portal.url}/rest/1/{HOOK_CODE}/"))


def test_operation_time_limit_waits_until_operating_reset_at(make_portal) -> None:
    portal = make_portal(time_budget=1.0, call_cost=2.0, budget_window=1.0, error_time_block=True)
    client = portal.client()
    client.call(GET)  # spends the whole budget
    before = time.time()
    client.call(GET)
    refused = [e for e in portal.log(GET) if e["status"] == 429]
    assert len(refused) >= 1 and portal.log(GET)[-1]["status"] == 200
    # The wait honoured operating_reset_at (whole seconds), not the 0-0.3 s backoff.
    assert time.time() - before >= 0.5


def test_operation_time_limit_beyond_the_deadline_gives_up_at_once(make_portal, leaks) -> None:
    portal = make_portal(time_budget=1.0, call_cost=2.0, budget_window=600.0, error_time_block=True)
    fake = FakeTime()
    client = portal.client(policy=fake.policy(deadline=15.0))
    client.call(GET)
    with leaks.raises(errors.DeadlineExceeded, match="OPERATION_TIME_LIMIT") as info:
        client.call(GET)
    assert fake.sleeps == [] and [e["status"] for e in portal.log(GET)] == [200, 429]
    assert isinstance(info.value.last, errors.OperationTimeLimit)
    assert info.value.last.retry_at > time.time() + 30


def test_a_time_limit_without_a_reset_time_waits_by_the_portals_minute_buckets(
    make_portal,
) -> None:
    """The server's 429 has no time block: the client waits a minute at a time (the
    portal frees a method's time one one-minute bucket at a time), not its 0.5-30 s
    backoff, which would spend requests on a method that stays blocked."""
    portal = make_portal(time_budget=1.0, call_cost=2.0, budget_window=600.0)
    fake = FakeTime()

    def sleep(seconds: float) -> None:
        fake.sleep(seconds)
        if fake.now >= 170:  # three minutes on the client's clock: the budget frees
            portal.sb.configure(time_budget=0.0)

    client = portal.client(policy=RetryPolicy(deadline=660.0, clock=fake.clock, sleep=sleep))
    client.call(GET)  # spends the whole budget
    client.call(GET)
    assert [e["status"] for e in portal.log(GET)] == [200, 429, 429, 429, 200]
    assert fake.sleeps == [60.0, 60.0, 60.0]


def test_a_time_limit_that_outlasts_the_deadline_says_who_shares_it(make_portal, leaks) -> None:
    portal = make_portal(time_budget=1.0, call_cost=2.0, budget_window=600.0)
    fake = FakeTime()
    client = portal.client(policy=fake.policy(deadline=120.0))
    client.call(GET)
    with leaks.raises(errors.DeadlineExceeded) as info:
        client.call(GET)
    message = str(info.value)
    assert "other applications and webhooks calling it may share it" in message
    assert "up to 10 minutes" in message and "bitrix24:deadline" in message
    assert fake.sleeps == [60.0, 59.0] and len(portal.log(GET)) == 4  # a try a minute


def test_nothing_listening_is_retried_even_for_add_then_gives_up(leaks) -> None:
    fake = FakeTime()
    policy = fake.policy(deadline=0.5, backoff_factor=0.02, backoff_max=0.3, backoff_jitter=0)
    client = RestClient("http://127.0.0.1:9", NoAuth(), policy=policy)
    with leaks.raises(errors.DeadlineExceeded, match="it was not sent") as info:
        client.call(ADD, {"NUMBER": "1"}, idempotent=False)
    assert isinstance(info.value.last, errors.TransportError)
    assert info.value.last.maybe_applied is False
    # retried with backoff (0, 0.04, 0.08, 0.16 s: 0.28 s spent) until the next 0.3 s wait
    # would pass the 0.5 s deadline
    assert fake.sleeps == pytest.approx([0, 0.04, 0.08, 0.16])
    assert info.value.seconds == pytest.approx(0.28)


def test_a_dead_webhook_portal_leaks_no_code(leaks) -> None:
    client = RestClient(
        "http://127.0.0.1:9",
        Webhook(f"http://127.0.0.1:9/rest/1/{HOOK_CODE}/"),
        policy=FAST.__class__(deadline=0.3),
    )
    with leaks.raises(errors.DeadlineExceeded):
        client.call(GET)


def test_check_describes_oauth_and_webhook_credentials(make_portal) -> None:
    portal = make_portal(scopes=("telephony", "crm"))
    info = portal.client(portal.auth(access=False)).check()
    assert (info.mode, info.portal, info.client_id, info.scope) == (
        "oauth",
        portal.url,
        "local.1a2b3c4d5e.67890123",
        "telephony,crm",
    )
    assert info.expires is not None and info.expires > time.time()
    hook = webhook_client(portal).check()
    assert (hook.mode, hook.portal, hook.client_id, hook.scope) == (
        "webhook",
        portal.url,
        "",
        "telephony",
    )


class SlowToken(NoAuth):
    """An Auth whose token takes as long as a refresh from a slow OAuth server."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def token(self) -> None:
        time.sleep(self.seconds)


def test_an_add_is_not_sent_once_the_token_took_nearly_all_the_time(portal: Portal, leaks) -> None:
    policy = FAST.__class__(deadline=2.0)  # the minimum is 0.2 s here (a tenth)
    client = portal.client(SlowToken(1.9), policy=policy)
    with leaks.raises(errors.DeadlineExceeded, match="too little time was left"):
        client.call(ADD, {"NUMBER": "700", "NAME": "late"}, idempotent=False)
    assert portal.log(ADD) == []  # not sent with a 0.1 s timeout and then called ambiguous
