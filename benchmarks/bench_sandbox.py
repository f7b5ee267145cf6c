"""Throughput of the sandbox portal on loopback: is it fast enough to test against?

Starts a sandbox (intensity limit, time budget and faults off), seeds a few lines,
then drives N requests from a few threads, each on its own keep-alive connection:
cycles of telephony.externalLine.get, add, update and delete. Prints requests/s and
p50/p95 latency as the client sees it. Not an assertion: the target is >= 1,000
requests/s on a 2-core machine.

By default the sandbox runs in this process, as tests run it, so client and server
share one interpreter lock; --subprocess runs `python -m sandbox` instead,
which measures the server alone.

    .venv/bin/python benchmarks/bench_sandbox.py [--requests 5000] [--threads 4] [--subprocess]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sandbox import Sandbox  # noqa: E402 (needs the path set above)

APP, SECRET = "bench.app", "bench-secret"
CYCLE = ("get", "add", "update", "delete")


@contextlib.contextmanager
def in_process() -> Iterator[str]:
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET)
        yield sb.url


@contextlib.contextmanager
def in_subprocess() -> Iterator[str]:
    command = [sys.executable, "-m", "sandbox", "--rate", "0", "--app", f"{APP}:{SECRET}"]
    with subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) as proc:
        assert proc.stdout is not None
        try:
            yield proc.stdout.readline().split()[-1]
        finally:
            proc.terminate()


def call(connection: http.client.HTTPConnection, verb: str, path: str, body: object = None):
    data = None if body is None else json.dumps(body).encode()
    connection.request(verb, path, data, {"Content-Type": "application/json"})
    reply = connection.getresponse()
    return reply.status, json.loads(reply.read())


def calls(worker: int, count: int, token: str) -> list[tuple[str, bytes]]:
    """Get, add, update, delete of this worker's own numbers: the portal keeps its size."""
    result = []
    for i in range(count):
        action = CYCLE[i % 4]
        params: dict[str, str] = {"NUMBER": f"+7495{worker:02d}{i // 4:06d}"}
        if action == "get":
            params = {}
        elif action == "add":
            params |= {"NAME": f"Line {i}", "CRM_AUTO_CREATE": "N"}
        elif action == "update":
            params["NAME"] = "Renamed"
        body = json.dumps({"auth": token, **params}).encode()
        result.append((f"/rest/telephony.externalLine.{action}", body))
    return result


def drive(
    address: tuple[str, int],
    work: list[tuple[str, bytes]],
    latencies: list[float],
    failures: list[str],
) -> None:
    connection = http.client.HTTPConnection(*address, timeout=10)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    for path, body in work:
        started = time.perf_counter()
        connection.request("POST", path, body, headers)
        reply = connection.getresponse()
        data = reply.read()
        latencies.append(time.perf_counter() - started)
        if reply.status != 200:
            failures.append(f"{reply.status} {data[:200]!r}")
    connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000, help="total (default 5000)")
    parser.add_argument("--threads", type=int, default=4, help="client threads (default 4)")
    parser.add_argument(
        "--lines",
        type=int,
        default=20,
        help="lines seeded first, so get returns a portal-sized list (default 20)",
    )
    parser.add_argument(
        "--subprocess", action="store_true", help="run the sandbox as `python -m sandbox`"
    )
    args = parser.parse_args()
    per_thread = args.requests // args.threads // len(CYCLE) * len(CYCLE)
    with in_subprocess() if args.subprocess else in_process() as url:
        split = urlsplit(url)
        address = (split.hostname or "127.0.0.1", split.port or 80)
        admin = http.client.HTTPConnection(*address, timeout=10)
        token = call(admin, "POST", f"/_sandbox/apps/{APP}/tokens")[1]["access_token"]
        for i in range(args.lines):
            call(
                admin,
                "POST",
                f"/_sandbox/apps/{APP}/lines",
                {"NUMBER": f"+7812000{i:04d}", "NAME": f"Seeded {i}"},
            )
        latencies: list[float] = []
        failures: list[str] = []
        workers = [
            threading.Thread(
                target=drive, args=(address, calls(w, per_thread, token), latencies, failures)
            )
            for w in range(args.threads)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        lines = len(call(admin, "GET", f"/_sandbox/apps/{APP}/lines")[1])
        admin.close()
    total = per_thread * args.threads
    quantiles = statistics.quantiles(latencies, n=100)
    where = "a subprocess" if args.subprocess else "this process"
    print(
        f"{total} requests, {args.threads} keep-alive connections, sandbox in {where}: "
        f"{elapsed:.2f} s"
    )
    print(f"throughput: {total / elapsed:,.0f} requests/s")
    print(f"latency: p50 {quantiles[49] * 1000:.2f} ms, p95 {quantiles[94] * 1000:.2f} ms")
    print(f"failures: {len(failures)}; lines at the end: {lines} (seeded {args.lines})")
    for failure in failures[:5]:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
