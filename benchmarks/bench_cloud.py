"""The real CLI against a sandbox at a cloud portal's limits (2 requests/s, burst 50).

    .venv/bin/python benchmarks/bench_cloud.py [--sizes 200 1000 2000] [--naive-writes 200]
        [--checkpoints 500] [--writes-only]

For each size, in one run, three ways of running:

- `pipelines`: the settings of the pipelines in ci/ and scripts/env.sh,
  PULUMI_PARALLEL=64 and PULUMI_SKIP_CHECKPOINTS=true, with the provider host widened
  (provider.hostpool): a fresh stack's `preview`, the first `up`, a no-change `preview`,
  renaming every line, `destroy`.
- `naive`: one request per write, as a provider without batching: the host left at its
  four calls (BITRIX24_WIDE_HOST=false) and the engine at one step at a time
  (PULUMI_PARALLEL=1), checkpoints skipped. Its previews run beside the pipelines' ones on
  the same state; its writes (up, rename, destroy) only up to `--naive-writes` lines, as
  they take (N - 50) / 1.8 s each.
- `defaults`: the engine's defaults (4 steps per core, checkpoints after every step), as a
  user who copies nothing would run: the first `up` (then a `destroy` the pipelines' way).

For each: wall time, requests by method (a batch's inner calls in brackets), lines per
request, failed steps, and the peak memory of the provider process and of the CLI. The
floors to compare with: one request per line at 2/s after the burst, (N - 50) / 2 s, and
the preview of a 1-line stack, which is the engine's own cost. Last, what
PULUMI_SKIP_CHECKPOINTS=true saves on the file backend, with the portal's limits off so
the engine's share is what is measured.

The client paces itself at its default (90 % of 2/s, burst 50), so what a cloud portal
would see is what the sandbox sees. Before each command the sandbox's bucket is emptied,
as a pause between runs would. Not a test: figures for the README, no assertions.
"""

from __future__ import annotations

import argparse
import collections
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_up import PeakMemory
from sandbox import Sandbox
from tests.e2e.pulumi_cli import PulumiProject

APP, SECRET = "local.bench", "bench-secret"
BURST, RATE = 50, 2.0
FAILED = re.compile(r"\*\*\w+ failed\*\*")
WRITES = ("add", "update", "delete")
COMMAND_TIMEOUT = 3600.0  # a naive 2,000-line rename at cloud limits takes over ten minutes
WRITING = ("up", "rename", "destroy")
MODES = {
    "pipelines": {"PULUMI_PARALLEL": "64", "PULUMI_SKIP_CHECKPOINTS": "true"},
    "naive": {
        "PULUMI_PARALLEL": "1",
        "PULUMI_SKIP_CHECKPOINTS": "true",
        "BITRIX24_WIDE_HOST": "false",
    },
    "defaults": {"PULUMI_SKIP_CHECKPOINTS": "false"},
}
"""Each way of running, as the environment of every command (see the module's docstring)."""


def declared(size: int, name: str) -> dict[str, Any]:
    return [{"number": f"7495{n:07d}", "name": f"{name} {n}"} for n in range(size)]


def measure(project: PulumiProject, portal: Sandbox, *args: str, env: dict | None = None) -> dict:
    """Run one pulumi command and what it cost."""
    portal.forget_requests()
    portal.clear_log()
    watcher = PeakMemory(project.env["PULUMI_HOME"])
    watcher.start()
    started = time.monotonic()
    result = project.run(*args, check=False, env=env, timeout=COMMAND_TIMEOUT)
    seconds = time.monotonic() - started
    watcher.done.set()
    watcher.join()
    log = [e for e in portal.request_log() if e["method"] != "oauth/token"]
    by_method: collections.Counter[str] = collections.Counter()
    lines = 0
    for entry in log:
        short = entry["method"].rsplit(".", 1)[-1]
        by_method[short] += 1
        inner = [c.rsplit(".", 1)[-1] for c in entry["commands"]]
        by_method.update(f"[{c}]" for c in inner)
        if entry["status"] == 200:
            lines += sum(c in WRITES for c in inner) + (short in WRITES)
    return {
        "seconds": seconds,
        "requests": len(log),
        "by_method": by_method,
        "written": lines,
        "failed": len(FAILED.findall(result.stdout)) + (result.returncode != 0),
        "peak_mib": watcher.peak_kib / 1024,
        "cli_peak_mib": watcher.cli_peak_kib / 1024,
    }


def project_for(root: Path, name: str, portal: Sandbox, rate: str | None = None) -> PulumiProject:
    project = PulumiProject.create(root / name, name, {})
    project.connect(portal, APP, SECRET)
    if rate:
        project.config_set("bitrix24:rateLimit", rate)
    return project


