"""`Sandbox`: a Bitrix24 portal and its OAuth server on loopback, for tests and demos.

The Python API here is also what the HTTP admin endpoints (admin.py) call, so the
two cannot drift apart. Out-of-band operations act as a person, a PBX integration or the
portal would (seeding, renaming, binding a handler, placing calls), not over HTTP; a call
placed here runs the same code as telephony.externalCall.register and .finish.
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from .application import EVENT_SCOPES
from .externalcalls import Registration, finish, line_for_call, register
from .faults import FaultRates, Faults
from .limits import LeakyBucket, TimeBudget
from .oauth import Endpoints, issue_code, issue_pair
from .params import php_trim
from .reqlog import RequestLog
from .server import SandboxHTTPServer
from .settings import DEFAULT_SCOPES, Settings
from .statistic import render
from .store import (
    NAME_MAX,
    NUMBER_MAX,
    REST_APP,
    SIP,
    WEBHOOK_POOL,
    App,
    LineExists,
    Store,
)

DAY = 86400.0
PORTAL_ADMIN = 1
"""The user every application is authorised by (the OAuth replies' user_id), and whom the
calls placed here are registered and finished for."""
INCOMING = "2"
"""The TYPE of a call placed here: incoming."""


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

    def app_id(self, client_id: str) -> int:
        """The application's ID: app.info's ID, the REST_APP_ID of its calls."""
        return self._app(client_id).id

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

    def _line_number(self, number: str) -> str:
        number = php_trim(number)
        if not 0 < len(number) <= NUMBER_MAX:
            raise ValueError(f"NUMBER must be 1-{NUMBER_MAX} characters")
        return number

    def register_call(self, app: str, number: str) -> int:
        """What telephony.externalCall.register does with an unknown LINE_NUMBER:
        create a nameless CRM_AUTO_CREATE=Y line. Returns the line's ID (new or not)."""
        return line_for_call(self.store, self._pool(app), self._line_number(number))

    def collect_unused_lines(self, app: str) -> int:
        """Run the clean-up agent as if 90 days passed: lines with no NAME and
        CRM_AUTO_CREATE=Y are deleted. Returns how many."""
        return self.store.delete_unnamed_lines(self._pool(app))

    # Event handlers, out of band

    def bind_event(
        self,
        client_id: str,
        event: str = "OnExternalCallStart",
        handler: str = "https://pbx.example/handler",
    ) -> None:
        """Bind a handler for the application, as its installer's event.bind would (a new
        application has none); binding the same handler again changes nothing."""
        name = event.upper()
        if name not in EVENT_SCOPES:
            raise ValueError(f"unknown event {event!r}; events: {sorted(EVENT_SCOPES)}")
        self.store.bind_event(self._app(client_id).client_id, name, handler, 0)

    def unbind_event(self, client_id: str, event: str = "OnExternalCallStart") -> None:
        """Remove every handler the application has for `event`."""
        self.store.unbind_events(self._app(client_id).client_id, event.upper(), None, None)

    def handlers(self, client_id: str) -> list[dict[str, object]]:
        """The application's handlers: event and handler, as event.get lists them."""
        return [
            {"event": h.event, "handler": h.handler}
            for h in self.store.handlers(self._app(client_id).client_id)
        ]

    # Calls and their history

    def place_call(
        self,
        client_id: str,
        number: str,
        *,
        days_ago: float = 0.0,
        duration: int = 60,
        phone: str = "+79991234567",
    ) -> str:
        """What the PBX integration does for one incoming call on line `number`: register
        it (making the nameless line in this application's set when it has none), then
        finish it, which writes one history row started `days_ago` days ago. Returns its
        CALL_ID."""
        app = self._app(client_id)
        now = time.time()
        registration = Registration(
            user_id=PORTAL_ADMIN,
            phone_number=phone,
            call_type=INCOMING,
            start=now - days_ago * DAY,
            line_number=self._line_number(number),
        )
        call_id = str(register(self.store, app.client_id, app, registration, now)["CALL_ID"])
        finish(self.store, call_id, PORTAL_ADMIN, duration)
        return call_id

    def deny_statistics(self, client_id: str, denied: bool = True) -> None:
        """Take "Call Statistics - View" from the user who authorised the application
        (voximplant.statistic.get then answers 403 ACCESS_DENIED), or give it back."""
        if not self.store.deny_statistics(client_id, denied):
            raise KeyError(f"no application {client_id!r}; register it with add_app")

    def calls(self, client_id: str | None = None) -> list[dict[str, object]]:
        """The call history's rows as voximplant.statistic.get returns them (every value
        text), of one application's calls or of all, oldest first."""
        app_id = None if client_id is None else str(self.app_id(client_id))
        rows = [render(row) for row in self.store.statistics()]
        return [row for row in rows if app_id is None or row["REST_APP_ID"] == app_id]

    # Request log

    def request_log(self) -> list[dict[str, object]]:
        """Every /rest and /oauth request so far: method, app, status, latency_ms, fault, error."""
        return self.log.entries()

    def clear_log(self) -> None:
        """Forget the request log."""
        self.log.clear()
