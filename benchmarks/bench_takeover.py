"""End to end: taking over a portal's existing lines, `export` then the first `pulumi up`.

Prints, for each size, the requests each step sent by method and the wall time,
with the portal and the client both at a cloud portal's limits (2 requests/s,
burst 50), since that is what a real takeover meets. Taking a line over costs an
`update` (the only call that returns a line's ID), so the time is the pacer's:
about (1 + N - 50) / 1.8 seconds past the burst. Not a test: the figures are for
the README ("Using it with a real portal").

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

from provider.sandbox import Sandbox
from tests.e2e.pulumi_cli import PulumiProject

APP, SECRET = "local.bench", "bench-secret"


def measure(size: int, rate: float, root: Path) -> list[tuple[str, float, Counter]]:
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
            steps.append((step, seconds, Counter(e["method"] for e in portal.request_log())))
        return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500])
    parser.add_argument("--rate", type=float, default=2.0, help="requests/s (burst 50)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for step, seconds, methods in measure(size, args.rate, Path(tmp)):
                requests = sum(n for m, n in methods.items() if m.startswith("telephony"))
                shown = ", ".join(f"{m.rsplit('.', 1)[-1]} {n}" for m, n in sorted(methods.items()))
                print(
                    f"{size:>5} lines {step:>8}: {seconds:7.1f} s, {requests:>4} requests "
                    f"({requests / size:.2f}/line: {shown})"
                )


if __name__ == "__main__":
    main()
