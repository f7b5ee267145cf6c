"""`python -m sandbox` as a subprocess: the address line, calls, stop, bad switches."""

from __future__ import annotations

import select
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
COMMAND = [sys.executable, "-m", "sandbox"]
PREFIX = "Sandbox portal listening on "


def session() -> requests.Session:
    """A plain client that ignores proxy settings from the environment."""
    http = requests.Session()
    http.trust_env = False
    return http


def stop(proc: subprocess.Popen) -> int:
    """SIGTERM, as a service manager would; the exit status."""
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.fixture
def start() -> Iterator[Callable[..., tuple[subprocess.Popen, str]]]:
    started: list[subprocess.Popen] = []

    def run(*args: str) -> tuple[subprocess.Popen, str]:
        proc = subprocess.Popen(
            [*COMMAND, "--port", "0", *args],
            cwd=ROOT,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started.append(proc)
        ready, _, _ = select.select([proc.stdout], [], [], 15)
        assert ready, "the sandbox printed no address within 15 s"
        line = proc.stdout.readline().strip()
        assert line.startswith(PREFIX), (line, proc.stderr.read() if proc.poll() else "")
        return proc, line.removeprefix(PREFIX)

    yield run
    for proc in started:
        if proc.poll() is None:
            stop(proc)
        proc.stdout.close()
        proc.stderr.close()


def test_serves_preregistered_app_and_webhook_until_sigterm(start) -> None:
    proc, url = start(
        "--app",
        "app.1:secret1:telephony,crm",
        "--webhook",
        "1:abc123",
        "--webhooks",
        "deny",
        "--error-code",
        "ERROR_CORE",
    )
    assert url.startswith("http://127.0.0.1:")
    with session() as http:
        tokens = http.post(f"{url}/_sandbox/apps/app.1/tokens").json()
        assert tokens["scope"] == "telephony,crm"
        reply = http.post(
            f"{url}/rest/telephony.externalLine.delete",
            json={"auth": tokens["access_token"], "NUMBER": "1"},
        )
        assert reply.json()["error"] == "ERROR_CORE"
        hook = http.post(f"{url}/rest/1/abc123/telephony.externalLine.get")
        assert hook.json()["error"] == "WRONG_AUTH_TYPE"
    assert stop(proc) == 0


def test_sip_lines_from_the_command_line_reach_a_webhooks_get(start) -> None:
    _, url = start("--webhook", "1:abc123", "--sip-line", "74950001122:Office PBX")
    with session() as http:
        hook = http.post(f"{url}/rest/1/abc123/telephony.externalLine.get").json()
        added = http.post(f"{url}/_sandbox/sip", json={"NUMBER": "74950003344"}).json()
        again = http.post(f"{url}/rest/1/abc123/telephony.externalLine.get").json()
    assert hook["result"] == [
        {"NUMBER": "74950001122", "NAME": "Office PBX", "CRM_AUTO_CREATE": "Y"}
    ]
    assert added == {"ID": 2}
    assert [line["NUMBER"] for line in again["result"]] == ["74950001122", "74950003344"]


def test_calls_from_the_command_line_reach_the_history(start) -> None:
    _, url = start(
        "--app",
        "local.demo:s3cret",
        "--app",
        "app.2:s2",
        "--call",
        "+74951234567@40",
        "--call",
        "+74951234567",
        "--bind-handler",
    )
    with session() as http:
        tokens = http.post(f"{url}/_sandbox/apps/local.demo/tokens").json()
        body = {"auth": tokens["access_token"], "SORT": "CALL_START_DATE", "ORDER": "ASC"}
        history = http.post(f"{url}/rest/voximplant.statistic.get", json=body).json()
        events = http.post(f"{url}/rest/event.get", json={"auth": tokens["access_token"]}).json()
        lines = http.get(f"{url}/_sandbox/apps/local.demo/lines").json()
        others = http.get(f"{url}/_sandbox/apps/app.2/events").json()
    assert history["total"] == 2
    ages = [
        time.time() - datetime.fromisoformat(row["CALL_START_DATE"]).timestamp()
        for row in history["result"]
    ]
    assert ages[0] > 39 * 86400 and ages[1] < 86400  # 40 days ago, then today
    assert [(line["NUMBER"], line["NAME"]) for line in lines] == [("+74951234567", "")]
    assert events["result"] == [
        {
            "event": "ONEXTERNALCALLSTART",
            "handler": "https://pbx.example/handler",
            "auth_type": "0",
            "offline": 0,
        }
    ]
    assert others == []  # only the first --app is the integration's


def test_deny_statistics_from_the_command_line(start) -> None:
    _, url = start("--app", "local.demo:s3cret", "--deny-statistics")
    with session() as http:
        token = http.post(f"{url}/_sandbox/apps/local.demo/tokens").json()["access_token"]
        reply = http.post(f"{url}/rest/voximplant.statistic.get", json={"auth": token})
    assert (reply.status_code, reply.json()["error"]) == (403, "ACCESS_DENIED")


def test_sigint_stops_it_too(start) -> None:
    proc, _ = start()
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=10) == 0


