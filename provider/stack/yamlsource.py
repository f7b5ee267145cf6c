"""Read a YAML file into located nodes that keep every scalar exactly as written.

PyYAML's loaders turn `012345` into 5349, keep the last of two duplicate keys
and expand aliases into billions of nodes; a stack file needs none of that. This
module composes its own small tree from the parser's event stream instead: each
node carries its 1-based line and column, scalars keep their text and whether
they were quoted, and what a stack file never needs (anchors, aliases, tags,
several documents) is refused as soon as the parser meets it. Size limits are
checked before parsing, so a huge file costs one bounded read, not a parse.

What the values mean is the caller's business: see `provider.stack.stackfile`.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import yaml

from provider.bitrix24.errors import InputError
from provider.stack.errors import StackFileError

MAX_FILE_BYTES = 1024 * 1024  # a stack file of 2,000 lines is about 200 KiB
MAX_SOURCE_LINES = 20_000  # 2,000 entries of four keys, with blank lines and comments
MAX_DEPTH = 8  # a stack file nests three deep: top mapping, lines list, entry mapping

_PARSER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it
_YAML11 = yaml.resolver.Resolver()  # PyYAML's reading, where `yes` is a boolean
_YAML12_CORE: tuple[tuple[re.Pattern[str], Callable[[str], object]], ...] = (
    (re.compile(r"null|Null|NULL|~|"), lambda text: None),
    (re.compile(r"true|True|TRUE|false|False|FALSE"), lambda text: text.lower() == "true"),
    (re.compile(r"[-+]?[0-9]+"), lambda text: int(text, 10)),
    (re.compile(r"0o[0-7]+"), lambda text: int(text[2:], 8)),
    (re.compile(r"0x[0-9a-fA-F]+"), lambda text: int(text[2:], 16)),
    (re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"), float),
    (
        re.compile(r"[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)"),
        lambda text: float(text.replace(".", "")),
    ),
)
_TAG12 = {str: "str", bool: "bool", int: "int", float: "float", type(None): "null"}
_DESCRIPTIONS = {
    "bool": "a boolean",
    "int": "an integer",
    "float": "a float",
    "null": "null",
    "timestamp": "a timestamp",
}


@dataclass(frozen=True)
class Scalar:
    """A scalar as written; `plain` is False when it was quoted or a block scalar."""

    text: str
    plain: bool
    line: int
    column: int

    @property
    def value(self) -> object:
        """What a YAML 1.2 reader (editors, JSON Schema tools) sees: quoted means text."""
        if self.plain:
            for pattern, convert in _YAML12_CORE:
                if pattern.fullmatch(self.text):
                    return convert(self.text)
        return self.text

    @property
    def reads_as(self) -> str:
        """ "text" when every YAML reader agrees, else what some reader takes it for.

        YAML 1.1 (PyYAML) and 1.2 (editors) disagree on `yes`, `12:30:00`, `1.5e10`:
        a value whose type depends on the reader is reported, never guessed. Digits
        that one reads as text and the other as an integer (`0999`) are "an integer".
        """
        tag12 = _TAG12[type(self.value)]
        tag11 = _YAML11.resolve(yaml.ScalarNode, self.text, (self.plain, not self.plain))
        tag11 = tag11.rsplit(":", 1)[-1]
        if tag12 == tag11 == "str":
            return "text"
        if tag12 not in ("str", "int"):
            return _DESCRIPTIONS[tag12]
        if tag11 == "int" and ":" in self.text:
            return "a base-60 integer in YAML 1.1"
        if tag11 not in ("str", "int"):
            return f"{_DESCRIPTIONS[tag11]} in YAML 1.1"
        return _DESCRIPTIONS["int"]


@dataclass(frozen=True)
class SequenceNode:
    """A YAML list."""

    items: tuple[Node, ...]
    line: int
    column: int


@dataclass(frozen=True)
class MappingNode:
    """A YAML mapping; `pairs` keeps every key, duplicates included, in file order."""

    pairs: tuple[tuple[Node, Node], ...]
    line: int
    column: int


Node = Scalar | SequenceNode | MappingNode


def read(path: str, max_items: int) -> Node | None:
    """The file's single document as nodes, or None when it holds no document.

    `max_items` bounds every list and mapping, so parsing stops early in a file
    that declares far more than a stack file may. Raises StackFileError for the
    first problem that stops reading, InputError when the file cannot be opened.
    """
    return _Composer(path, _decode(path), max_items).document()


def to_data(node: Node) -> object:
    """The node as plain Python values, as a YAML 1.2 reader (a JSON Schema tool) sees it."""
    if isinstance(node, Scalar):
        return node.value
    if isinstance(node, SequenceNode):
        return [to_data(item) for item in node.items]
    return {getattr(key, "text", repr(key)): to_data(value) for key, value in node.pairs}


_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
}


def _read_regular_file(path: str) -> bytes:
    """Up to MAX_FILE_BYTES + 1 bytes of a regular file; anything else is refused unread.

    Opening without blocking, then asking the open file what it is, means a FIFO
    (whose reader waits for a writer forever) or a device cannot hang `validate`,
    and nothing can be swapped in between the check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as err:
        raise InputError(
            "stack file", f"cannot read {path} ({err.strerror})", "check the path"
        ) from err
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise InputError(
            "stack file",
            f"{path} is {_KINDS.get(stat.S_IFMT(mode), 'not a file')}, not a regular file",
            "point at the stack file itself, a plain YAML file",
        )
    with os.fdopen(fd, "rb") as stream:
        return stream.read(MAX_FILE_BYTES + 1)


