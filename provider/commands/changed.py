"""`python -m provider changed BASE`: the stacks a change touches, for a CI matrix.

An integrator keeps one stack file per client portal, hundreds of them; a pull
request that edits three must preview three, each in its own CI job. A stack is
touched when its file `stacks/<stack>.yaml` or its config `Pulumi.<stack>.yaml`
changed; every stack is, when the program or its pinned packages changed (or when
there is no base to compare with: a first push, a schedule).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path, PurePosixPath

PROGRAM = ("__main__.py", "Pulumi.yaml", "requirements.txt", "provider/")
NO_BASE = ("", "0" * 40)  # GitLab's and GitHub's "before" of a branch's first push


def add_changed(verbs: argparse._SubParsersAction) -> None:
    """Register `changed [BASE] [--json]`."""
    parser = verbs.add_parser(
        "changed",
        help="list the stacks whose files changed since a git commit",
        description="Print the stacks touched between BASE and HEAD, one per line: a changed "
        "stacks/<stack>.yaml or Pulumi.<stack>.yaml touches its stack; a changed program "
        "(__main__.py, Pulumi.yaml, requirements.txt, provider/) or no BASE touches every "
        "stack that has a file. Deleted stack files are left out: there is nothing to preview.",
    )
    parser.add_argument("base", nargs="?", default="", help="commit to compare HEAD with")
    parser.add_argument("--json", action="store_true", help="a JSON list, for a CI matrix")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        stacks = changed(args.base, Path())
    except subprocess.CalledProcessError as err:
        print(
            f"changed: git could not compare {args.base} with HEAD: {err.stderr}", file=sys.stderr
        )
        return 1
    for line in [json.dumps(stacks)] if args.json else stacks:
        print(line)
    return 0


def changed(base: str, root: Path) -> list[str]:
    """The stacks with a file in `root` that the commits since `base` touch, sorted."""
    from provider.commands.cli import STACKS_GLOB  # cli registers this verb: import it once loaded

    present = {path.stem for path in root.glob(STACKS_GLOB)}
    if base in NO_BASE:
        return sorted(present)
    diff = subprocess.run(
        ["git", "diff", "--name-only", "--no-renames", base, "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    touched: set[str] = set()
    for name in diff.stdout.splitlines():
        path = PurePosixPath(name)
        if name in PROGRAM or name.startswith(PROGRAM[-1]):
            return sorted(present)
        if path.match(STACKS_GLOB) and len(path.parts) == 2:  # not stacks/x/y.yaml
            touched.add(path.stem)
        elif len(path.parts) == 1 and path.name.startswith("Pulumi.") and path.suffix == ".yaml":
            touched.add(path.name.removeprefix("Pulumi.").removesuffix(".yaml"))
    return sorted(touched & present)
