"""`python -m provider export`: the lines a portal already has, as a stack file to take over.

Every real portal starts with lines, made by hand or (nameless) by
telephony.externalCall.register, and `pulumi import` cannot take them: it does not
work for dynamic providers. This writes the file a person would otherwise type,
with `adopt: true`, so the first `pulumi up` updates each existing line to the
values it already has (the only way to learn its ID) and adds none.

Credentials are found exactly as the provider finds them (stack config, then the
environment, then the token store), and the lines are read with one `get`. Nothing
is written unless the new text loads back, through provider.stack.stackfile, to exactly
the values it was made from; a file is replaced atomically, and only when asked.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import stat
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from provider import portals
from provider.bitrix24 import application, rules
from provider.bitrix24.auth import known_portal
from provider.bitrix24.errors import Bitrix24Error, InputError
from provider.bitrix24.lines import LinesApi
from provider.commands.auth import PORTAL_FIX, stack_config
from provider.stack import stackfile, stacktext
from provider.stack.stackfile import PortalSpec
from provider.stack.stacktext import Entry
from provider.stack.yamlsource import read

STDOUT = "-"
PREAMBLE = (
    "Exported by `python -m provider export`: the lines the portal held, sorted by number.",
    "`adopt: true` makes the first `pulumi up` take each line over (one update per line,",
    "which tells Pulumi its ID) instead of adding it; values that match stay as they are.",
)


def run(args: argparse.Namespace) -> int:
    """Export (or merge); every failure is one line on stderr with its fix (exit 1)."""
    try:
        export(args, os.environ)
    except Bitrix24Error as err:
        print(f"export: {err}", file=sys.stderr)
        return 1
    return 0


def export(args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    """Everything that can be refused without the portal is refused first: the stack's
    config, where to write, the file to merge into. Then one `get`, then the text."""
    config = stack_config(args.stack) if args.stack else {}
    target = _target(args)
    existing = _existing(target, args)
    portal = _portal(args.portal, existing, config, environ)
    client = portals.client_for(portal, config, environ)
    found = LinesApi(client).list()
    try:
        warning = application.who(client).no_handler_warning(portal)
    except Bitrix24Error as err:  # the lines are what was asked for; this is only a warning
        warning = f"could not tell which application this is: {err}"
    if warning:
        note(f"warning: {warning}")
    declared, refused = stacktext.entries(found.values())
    for line in refused:
        note(
            f"line {line.line.number!r} is not exported ({line.reason}): no stack file can"
            " declare it, so it stays on the portal, unmanaged"
        )
    if existing is not None:
        assert target is not None
        text = _merged(target, existing, declared)
    elif not declared:
        raise InputError(
            "portal",
            f"{portal} holds no line this application can manage",
            "if your PBX integration's lines should be here, authorise as the application it"
            " registers calls through (docs/real-portal.md, 'Which application'); else"
            " declare new lines in a stack file (see stacks/sandbox.yaml)",
        )
    else:
        text = stacktext.render(portal, declared, preamble=PREAMBLE)
    with _checked(text, target, existing, declared) as checked:
        if target is None:
            sys.stdout.write(text)
        else:
            checked.replace(target)
    _summary(target, portal, declared, existing)


def note(text: str) -> None:
    """A line for the person at the terminal; stdout is kept for the exported file."""
    print(f"export: {text}", file=sys.stderr)


def _target(args: argparse.Namespace) -> Path | None:
    """The file to write, or None for stdout."""
    if args.output == STDOUT or (args.output is None and not args.stack):
        if args.merge:
            raise InputError(
                "--merge", "edits a file", "name it with --stack NAME or --output FILE"
            )
        return None
    if args.output is not None:
        return Path(args.output)
    return stackfile.stack_path(args.stack, Path(), must_exist=False)


def _existing(target: Path | None, args: argparse.Namespace) -> PortalSpec | None:
    """The file to merge into, checked whole first; None when writing a new one."""
    if target is None or not (target.exists() or args.merge):
        return None
    if args.merge:
        if not target.exists():
            raise InputError("--merge", f"{target} does not exist", "leave out --merge to write it")
        return stackfile.load(target)  # StackFileErrors, all of them, when it is wrong
    if args.force:
        return None
    raise InputError(
        "output",
        f"{target} already exists",
        "add --merge to add the portal's lines it lacks and keep the rest, --force to"
        " replace it, or --output - to print the export instead",
    )


def _portal(
    given: str | None,
    existing: PortalSpec | None,
    config: Mapping[str, str],
    environ: Mapping[str, str],
) -> str:
    """--portal, else the merged file's portal, else the one the credentials belong to."""
    if given is not None:
        portal = rules.portal(given)
        if existing is not None and existing.portal != portal:
            raise InputError(
                "--portal",
                f"{existing.path} declares portal {existing.portal}, not {portal}",
                "leave out --portal to merge from the file's portal",
            )
        return portal
    if existing is not None:
        return existing.portal
    known = known_portal(config, environ)
    if known is None:
        raise InputError("portal", "is unknown: the credentials do not name it", PORTAL_FIX)
    return rules.portal(known)