def _decode(path: str) -> str:
    """The file's text, once it is known to be small, UTF-8 and indented with spaces."""
    data = _read_regular_file(path)
    if len(data) > MAX_FILE_BYTES:
        raise StackFileError(path, 1, 1, "file", f"is over {MAX_FILE_BYTES:,} bytes", _SPLIT)
    if (lines := data.count(b"\n") + (not data.endswith(b"\n"))) > MAX_SOURCE_LINES:
        raise StackFileError(
            path, 1, 1, "file", f"has {lines:,} lines, over {MAX_SOURCE_LINES:,}", _SPLIT
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line_start = data.rfind(b"\n", 0, err.start) + 1
        raise StackFileError(
            path,
            data.count(b"\n", 0, err.start) + 1,
            err.start - line_start + 1,
            "file",
            f"is not UTF-8 text (byte 0x{data[err.start]:02x})",
            "save the file as UTF-8",
        ) from err
    for number, line in enumerate(text.splitlines(), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            raise StackFileError(
                path, number, indent.index("\t") + 1, "file", _TAB, "indent with spaces"
            )
    return text


_SPLIT = "a stack file declares one portal's lines; remove what does not belong there"
_TAB = "has a tab where YAML allows only spaces"


class _Composer:
    """Builds nodes from PyYAML's events, refusing what a stack file never needs."""

    def __init__(self, path: str, text: str, max_items: int) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.max_items = max_items
        self.events: Iterator[yaml.Event] = yaml.parse(text, Loader=_PARSER)

    def document(self) -> Node | None:
        try:
            next(self.events)  # StreamStart
            if isinstance(next(self.events), yaml.StreamEndEvent):
                return None
            root = self._node(next(self.events), depth=1)
            next(self.events)  # DocumentEnd
            if not isinstance(extra := next(self.events), yaml.StreamEndEvent):
                raise self._refused(
                    extra,
                    "holds more than one YAML document",
                    "keep one: a stack file declares one portal; remove this --- and what follows",
                )
            return root
        except yaml.MarkedYAMLError as err:
            mark = err.problem_mark or err.context_mark
            line = self.lines[mark.line] if mark.line < len(self.lines) else ""
            on_tab = line[mark.column : mark.column + 1] == "\t"
            raise StackFileError(
                self.path,
                mark.line + 1,
                mark.column + 1,
                "file",
                _TAB if on_tab else f"is not valid YAML: {_syntax(err)}",
                "indent with spaces" if on_tab else "correct the YAML at this position",
            ) from err

    def _node(self, event: yaml.Event, depth: int) -> Node:
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise self._refused(
                event, "uses a YAML anchor or alias; stack files take none", "write it out in full"
            )
        if getattr(event, "tag", None) not in (None, "!"):
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise self._refused(event, f"uses the YAML tag {tag}", "remove the tag")
        line, column = event.start_mark.line + 1, event.start_mark.column + 1
        if isinstance(event, yaml.ScalarEvent):
            return Scalar(event.value, event.implicit[0] and not event.style, line, column)
        if depth >= MAX_DEPTH:
            raise self._refused(event, f"nests deeper than {MAX_DEPTH} levels", "flatten it")
        if isinstance(event, yaml.SequenceStartEvent):
            return SequenceNode(tuple(self._children(event, depth, 1)), line, column)
        flat = self._children(event, depth, 2)
        return MappingNode(tuple(zip(flat[::2], flat[1::2], strict=True)), line, column)

    def _children(self, start: yaml.Event, depth: int, nodes_per_item: int) -> list[Node]:
        """The nodes up to the collection's end, stopping at `max_items` items."""
        children: list[Node] = []
        while not isinstance(event := next(self.events), yaml.CollectionEndEvent):
            if len(children) >= nodes_per_item * self.max_items:
                raise self._refused(
                    start,
                    f"holds more than {self.max_items:,} entries",
                    f"keep at most {self.max_items:,} entries in one list or mapping",
                )
            children.append(self._node(event, depth + 1))
        return children

    def _refused(self, event: yaml.Event, reason: str, fix: str) -> StackFileError:
        mark = event.start_mark
        return StackFileError(self.path, mark.line + 1, mark.column + 1, "file", reason, fix)


def _syntax(err: yaml.MarkedYAMLError) -> str:
    """The parser's complaint, with where the construct it was reading began."""
    if err.context and err.context_mark and err.problem:
        start = err.context_mark
        return f"{err.problem} {err.context} that starts at {start.line + 1}:{start.column + 1}"
    return str(err.problem or err.context)
