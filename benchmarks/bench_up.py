"""End to end: the real `pulumi` CLI creating, refreshing and destroying N lines.

Prints wall time, requests per line and the provider process's peak memory for
each size, and the ratios between sizes, so a change that makes the provider
call the portal once per line on refresh (instead of once per run), or hold
per-line state, shows up as a ratio far from the line count's. Not a test: the
figures are for the issue notes and the README. The sandbox's rate limit is off
and the client's pacing is raised to match (`bitrix24:rateLimit`), so this
measures our code and Pulumi's; bench_cloud.py measures a cloud portal's 2/s.
A `batch` of several writes counts as one call, as the portal counts it.

    .venv/bin/python benchmarks/bench_up.py [--sizes 25 100 400]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sandbox import Sandbox
from tests.e2e.pulumi_cli import PulumiProject

APP, SECRET = "local.bench", "bench-secret"


class PeakMemory(threading.Thread):
    """Polls /proc for the dynamic provider process and the `pulumi` CLI, and keeps each
    one's VmHWM (peak RSS): the kernel's own high-water mark, so a short peak between two
    polls is not missed. Given the project's PULUMI_HOME, only processes started with it
    count, not another run's on a shared machine."""

    def __init__(self, home: str = "") -> None:
        super().__init__(daemon=True)
        self.peak_kib = 0
        self.cli_peak_kib = 0
        self.done = threading.Event()
        self.marker = f"\0PULUMI_HOME={home}\0".encode() if home else b""

    def run(self) -> None:
        while not self.done.wait(0.05):
            for proc in Path("/proc").iterdir():
                try:
                    if self.marker and self.marker not in b"\0" + (proc / "environ").read_bytes():
                        continue
                    provider = b"pulumi.dynamic" in (proc / "cmdline").read_bytes()
                    cli = not provider and (proc / "exe").resolve().name == "pulumi"
                    if provider or cli:
                        status = (proc / "status").read_text()
                        match = re.search(r"VmHWM:\s+(\d+) kB", status)
                        if match and provider:
                            self.peak_kib = max(self.peak_kib, int(match.group(1)))
                        elif match:
                            self.cli_peak_kib = max(self.cli_peak_kib, int(match.group(1)))
                except OSError:
                    continue


def timed(project: PulumiProject, *args: str) -> tuple[float, int]:
    """Seconds a pulumi command took, and the provider's peak RSS in KiB meanwhile."""
    watcher = PeakMemory()
    watcher.start()
    started = time.monotonic()
    project.run(*args)
    elapsed = time.monotonic() - started
    watcher.done.set()
    watcher.join()
    return elapsed, watcher.peak_kib


def measure(size: int, root: Path) -> dict[str, float]:
    with Sandbox(rate=0) as portal:
        portal.add_app(APP, SECRET)
        project = PulumiProject.create(root / f"n{size}", f"n{size}", {})
        project.connect(portal, APP, SECRET)
        project.config_set("bitrix24:rateLimit", "1000/1000")
        project.write_stack(
            {
                "portal": portal.url,
                "lines": [{"number": f"7495{n:07d}", "name": f"Line {n}"} for n in range(size)],
            }
        )
        figures: dict[str, float] = {}
        for step, args in (
            ("preview", ("preview",)),
            ("up", ("up", "--yes", "--skip-preview")),
            ("refresh", ("refresh", "--yes", "--skip-preview")),
            ("destroy", ("destroy", "--yes", "--skip-preview")),
        ):
            portal.clear_log()
            seconds, peak = timed(project, *args)
            calls = sum(1 for e in portal.request_log() if e["method"] != "oauth/token")
            figures[f"{step}_s"] = seconds
            figures[f"{step}_calls"] = calls
            figures[f"{step}_peak_mib"] = peak / 1024
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 100, 400])
    sizes = parser.parse_args().sizes
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            results[size] = measure(size, Path(tmp))
    print(f"{'lines':>6} {'step':>8} {'seconds':>8} {'ms/line':>8} {'calls':>6} {'peak MiB':>9}")
    for size, figures in results.items():
        for step in ("preview", "up", "refresh", "destroy"):
            seconds = figures[f"{step}_s"]
            print(
                f"{size:>6} {step:>8} {seconds:>8.2f} {1000 * seconds / size:>8.1f} "
                f"{figures[f'{step}_calls']:>6.0f} {figures[f'{step}_peak_mib']:>9.1f}"
            )
    small, large = sizes[0], sizes[-1]
    print(f"\nratios {large} lines / {small} lines (line count ratio {large / small:.0f}):")
    for step in ("preview", "up", "refresh", "destroy"):
        a, b = results[small], results[large]
        print(
            f"  {step:>8}: time x{b[f'{step}_s'] / a[f'{step}_s']:.1f}, "
            f"calls x{b[f'{step}_calls'] / max(1, a[f'{step}_calls']):.1f}, "
            f"peak memory x{b[f'{step}_peak_mib'] / max(0.1, a[f'{step}_peak_mib']):.2f}"
        )


if __name__ == "__main__":
    main()
