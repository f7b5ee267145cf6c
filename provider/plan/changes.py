"""A preview as data: what `pulumi preview --json` plans for each line of one stack.

The review comment (provider.plan.markdown) reads this model, never the JSON: the JSON
is Pulumi's and carries URNs, the provider pickle (`__provider`), source
positions and whatever outputs the program exports. Only the four properties a
reviewer needs are taken from it, so nothing else can reach a comment.

Where the values come from: Pulumi's preview holds the line's recorded outputs
(what the portal had at the last `up`, or at the refresh of `--refresh`) in
`oldState.outputs`, and the checked program inputs in `newState.inputs`. The
provider reports no detailed diff, so a change is the difference of the two.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LINE_TYPE = "pulumi-python:dynamic/bitrix24:ExternalLine"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # Pulumi's "known after apply" sentinel
PROVIDER_WARNING = "bitrix24 WARNING: "
"""How the provider's log lines start on its stderr (provider.portals), which the engine
passes on as `info#err`."""
USAGE = "in-use guard: "
"""How the program's in-use guard (provider.callcheck) starts what it says of each line it
would delete, in an info line of the run: the plan reads only Pulumi's JSON, so this text
is the contract."""
# The engine's own lines after a program or provider error: they add nothing to the error.
ENGINE_ECHOES = (
    "an unhandled error occurred: program exited with non-zero exit code",
    "Resource monitor has terminated, shutting down",
)
# Steps that do not change a line by themselves: a replacement is one `replace` step in a
# preview, and the engine may also list its halves; refreshes and reads change nothing.
IGNORED_OPS = frozenset(
    {"same", "refresh", "read", "create-replacement", "delete-replaced", "discard", "import"}
)


class Kind(enum.Enum):
    """What happens to one line; the member order is the table's order, riskiest first."""

    DELETE = "delete"
    REPLACE = "replace"
    ADD = "add"
    ADOPT = "adopt"
    UPDATE = "update"


@dataclass(frozen=True)
class LineValues:
    """The properties of a line a reviewer reads; None where the preview cannot know it."""

    number: str
    name: str | None
    crm_auto_create: bool | None
    portal: str | None = None

    @classmethod
    def from_props(cls, props: Mapping[str, Any], fallback_number: str) -> LineValues:
        number = props.get("number")
        crm = props.get("crm_auto_create")
        return cls(
            number if isinstance(number, str) and number != UNKNOWN else fallback_number,
            _known_text(props.get("name")),
            crm if isinstance(crm, bool) else None,
            _known_text(props.get("portal")),
        )


@dataclass(frozen=True)
class LineChange:
    """One changed line: `old` is what the state holds, `new` what the stack file declares."""

    kind: Kind
    old: LineValues | None
    new: LineValues | None
    reasons: tuple[str, ...] = ()  # what forces a replacement: "number", "portal"

    @property
    def number(self) -> str:
        """The number the line will have (the old one for a deletion)."""
        values = self.new or self.old
        assert values is not None  # every kind has at least one side
        return values.number

    @property
    def label(self) -> str:
        """The operation as the table shows it: an update says what it updates."""
        if self.kind is Kind.UPDATE:
            assert self.old is not None and self.new is not None
            what = []
            if self.old.name != self.new.name:
                what.append("rename")
            if self.old.crm_auto_create != self.new.crm_auto_create:
                what.append("CRM flag")
            if self.old.portal != self.new.portal:
                what.append("portal address")
            return ", ".join(what) or "update"
        if self.kind is Kind.REPLACE and self.reasons:
            return f"replace ({', '.join(self.reasons)})"
        return self.kind.value


@dataclass(frozen=True)
class StackPlan:
    """Everything one preview plans for one stack's lines, or why there is no plan."""

    stack: str
    portal: str | None
    changes: tuple[LineChange, ...] = ()
    unchanged: int = 0
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()  # the program's or the engine's, e.g. a safety guard's
    calls: Mapping[str, str] = field(default_factory=dict)
    """What the in-use guard said of each line to be deleted, by number (see USAGE)."""

    @property
    def failed(self) -> bool:
        return bool(self.errors)

    def count(self, *kinds: Kind) -> int:
        return sum(1 for change in self.changes if change.kind in kinds)

    @property
    def portal_moves(self) -> tuple[str, str] | None:
        """The old and new portal address when the plan moves lines from one to the other."""
        for change in self.changes:
            old, new = (
                (change.old.portal if change.old else None),
                (change.new.portal if change.new else None),
            )
            if old and new and old != new:
                return old, new
        return None

    @property
    def destructive(self) -> bool:
        """Lines deleted or replaced: a number stops answering calls, for good or a while."""
        return self.count(Kind.DELETE, Kind.REPLACE) > 0


def load(source: str, text: str, cwd: Path | None = None) -> StackPlan:
    """The plan in `text`, the output of `pulumi preview --json` read from `source`.

    A preview that failed before printing JSON (no stack, no backend) still gives a
    plan, one that failed and says what was read, so the comment reports it.
    """
    fallback = _stack_from_source(source)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        first = text.strip().splitlines()[0][:300] if text.strip() else "nothing"
        return StackPlan(
            fallback,
            None,
            errors=(
                f"{source}: not the JSON of `pulumi preview --json` ({err.msg}); it starts: "
                f"{first}",
            ),
        )
    if not isinstance(data, dict):
        kind = type(data).__name__
        return StackPlan(fallback, None, errors=(f"{source}: not a preview, a JSON {kind}",))
    return from_preview(data, fallback, cwd or Path.cwd())


