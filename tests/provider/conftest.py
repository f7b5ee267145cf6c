"""Fixtures: a sandbox portal over loopback HTTP, and real provider host processes talking to it.

Every host runs with a scrubbed environment (no BITRIX24_* variable, a throw-away
HOME) and a token store under the test's tmp_path; at teardown it is killed and
its stderr is checked for every secret the test handed out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from sandbox import Sandbox
from tests.provider.host import PROVIDER, Host, host_env, with_provider

APP = "local.5f1e2d3c4b.11223344"
SECRET = "client-secret-never-shown-0123456789"
HOOK_CODE = "hookcode9876543210abc"
GET = "telephony.externalLine.get"
ADD = "telephony.externalLine.add"
UPDATE = "telephony.externalLine.update"
DELETE = "telephony.externalLine.delete"
FIRST_LOOK = ("app.info", "event.get")  # once per host process: whose lines, and its handler


class Stack:
    """One sandbox portal, the application's credentials as stack config, and the secrets."""

    def __init__(self, sb: Sandbox, tmp_path: Path) -> None:
        self.sb = sb
        self.url = sb.url
        self.store_dir = tmp_path / "tokens"
        self.home = tmp_path / "home"
        self.home.mkdir(exist_ok=True)
        self.secrets: set[str] = {SECRET, HOOK_CODE}
        self.tokens = self.new_tokens()

    def new_tokens(self) -> dict[str, Any]:
        tokens = self.sb.issue_tokens(APP)
        self.secrets.update((str(tokens["access_token"]), str(tokens["refresh_token"])))
        return tokens

    def config(self, **overrides: Any) -> dict[str, Any]:
        """The stack config the engine sends in Configure; an override of None drops a key."""
        config: dict[str, Any] = {
            "bitrix24:clientId": APP,
            "bitrix24:clientSecret": SECRET,
            "bitrix24:refreshToken": self.tokens["refresh_token"],
            "bitrix24:accessToken": self.tokens["access_token"],
            "bitrix24:oauthServer": self.url,
            "bitrix24:tokenStore": str(self.store_dir),
        }
        for key, value in overrides.items():
            full = f"bitrix24:{key}"
            if value is None:
                config.pop(full, None)
            else:
                config[full] = value
        return config

    def line(
        self,
        number: str,
        name: str | None = None,
        crm_auto_create: bool = True,
        *,
        adopt: bool = False,
        portal: str | None = None,
    ) -> dict[str, Any]:
        """Checked inputs as the engine would send them to Create (name defaults to number)."""
        return with_provider(
            {
                "portal": portal or self.url,
                "number": number,
                "name": number if name is None else name,
                "crm_auto_create": crm_auto_create,
                "adopt": adopt,
            }
        )

    def outs(
        self, number: str, name: str, crm_auto_create: bool = True, member_id: str = ""
    ) -> dict[str, Any]:
        """Outputs as Create returns them, `__provider` included. `member_id` is "" while the
        credentials have seen no token reply (the access token came from config)."""
        return with_provider(
            {
                "portal": self.url,
                "number": number,
                "name": name,
                "crm_auto_create": crm_auto_create,
                "member_id": member_id,
            }
        )

    def lines(self) -> dict[str, dict[str, Any]]:
        """The portal's own view of the application's lines, by NUMBER, with IDs."""
        return {row["NUMBER"]: row for row in self.sb.lines(APP)}

    def log(self, method: str | None = None) -> list[dict[str, Any]]:
        """The portal's requests, without the host's one look at the application per
        process (`app.info`, `event.get`): test_crud counts that look on its own."""
        return [
            e
            for e in self.sb.request_log()
            if (e["method"] == method if method else e["method"] not in FIRST_LOOK)
        ]

    def all_secrets(self) -> set[str]:
        """Handed-out secrets plus every token the provider stored after a refresh."""
        found = set(self.secrets)
        for path in self.store_dir.glob("*.json") if self.store_dir.exists() else ():
            tokens = json.loads(path.read_text())["tokens"]
            found.update(t for t in (tokens["refresh_token"], tokens["access_token"]) if t)
        return found

    def assert_clean(self, text: str) -> None:
        leaked = sorted(s for s in self.all_secrets() if s in text)
        assert not leaked, f"{len(leaked)} secret(s) in: {text}"

    def failure(self, err: pytest.ExceptionInfo[grpc.RpcError]) -> str:
        """The provider's message from a failed call, after checking it leaks nothing and
        reads as users see it in `pulumi up`: one line, no traceback, at most one fix."""
        rpc_error = err.value
        assert rpc_error.code() == grpc.StatusCode.UNKNOWN
        details = rpc_error.details()
        self.assert_clean(details)
        self.assert_clean(str(rpc_error.debug_error_string()))
        message = details.strip()
        assert "\n" not in message and message.count("Fix:") <= 1, details
        return message


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET, scopes=("telephony",))
        yield sb


@pytest.fixture
def stack(sandbox: Sandbox, tmp_path: Path) -> Stack:
    return Stack(sandbox, tmp_path)


@pytest.fixture
def hosts(stack: Stack, tmp_path: Path) -> Iterator[Callable[..., Host]]:
    """Start a provider host configured with the stack config (or `config`); all killed after.

    Each host is one engine run (`pulumi up`, `pulumi refresh`): a new process.
    """
    started: list[Host] = []

    def start(config: dict[str, Any] | None = None) -> Host:
        host = Host(host_env(stack.home), tmp_path / f"host{len(started) + 1}.stderr")
        started.append(host)
        host.configure(stack.config() if config is None else config)
        return host

    yield start
    for host in started:
        host.close()
    for host in started:
        stack.assert_clean(host.stderr())


@pytest.fixture
def host(hosts: Callable[..., Host]) -> Host:
    return hosts()


@pytest.fixture(scope="module")
def offline_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    """A host for Check and Diff, which never call the portal: one per module."""
    tmp = tmp_path_factory.mktemp("offline")
    host = Host(host_env(tmp), tmp / "host.stderr")
    try:
        host.configure(
            {
                "bitrix24:clientId": APP,
                "bitrix24:clientSecret": SECRET,
                "bitrix24:refreshToken": "refresh-token-offline-0001",
                "bitrix24:tokenStore": str(tmp / "tokens"),
            }
        )
        yield host
    finally:
        host.close()
    assert SECRET not in host.stderr()


__all__ = ["ADD", "APP", "DELETE", "GET", "PROVIDER", "SECRET", "UPDATE", "Stack"]
