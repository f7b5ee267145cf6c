"""Fixtures for end-to-end runs: the real `pulumi` CLI against a sandbox portal on loopback."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox import Sandbox
from tests.e2e.backends import Backend
from tests.e2e.postgres import PostgresServer, PostgresUnavailable
from tests.e2e.pulumi_cli import PULUMI_BIN, PulumiProject

CLIENT_ID = "local.e2e"
CLIENT_SECRET = "e2e-client-secret-DO-NOT-LEAK"
_stacks = itertools.count(1)
_databases = itertools.count(1)
# The core scenarios run on both: `@on_both_backends` over a test using `backend` or `project`.
on_both_backends = pytest.mark.parametrize("backend", ["file", "postgres"], indirect=True)

if not (PULUMI_BIN / "pulumi").exists():
    pytest.exit("the Pulumi CLI is missing: run scripts/test, which bootstraps it", returncode=2)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as portal:
        portal.add_app(CLIENT_ID, CLIENT_SECRET, scopes=("telephony",))
        portal.bind_event(CLIENT_ID)  # set up as the guides say: its handler takes the calls
        yield portal


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One server for the session, started by the first test on `postgres`: never skipped.
    Without a server those tests fail, naming what is missing."""
    try:
        server = PostgresServer.start()
    except PostgresUnavailable as missing:
        failure = str(missing)
    else:
        yield server
        server.stop()
        return
    pytest.fail(failure, pytrace=False)


@pytest.fixture
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """The state backend the test's projects share: a folder, or (on_both_backends) a
    fresh database on the session's PostgreSQL server."""
    if getattr(request, "param", "file") == "postgres":
        server = request.getfixturevalue("postgres_server")
        return Backend.postgres(server, f"e2e{next(_databases)}")
    return Backend.folder(tmp_path / "state")


@pytest.fixture
def project(tmp_path: Path, sandbox: Sandbox, backend: Backend) -> PulumiProject:
    stack = f"e2e{next(_stacks)}"
    proj = PulumiProject.create(tmp_path / "project", stack, {}, backend=backend.url)
    proj.secrets = proj.connect(sandbox, CLIENT_ID, CLIENT_SECRET)
    return proj


def stack_file(portal: Sandbox, *lines: tuple[str, str] | tuple[str, str, bool]) -> dict:
    return {
        "portal": portal.url,
        "lines": [
            {"number": number, "name": name, **({"crm_auto_create": rest[0]} if rest else {})}
            for number, name, *rest in lines
        ],
    }


def portal_lines(portal: Sandbox, client_id: str = CLIENT_ID) -> dict[str, dict]:
    """The application's lines as the portal holds them, by NUMBER."""
    return {line["NUMBER"]: line for line in portal.lines(client_id)}


def expire_tokens_after(portal: Sandbox, requests: int) -> threading.Thread:
    """Expire the portal's access tokens once it has answered `requests` requests, from a
    thread started now: the moment is an event of the run, not a lifetime that the run's
    speed would decide (a short-lived token expires again right after a refresh on a busy
    machine, and a run faster than its lifetime never sees it expire)."""

    def expire() -> None:
        while len(portal.request_log()) < requests:
            time.sleep(0.01)
        portal.expire_access_tokens()

    thread = threading.Thread(target=expire, daemon=True)
    thread.start()
    return thread


def comment_rows(comment: str) -> list[list[str]]:
    """The data rows of the table(s) in a `python -m provider plan` comment, cell by cell."""
    return [
        [cell.strip() for cell in line.strip("|").split(" | ")]
        for line in comment.splitlines()
        if line.startswith("| ") and not line.startswith(("| operation", "| ---"))
    ]