def from_preview(data: Mapping[str, Any], fallback_stack: str, cwd: Path) -> StackPlan:
    """Build the plan from a parsed preview; `cwd` is cut from the paths in errors."""
    steps = [step for step in data.get("steps") or () if isinstance(step, dict)]
    diagnostics = data.get("diagnostics") or ()
    stack = next((_stack_of(step["urn"]) for step in steps if "urn" in step), fallback_stack)
    changes = sorted(
        (change for step in steps if (change := _change(step)) is not None),
        key=lambda change: (list(Kind).index(change.kind), change.number),
    )
    return StackPlan(
        stack=stack,
        portal=_portal(steps),
        changes=tuple(changes),
        unchanged=_unchanged(data, steps),
        errors=tuple(_errors(diagnostics, cwd)),
        warnings=(*_messages(diagnostics, "warning", cwd), *_provider_warnings(diagnostics, cwd)),
        calls=_calls(_messages(diagnostics, "info", cwd)),
    )


def _provider_warnings(diagnostics: Iterable[Any], cwd: Path) -> list[str]:
    """The provider's warnings: it has no engine to log to, so they arrive as its stderr."""
    return [
        text.removeprefix(PROVIDER_WARNING)
        for text in _messages(diagnostics, "info#err", cwd)
        if text.startswith(PROVIDER_WARNING)
    ]


def _calls(infos: Iterable[str]) -> dict[str, str]:
    """The in-use guard's word on each line to be deleted: `in-use guard: NUMBER: text`."""
    said = {}
    for text in infos:
        number, sep, what = text.removeprefix(USAGE).partition(": ")
        if text.startswith(USAGE) and sep:
            said[number] = what
    return said


def _change(step: Mapping[str, Any]) -> LineChange | None:
    op = step.get("op")
    urn = step.get("urn", "")
    if op in IGNORED_OPS or not _is_line(step):
        return None
    name = urn.rsplit("::", 1)[-1]  # the logical name: the number the line was declared with
    old_props = _state(step, "oldState", "outputs") or _state(step, "oldState", "inputs")
    new_props = _state(step, "newState", "inputs")
    old = LineValues.from_props(old_props, name)
    new = LineValues.from_props(new_props, name)
    if op == "create":
        kind = Kind.ADOPT if new_props.get("adopt") is True else Kind.ADD
        return LineChange(kind, None, new)
    if op == "delete":
        return LineChange(Kind.DELETE, old, None)
    if op == "replace":
        return LineChange(Kind.REPLACE, old, new, tuple(step.get("replaceReasons") or ()))
    if op == "update":
        return LineChange(Kind.UPDATE, old, new)
    return None


def _is_line(step: Mapping[str, Any]) -> bool:
    parts = step.get("urn", "").split("::")
    return len(parts) >= 4 and parts[2].rsplit("$", 1)[-1] == LINE_TYPE


def _state(step: Mapping[str, Any], which: str, part: str) -> dict[str, Any]:
    props = (step.get(which) or {}).get(part)
    return props if isinstance(props, dict) else {}


def _stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::...` -> the stack."""
    return urn.split("::", 1)[0].split(":", 2)[-1]


def _stack_from_source(source: str) -> str:
    """A preview file named for its stack (`dev.json`) names the stack when no URN can."""
    return Path(source).stem if source != "-" else "(stdin)"


def _portal(steps: Iterable[Mapping[str, Any]]) -> str | None:
    """The portal the lines will live on; the stack's `portal` output when no line changes."""
    stack_output = None
    for step in steps:
        if _is_line(step):
            for which, part in (("newState", "inputs"), ("oldState", "outputs")):
                if isinstance(portal := _state(step, which, part).get("portal"), str):
                    return _known_text(portal)
        elif step.get("urn", "").split("::")[2:3] == ["pulumi:pulumi:Stack"]:
            portal = _state(step, "oldState", "outputs").get("portal")
            stack_output = portal if isinstance(portal, str) else stack_output
    return stack_output


def _unchanged(data: Mapping[str, Any], steps: Iterable[Mapping[str, Any]]) -> int:
    """Lines the preview leaves alone: Pulumi counts the stack itself among the `same`."""
    same = (data.get("changeSummary") or {}).get("same", 0)
    others = {step["urn"] for step in steps if step.get("op") == "same" and not _is_line(step)}
    return max(int(same) - len(others), 0)


def _messages(diagnostics: Iterable[Any], severity: str, cwd: Path) -> list[str]:
    """The diagnostics of one severity as the user needs them: paths relative to the project."""
    return [
        str(diag.get("message", "")).strip().removeprefix(f"{severity}: ").replace(f"{cwd}/", "")
        for diag in diagnostics
        if isinstance(diag, dict) and diag.get("severity") == severity
    ]


def _errors(diagnostics: Iterable[Any], cwd: Path) -> list[str]:
    """The errors, without the engine's echoes of them when there is another."""
    texts = _messages(diagnostics, "error", cwd)
    return [text for text in texts if not text.startswith(ENGINE_ECHOES)] or texts


def _known_text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != UNKNOWN else None
