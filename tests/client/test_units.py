"""Unit tests of the pure pieces: classification table, precedence, redaction, pacing, retry."""

from __future__ import annotations

import io
import logging
import time
import traceback

import pytest

from provider.bitrix24 import errors
from provider.bitrix24.classify import LINE_ERRORS, SYSTEM_ERRORS, classify
from provider.bitrix24.oauth import Grant
from provider.bitrix24.pacing import LeakyBucket
from provider.bitrix24.redact import RedactedError, RedactingFilter, redact, remember, scrubbed
from provider.bitrix24.retry import MIN_SEND, Attempts, RetryPolicy, should_retry
from provider.bitrix24.tokenstore import Saved, choose, fingerprint

GET = "telephony.externalLine.get"
FACTS_CODES = {
    "INTERNAL_SERVER_ERROR",
    "ERROR_UNEXPECTED_ANSWER",
    "QUERY_LIMIT_EXCEEDED",
    "OPERATION_TIME_LIMIT",
    "ERROR_BATCH_METHOD_NOT_ALLOWED",
    "ERROR_BATCH_LENGTH_EXCEEDED",
    "NO_AUTH_FOUND",
    "expired_token",
    "invalid_token",
    "INVALID_REQUEST",
    "OVERLOAD_LIMIT",
    "ACCESS_DENIED",
    "INVALID_CREDENTIALS",
    "insufficient_scope",
    "user_access_error",
    "PORTAL_DELETED",
    "ERROR_METHOD_NOT_FOUND",
    "WRONG_AUTH_TYPE",
}


def test_the_table_covers_every_system_error_of_the_facts_file() -> None:
    assert set(SYSTEM_ERRORS) == FACTS_CODES


@pytest.mark.parametrize("code", sorted(FACTS_CODES))
def test_codes_win_over_status(code: str) -> None:
    cls, fix = SYSTEM_ERRORS[code]
    err = classify(GET, 418, {"error": code, "error_description": "d"})
    assert type(err) is cls and err.status == 418 and err.fix == fix
    assert type(classify(GET, 418, {"error": code.swapcase()})) is cls  # case-insensitive


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (500, errors.ServerFault),
        (502, errors.ServerFault),
        (503, errors.ServerFault),
        (401, errors.AuthRejected),
        (403, errors.AccessDenied),
        (404, errors.MethodNotFound),
        (429, errors.OperationTimeLimit),
        (400, errors.ApiError),
    ],
)
def test_unknown_codes_fall_back_on_status(status: int, cls: type) -> None:
    assert type(classify(GET, status, {"error": "SOMETHING_NEW"})) is cls
    assert type(classify(GET, status, "<html>Bad gateway</html>")) is cls


@pytest.mark.parametrize("status", [200, 500, 502, 504])
@pytest.mark.parametrize("body", [None, "<html>502 Bad Gateway</html>", ["result"]])
def test_a_reply_that_is_not_json_from_a_server_is_a_server_fault(
    status: int, body: object
) -> None:
    err = classify("telephony.externalLine.add", status, body)
    assert type(err) is errors.ServerFault  # a read retries; an add is checked, never resent
    assert f"not JSON (HTTP {status})" in str(err)


def test_a_failed_database_write_is_a_server_fault() -> None:
    """A line method's write the database refused: 500 ERROR_CORE "SQL query error!"."""
    body = {"error": "ERROR_CORE", "error_description": "SQL query error!"}
    assert type(classify("telephony.externalLine.add", 500, body)) is errors.ServerFault


def test_line_descriptions_only_for_line_methods_and_business_codes() -> None:
    for prefix, cls, _fix in LINE_ERRORS:
        err = classify(
            "telephony.externalline.UPDATE", 400, {"error": "", "error_description": prefix}, "12"
        )
        assert type(err) is cls and err.number == "12"
    assert (
        type(classify("crm.lead.add", 400, {"error": "", "error_description": "DB error"}))
        is errors.ApiError
    )
    assert (
        type(classify(GET, 400, {"error": "OTHER", "error_description": "DB error"}))
        is errors.ApiError
    )


def test_only_the_time_budget_carries_retry_at() -> None:
    timing = {"time": {"operating_reset_at": 1_900_000_000}}
    assert classify(GET, 429, {"error": "OPERATION_TIME_LIMIT", **timing}).retry_at == 1.9e9
    assert classify(GET, 503, {"error": "QUERY_LIMIT_EXCEEDED", **timing}).retry_at is None