def cloud(size: int, root: Path, naive_writes: int, writes_only: bool = False) -> None:
    """Every command at this size, each row printed as soon as it is measured: a
    2,000-line run takes the best part of an hour. `writes_only`: the pipelines' first
    `up`, rename and `destroy`, a few minutes, to compare two commits side by side."""
    with Sandbox(rate=RATE, burst=BURST) as portal:
        portal.add_app(APP, SECRET)
        project = project_for(root, f"cloud{size}", portal)

        def step(name: str, mode: str, *args: str) -> None:
            got = measure(project, portal, *args, env=MODES[mode])
            report(size, mode, {name: got})

        def lines(name: str) -> None:
            project.write_stack({"portal": portal.url, "lines": declared(size, name)})

        up = ("up", "--yes", "--skip-preview")
        destroy = ("destroy", "--yes", "--skip-preview")
        lines("Line")
        if writes_only:
            step("up", "pipelines", *up)
            lines("Renamed")
            step("rename", "pipelines", *up)
            step("destroy", "pipelines", *destroy)
            return
        step("fresh-pv", "pipelines", "preview")
        step("fresh-pv", "naive", "preview")
        step("up", "pipelines", *up)
        step("preview", "pipelines", "preview")
        step("preview", "naive", "preview")
        lines("Renamed")
        step("rename", "pipelines", *up)
        step("destroy", "pipelines", *destroy)
        lines("Line")
        step("up", "defaults", *up)
        step("destroy", "pipelines", *destroy)
        if size <= naive_writes:
            step("up", "naive", *up)
            lines("Renamed")
            step("rename", "naive", *up)
            step("destroy", "naive", *destroy)


def engine_floor(root: Path) -> float:
    """Seconds of a no-change preview of a 1-line stack: the CLI, plugins and program."""
    with Sandbox(rate=0) as portal:
        portal.add_app(APP, SECRET)
        project = project_for(root, "one", portal)
        project.write_stack({"portal": portal.url, "lines": declared(1, "Line")})
        project.up()
        return min(measure(project, portal, "preview")["seconds"] for _ in range(3))


def checkpoints(size: int, root: Path) -> dict[str, tuple[float, float]]:
    """(seconds with checkpoints, seconds without) per command, limits off."""
    results: dict[str, list[float]] = collections.defaultdict(list)
    for skip in ("false", "true"):
        env = {"PULUMI_SKIP_CHECKPOINTS": skip}
        with Sandbox(rate=0) as portal:
            portal.add_app(APP, SECRET)
            project = project_for(root, f"ckpt{skip}{size}", portal, rate="1000/1000")
            project.write_stack({"portal": portal.url, "lines": declared(size, "Line")})
            steps: list[tuple[str, Callable[[], None] | None, tuple[str, ...]]] = [
                ("up", None, ("up", "--yes", "--skip-preview")),
                ("preview", None, ("preview",)),
                (
                    "rename",
                    lambda p=project, u=portal.url: p.write_stack(
                        {"portal": u, "lines": declared(size, "Renamed")}
                    ),
                    ("up", "--yes", "--skip-preview"),
                ),
                ("destroy", None, ("destroy", "--yes", "--skip-preview")),
            ]
            for step, before, args in steps:
                if before:
                    before()
                results[step].append(measure(project, portal, *args, env=env)["seconds"])
    return {step: (pair[0], pair[1]) for step, pair in results.items()}


def methods(counter: collections.Counter[str]) -> str:
    return " ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "none"


def report(size: int, mode: str, figures: dict[str, dict]) -> None:
    for command, got in figures.items():
        floor_s = max(0, size - BURST) / RATE if command in WRITING else 0
        per = f"{got['written'] / got['requests']:.1f}" if got["written"] else "-"
        print(
            f"{size:>5} {mode:>9} {command:>8} {got['seconds']:>7.1f} {floor_s:>7.0f}"
            f" {got['requests']:>8} {per:>9} {got['failed']:>6} {got['peak_mib']:>8.0f}"
            f" {got['cli_peak_mib']:>8.0f}"
            f"  {methods(got['by_method'])}",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[200, 1000, 2000])
    parser.add_argument(
        "--naive-writes", type=int, default=200, help="lines; larger sizes measure naive previews"
    )
    parser.add_argument("--checkpoints", type=int, default=500, help="lines; 0 skips it")
    parser.add_argument(
        "--writes-only", action="store_true", help="the pipelines' up, rename and destroy only"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        floor = engine_floor(root)
        print(
            f"cloud limits ({RATE:g}/s, burst {BURST}); engine floor (1-line preview) {floor:.1f} s"
        )
        print(
            f"{'lines':>5} {'way':>9} {'command':>8} {'wall s':>7} {'floor s':>7} {'requests':>8}"
            f" {'lines/req':>9} {'failed':>6} {'prov MiB':>8} {'cli MiB':>8}  requests by method",
            flush=True,
        )
        for size in options.sizes:
            cloud(size, root, options.naive_writes, options.writes_only)
        saved = checkpoints(options.checkpoints, root) if options.checkpoints else {}
    if saved:
        print(f"\nPULUMI_SKIP_CHECKPOINTS=true, {options.checkpoints} lines, limits off:")
        for step, (kept, skipped) in saved.items():
            print(f"  {step:>8}: {kept:.1f} s -> {skipped:.1f} s (x{kept / skipped:.1f})")


if __name__ == "__main__":
    main()
