"""End to end: taking over a portal's existing lines, `export` then the first `pulumi up`.

Prints, for each size, the HTTP requests each step sent, the REST commands they
carried (a `batch` request carries up to 50) and the wall time,
with the portal and the client both at a cloud portal's limits (2 requests/s,
burst 50), since that is what a real takeover meets. Taking a line over costs an
`update` command (the only call that returns a line's ID); concurrent updates
travel together in `batch` requests, so the requests, and the pacer's time, grow
far slower than the lines. Not a test: the figures are for the README ("Using it
with a real portal").

    .venv/bin/python benchmarks/bench_takeover.py [--sizes 100 500] [--rate 2]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Sandbox
from tests.e2e.pulumi_cli import PulumiProject

APP, SECRET = "local.bench", "bench-secret"


def measure(size: int, rate: float, root: Path) -> list[tuple[str, float, int, Counter]]:
    with Sandbox(rate=rate) as portal:
        portal.add_app(APP, SECRET)
        for n in range(size):
            portal.seed_line(APP, f"7495{n:07d}", f"Line {n}", "YN"[n % 2])
        project = PulumiProject.create(root / f"n{size}", f"n{size}", {})
        project.connect(portal, APP, SECRET)
        project.config_set("bitrix24:rateLimit", f"{rate}/50")
        steps = []
        for step, command in (
            ("export", [sys.executable, "-m", "provider", "export", "--stack", project.stack]),
            ("up", ["pulumi", "up", "--yes", "--skip-preview", "--non-interactive"]),
            ("preview", ["pulumi", "preview", "--refresh", "--expect-no-changes"]),
        ):
            if step == "export":
                command += ["--portal", portal.url]
            portal.clear_log()
            started = time.monotonic()
            subprocess.run(
                command,
                cwd=project.root,
                env=project.env,
                check=True,
                text=True,
                capture_output=True,
            )
            seconds = time.monotonic() - started
            log = [e for e in portal.request_log() if e["method"] != "oauth/token"]
            commands = Counter(m for e in log for m in (e["commands"] or [e["method"]]))
            steps.append((step, seconds, len(log), commands))
        return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--rate", type=float, default=2.0, help="requests/s (burst 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for step, seconds, requests, commands in measure(size, args.rate, Path(tmp)):
                shown = ", ".join(
                    f"{m.rsplit('.', 1)[-1]} {n}" for m, n in sorted(commands.items())
                )
                print(
                    f"{size:>5} lines {step:>8}: {seconds:7.1f} s, {requests:>4} requests "
                    f"({requests / size:.2f}/line), commands: {shown}"
                )


if __name__ == "__main__":
    main()
