"""`python -m provider changed BASE`: the stacks a change touches, for a CI matrix.

An integrator keeps one stack file per client portal, hundreds of them; a pull
request that edits three must preview three, each in its own CI job. A stack is
touched when its file `stacks/<stack>.yaml` or its config `Pulumi.<stack>.yaml`
changed; every stack is, when the program or its pinned packages changed (or when
there is no base to compare with: a first push, a schedule).

`--lanes` groups the stacks into lanes, one per token chain: the stacks whose
committed config names the same application (`bitrix24:clientId`) and OAuth server
share one refresh token, which every refresh spends, so their runs must never
overlap. A lane's stacks run one after another in one CI job, under one concurrency
key and one environment named for the chain. GitHub starts at most 256 jobs from one
matrix, so the lanes come in chunks of 256, one matrix job each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

import yaml

PROGRAM = ("__main__.py", "Pulumi.yaml", "requirements.txt", "provider/")
NO_BASE = ("", "0" * 40)  # GitLab's and GitHub's "before" of a branch's first push
MATRIX_LIMIT = 256  # the most jobs one GitHub Actions matrix may start
CLIENT_ID, OAUTH_SERVER = "bitrix24:clientId", "bitrix24:oauthServer"
DEFAULT_OAUTH_HOST = "oauth.bitrix.info"  # the provider's default OAuth server


class LaneError(Exception):
    """The lanes cannot be formed or do not fit; the message says what to change."""


@dataclass(frozen=True)
class Lane:
    """Stacks that share one token chain, run in sequence by one CI job.

    `chain` names the lane's concurrency key and environment: the application's client
    id, or the stack's own name when its committed config names no application."""

    chain: str
    stacks: tuple[str, ...]

    def as_matrix_entry(self) -> dict[str, str]:
        return {"chain": self.chain, "stacks": " ".join(self.stacks)}


def add_changed(verbs: argparse._SubParsersAction) -> None:
    """Register `changed [BASE] [--json | --lanes CHUNKS]`."""
    parser = verbs.add_parser(
        "changed",
        help="list the stacks whose files changed since a git commit",
        description="Print the stacks touched between BASE and HEAD, one per line: a changed "
        "stacks/<stack>.yaml or Pulumi.<stack>.yaml touches its stack; a changed program "
        "(__main__.py, Pulumi.yaml, requirements.txt, provider/) or no BASE touches every "
        "stack that has a file. Deleted stack files are left out: there is nothing to preview.",
    )
    parser.add_argument("base", nargs="?", default="", help="commit to compare HEAD with")
    shape = parser.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="a JSON list of stacks")
    shape.add_argument(
        "--lanes",
        type=int,
        metavar="CHUNKS",
        help=f"a JSON list of CHUNKS lists (one per matrix job, at most {MATRIX_LIMIT} "
        'lanes each, empty ones included) of lanes {"chain": NAME, "stacks": "a b"}: the '
        "stacks sharing one application and OAuth server (Pulumi.<stack>.yaml) in one lane",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        stacks = changed(args.base, Path())
    except subprocess.CalledProcessError as err:
        print(
            f"changed: git could not compare {args.base} with HEAD: {err.stderr}", file=sys.stderr
        )
        return 1
    if args.lanes is not None:
        try:
            print(json.dumps(chunked(lanes(stacks, Path()), args.lanes)))
        except LaneError as err:
            print(f"changed: {err}", file=sys.stderr)
            return 1
        return 0
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


def lanes(stacks: list[str], root: Path) -> list[Lane]:
    """`stacks` grouped by token chain, sorted by chain name."""
    chains: dict[str, tuple[str, list[str]]] = {}  # chain name -> (OAuth host, stacks)
    for stack in stacks:
        name, host = chain_of(stack, root)
        seen_host, members = chains.setdefault(name, (host, []))
        if seen_host != host:
            raise LaneError(
                f"stacks {members[0]} and {stack} name the application {name} with two OAuth "
                f"servers ({seen_host}, {host}), but one application has one. Fix: write the "
                f"same {OAUTH_SERVER} in Pulumi.{members[0]}.yaml and Pulumi.{stack}.yaml"
            )
        members.append(stack)
    return [Lane(name, tuple(sorted(chains[name][1]))) for name in sorted(chains)]


def chain_of(stack: str, root: Path) -> tuple[str, str]:
    """The stack's chain name and OAuth host, from its committed `Pulumi.<stack>.yaml`.

    A client id kept elsewhere (the environment) cannot be read here: such a stack is a
    chain of its own, named for itself, as if it shared its application with no other."""
    path = root / f"Pulumi.{stack}.yaml"
    try:
        config = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("config") or {}
    except (OSError, yaml.YAMLError, AttributeError):
        config = {}
    client_id, server = config.get(CLIENT_ID), config.get(OAUTH_SERVER)
    if not isinstance(client_id, str) or not client_id.strip():
        return stack, ""
    host = urlsplit(server).netloc if isinstance(server, str) and server.strip() else ""
    return client_id.strip(), host or DEFAULT_OAUTH_HOST


def chunked(all_lanes: list[Lane], chunks: int) -> list[list[dict[str, str]]]:
    """Exactly `chunks` lists of at most MATRIX_LIMIT lanes each, the last ones maybe empty."""
    if chunks < 1:
        raise LaneError(f"--lanes {chunks}: write the number of matrix jobs, 1 or more")
    if len(all_lanes) > chunks * MATRIX_LIMIT:
        raise LaneError(
            f"{len(all_lanes):,} lanes (token chains) do not fit {chunks} matrix job"
            f"{'s' if chunks > 1 else ''} of {MATRIX_LIMIT}. Fix: add a job per "
            f"{MATRIX_LIMIT} more lanes to the workflow, as its `-2` jobs are added, and raise "
            f"--lanes to match"
        )
    entries = [lane.as_matrix_entry() for lane in all_lanes]
    return [entries[i * MATRIX_LIMIT : (i + 1) * MATRIX_LIMIT] for i in range(chunks)]
