"""Throughput of the sandbox portal on loopback: is it fast enough to test against?

Starts a Sandbox in this process (intensity limit, time budget and faults off), seeds
a few lines, then drives N requests from a few threads, each on its own keep-alive
connection: cycles of telephony.externalLine.get, add, update and delete. Prints
requests/s and p50/p95 latency as the client sees it. Not an assertion: the target
is >= 1,000 requests/s on a 2-core machine (client and server share the machine).

    .venv/bin/python benchmarks/bench_sandbox.py [--requests 5000] [--threads 4]
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provider.sandbox import Sandbox

APP = "bench.app"


def _calls(worker: int, count: int, token: str) -> list[tuple[str, bytes]]:
    """Cycles of get, add, update, delete of this worker's own number, so the
    portal keeps its seeded size and every call succeeds."""
    cycle = ["get", "add", "update", "delete"]
    calls = []
    for i in range(count):
        params: dict[str, str] = {"NUMBER": f"+7495{worker:02d}{i // 4:06d}"}
        action = cycle[i % 4]
        if action == "get":
            params = {}
        elif action == "add":
            params |= {"NAME": f"Line {i}", "CRM_AUTO_CREATE": "N"}
        elif action == "update":
            params["NAME"] = "Renamed"
        body = json.dumps({"auth": token, **params}).encode()
        calls.append((f"/rest/telephony.externalLine.{action}", body))
    return calls


def _drive(
    address: tuple[str, int],
    calls: list[tuple[str, bytes]],
    latencies: list[float],
    failures: list[str],
) -> None:
    connection = http.client.HTTPConnection(*address, timeout=10)
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    for path, body in calls:
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
        help="lines seeded before, so get returns a portal-sized list (default 20)",
    )
    args = parser.parse_args()
    per_thread = args.requests // args.threads // 4 * 4  # whole get/add/update/delete cycles
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, "bench-secret")
        for i in range(args.lines):
            sb.seed_line(APP, f"+7812000{i:04d}", name=f"Seeded {i}")
        token = str(sb.issue_tokens(APP)["access_token"])
        split = urlsplit(sb.url)
        address = (split.hostname or "127.0.0.1", split.port or 80)
        latencies: list[float] = []
        failures: list[str] = []
        workers = [
            threading.Thread(
                target=_drive, args=(address, _calls(w, per_thread, token), latencies, failures)
            )
            for w in range(args.threads)
        ]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
        lines = len(sb.lines(APP))
    total = per_thread * args.threads
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"{total} requests from {args.threads} keep-alive connections in {elapsed:.2f} s")
    print(f"throughput: {total / elapsed:,.0f} requests/s")
    print(f"latency: p50 {quantiles[49] * 1000:.2f} ms, p95 {quantiles[94] * 1000:.2f} ms")
    print(f"failures: {len(failures)}; lines at the end: {lines} (seeded {args.lines})")
    for failure in failures[:5]:
        print(f"  {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
