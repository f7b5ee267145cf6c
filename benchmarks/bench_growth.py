"""Why the first `up` at cloud limits grows faster than the line count, shown two ways.

    .venv/bin/python benchmarks/bench_growth.py [--sizes 2000]

At 2 requests/s the wall time of an `up` is its request count, and the request count is
the line count over the lines each batch carries. A batch carries what waits together,
at most four lines, since the provider host serves four calls at once. For each size,
a fresh stack is applied, then every line renamed, twice at cloud limits (2/s, burst 50):

- with checkpoints, as `pulumi up` runs by default, under `pulumi --profiling`: the
  CLI's CPU profile says how much of its time goes to saving the checkpoint after each
  step (`SnapshotManager` and what it calls, cumulative), which grows with the state;
- with PULUMI_SKIP_CHECKPOINTS=true, the same engine without that work.

If the batches are fuller and the request count nearer lines / 4 without checkpoints,
the super-linear part is the engine's checkpointing, not the portal, the client or the
program. `--profiling` also writes an execution trace and costs the CLI some CPU, so both
runs carry it; compare the kept run with bench_cloud.py's unprofiled `up` to see its cost.
Not a test: figures for docs/benchmarks.md, no assertions. Needs `go` on PATH for
`go tool pprof`.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_cloud import APP, BURST, RATE, SECRET, declared, measure, project_for
from sandbox import Sandbox

UP = ("up", "--yes", "--skip-preview")
WATCHED = ("SnapshotManager", "VerifyIntegrity", "SerializeDeployment")
"""Functions of the engine's checkpointing whose cumulative CPU share is reported."""
UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "hrs": 3600.0}
"""Seconds per unit of pprof's "Total samples"."""


def cumulative_shares(profile: Path) -> tuple[float, dict[str, float]]:
    """The profile's total CPU seconds and, per WATCHED name, the largest cumulative share
    of a function whose name holds it."""
    top = subprocess.run(
        ["go", "tool", "pprof", "-top", "-cum", "-nodecount=400", str(profile)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    total = re.search(r"Total samples = ([\d.]+)(ns|us|ms|s|hrs)\b", top)
    seconds = float(total.group(1)) * UNITS[total.group(2)] if total else 0.0
    shares = dict.fromkeys(WATCHED, 0.0)
    for row in top.splitlines():
        fields = row.split()
        if len(fields) < 6 or not fields[4].endswith("%"):
            continue
        for name in WATCHED:
            if name in fields[5]:
                shares[name] = max(shares[name], float(fields[4].rstrip("%")))
    return seconds, shares


def row(size: int, command: str, skip: str, got: dict, profile: Path | None = None) -> str:
    per = got["written"] / got["requests"] if got["requests"] else 0.0
    line = (
        f"{size:>5} {command:>7} {'skip' if skip == 'true' else 'keep':>11}"
        f" {got['seconds']:>7.1f} {got['requests']:>8} {per:>9.1f} {got['failed']:>6}"
    )
    if profile is not None:
        cpu, shares = cumulative_shares(profile)
        line += f" {cpu:>7.1f}  " + " ".join(f"{k} {v:.0f}%" for k, v in shares.items())
    return line


def growth(size: int, root: Path) -> None:
    """The first `up` (profiled), then a rename of every line (not profiled), each way."""
    for skip in ("false", "true"):
        env = {"PULUMI_SKIP_CHECKPOINTS": skip}
        with Sandbox(rate=RATE, burst=BURST) as portal:
            portal.add_app(APP, SECRET)
            project = project_for(root, f"growth{size}{skip}", portal)
            project.write_stack({"portal": portal.url, "lines": declared(size, "Line")})
            prefix = root / f"profile{size}{skip}"
            got = measure(project, portal, *UP, "--profiling", str(prefix), env=env)
            (profile,) = root.glob(f"{prefix.name}.*.cpu")
            print(row(size, "up", skip, got, profile), flush=True)
            project.write_stack({"portal": portal.url, "lines": declared(size, "Renamed")})
            print(row(size, "rename", skip, measure(project, portal, *UP, env=env)), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[2000])
    options = parser.parse_args()
    print(f"first up at cloud limits ({RATE:g}/s, burst {BURST}), the CLI profiled")
    print(
        f"{'lines':>5} {'command':>7} {'checkpoints':>11} {'wall s':>7} {'requests':>8}"
        f" {'lines/req':>9}"
        f" {'failed':>6} {'CLI cpu':>7}  cumulative share of the CLI's CPU",
        flush=True,
    )
    with tempfile.TemporaryDirectory() as tmp:
        for size in options.sizes:
            growth(size, Path(tmp))


if __name__ == "__main__":
    main()
