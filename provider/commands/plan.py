"""`python -m provider plan`: a pull-request comment from `pulumi preview --json`.

It reads only the preview's output, never the stack file, the portal or a
credential, so it runs in the preview job, which holds no Bitrix24 secret.
With `--applied` it reads `pulumi up --json` instead and writes the report of what
the merge's run did, for the pull request that brought the commit.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from provider.plan import applied, changes, markdown, report

MIN_LIMIT = 1_000


def add_plan(verbs: argparse._SubParsersAction) -> None:
    """Register `plan [PREVIEW.json ...]`."""
    parser = verbs.add_parser(
        "plan",
        help="Markdown for a pull-request comment from `pulumi preview --json`",
        description="Write the plan of each preview as Markdown: per stack a heading, a banner "
        "when lines are deleted or replaced, a one-line summary and a table of changed lines. "
        "The first line is a hidden marker naming the stacks, for a bot to find its comment. "
        "A failed preview shows its errors. Name each file for its stack (dev.json) so a "
        "preview that printed nothing still names it.",
    )
    parser.add_argument(
        "files",
        nargs="*",
        metavar="PREVIEW.json",
        help="output of `pulumi preview --json`, one per stack; default or -: stdin",
    )
    parser.add_argument(
        "--applied",
        action="store_true",
        help="the files are the output of `pulumi up --json`: write what each run applied "
        "(and, when it stopped, its message) rather than a plan; a file beside one, named "
        "for it with .log for .json, holds the run's stderr, the message when it printed no JSON",
    )
    parser.add_argument(
        "--limit",
        type=_limit,
        default=markdown.LIMIT,
        help=f"most characters to write (default {markdown.LIMIT:,}, under GitHub's 65,535)",
    )
    parser.set_defaults(run=run)


def _limit(text: str) -> int:
    """Room for the headings and summaries, which are never cut."""
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if limit < MIN_LIMIT:
        raise argparse.ArgumentTypeError(f"write a whole number of at least {MIN_LIMIT:,}")
    return limit


def run(args: argparse.Namespace) -> int:
    """Print the comment; 0 even when a preview failed: the comment says so, the preview's
    own exit code fails the job."""
    texts = []
    for source in args.files or ["-"]:
        if source == "-":
            text = sys.stdin.read()
        else:
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as err:
                print(f"plan: cannot read {source}: {err.strerror}", file=sys.stderr)
                return 1
        texts.append((source, text))
    if args.applied:
        runs = [applied.load(source, text, stderr=_log(source)) for source, text in texts]
        sys.stdout.write(report.render(runs, args.limit))
    else:
        plans = [changes.load(source, text) for source, text in texts]
        sys.stdout.write(markdown.render(plans, args.limit))
    return 0


def _log(source: str) -> str:
    """The stderr a pipeline kept beside `source` (dev.json: dev.log), or nothing."""
    path = Path(source).with_suffix(".log")
    try:
        return path.read_text(encoding="utf-8", errors="replace") if source != "-" else ""
    except OSError:
        return ""
