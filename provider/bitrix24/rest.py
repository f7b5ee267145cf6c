"""The HTTP layer: one Bitrix24 REST call, paced, authorised, retried and classified.

`RestClient.call(method, params)` POSTs JSON to `<portal>/rest/<method>` and returns
the reply's `result`, or raises one of provider.bitrix24.errors. Everything the layers above
should not think about lives here: the access token in the body, a refresh after
expired_token, client-side pacing, retries where repeating is safe, the portal's
302 after a rename (only to an address provider.bitrix24.urls accepts), and keeping
secrets out of every log line and exception.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from provider.bitrix24 import redact, rules, urls
from provider.bitrix24.auth import Auth, AuthInfo
from provider.bitrix24.classify import classify
from provider.bitrix24.errors import (
    AuthRejected,
    CredentialsError,
    ExpiredToken,
    QueryLimitExceeded,
    RedirectRefused,
    RetryableApiError,
    ServerFault,
    TransportError,
)
from provider.bitrix24.pacing import Pacer, bucket_for
from provider.bitrix24.retry import Attempts, RetryPolicy, should_retry
from provider.bitrix24.settings import CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
from provider.bitrix24.transport import never_sent

log = logging.getLogger(__name__)

VERSION = "0.1.0"
USER_AGENT = f"bitrix24-lines-pulumi/{VERSION} (+python-requests/{requests.__version__})"
DEFAULT_TIMEOUT = (CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT)  # (connect, read) seconds
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
PERMANENT = frozenset({301, 302, 308})  # 302 included: it is how Bitrix24 says "renamed"


def _shown(url: str) -> str:
    """`url`'s scheme and host for a message: never a password, path or query."""
    parts = urls.split(url)
    if parts is None or not parts.hostname:
        return "an address that is not a URL"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname}{port}" if parts.scheme else parts.hostname


def _host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


