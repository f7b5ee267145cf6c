"""What the provider says once per run and portal, when it first reads the portal's lines.

Two things a team needs to hear from any run that reads the portal (a refreshing
preview, `up`, `refresh`, the drift check), each as one warning with its fix:

- The application these credentials act as handles no `OnExternalCallStart`: its lines
  are offered to no user, and no call reaches them unless the application registers it
  itself, so the lines managed here may be lines nobody uses (provider.bitrix24.application).
- The application has lines that no stack file of the repository declares: most often
  lines the PBX integration made by registering calls on numbers nobody declared
  (nameless, "made by a call"). They are listed, never touched; `export --merge` takes
  them in.

It is the provider that says this, not the program: `pulumi refresh` runs no program.
The provider process runs in the project folder, so it reads the stack files there,
every one of them, as `validate` does; a file that does not load is the program's to
report, and is skipped here. Nothing said here stops a run.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from provider.bitrix24 import application, urls
from provider.bitrix24.errors import Bitrix24Error
from provider.bitrix24.lines import Line
from provider.bitrix24.rest import RestClient
from provider.stack.stackfile import load

log = logging.getLogger(__name__)

STACKS = Path("stacks")  # the stack files, relative to the project folder the engine runs us in
SHOWN = 50  # lines named in the warning; the count says how many more


def announce(portal: str, client: RestClient, lines: Mapping[str, Line]) -> None:
    """Warn about the application and the undeclared lines; never raise for the portal."""
    try:
        app = application.who(client)
    except Bitrix24Error as err:  # an older portal, a refused method: nothing to say then
        log.info("could not tell which application this is on %s: %s", portal, err)
        app = None
    warning = app.no_handler_warning(portal) if app else None
    if warning:
        log.warning("%s", warning)
    declared = declared_numbers(portal)
    if declared is None:
        return
    undeclared = [lines[number] for number in sorted(lines) if number not in declared]
    if undeclared:
        log.warning("%s", undeclared_warning(portal, app, undeclared))


def declared_numbers(portal: str, root: Path = STACKS) -> set[str] | None:
    """Every number the repository's stack files declare on `portal`; None without stacks/."""
    if not root.is_dir():
        return None
    numbers: set[str] = set()
    for path in sorted(root.glob("*.yaml")):
        try:
            spec = load(path)
        except Bitrix24Error:
            continue
        if urls.respelled(spec.portal) == urls.respelled(portal):
            numbers.update(line.number for line in spec.lines)
    return numbers


def undeclared_warning(portal: str, app: application.Application | None, lines: list[Line]) -> str:
    """One warning naming the lines no stack file declares, and how to take them in."""
    whose = f"application {app.code or app.id}" if app else "this application"
    shown = ", ".join(_shown(line) for line in lines[:SHOWN])
    more = f" and {len(lines) - SHOWN} more" if len(lines) > SHOWN else ""
    count = f"{len(lines)} line{'s' if len(lines) > 1 else ''}"
    return (
        f"{count} of {whose} on {portal} {'are' if len(lines) > 1 else 'is'} declared by no"
        f" stack file: {shown}{more}; they are left as they are. Fix: to manage them, run"
        " python -m provider export --merge for the stack they belong in, and review the"
        " lines it adds"
    )


def _shown(line: Line) -> str:
    return f"{line.number} (made by a call)" if not line.name else f"{line.number} {line.name!r}"
