"""`python -m provider <verb>`: the project's command line, one function per verb.

Each verb is two functions: `add_<verb>` registers its arguments and sets
`run=<verb>`, and `<verb>(args) -> exit code` does the work. To add one, write
both and list `add_<verb>` in VERBS. A verb imports only what it needs, so
`validate` never loads pulumi or requests: it stays fast enough for a CI lint
step and runs before anything talks to a portal.

Exit codes: 0 success, 1 the input is wrong, 2 the command line is wrong.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from provider.bitrix24.errors import InputError
from provider.commands.changed import add_changed
from provider.commands.plan import add_plan
from provider.stack import crossstack, stackfile

STACKS_GLOB = "stacks/*.yaml"


def add_validate(verbs: argparse._SubParsersAction) -> None:
    """Register `validate [FILE...]`."""
    parser = verbs.add_parser(
        "validate",
        help="check stack files without touching a portal",
        description="Check stack files: keys, types, values, duplicates. Errors go to stderr "
        "as path:line:column: property: reason. Fix: what to write.",
    )
    parser.add_argument(
        "files", nargs="*", type=Path, metavar="FILE", help=f"default: every {STACKS_GLOB}"
    )
    parser.set_defaults(run=validate)


def validate(args: argparse.Namespace) -> int:
    """Load every file and report each; 1 when any has an error, 2 when there is none to load.

    A file reached twice (named twice, or through a symlink) is read once. Across the
    files, one portal's number may be declared by one stack only (provider.stack.crossstack).
    """
    files: list[Path] = args.files or sorted(Path().glob(STACKS_GLOB))
    if not files:
        print(
            f"validate: no {STACKS_GLOB} here; run it in the project directory or name the files",
            file=sys.stderr,
        )
        return 2
    failed = False
    seen: dict[Path, Path] = {}
    specs: list[stackfile.PortalSpec] = []
    for path in files:
        real = path.resolve()
        if real in seen:
            print(f"ok  {path}  (the same file as {seen[real]})")
            continue
        seen[real] = path
        try:
            spec = stackfile.load(path)
        except InputError as err:
            print(err, file=sys.stderr)
            failed = True
            continue
        specs.append(spec)
        count = len(spec.lines)
        print(f"ok  {path}  ({count} line{'s' if count != 1 else ''}, portal {spec.portal})")
    for err in crossstack.duplicates(specs):
        print(err, file=sys.stderr)
        failed = True
    return 1 if failed else 0


def add_auth(verbs: argparse._SubParsersAction) -> None:
    """Register `auth (--code | --check | --print-refresh-token)`."""
    parser = verbs.add_parser(
        "auth",
        help="authorise the application, check credentials, hand on a rotated token",
        description="Credentials come from the stack's config (--stack, read through `pulumi "
        "config`) or else the BITRIX24_* environment. Secrets are never printed, except the "
        "refresh token by --print-refresh-token, for a pipeline to store.",
    )
    parser.add_argument("--stack", help="read config (and the portal, once its file exists)")
    parser.add_argument(
        "--portal", help="the portal to check (default: the stack file's, or the credentials')"
    )
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument(
        "--code",
        action="store_true",
        help="trade an authorization code for the first token pair; the code (or the whole "
        "address the portal redirected to) is read from stdin, or asked for, never from argv",
    )
    # Catches a code typed after --code, so the refusal can say why without echoing it.
    parser.add_argument("stray", nargs="?", help=argparse.SUPPRESS)
    action.add_argument("--check", action="store_true", help="show portal, app, scope, expiry")
    action.add_argument(
        "--print-refresh-token",
        action="store_true",
        help="print the newest refresh token (after a run rotated it) for a secret store",
    )
    parser.set_defaults(run=auth)


def auth(args: argparse.Namespace) -> int:
    """Run one auth action (provider.commands.auth loads requests, so only when asked)."""
    from provider.commands.auth import run

    return run(args)


def add_export(verbs: argparse._SubParsersAction) -> None:
    """Register `export [--stack NAME] [--portal URL] [--output FILE] [--force | --merge]`."""
    parser = verbs.add_parser(
        "export",
        help="write the lines a portal already has as a stack file that takes them over",
        description="Read the application's lines with one telephony.externalLine.get and "
        "write them as a stack file with adopt: true, so the first `pulumi up` takes every "
        "line over and adds none. Credentials come from the stack's config (--stack) or else "
        "the BITRIX24_* environment, and the token store, as the provider finds them.",
    )
    parser.add_argument("--stack", help="read config from this stack; write stacks/STACK.yaml")
    parser.add_argument(
        "--portal", help="the portal (default: the merged file's, or the credentials' portal)"
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="FILE",
        help="where to write; - prints it (default: stacks/STACK.yaml with --stack, else -)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--force", action="store_true", help="replace an existing file")
    mode.add_argument(
        "--merge",
        action="store_true",
        help="add the portal's lines the file lacks (adopt: true); keep all it has",
    )
    parser.set_defaults(run=export)


def export(args: argparse.Namespace) -> int:
    """Export or merge (provider.commands.export loads requests, so only when asked)."""
    from provider.commands.export import run

    return run(args)


VERBS: tuple[Callable[[argparse._SubParsersAction], None], ...] = (
    add_validate,
    add_auth,
    add_export,
    add_plan,
    add_changed,
)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `argv` (default: sys.argv[1:]) and run the verb; argparse exits 2 on misuse."""
    parser = argparse.ArgumentParser(
        prog="python -m provider", description="Bitrix24 external lines: project tools."
    )
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", required=True)
    for add in VERBS:
        add(verbs)
    args = parser.parse_args(argv)
    return args.run(args)
