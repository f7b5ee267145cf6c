"""Fixtures: a real sandbox portal per test over loopback HTTP, and a secret-leak guard.

Every test gets a scrubbed environment (no developer's BITRIX24_* credentials, a
throw-away HOME), and every secret a test hands out is checked at teardown against
everything logged at DEBUG and against each exception the test inspected.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from provider.bitrix24.auth import OAuth
from provider.bitrix24.lines import LinesApi
from provider.bitrix24.pacing import Pacer, Unpaced
from provider.bitrix24.rest import RestClient
from provider.bitrix24.retry import RetryPolicy
from provider.bitrix24.tokenstore import TokenStore
from sandbox import Sandbox

APP = "local.1a2b3c4d5e.67890123"
SECRET = "client-secret-0123456789abcdef"
HOOK_CODE = "hookcode0123456789"
FAST = RetryPolicy(deadline=15.0, backoff_factor=0.02, backoff_max=0.3, backoff_jitter=0.02)
"""Retries as the product does them, with waits shrunk so faulty-portal tests stay quick."""


class FakeTime:
    """A monotonic clock that moves only when something sleeps on it.

    Give `policy(...)` to a client and its retry waits are recorded, not spent: a test
    asserts what was waited, never how long the machine took.
    """

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def policy(self, **knobs: float) -> RetryPolicy:
        return RetryPolicy(clock=self.clock, sleep=self.sleep, **knobs)


class Leaks:
    """The secrets handed out during a test, and the checks that none of them escaped."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self.caplog = caplog
        self.secrets: set[str] = {SECRET, HOOK_CODE}
        self.stores: list[Path] = []

    def add(self, *secrets: object) -> None:
        self.secrets.update(str(s) for s in secrets if s)

    def found_in(self, text: str) -> list[str]:
        return [s for s in self.secrets if s in text]

    def check_exception(self, err: BaseException | None) -> None:
        while err is not None:
            for text in (str(err), repr(err), *map(str, err.args)):
                assert not self.found_in(text), f"secret in {type(err).__name__}: {text}"
            err = err.__cause__ or err.__context__

    @contextlib.contextmanager
    def raises(self, cls: type[BaseException], match: str | None = None) -> Iterator[Any]:
        """pytest.raises that also fails if the exception (or its chain) shows a secret."""
        with pytest.raises(cls, match=match) as info:
            yield info
        self.check_exception(info.value)

    def stored_tokens(self) -> set[str]:
        found = set()
        for directory in self.stores:
            for path in directory.glob("*.json"):
                with contextlib.suppress(ValueError):  # a test may corrupt it on purpose
                    tokens = json.loads(path.read_text())["tokens"]
                    found.update(t for t in (tokens["refresh_token"], tokens["access_token"]) if t)
        return found


@pytest.fixture(autouse=True)
def leaks(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[Leaks]:
    for key in [k for k in os.environ if k.startswith("BITRIX24_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    caplog.set_level(logging.DEBUG)
    guard = Leaks(caplog)
    yield guard
    guard.add(*guard.stored_tokens())
    logged = "\n".join(
        record.getMessage() for phase in ("setup", "call") for record in caplog.get_records(phase)
    )
    leaked = guard.found_in(logged)
    assert not leaked, f"{len(leaked)} secret(s) in the log"


class Portal:
    """One running sandbox with the test application registered, and builders for clients."""

    def __init__(self, sb: Sandbox, store_dir: Path, leaks: Leaks) -> None:
        self.sb = sb
        self.url = sb.url
        self.store_dir = store_dir
        self.leaks = leaks
        leaks.stores.append(store_dir)

    def tokens(self) -> dict[str, Any]:
        """A fresh pair, as installing the application gives."""
        tokens = self.sb.issue_tokens(APP)
        self.leaks.add(tokens["access_token"], tokens["refresh_token"])
        return tokens

    def auth(
        self,
        tokens: dict[str, Any] | None = None,
        *,
        store: bool = True,
        secret: str = SECRET,
        access: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> OAuth:
        tokens = tokens or self.tokens()
        return OAuth(
            APP,
            secret,
            refresh_token=tokens["refresh_token"],
            access_token=tokens["access_token"] if access else None,
            oauth_server=self.url,
            store=TokenStore(self.store_dir) if store else None,
            clock=clock,
        )

    def client(
        self,
        auth: Any = None,
        *,
        pacer: Pacer | None = None,
        policy: RetryPolicy = FAST,
        timeout: tuple[float, float] = (2.0, 5.0),
    ) -> RestClient:
        return RestClient(
            self.url,
            auth if auth is not None else self.auth(),
            pacer=pacer or Unpaced(),
            policy=policy,
            timeout=timeout,
        )

    def lines(self, **kwargs: Any) -> LinesApi:
        return LinesApi(self.client(**kwargs))

    def log(self, method: str | None = None) -> list[dict[str, Any]]:
        return [e for e in self.sb.request_log() if method is None or e["method"] == method]

    def portal_lines(self) -> dict[str, dict[str, Any]]:
        """The portal's own view of the application's lines, with IDs."""
        return {row["NUMBER"]: row for row in self.sb.lines(APP)}


@pytest.fixture
def make_portal(tmp_path: Path, leaks: Leaks) -> Iterator[Callable[..., Portal]]:
    """Start a sandbox with the given switches (limits off unless asked for)."""
    started: list[Sandbox] = []

    def make(scopes: tuple[str, ...] = ("telephony",), **settings: Any) -> Portal:
        settings.setdefault("rate", 0)
        sb = Sandbox(**settings).start()
        started.append(sb)
        sb.add_app(APP, SECRET, scopes=scopes)
        return Portal(sb, tmp_path / f"store{len(started)}", leaks)

    yield make
    for sb in started:
        sb.stop()


@pytest.fixture
def portal(make_portal: Callable[..., Portal]) -> Portal:
    """A sandbox with default switches but no intensity limit."""
    return make_portal()
