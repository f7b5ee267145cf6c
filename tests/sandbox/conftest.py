"""A real sandbox portal on a free loopback port per test, and a plain HTTP client for it.

The client is `requests`, not the product's client: these tests check the portal.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox import Sandbox

APP, SECRET = "app.1", "secret1"


class Portal:
    """Plain HTTP calls to a sandbox, with the token of APP unless told otherwise."""

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.http = requests.Session()
        self.http.trust_env = False  # no proxy from the developer's environment
        self.tokens = sb.issue_tokens(APP)

    def call(self, method: str, token: str | None = "", **params: object) -> requests.Response:
        """POST /rest/<method> with a JSON body; token "" means APP's, None means none."""
        body = dict(params)
        if token is not None:
            body["auth"] = token or self.tokens["access_token"]
        return self.http.post(f"{self.sb.url}/rest/{method}", json=body, timeout=10)

    def ok(self, method: str, **params: object) -> object:
        """The `result` of a call that must succeed."""
        reply = self.call(method, **params)
        assert reply.status_code == 200, reply.text
        return reply.json()["result"]

    def webhook(self, user_id: int, code: str, method: str, **params: object) -> requests.Response:
        return self.http.post(
            f"{self.sb.url}/rest/{user_id}/{code}/{method}", json=params, timeout=10
        )

    def oauth(self, **params: str) -> requests.Response:
        return self.http.get(f"{self.sb.url}/oauth/token/", params=params, timeout=10)

    def admin(self, verb: str, path: str, body: object = None) -> requests.Response:
        return self.http.request(verb, f"{self.sb.url}/_sandbox/{path}", json=body, timeout=10)


def error_of(reply: requests.Response) -> tuple[int, str, str]:
    """(HTTP status, error, error_description) of an error reply."""
    body = reply.json()
    return reply.status_code, body["error"], body["error_description"]


@pytest.fixture
def sandbox_options() -> dict[str, object]:
    """Sandbox switches for the `portal` fixture; override in a test module to change them."""
    return {"rate": 0}


@pytest.fixture
def sandbox(sandbox_options: dict[str, object]) -> Iterator[Sandbox]:
    with Sandbox(**sandbox_options) as sb:
        sb.add_app(APP, SECRET)
        yield sb


@pytest.fixture
def portal(sandbox: Sandbox) -> Iterator[Portal]:
    client = Portal(sandbox)
    yield client
    client.http.close()
