"""The stack file, stacks/<stack>.yaml: one portal's address and its external lines.

Everything here runs before anything talks to a portal, so a mistake in the file
costs a `pulumi preview`, not a half-applied `pulumi up`. Values are checked by
`provider.bitrix24.rules` (the same rules the provider's `check` uses); this module adds
what only a file has: keys, types as YAML reads them, duplicates, and the file,
line and column of every error. All errors of one file are reported together.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from provider.bitrix24 import rules
from provider.bitrix24.errors import InputError
from provider.stack import guard, inuse
from provider.stack.errors import StackFileError
from provider.stack.errors import StackFileErrors as StackFileErrors  # callers import it here
from provider.stack.inuse import Retired
from provider.stack.yamlsource import MappingNode, Node, Scalar, SequenceNode, read, to_data

MAX_LINES = 2_000  # entries in one stack file; far above any real portal's lines

TOP_KEYS = ("portal", "adopt", "allow_deletes", "in_use_guard", "retire", "lines")
LINE_KEYS = ("number", "name", "crm_auto_create", "adopt", "protect")
EXAMPLE_NUMBER = rules.EXAMPLE_NUMBER

_T = TypeVar("_T")


@dataclass(frozen=True)
class LineSpec:
    """One external line as declared; `line` is where its entry starts, for messages."""

    number: str
    name: str
    crm_auto_create: bool
    adopt: bool
    line: int
    protect: bool = False  # Pulumi's `protect`: the line survives its removal from the file
    column: int = field(default=1, compare=False)  # with `line`, where messages point


@dataclass(frozen=True)
class PortalSpec:
    """A whole stack file: the portal, normalised, and its lines in file order."""

    path: str
    portal: str
    lines: tuple[LineSpec, ...]
    allow_deletes: guard.Allowance | None = None  # the mass-delete guard's override, if any
    in_use_days: int | None = inuse.DEFAULT_DAYS  # the in-use guard's window; None: off
    retire: tuple[Retired, ...] = ()  # numbers the in-use guard lets go though they carry calls


def stack_path(stack_name: str, root: str | Path, *, must_exist: bool = True) -> Path:
    """stacks/<stack>.yaml under the project `root`; InputError when there is none
    (unless not `must_exist`: `export` is about to write it)."""
    if not stack_name or Path(stack_name).name != stack_name or stack_name.startswith("."):
        raise InputError(
            "stack", f"{stack_name!r} is not a plain stack name", "select a stack: pulumi stack"
        )
    path = Path(root) / "stacks" / f"{stack_name}.yaml"
    if must_exist and not path.is_file():
        raise InputError(
            "stack",
            f"stack {stack_name!r} has no stack file {path}",
            f"create it from the demo: cp stacks/sandbox.yaml stacks/{stack_name}.yaml, "
            "then set its portal and lines",
        )
    return path


def load(path: str | Path) -> PortalSpec:
    """The stack file at `path`, checked; raises StackFileErrors listing every error.

    A file that cannot be opened raises a plain InputError: it has no line to point at.
    """
    path = str(path)
    try:
        root = read(path, MAX_LINES)
    except StackFileError as err:
        raise StackFileErrors([err]) from err
    checker = _Checker(path)
    spec = checker.portal_spec(root)
    if checker.errors or spec is None:
        raise StackFileErrors(checker.errors)
    return spec


class _Checker:
    """Walks the nodes once, collecting located errors instead of stopping at the first."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[StackFileError] = []
        self.numbers: dict[str, int] = {}  # number -> line of its first entry

    def portal_spec(self, root: Node | None) -> PortalSpec | None:
        if root is None:
            self._fail(None, "file", "is empty", "declare portal: and lines: (see sandbox.yaml)")
            return None
        if not isinstance(root, MappingNode):
            self._fail(
                root,
                "file",
                f"must be a mapping of {', '.join(TOP_KEYS)}, got {_what(root)}",
                "start the file with portal: and lines:",
            )
            return None
        keys, suggested = self._keys(root, TOP_KEYS)
        portal = None
        if "portal" in keys:
            portal = self._text(keys["portal"], "portal", rules.portal)
        elif "portal" not in suggested:
            self._rule(root, rules.portal, None)
        adopt = self._flag(keys, "adopt", rules.adopt, default=rules.DEFAULTS["adopt"])
        allowance = None  # a bad one is recorded as an error, which stops the load
        if "allow_deletes" in keys:
            node = keys["allow_deletes"]
            allowance = self._rule(node, guard.allow_deletes, to_data(node))
        days: int | None = inuse.DEFAULT_DAYS
        if "in_use_guard" in keys:
            node = keys["in_use_guard"]
            days = self._rule(node, inuse.window, to_data(node))  # None: off (or an error)
        lines = self._lines(root, keys.get("lines"), bool(adopt), "lines" in suggested)
        retire = self._retire(keys.get("retire"))
        if portal is None or lines is None or retire is None:
            return None
        return PortalSpec(self.path, portal, lines, allowance, days, retire)

    def _retire(self, node: Node | None) -> tuple[Retired, ...] | None:
        """`retire:`, a list of quoted numbers no longer declared; None after an error.

        Read after `lines:`, so a number still declared can name the line that declares it.
        """
        if node is None or (isinstance(node, Scalar) and node.plain and not node.text):
            return ()
        example = f'write retire: as a list such as - "{EXAMPLE_NUMBER}"'
        if not isinstance(node, SequenceNode):
            self._fail(node, "retire", f"must be a list of numbers, got {_what(node)}", example)
            return None
        retired: dict[str, int] = {}
        ok = True
        for entry in node.items:
            number = self._retired(entry, retired)
            if number is None:
                ok = False
            else:
                retired[number] = entry.line
        return tuple(Retired(number, line) for number, line in retired.items()) if ok else None

    def _retired(self, entry: Node, seen: dict[str, int]) -> str | None:
        """One `retire:` entry's number, checked against the file; None after an error."""
        if not isinstance(entry, Scalar) or entry.plain:
            shown = entry.text if isinstance(entry, Scalar) else "..."
            self._fail(
                entry,
                "retire",
                f"each entry must be a quoted number, got {_what(entry)}",
                f'quote it: - "{shown}"',
            )
            return None
        try:
            number = rules.number(entry.text)
        except InputError as err:
            self._fail(entry, "retire", err.reason, err.fix)
            return None
        if number in seen:
            self._fail(
                entry,
                "retire",
                f"{number!r} is listed twice, on lines {seen[number]} and {entry.line}",
                "remove one of the two entries",
            )
            return None
        if number in self.numbers:
            self._fail(
                entry,
                "retire",
                f"{number!r} is still declared under lines: (line {self.numbers[number]}), so"
                " nothing would retire it",
                f"to delete the line, remove its entry on line {self.numbers[number]}; to keep"
                " it, remove it from retire:",
            )
            return None
        return number

    def _lines(
        self, root: MappingNode, node: Node | None, adopt: bool, suggested: bool
    ) -> tuple[LineSpec, ...] | None:
        example = f'write lines: with entries such as - number: "{EXAMPLE_NUMBER}"'
        if node is None:
            if not suggested:
                self._fail(root, "lines", "is missing", example)
            return None
        if (isinstance(node, Scalar) and node.plain and not node.text) or (
            isinstance(node, SequenceNode) and not node.items
        ):
            self._fail(
                node,
                "lines",
                "is empty",
                "declare at least one line; to remove every "
                "line from the portal, run pulumi destroy",
            )
            return None
        if not isinstance(node, SequenceNode):
            self._fail(node, "lines", f"must be a list of entries, got {_what(node)}", example)
            return None
        specs = [self._line(entry, adopt) for entry in node.items]
        return tuple(spec for spec in specs if spec) if all(specs) else None

    def _line(self, entry: Node, default_adopt: bool) -> LineSpec | None:
        if not isinstance(entry, MappingNode):
            self._fail(
                entry,
                "lines",
                f"each entry must be a mapping, got {_what(entry)}",
                f'write the entry as - number: "{EXAMPLE_NUMBER}"',
            )
            return None
        keys, suggested = self._keys(entry, LINE_KEYS)
        if "number" not in keys:
            if "number" not in suggested:
                self._fail(
                    entry, "number", "is missing", f'add number: "{EXAMPLE_NUMBER}" to this entry'
                )
            return None
        number = self._text(keys["number"], "number", rules.number, integers=True)
        if number in self.numbers:
            self._fail(
                keys["number"],
                "number",
                f"{number!r} is declared twice, on lines "
                f"{self.numbers[number]} and {entry.line}; a portal holds one line per "
                "number",
                "remove one of the two entries",
            )
            return None
        if number is not None:
            self.numbers[number] = entry.line
        if "name" in keys:
            name = self._text(keys["name"], "name", rules.name)
        else:
            name = None if number is None else rules.default_name(number)
        crm_default = rules.DEFAULTS["crm_auto_create"]
        crm = self._flag(keys, "crm_auto_create", rules.crm_auto_create, default=crm_default)
        adopt = self._flag(keys, "adopt", rules.adopt, default=default_adopt)
        protect = self._flag(keys, "protect", rules.protect, default=rules.DEFAULTS["protect"])
        if number is None or name is None or crm is None or adopt is None or protect is None:
            return None
        return LineSpec(number, name, crm, adopt, entry.line, protect, entry.column)

    def _keys(
        self, mapping: MappingNode, allowed: tuple[str, ...]
    ) -> tuple[dict[str, Node], set[str]]:
        """The known keys' values, and the known keys an unknown one was taken for."""
        found: dict[str, Node] = {}
        lines: dict[str, int] = {}
        suggested: set[str] = set()
        for key, value in mapping.pairs:
            if not isinstance(key, Scalar):
                self._fail(
                    key,
                    "key",
                    f"must be a name, got {_what(key)}",
                    f"use one of: {', '.join(allowed)}",
                )
            elif key.text in lines:
                self._fail(
                    key,
                    key.text,
                    f"is given twice, on lines {lines[key.text]} and "
                    f"{key.line}; YAML would silently keep the last",
                    "keep only one of them",
                )
            elif key.text not in allowed:
                close = difflib.get_close_matches(key.text, allowed, n=1)
                suggested.update(close)
                self._fail(
                    key,
                    key.text,
                    "is not a known key",
                    f"did you mean {close[0]}?"
                    if close
                    else f"remove it; known keys here: {', '.join(allowed)}",
                )
            else:
                found[key.text] = value
            if isinstance(key, Scalar):
                lines.setdefault(key.text, key.line)
        return found, suggested

    def _text(
        self, node: Node, prop: str, rule: Callable[[object], str], integers: bool = False
    ) -> str | None:
        """Text exactly as written; a plain scalar that some YAML reads otherwise is refused.

        `integers` admits plain digits (`012345`, `+7495...`): a number is their text.
        """
        if isinstance(node, Scalar) and node.plain and node.text:
            reads_as = node.reads_as
            if reads_as != "text" and not (integers and reads_as == "an integer"):
                hint = " if that really is the number" if integers else ""
                self._fail(
                    node,
                    prop,
                    f"{node.text} without quotes reads as {reads_as}",
                    f'quote it{hint}: {prop}: "{node.text}"',
                )
                return None
        value = node.text if isinstance(node, Scalar) else to_data(node)
        return self._rule(node, rule, value)

    def _flag(
        self, keys: dict[str, Node], key: str, rule: Callable[[object], bool], default: bool
    ) -> bool | None:
        """An optional YAML boolean (true/false, unquoted); the rule explains anything else."""
        return self._rule(keys[key], rule, to_data(keys[key])) if key in keys else default

    def _rule(self, node: Node, rule: Callable[[object], _T], value: object) -> _T | None:
        try:
            return rule(value)
        except InputError as err:
            self._fail(node, err.prop, err.reason, err.fix)
            return None

    def _fail(self, where: Node | None, prop: str, reason: str, fix: str) -> None:
        """Record an error at `where`, or at the top of the file when there is no node."""
        line, column = (where.line, where.column) if where else (1, 1)
        self.errors.append(StackFileError(self.path, line, column, prop, reason, fix))


def _what(node: Node) -> str:
    """How a node reads in a message: its YAML kind, or its text."""
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return repr(node.text) if node.reads_as == "text" else f"{node.text} ({node.reads_as})"