def test_store_precedence() -> None:
    seed = fingerprint("r0")
    saved = Saved(seed=seed, refresh_token="r5", access_token="a5", expires=1.0)
    assert choose(None, "r0", "a0").refresh_token == "r0"  # nothing stored: config
    same = choose(saved, "r0", "a0")  # store descends from config's token: newest wins
    assert (same.refresh_token, same.access_token, same.seed) == ("r5", "a5", seed)
    other = choose(saved, "r9", None)  # re-authorised: config wins, new seed
    assert (other.refresh_token, other.seed, other.saved) == ("r9", fingerprint("r9"), None)
    assert choose(saved, None, None).refresh_token == "r5"  # store alone is enough
    assert choose(None, None, "a0").refresh_token is None


def test_redaction() -> None:
    remember("registered-secret-xyz", "short")
    assert (
        redact("GET /oauth/token/?client_id=app&client_secret=abc&refresh_token=def x")
        == "GET /oauth/token/?client_id=app&client_secret=***&refresh_token=*** x"
    )
    assert (
        redact("POST /rest/12/hookcode/telephony.externalLine.get")
        == "POST /rest/12/***/telephony.externalLine.get"
    )
    assert (
        redact("it was registered-secret-xyz here; short stays") == "it was *** here; short stays"
    )
    clean = ValueError("nothing secret")
    assert scrubbed(clean) is clean
    stand_in = scrubbed(ValueError("saw registered-secret-xyz"))
    assert "registered-secret-xyz" not in str(stand_in) and "ValueError" in str(stand_in)


def _raised_from(inner: BaseException, outer: BaseException, *, explicit: bool) -> BaseException:
    try:
        try:
            raise inner
        except type(inner):
            if explicit:
                raise outer from inner
            raise outer  # noqa: B904 - the implicit __context__ is what this test is about
    except type(outer) as err:
        return err


@pytest.mark.parametrize("explicit", [True, False])
def test_scrubbed_walks_the_chain_a_traceback_prints(explicit: bool) -> None:
    remember("chained-secret-0123")
    inner = ValueError("GET /oauth/token/?refresh_token=chained-secret-0123 failed")
    outer = _raised_from(inner, ConnectionError("connection aborted"), explicit=explicit)
    assert scrubbed(ConnectionError("clean, no chain")).args == ("clean, no chain",)
    stand_in = scrubbed(outer)
    assert stand_in is not outer
    try:
        raise errors.TransportError("m", "p", "connection aborted") from stand_in
    except errors.TransportError:
        printed = traceback.format_exc()
    assert "chained-secret-0123" not in printed
    assert "ConnectionError: connection aborted" in printed and "ValueError" in printed
    link = stand_in.__cause__ if explicit else stand_in.__context__
    assert isinstance(link, RedactedError) and link.kind == "ValueError"


def test_redacting_filter_on_a_handler_masks_messages_and_tracebacks() -> None:
    remember("handler-secret-0123")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("test.redact.handler")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("token %s", "handler-secret-0123")
        try:
            raise RuntimeError("saw handler-secret-0123")
        except RuntimeError:
            logger.exception("failed")
        logger.warning("bad %s %s", "only one")  # a broken call is still reported, not raised
    finally:
        logger.removeHandler(handler)
    printed = stream.getvalue()
    assert "handler-secret-0123" not in printed
    assert "token ***" in printed and "RuntimeError: saw ***" in printed


def test_leaky_bucket_admits_its_capacity_then_paces_and_saturates() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = LeakyBucket(2.0, 50, clock=lambda: now[0], sleep=sleep)
    for _ in range(45):  # 90 % of the portal's burst
        bucket.acquire()
    assert slept == []
    bucket.acquire()
    assert slept == [pytest.approx(1 / 1.8)]  # then 90 % of the portal's rate
    now[0] += 100  # drained
    bucket.saturate()
    bucket.acquire()
    assert slept[-1] == pytest.approx(1 / 1.8)


