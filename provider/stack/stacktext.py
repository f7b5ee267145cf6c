"""Stack file text for lines a portal already has: a new file, or entries added to one.

`export` writes what a person would: the schema comment, the portal, `adopt: true`,
one entry per line sorted by number, each value written so that every YAML reader
gets it back exactly (numbers always quoted; names plain only where nothing could
read them as anything but that text). Merging edits the text of an existing file
instead of re-dumping it, so its comments, order and spelling survive.

What a declared line may be is `provider.bitrix24.rules`'s business; a portal line those rules
refuse (a number with whitespace or a character outside printable ASCII, a name with
a control or invisible formatting character) cannot be declared, and is handed back as
`Refused` for the caller to report, never silently left out.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

from provider.bitrix24 import rules
from provider.bitrix24.errors import InputError
from provider.bitrix24.lines import Line
from provider.stack.yamlsource import MappingNode, Node, Scalar, SequenceNode

SCHEMA_COMMENT = "# yaml-language-server: $schema=./schema.json"
NAMELESS = (
    "nameless on the portal (made by telephony.externalCall.register, or by hand): the",
    "first `pulumi up` names it after its number, because the portal's clean-up agent",
    "deletes nameless lines with CRM_AUTO_CREATE=Y after 90 days unused",
)
PADDED = "the portal's name has spaces around it; the first `pulumi up` trims them"
MERGED = "added by `python -m provider export --merge`: on the portal, missing here"


@dataclass(frozen=True)
class Entry:
    """A portal line as the stack file declares it; `note` says why a value differs."""

    number: str
    name: str
    crm_auto_create: bool
    note: tuple[str, ...] = ()

    @property
    def renamed(self) -> bool:
        """True when the first `up` changes the line's name on the portal."""
        return bool(self.note)


@dataclass(frozen=True)
class Refused:
    """A portal line no stack file can declare, and why."""

    line: Line
    reason: str


def entries(lines: Iterable[Line]) -> tuple[list[Entry], list[Refused]]:
    """The lines as entries, sorted by number (a stable order however the portal lists
    them), and the lines the rules refuse."""
    declared: list[Entry] = []
    refused: list[Refused] = []
    for line in sorted(lines, key=lambda line: line.number):
        try:
            declared.append(_entry(line))
        except InputError as err:
            refused.append(Refused(line, f"{err.prop}: {err.reason}"))
    return declared, refused


def _entry(line: Line) -> Entry:
    """InputError when the rules refuse the line (the portal trims NUMBER, so a number
    never differs from its checked form: only what is inside it can be refused)."""
    rules.number(line.number)
    if not line.name:
        name = rules.default_name(line.number)
        note = NAMELESS
    else:
        name = line.name.strip()
        note = (PADDED,) if name != line.name else ()
    return Entry(line.number, rules.name(name), line.crm_auto_create, note)


def render(portal: str, declared: Iterable[Entry], *, preamble: Iterable[str] = ()) -> str:
    """A whole stack file: the lines on `portal`, every one to be adopted."""
    head = [SCHEMA_COMMENT, *(f"# {text}" for text in preamble)]
    head += [f"portal: {portal}", "adopt: true   # take the lines over on the first up", "lines:"]
    body = [text for entry in declared for text in _entry_lines(entry, "  ", adopt=False)]
    return "\n".join(head + body) + "\n"


def _entry_lines(entry: Entry, indent: str, *, adopt: bool, gap: int = 2) -> list[str]:
    """One entry's lines, its dash at `indent` and its keys `gap` columns right of it;
    comments above it say what differs from the portal."""
    keys = indent + " " * gap
    out = [f"{indent}# {text}" for text in entry.note]
    out.append(f"{indent}-{' ' * (gap - 1)}number: {_quoted(entry.number)}")
    out.append(f"{keys}name: {_text(entry.name)}")
    out.append(f"{keys}crm_auto_create: {'true' if entry.crm_auto_create else 'false'}")
    if adopt:
        out.append(f"{keys}adopt: true")
    return out


def _quoted(text: str) -> str:
    """`text` as a double-quoted YAML scalar, escapes and all, on one line."""
    return yaml.safe_dump(text, default_style='"', allow_unicode=True, width=float("inf")).strip()


def _text(text: str) -> str:
    """`text` unquoted when every YAML reader takes it as exactly this text, else quoted."""
    analysis = yaml.emitter.Emitter(io.StringIO(), allow_unicode=True).analyze_scalar(text)
    plain = analysis.allow_block_plain and not analysis.multiline and text == text.strip()
    if plain and Scalar(text, True, 0, 0).reads_as == "text":
        return text
    return _quoted(text)


@dataclass(frozen=True)
class Merged:
    """An existing file's text with the portal's missing lines added."""

    text: str
    added: tuple[Entry, ...]


def merge(text: str, root: Node, path: str, declared: Iterable[Entry], known: set[str]) -> Merged:
    """`text` (the file `root` was read from) with an entry added, marked `adopt: true`,
    for every line in `declared` whose number is not in `known`; nothing else changes.

    The new entries go right after the file's last entry, at its indentation.
    InputError when `lines:` is not a block list this can extend.
    """
    added = tuple(entry for entry in declared if entry.number not in known)
    if not added:
        return Merged(text, ())
    newline = "\r\n" if "\r\n" in text else "\n"
    source = text.splitlines()
    sequence, end = _lines_block(root, path)
    first = sequence.items[0]
    if first.line != sequence.line or not isinstance(first, MappingNode):
        raise InputError(
            "lines",
            f"{path}:{sequence.line}: the first entry is not written as `- number: ...`",
            "write each entry as `- number:` with its keys below it, then merge again",
        )
    indent = " " * (sequence.column - 1)
    end = len(source) if end is None else end
    while end > 0 and _trails(source[end - 1], indent):
        end -= 1  # comments after the list (a footer) stay after the new entries
    new = [f"{indent}# {MERGED}"]
    for entry in added:
        new += _entry_lines(entry, indent, adopt=True, gap=first.column - sequence.column)
    return Merged(newline.join(source[:end] + new + source[end:]) + newline, added)


def _lines_block(root: Node, path: str) -> tuple[SequenceNode, int | None]:
    """The `lines:` block list, and the 0-based line of the key after it (None: none)."""
    assert isinstance(root, MappingNode)  # stackfile.load accepted the file
    pairs = list(root.pairs)
    for index, (key, value) in enumerate(pairs):
        if isinstance(key, Scalar) and key.text == "lines" and isinstance(value, SequenceNode):
            if value.line == key.line:
                raise InputError(
                    "lines",
                    f"{path}:{key.line}: is written on one line ([...])",
                    "write it as a block list, one `- number:` entry per line, then merge again",
                )
            return value, pairs[index + 1][0].line - 1 if index + 1 < len(pairs) else None
    raise AssertionError("a loaded stack file has a lines: list")


def _trails(text: str, indent: str) -> bool:
    """True for a blank line, or a comment no further right than the entries' dashes."""
    stripped = text.lstrip()
    return not stripped or (stripped.startswith("#") and len(text) - len(stripped) <= len(indent))