def test_state_file_keeps_lines_across_restarts(start, tmp_path: Path) -> None:
    state = str(tmp_path / "demo.db")
    proc, url = start("--state", state, "--app", "demo:s3cret")
    with session() as http:
        assert http.post(f"{url}/_sandbox/apps/demo/lines", json={"NUMBER": "100"}).ok
    assert stop(proc) == 0
    proc, url = start("--state", state, "--app", "demo:s3cret")
    with session() as http:
        assert [line["ID"] for line in http.get(f"{url}/_sandbox/apps/demo/lines").json()] == [1]


def test_switches_reach_the_portal(start) -> None:
    _, url = start(
        "--rate",
        "0",
        "--require-https",
        "--system-error",
        "PORTAL_DELETED:403",
        "--limit503",
        "0.5",
        "--fault-seed",
        "9",
        "--token-lifetime",
        "2",
        "--batch-references",
        "any",
    )
    with session() as http:
        settings = http.get(f"{url}/_sandbox/settings").json()
        faults = http.get(f"{url}/_sandbox/faults").json()
    assert (
        settings["rate"],
        settings["require_https"],
        settings["system_error"],
        settings["system_status"],
        settings["token_lifetime"],
        settings["batch_references"],
    ) == (0.0, True, "PORTAL_DELETED", 403, 2.0, "any")
    assert (faults["limit503"], faults["seed"]) == (0.5, 9)


def test_help_documents_every_switch() -> None:
    result = subprocess.run(
        [*COMMAND, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    for switch in (
        "--host",
        "--port",
        "--state",
        "--app",
        "--webhook",
        "--webhooks",
        "--sip-line",
        "--token-lifetime",
        "--error-code",
        "--require-https",
        "--system-error",
        "--db-error",
        "--batch-references",
        "--move-to",
        "--rate",
        "--burst",
        "--time-budget",
        "--call-cost",
        "--budget-window",
        "--error500",
        "--limit503",
        "--slow",
        "--slow-seconds",
        "--drop",
        "--commit-drop",
        "--fault-seed",
        "--access-log",
        "--call",
        "--bind-handler",
        "--deny-statistics",
        "--legacy-statistic",
    ):
        assert switch in result.stdout


def test_a_port_in_use_exits_1_with_the_reason(start) -> None:
    _, url = start()
    port = url.rsplit(":", 1)[1]
    result = subprocess.run(
        [*COMMAND, "--port", port], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rate", "-1"], "rate must be >= 0"),
        (["--app", "no-secret"], "argument --app: expected CLIENT_ID:SECRET[:scope,scope]"),
        (["--webhook", "x:abc"], "argument --webhook: expected USER_ID:CODE[:scope,scope]"),
        (["--webhooks", "maybe"], "argument --webhooks: invalid choice: 'maybe'"),
        (["--error500", "2"], "argument --error500: a fault rate is between 0 and 1, got 2"),
        (["--drop", "0.7", "--commit-drop", "0.7"], "fault rates add up to 1.4"),
        (["--system-error", "NOPE"], "argument --system-error: expected CODE[:STATUS]"),
        (["--port", "http"], "argument --port: invalid int value: 'http'"),
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--call", "100@soon"], "argument --call: expected NUMBER[@DAYS_AGO], got '100@soon'"),
        (["--call", "100"], "--bind-handler, --deny-statistics and --call need an --app"),
        (["--state", "/nonexistent/dir/x.db"], "--state /nonexistent/dir/x.db: unable to open"),
    ],
)
def test_bad_switches_exit_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = subprocess.run([*COMMAND, *args], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""


def test_help_lists_the_pages_and_every_admin_route() -> None:
    result = subprocess.run(
        [*COMMAND, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    listed = [line.split()[:2] for line in result.stdout.splitlines() if line.startswith("  ")]
    for route in (
        ["GET", "/oauth/authorize/?client_id=ID"],
        ["GET", "/oauth/token/"],
        ["POST", "/_sandbox/apps/<app>/calls"],
        ["PATCH", "/_sandbox/apps/<app>/lines/<number>"],
        ["DELETE", "/_sandbox/log"],
        ["POST", "/_sandbox/apps/<app>/history"],
        ["POST", "/_sandbox/apps/<app>/events"],
        ["POST", "/_sandbox/apps/<app>/deny-statistics"],
    ):
        assert route in listed
    assert "externalCall.register: a nameless line" in result.stdout