def test_what_is_retried() -> None:
    sent = errors.TransportError("m", "p", "c", maybe_applied=True)
    unsent = errors.TransportError("m", "p", "c", maybe_applied=False)
    fault = errors.ServerFault("m", 500, "INTERNAL_SERVER_ERROR", "d")
    limit = errors.QueryLimitExceeded("m", 503, "QUERY_LIMIT_EXCEEDED", "d")
    budget = errors.OperationTimeLimit("m", 429, "OPERATION_TIME_LIMIT", "d")
    overload = errors.Overloaded("m", 503, "OVERLOAD_LIMIT", "d")
    assert [should_retry(e, True) for e in (sent, unsent, fault, limit, budget, overload)] == [
        True,
        True,
        True,
        True,
        True,
        False,
    ]
    assert [should_retry(e, False) for e in (sent, unsent, fault, limit, budget, overload)] == [
        False,
        True,
        False,
        True,
        True,
        False,
    ]


def test_attempts_back_off_exponentially_and_respect_the_deadline() -> None:
    now, slept = [0.0], []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    policy = RetryPolicy(deadline=10.0, backoff_factor=0.5, backoff_max=30.0, backoff_jitter=0)
    attempts = Attempts(policy, "m", "p", clock=lambda: now[0], sleep=sleep, wall=lambda: 1000.0)
    fault = errors.ServerFault("m", 500, "", "d")
    for _ in range(4):
        attempts.wait(fault)
    assert slept == [0, 1.0, 2.0, 4.0]  # urllib3's formula
    with pytest.raises(errors.DeadlineExceeded) as info:
        attempts.wait(fault)  # 8 s would pass the 10 s deadline at 7 s
    assert info.value.last is fault and slept == [0, 1.0, 2.0, 4.0]
    budget = errors.OperationTimeLimit("m", 429, "", "d", retry_at=1002.5)
    fresh = Attempts(policy, "m", "p", clock=lambda: now[0], sleep=sleep, wall=lambda: 1000.0)
    fresh.wait(budget)
    assert slept[-1] == 2.5  # waits until operating_reset_at, not the backoff


def test_no_request_goes_out_with_less_than_the_minimum_time_left() -> None:
    now = [0.0]
    policy = RetryPolicy(deadline=120.0)
    attempts = Attempts(policy, "m", "p", clock=lambda: now[0], sleep=lambda s: None)
    now[0] = 100.0  # a long wait for the pacer and a token refresh
    assert attempts.time_to_send() == 20.0
    now[0] = 120.0 - MIN_SEND / 2
    with pytest.raises(errors.DeadlineExceeded, match="too little time was left") as info:
        attempts.time_to_send()
    assert info.value.last is None
    fault = errors.ServerFault("m", 500, "", "d")
    retried = Attempts(policy, "m", "p", clock=lambda: now[0], sleep=lambda s: None)
    retried.wait(fault)
    now[0] = 240.0 - MIN_SEND / 2
    with pytest.raises(errors.DeadlineExceeded, match="last error") as info:
        retried.time_to_send()
    assert info.value.last is fault
    short = Attempts(RetryPolicy(deadline=0.5), "m", "p", clock=lambda: now[0])
    assert short.time_to_send() > 0  # a short deadline scales the minimum down


GOOD_REPLY = {
    "access_token": "access-0123456789",
    "refresh_token": "refresh-0123456789",
    "expires_in": 3600,
    "client_endpoint": "https://acme.bitrix24.com/rest/",
    "scope": "telephony",
    "member_id": "m1",
}


def test_a_token_reply_becomes_a_grant_with_our_own_expiry() -> None:
    before = time.time()
    grant = Grant.from_reply(GOOD_REPLY)
    assert (grant.access_token, grant.refresh_token, grant.scope) == (
        "access-0123456789",
        "refresh-0123456789",
        "telephony",
    )
    assert grant.expires is not None and before + 3600 <= grant.expires <= time.time() + 3600
    assert Grant.from_reply({**GOOD_REPLY, "expires_in": "3600"}).expires is not None
    assert Grant.from_reply({**GOOD_REPLY, "expires_in": None, "expires": 1}).expires is None


@pytest.mark.parametrize(
    "change",
    [
        {"access_token": None},
        {"refresh_token": None},
        {"access_token": ""},
        {"refresh_token": 12345678},
        {"expires_in": "soon"},
        {"expires_in": "nan"},
        {"expires_in": [3600]},
        {"expires_in": None, "expires": "tomorrow"},
    ],
)
def test_an_incomplete_token_reply_is_a_credentials_error(change: dict[str, object]) -> None:
    reply = {key: value for key, value in {**GOOD_REPLY, **change}.items() if value is not None}
    with pytest.raises(errors.CredentialsError, match="incomplete token reply") as info:
        Grant.from_reply(reply)
    assert "oauthServer" in info.value.fix
    assert "0123456789" not in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
