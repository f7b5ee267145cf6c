"""What the in-use guard costs: requests and time to learn the calls of N lines to delete.

    .venv/bin/python benchmarks/bench_inuse.py [--sizes 1 50 500]

For each size, against a sandbox with its limits off: the lines idle (no call in the
window), then every line with a call, then one line with more calls than a page holds.
Prints requests (app.info, the plain call-history request, batches) and
wall time on the sandbox. Every count fits a cloud portal's burst of 50, so its limit
adds no wait. No assertions: the figures are for reading and comparing between commits.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provider.bitrix24 import application, calls
from provider.bitrix24.auth import OAuth
from provider.bitrix24.pacing import Unpaced
from provider.bitrix24.rest import RestClient
from sandbox import Sandbox

APP, SECRET = "local.bench.0001", "bench-secret-0001"
SHAPES = ("idle", "each with a call", "one over a page")


def measure(size: int, shape: str) -> tuple[int, float]:
    """(requests, seconds) of app.info plus the call history of `size` lines."""
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET)
        tokens = sb.issue_tokens(APP)
        numbers = [f"7495{n:07d}" for n in range(size)]
        if shape == "each with a call":
            for number in numbers:
                sb.place_call(APP, number, days_ago=1)
        elif shape == "one over a page":
            for _ in range(calls.PAGE + 1):
                sb.place_call(APP, numbers[0], days_ago=1)
        auth = OAuth(
            APP,
            SECRET,
            refresh_token=str(tokens["refresh_token"]),
            access_token=str(tokens["access_token"]),
            oauth_server=sb.url,
        )
        client = RestClient(sb.url, auth, pacer=Unpaced())
        sb.clear_log()
        started = time.perf_counter()
        app = application.identify(client)  # as the guard asks: app.info alone
        calls.recent(client, numbers, app.id, datetime.now(UTC) - timedelta(days=30))
        seconds = time.perf_counter() - started
        return len(sb.request_log()), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 50, 500])
    args = parser.parse_args()
    print("| lines to delete | calls | requests | of which the history | wall |")
    print("|---:|---|---:|---:|---:|")
    for size in args.sizes:
        for shape in SHAPES:
            requests, seconds = measure(size, shape)
            history = requests - 1  # app.info comes first
            print(f"| {size:,} | {shape} | {requests} | {history} | {seconds * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