class RestClient:
    """Calls one portal's REST API; safe to share between threads."""

    def __init__(
        self,
        portal: str,
        auth: Auth,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        pacer: Pacer | None = None,
        policy: RetryPolicy | None = None,
        before_send: Callable[[], None] = lambda: None,
    ) -> None:
        """`pacer` defaults to the process-wide bucket of `portal` (2/s, burst 50);
        pass `pacing.LeakyBucket(5, 250)` for Enterprise or `pacing.Unpaced()` for none.
        `before_send` runs before every HTTP request and may raise to stop it: the Pulumi
        layer passes its lifeline check, so no request leaves once the CLI is gone."""
        self._portal = rules.portal(portal)
        webhook_portal = getattr(auth, "portal", None)
        if webhook_portal is not None and webhook_portal != self._portal:
            raise CredentialsError(
                f"bitrix24:webhookUrl belongs to {webhook_portal}, the stack's portal is"
                f" {self._portal}",
                "use a webhook of the stack's portal, or fix the portal address",
            )
        self._auth = auth
        self._timeout = timeout
        self._pacer = pacer if pacer is not None else bucket_for(self._portal)
        self._policy = policy or RetryPolicy()
        self._before_send = before_send
        self._moved = threading.Lock()
        self._session = requests.Session()
        adapter = HTTPAdapter(max_retries=self._policy.connection_retry(), pool_maxsize=8)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._session.headers.update(
            {
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        redact.guard_library_loggers()

    def __repr__(self) -> str:
        return f"RestClient(portal={self._portal!r}, auth={self._auth!r})"

    @property
    def portal(self) -> str:
        """The portal's current address (it changes when the portal answers 302)."""
        return self._portal

    @property
    def policy(self) -> RetryPolicy:
        """How this client retries; callers that repeat operations of their own reuse it."""
        return self._policy

    def identity(self, *, confirm: bool = False) -> str:
        """The portal's member_id as far as the credentials know it ("" when they cannot
        tell). `confirm` asks this address a harmless `scope` first, proving that the
        credentials, and so the portal they belong to, answer here; and learns the
        member_id if it is not known yet."""
        if confirm:
            self.call("scope")
        return self._auth.identity(learn=confirm)

    @property
    def auth_mode(self) -> str:
        """ "oauth" or "webhook": the lines API calls the portal only with the first."""
        return self._auth.info().mode

    def check(self) -> AuthInfo:
        """Who we are on the portal and what we may do, without a secret: for the CLI's
        `auth check`. Asks `scope` (allowed for applications and webhooks alike)."""
        scopes = self.call("scope")
        scope = ",".join(scopes) if isinstance(scopes, list) else str(scopes)
        return replace(self._auth.info(), portal=self._portal, scope=scope)

    def wait_for_slot(self) -> None:
        """Wait for room in the rate limit for one request; pass `slot_taken=True` to the
        call that uses it (provider.bitrix24.batching decides what goes in after the wait)."""
        self._pacer.acquire()

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
        slot_taken: bool = False,
        whole: bool = False,
    ) -> Any:
        """Run `method` and return its `result` (`whole`: the whole reply, for a list
        method's `total` and `next` beside it).

        `idempotent=False` (add) is repeated only after failures that prove nothing
        was applied; an ambiguous one (read timeout, dropped connection, 500) is
        raised as TransportError / ServerFault for the caller to reconcile.
        """
        params = dict(params or {})
        attempts = Attempts(self._policy, method, self._portal)
        renewed = reread = False
        while True:
            if not slot_taken:  # before taking the token: a long wait must not stale it
                self._pacer.acquire()
            slot_taken = False
            token = self._auth.token()
            try:
                reply = self._exchange(method, params, token, attempts)
                return reply if whole else reply["result"]
            except ExpiredToken:
                if renewed:
                    raise
                renewed = True
                self._auth.renew(token)
            except AuthRejected as err:
                # A refresh (in another thread or process) kills the access token issued
                # with the refresh token it spends: take the new one, once. Never refresh
                # here, which would spend a refresh token on an error a refresh caused.
                if reread or err.code != "invalid_token" or not self._auth.reread(token):
                    raise
                reread = True
            except (RetryableApiError, TransportError) as err:
                if isinstance(err, QueryLimitExceeded):
                    self._pacer.saturate()
                if not should_retry(err, idempotent):
                    raise
                attempts.wait(err)

    def _exchange(
        self, method: str, params: Mapping[str, Any], token: str | None, attempts: Attempts
    ) -> dict[str, Any]:
        """One logical request: POST, following the portal's redirects with the same body.

        Each POST is bounded by the time the operation has left, and is not sent at
        all when that is below retry.MIN_SEND (DeadlineExceeded, nothing applied).
        """
        body = json.dumps({**params, "auth": token} if token else params)
        url = self._auth.url(self._portal, method)
        for hop in range(MAX_REDIRECTS + 1):
            if hop:
                self._pacer.acquire()  # a redirected request counts against the limit too
            response = self._post(method, url, body, attempts.time_to_send())
            if response.status_code not in REDIRECTS or "Location" not in response.headers:
                return self._result(method, params, response)
            url = self._follow(method, url, response.status_code, response.headers["Location"])
        raise RedirectRefused(
            method,
            response.status_code,
            "",
            f"more than {MAX_REDIRECTS} redirects in a row",
            "check the portal address in the stack file; open it in a browser to see where"
            " it leads",
        )

    def _post(self, method: str, url: str, body: str, remaining: float) -> requests.Response:
        connect, read = self._timeout
        self._before_send()  # e.g. no request once the CLI is gone: nothing would record it
        started = time.monotonic()
        try:
            response = self._session.post(
                url,
                data=body,
                timeout=(min(connect, remaining), min(read, remaining)),
                allow_redirects=False,
            )
        except requests.RequestException as err:
            cause = redact.redact(f"{type(err).__name__}: {err}")
            raise TransportError(
                method, self._portal, cause, maybe_applied=not never_sent(err)
            ) from redact.scrubbed(err)
        log.debug(
            "%s on %s: HTTP %s in %.0f ms",
            method,
            self._portal,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    def _follow(self, method: str, url: str, status: int, location: str) -> str:
        """Where to re-send the same POST. A permanent move (a renamed portal answers
        302) becomes the address of every later call; 303/307 hold for this call only.

        The body carries the access token, so it is re-sent only within the portal's
        own domain (`acme.bitrix24.com` -> `new-acme.bitrix24.com`). A redirect to
        another domain is refused before anything is sent there: the user accepts it
        by writing the new address in the stack file, where identity decides the rest.
        """
        target = urljoin(url, location)
        problem = urls.problem(target)
        if problem is not None:
            raise RedirectRefused(
                method,
                status,
                "",
                f"{self._portal} redirects to {_shown(target)}, which {problem.value}",
                "check the portal address in the stack file; credentials are sent only over"
                " https (or plain http to a loopback address), never with a password in the URL",
            )
        new_portal = urls.origin(target)
        old_portal = self._portal
        if new_portal == old_portal:
            return target
        if urls.registrable(_host(new_portal)) != urls.registrable(_host(old_portal)):
            raise RedirectRefused(
                method,
                status,
                "",
                f"{old_portal} redirects to {new_portal}, in another domain; nothing was sent"
                " there, as the request carries the access token",
                f"if {new_portal} is your portal's new address, write portal: {new_portal} in"
                " the stack file and run again (the same portal keeps its lines); if not,"
                f" find out why {old_portal} sends you elsewhere",
            )
        with self._moved:
            if status in PERMANENT:
                self._portal = new_portal
        if status in PERMANENT:
            log.info(
                "portal %s moved to %s; using the new address (update the stack file)",
                old_portal,
                new_portal,
            )
        else:
            log.info(
                "portal %s sent %s to %s for this call (HTTP %s)",
                old_portal,
                method,
                new_portal,
                status,
            )
        return target

    def _result(
        self, method: str, params: Mapping[str, Any], response: requests.Response
    ) -> dict[str, Any]:
        """The reply of a success (it holds `result`), else the classified error raised."""
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body:
            if "result" in body:
                return body
            raise ServerFault(method, 200, "", "a reply without result")
        raise classify(method, response.status_code, body, str(params.get("NUMBER", "")))