def _merged(target: Path, existing: PortalSpec, declared: list[Entry]) -> str:
    """The file's text with the missing lines added; what the portal lacks is reported."""
    with target.open(encoding="utf-8-sig", newline="") as handle:  # keep \r\n as written
        text = handle.read()
    on_portal = {entry.number: entry for entry in declared}
    for line in existing.lines:
        entry = on_portal.get(line.number)
        where = f"{target}:{line.line}: {line.number!r}"
        if entry is None:
            note(
                f"{where} is declared here but not on the portal; kept: the next `pulumi up`"
                " adds it (remove the entry if the line should be gone)"
            )
        elif (entry.name, entry.crm_auto_create) != (line.name, line.crm_auto_create):
            note(
                f"{where} is {_values(entry)} on the portal and {_values(line)} here; kept:"
                " the next `pulumi up` sets this file's values"
            )
    root = read(str(target), stackfile.MAX_LINES)
    known = {line.number for line in existing.lines}
    return stacktext.merge(text, root, str(target), declared, known).text


def _values(line: Entry | stackfile.LineSpec) -> str:
    return f"name {line.name!r}, crm_auto_create {str(line.crm_auto_create).lower()}"


class _Checked:
    """The new text in a temporary file that loaded back as it should."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def replace(self, target: Path) -> None:
        """Move it into place atomically, keeping the mode of the file it replaces."""
        self.path.chmod(stat.S_IMODE(target.stat().st_mode) if target.exists() else 0o644)
        os.replace(self.path, target)


@contextlib.contextmanager
def _checked(
    text: str, target: Path | None, existing: PortalSpec | None, declared: list[Entry]
) -> Iterator[_Checked]:
    """Write `text` beside `target` and load it through provider.stack.stackfile: every line of
    `existing` must be as it was, and every exported one as the portal holds it."""
    directory = Path(tempfile.gettempdir()) if target is None else target.parent
    directory.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=directory, prefix=".export-", suffix=".yaml")
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        try:
            loaded = {line.number: line for line in stackfile.load(temp).lines}
        except InputError as err:
            first = str(err).splitlines()[0].replace(str(temp), str(target or "<stdout>"))
            raise _unloadable(target, first, existing is not None) from None
        expected = {entry.number: entry for entry in declared}
        if existing is not None:
            expected |= {line.number: line for line in existing.lines}
        for number, want in expected.items():
            got = loaded.get(number)
            if got is None or (got.name, got.crm_auto_create) != (
                want.name,
                want.crm_auto_create,
            ):
                raise _unloadable(target, f"{number!r} would load as {got}", existing is not None)
        yield _Checked(temp)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _unloadable(target: Path | None, why: str, merging: bool) -> InputError:
    """Nothing is written: the text would not read back as it must (`why`)."""
    return InputError(
        "output",
        f"nothing written: the text for {target or '<stdout>'} would not load back as it"
        f" should ({why})",
        "copy the missing entries by hand from `python -m provider export --output -`"
        if merging
        else "declare the lines by hand; the reason above is what the stack file refuses",
    )


def _summary(
    target: Path | None, portal: str, declared: list[Entry], existing: PortalSpec | None
) -> None:
    where = "stdout" if target is None else str(target)
    if existing is not None:
        known = {line.number for line in existing.lines}
        declared = [entry for entry in declared if entry.number not in known]
        note(f"added {_lines(len(declared))} of {portal} to {where}")
    else:
        note(f"wrote {_lines(len(declared))} of {portal} to {where}")
    if renamed := sum(entry.renamed for entry in declared):
        note(
            f"the first `pulumi up` renames {renamed} of them (see the comments above them):"
            " nameless lines get their number as their name"
        )
    if target is not None:
        note(f"next: review {where}, then `pulumi preview --diff` and `pulumi up`")


def _lines(count: int) -> str:
    return f"{count} line{'' if count == 1 else 's'}"
