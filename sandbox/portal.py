"""`Sandbox`: a Bitrix24 portal and its OAuth server on loopback, for tests and demos.

The Python API here is also what the HTTP admin endpoints (admin.py) call, so the
two cannot drift apart. Out-of-band operations act as a person or the portal would
(seeding, renaming, call registration), not through the REST methods.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from .faults import FaultRates, Faults
from .limits import LeakyBucket, TimeBudget
from .methods import NAME_MAX, NUMBER_MAX
from .oauth import Endpoints, issue_code, issue_pair
from .params import php_trim
from .reqlog import RequestLog
from .server import SandboxHTTPServer
from .settings import DEFAULT_SCOPES, Settings
from .store import REST_APP, SIP, WEBHOOK_POOL, App, LineExists, Store


class Sandbox:
    """A running portal. Use as a context manager, or call start() and stop().

    Keyword arguments other than host, port, state_path, faults and access_log are
    the portal's switches (see settings.Settings), e.g. token_lifetime=2, rate=0.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state_path: str | None = None,
        faults: FaultRates | None = None,
        access_log: bool = False,
        **settings: Any,
    ) -> None:
        self.settings = Settings(**settings)
        self.store = Store(state_path)
        self.faults = Faults(faults)
        self.bucket = LeakyBucket(self.settings.rate, self.settings.burst)
        self.budget = TimeBudget(self.settings.budget_window)
        self.log = RequestLog()
        self.access_log = access_log
        self.moved_to: str | None = None
        self.move_status = 302
        self._host, self._port = host, port
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # Lifecycle

    def start(self) -> Sandbox:
        """Listen (port 0 picks a free port) and serve from a background thread."""
        self._server = SandboxHTTPServer((self._host, self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.01},
            name=f"sandbox-{self.url}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close open connections and the state database."""
        if self._server is not None:
            self._server.shutdown()
            self._server.close_all()
            assert self._thread is not None
            self._thread.join()
            self._server = None
        self.store.close()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """The portal's base address, e.g. http://127.0.0.1:43121."""
        if self._server is None:
            raise RuntimeError("the sandbox is not started")
        host, port = self._server.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in str(host) else f"http://{host}:{port}"

    def endpoints(self) -> Endpoints:
        """The portal's current address (after a move) and the OAuth server's."""
        return Endpoints(self.moved_to or self.url, self.url)

    # Switches

    def configure(self, **changes: Any) -> Settings:
        """Change switches while running, e.g. configure(webhooks_allowed=False)."""
        self.settings = replace(self.settings, **changes)
        self.bucket.configure(self.settings.rate, self.settings.burst)
        if "budget_window" in changes:
            self.budget.configure(self.settings.budget_window)
        return self.settings

    def forget_requests(self) -> None:
        """Empty the intensity bucket, as a few quiet minutes would: benchmarks time one
        command at a time, each starting as a run after a pause does."""
        self.bucket = LeakyBucket(self.settings.rate, self.settings.burst)

    def set_faults(self, **rates: Any) -> FaultRates:
        """Inject faults into /rest calls from now on; see faults.FaultRates."""
        fault_rates = FaultRates(**rates)
        self.faults.configure(fault_rates)
        return fault_rates

    def move_to(self, url: str | None, status: int = 302) -> None:
        """Answer /rest calls with `status` (302, as a renamed portal does) to the same
        path at `url`; None stops moving.

        Calls whose Host is already `url`'s host:port are served, so the same sandbox
        under another alias (http://localhost:PORT) can be the new address.
        """
        self.moved_to = url.rstrip("/") if url else None
        self.move_status = status

    # Applications, tokens, webhooks

    def _app(self, client_id: str) -> App:
        app = self.store.app(client_id)
        if app is None:
            raise KeyError(f"no application {client_id!r}; register it with add_app")
        return app

    def add_app(
        self, client_id: str, client_secret: str, scopes: tuple[str, ...] = DEFAULT_SCOPES
    ) -> int:
        """Register a local application (or update a known one); returns its app ID."""
        if not client_id or not client_secret or client_id == WEBHOOK_POOL:
            raise ValueError(
                f"client_id and secret must be non-empty, and {WEBHOOK_POOL!r} is reserved"
            )
        return self.store.put_app(client_id, client_secret, tuple(scopes)).id

    def apps(self) -> list[str]:
        """Client ids of the registered applications, oldest first."""
        return self.store.app_ids()

    def remove_app(self, client_id: str) -> None:
        """Uninstall an application: its tokens and all of its lines are deleted."""
        if not self.store.remove_app(client_id):
            raise KeyError(f"no application {client_id!r}")

    def issue_tokens(self, client_id: str) -> dict[str, object]:
        """A first token pair, as the installation gives; the same shape as a refresh reply."""
        return issue_pair(
            self.store,
            self._app(client_id),
            self.settings,
            self.endpoints(),
            time.time(),
        )

    def issue_auth_code(self, client_id: str) -> str:
        """An authorization code for grant_type=authorization_code (valid 30 s)."""
        return issue_code(self.store, self._app(client_id), time.time())

    def expire_access_tokens(self) -> int:
        """Every access token issued so far expires now; returns how many."""
        return self.store.expire_tokens("access", time.time())

    def revoke_refresh_tokens(self, client_id: str) -> int:
        """The application's refresh tokens stop working (invalid_grant); returns how many."""
        self._app(client_id)
        return self.store.delete_tokens(client_id, "refresh")

    def add_webhook(
        self, user_id: int | str, code: str, scopes: tuple[str, ...] = DEFAULT_SCOPES
    ) -> None:
        """Create an incoming webhook at /rest/<user_id>/<code>/<method>."""
        if not str(user_id) or not code:
            raise ValueError("user_id and code must be non-empty")
        self.store.put_webhook(str(user_id), code, tuple(scopes))

    # Lines, out of band

    def _pool(self, app: str) -> str:
        if app != WEBHOOK_POOL:
            self._app(app)
        return app

    def lines(self, app: str) -> list[dict[str, object]]:
        """The application's lines (or WEBHOOK_POOL's) with their IDs, sorted by ID."""
        return [
            {
                "ID": line.id,
                "NUMBER": line.number,
                "NAME": line.name,
                "CRM_AUTO_CREATE": line.crm_auto_create,
            }
            for line in self.store.lines(self._pool(app))
        ]

    def seed_line(self, app: str, number: str, name: str = "", crm_auto_create: str = "Y") -> int:
        """Create a line as a person would in the portal's UI; returns its ID."""
        if crm_auto_create not in ("Y", "N"):
            raise ValueError(f"CRM_AUTO_CREATE must be 'Y' or 'N', not {crm_auto_create!r}")
        return self._insert_line(self._pool(app), number, name, crm_auto_create, REST_APP)

    def add_sip_line(self, number: str, name: str = "") -> int:
        """Connect a SIP PBX number, as the SIP connector does; returns its ID.

        voximplant keeps it in the table of external lines with no application, the same
        NULL an incoming webhook's lines have: a webhook's `get` lists it, and a webhook's
        update or delete of that number may reach it (docs/bitrix24-facts.md).
        """
        return self._insert_line(WEBHOOK_POOL, number, name, "Y", SIP)

    def _insert_line(self, pool: str, number: str, name: str, crm: str, kind: str) -> int:
        number = php_trim(number)
        if not 0 < len(number) <= NUMBER_MAX or len(name) > NAME_MAX:
            raise ValueError(f"NUMBER must be 1-{NUMBER_MAX} characters, NAME at most {NAME_MAX}")
        try:
            return self.store.add_line(pool, number, name, crm, kind)
        except LineExists as err:
            raise ValueError(f"Line already exists: {number}") from err

    def rename_line(self, app: str, number: str, name: str) -> None:
        """Change a line's NAME out of band."""
        if self.store.update_line(self._pool(app), php_trim(number), name, None) is None:
            raise KeyError(f"no line {number!r} in {app!r}")

    def delete_line(self, app: str, number: str) -> None:
        """Delete a line out of band."""
        if not self.store.delete_line(self._pool(app), php_trim(number)):
            raise KeyError(f"no line {number!r} in {app!r}")

    def register_call(self, app: str, number: str) -> int:
        """What telephony.externalCall.register does with an unknown LINE_NUMBER:
        create a nameless CRM_AUTO_CREATE=Y line. Returns the line's ID (new or not)."""
        pool, number = self._pool(app), php_trim(number)
        if not 0 < len(number) <= NUMBER_MAX:
            raise ValueError(f"NUMBER must be 1-{NUMBER_MAX} characters")
        # Rest\Helper::registerExternalCall looks the number up first, then adds.
        line = self.store.line(pool, number)
        if line is None:
            try:
                return self.store.add_line(pool, number, "", "Y")
            except LineExists:  # registered by a concurrent call since the look-up
                line = self.store.line(pool, number)
        assert line is not None
        return line.id

    def collect_unused_lines(self, app: str) -> int:
        """Run the clean-up agent as if 90 days passed: lines with no NAME and
        CRM_AUTO_CREATE=Y are deleted. Returns how many."""
        return self.store.delete_unnamed_lines(self._pool(app))

    # Request log

    def request_log(self) -> list[dict[str, object]]:
        """Every /rest and /oauth request so far: method, app, status, latency_ms, fault, error."""
        return self.log.entries()

    def clear_log(self) -> None:
        """Forget the request log."""
        self.log.clear()
