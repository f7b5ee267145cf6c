"""Benchmark the client stack (LinesApi -> RestClient -> sandbox) and print figures.

    .venv/bin/python benchmarks/bench_client.py [--lines 500] [--threads 4]

Runs against a sandbox with its limits off, so what is measured is our own cost:
requests per line, calls per second, the pacer's bookkeeping overhead, and what
the per-process cache saves. What a cloud portal's limits would make of the same
request counts is then computed, not waited for (500 lines at 2/s is minutes).
No assertions: the figures are for reading and comparing between commits.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from statistics import median
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from provider.bitrix24.auth import OAuth
from provider.bitrix24.lines import Line, LinesApi
from provider.bitrix24.pacing import SAFETY, LeakyBucket, Pacer, Unpaced
from provider.bitrix24.rest import RestClient
from sandbox import Sandbox

APP, SECRET = "local.bench.0001", "bench-secret-0001"
CLOUD = {"cloud (2/s, burst 50)": (2.0, 50), "enterprise (5/s, burst 250)": (5.0, 250)}


def run(threads: int, items: Iterable[Any], work: Callable[[Any], object]) -> float:
    """Seconds to run `work` on every item, spread over `threads` threads."""
    pending = list(items)
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not pending:
                    return
                item = pending.pop()
            work(item)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return time.perf_counter() - started


def phases(sb: Sandbox, pacer: Pacer, count: int, threads: int) -> dict[str, tuple[float, int]]:
    """(seconds, requests) of each phase of a full line life cycle."""
    auth = OAuth(APP, SECRET, **_tokens(sb), oauth_server=sb.url)
    lines = LinesApi(RestClient(sb.url, auth, pacer=pacer))
    numbers = [str(7_000_000 + i) for i in range(count)]
    steps: list[tuple[str, Callable[[str], object]]] = [
        ("list (first, fetch)", lambda n: lines.list()),
        ("add", lambda n: lines.add(Line(n, f"Line {n}", True))),
        ("update", lambda n: lines.update(n, name=f"Renamed {n}")),
        ("find (cached)", lambda n: lines.find(n)),
        ("delete", lambda n: lines.delete(n)),
    ]
    figures = {}
    for name, step in steps:
        sb.clear_log()
        items = numbers[:1] if name.startswith("list") else numbers
        seconds = run(threads if len(items) > 1 else 1, items, step)
        figures[name] = (seconds, len(sb.request_log()))
    return figures


def _tokens(sb: Sandbox) -> dict[str, str]:
    reply = sb.issue_tokens(APP)
    return {key: str(reply[key]) for key in ("refresh_token", "access_token")}


def list_cost(sb: Sandbox, count: int, repeats: int) -> tuple[float, float]:
    """Seconds per list() call from the cache and with fresh=True, with `count` lines stored."""
    auth = OAuth(APP, SECRET, **_tokens(sb), oauth_server=sb.url)
    lines = LinesApi(RestClient(sb.url, auth, pacer=Unpaced()))
    for i in range(count):
        sb.seed_line(APP, str(8_000_000 + i), name=f"Seeded {i}")
    lines.list()
    fresh_repeats = max(1, repeats // 10)
    cached = run(1, range(repeats), lambda _: lines.list()) / repeats
    fresh = run(1, range(fresh_repeats), lambda _: lines.list(fresh=True)) / fresh_repeats
    return cached, fresh


def acquire_cost(calls: int = 200_000) -> float:
    """Seconds one LeakyBucket.acquire() costs when it never has to wait."""
    bucket = LeakyBucket(1e9, 10**9)
    started = time.perf_counter()
    for _ in range(calls):
        bucket.acquire()
    return (time.perf_counter() - started) / calls


def modelled_seconds(requests: int, rate: float, burst: int) -> float:
    """Wall time our pacer needs for `requests` at a portal's limit (safety margin included)."""
    return max(0.0, requests - burst * SAFETY) / (rate * SAFETY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--threads", type=int, default=4, help="the Pulumi engine runs 4")
    parser.add_argument("--rounds", type=int, default=3, help="median of this many runs each")
    args = parser.parse_args()
    pacers: dict[str, Callable[[], Pacer]] = {
        "pacing off": Unpaced,
        # Limits far above what we send: every acquire() does its bookkeeping, never waits.
        "pacing on": lambda: LeakyBucket(1e9, 10**9),
    }
    samples: dict[str, list[dict[str, tuple[float, int]]]] = {label: [] for label in pacers}
    with Sandbox(rate=0) as sb:
        sb.add_app(APP, SECRET)
        for _ in range(args.rounds):  # alternate, so warm-up and drift hit both alike
            for label, make in pacers.items():
                samples[label].append(phases(sb, make(), args.lines, args.threads))
        cached, fresh = list_cost(sb, args.lines, 2000)
    runs = {
        label: {
            phase: (median(r[phase][0] for r in rounds), rounds[0][phase][1]) for phase in rounds[0]
        }
        for label, rounds in samples.items()
    }

    print(
        f"{args.lines} lines, {args.threads} threads, sandbox limits off, "
        f"median of {args.rounds} rounds\n"
    )
    print(f"{'phase':<22}{'run':<12}{'seconds':>9}{'requests':>10}{'req/line':>10}{'calls/s':>10}")
    for label, figures in runs.items():
        for phase, (seconds, requests) in figures.items():
            per_line = requests / args.lines if not phase.startswith("list") else requests
            rate = requests / seconds if requests else 0
            print(
                f"{phase:<22}{label:<12}{seconds:>9.3f}{requests:>10}{per_line:>10.2f}{rate:>10.0f}"
            )
    print(
        f"\npacer bookkeeping: {acquire_cost() * 1e6:.2f} us per request; wall time on/off"
        " per phase (noise of a shared machine dominates):"
    )
    for phase in runs["pacing off"]:
        off, on = runs["pacing off"][phase][0], runs["pacing on"][phase][0]
        print(f"  {phase:<22}{on / off:>6.2f}x")
    total = sum(requests for _, requests in runs["pacing off"].values())
    print(
        f"\nwhole life cycle: {total} requests for {args.lines} lines "
        f"({total / args.lines:.2f} per line)"
    )
    for name, (rate, burst) in CLOUD.items():
        print(f"  at {name}: {modelled_seconds(total, rate, burst):,.0f} s of pacing")
    print(
        f"\nlist() with {args.lines} lines: cached {cached * 1e6:,.1f} us, "
        f"fresh {fresh * 1e3:,.2f} ms ({fresh / cached:,.0f}x), "
        f"and a fresh get costs one request against the portal's limit"
    )


if __name__ == "__main__":
    main()
