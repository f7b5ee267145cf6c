"""What one `pulumi up --json` applied to a stack's lines, as data for the merge's report.

The plan comment says what a pull request would do; this says what the merge's `up`
did, from what the engine itself reports. `pulumi up --json` prints the digest of its
own preview (one JSON document, as `pulumi preview --json` does), then one engine event
per line for the update. Only the update's events count here:

- a `resOutputsEvent` is a step the engine finished; its metadata holds the step's
  `op` and the line's old and new state, the shape of a preview's step, so the
  preview's reader (provider.plan.changes) turns them into the same rows;
- a step whose `resourcePreEvent` was a `refresh` (`up --refresh`) is the engine reading
  the portal; its `resOutputsEvent` keeps the op `refresh` and holds the outputs before
  (`old`) and as read (`new`). When those differ, or the line is gone, the portal had
  drifted, and the update step that follows wrote the stack file's values back;
- `diagnosticEvent`s of severity `error` say why the run stopped; `summaryEvent` counts.

A run that stopped in its preview (a safety guard, a broken stack file) printed no
update events: nothing was applied, and the digest's errors are the message. One that
stopped before its preview (the state backend refused it, another run holds the stack)
printed no JSON at all: its message is what it wrote to stderr, which the pipelines keep
in a file beside the JSON, and a fix is added for the refusals a pipeline meets
(KNOWN_REFUSALS).
The events carry every property with secrets masked, but as in the plan, only four
properties per line reach a comment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from provider.plan import changes
from provider.plan.changes import LineChange, LineValues, StackPlan

_COLOR = re.compile(r"<\{%[^%]*%\}>")  # the engine's colour directives, in uncoloured output
# The engine's last word on a phase that failed: it adds nothing to the error before it.
PHASE_ECHOES = frozenset({"preview failed", "update failed"})
# What the CLI says before it runs anything, and what to do about it in a pipeline.
KNOWN_REFUSALS = (
    (
        "permission denied for table",  # PostgreSQL, Pulumi v3.274.1: "2 errors occurred: 1) pq:"
        "the state backend refused to write: this job's PULUMI_BACKEND_URL is a role that may "
        "only read the state. Fix: give the up and drift jobs the writable state (the secret "
        "PULUMI_BACKEND_URL of the lane's environment on GitHub, PULUMI_WRITER_BACKEND_URL on "
        "GitLab; docs/pipelines.md)",
    ),
    (
        "the stack is currently locked",
        "another run holds the stack. Fix: run the pipeline again once it ends; if no run is "
        "left (a killed runner), `pulumi cancel --stack STACK` removes its lock",
    ),
)


@dataclass(frozen=True)
class DriftRepair(LineChange):
    """A line the portal had changed by hand, that the run set back to its declaration."""

    @property
    def label(self) -> str:
        return f"{super().label} (drift written back)"


@dataclass(frozen=True)
class AppliedRun:
    """One stack's `up`: the lines it changed (`plan.changes`) and why it stopped, if it did."""

    plan: StackPlan

    @property
    def stopped(self) -> bool:
        return self.plan.failed

    @property
    def repaired(self) -> int:
        return sum(1 for change in self.plan.changes if isinstance(change, DriftRepair))


def load(source: str, text: str, cwd: Path | None = None, stderr: str = "") -> AppliedRun:
    """The run in `text`, the output of `pulumi up --json` read from `source`; `stderr` is
    what the CLI wrote there, the message when it printed no JSON."""
    cwd = cwd or Path.cwd()
    documents = list(_documents(text))
    events = [doc for doc in documents if "sequence" in doc]
    digest = next((doc for doc in documents if "sequence" not in doc), None)
    if events:
        return _from_events(events, source, cwd)
    if digest is not None:  # stopped in its own preview: nothing applied, only why
        planned = changes.from_preview(digest, changes._stack_from_source(source), cwd)
        errors = _without_echoes(planned.errors) or ("pulumi up printed its preview, no more",)
        return AppliedRun(StackPlan(planned.stack, planned.portal, errors=errors))
    if not text.strip() and stderr.strip():
        stack = changes._stack_from_source(source)
        return AppliedRun(StackPlan(stack, None, errors=(_explained(stderr.strip()),)))
    return AppliedRun(changes.load(source, text, cwd))  # not JSON: changes says what it was


def _explained(said: str) -> str:
    """The CLI's own words, and after them the fix of a refusal a pipeline meets."""
    for sign, fix in KNOWN_REFUSALS:
        if sign in said:
            return f"{said}\n\n{fix}"
    return said


def _documents(text: str) -> Iterator[dict[str, Any]]:
    """Every JSON object in `text`, one after another (a document, then one per line)."""
    decoder = json.JSONDecoder()
    position = 0
    while True:
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            return
        try:
            value, position = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return  # what follows is not JSON: the CLI's own last words, if any
        if isinstance(value, dict):
            yield value


def _from_events(events: list[dict[str, Any]], source: str, cwd: Path) -> AppliedRun:
    before: dict[str, str] = {}  # urn -> the op its step began as
    drifted: set[str] = set()
    steps: list[dict[str, Any]] = []
    diagnostics: list[dict[str, str]] = []
    summary: Mapping[str, Any] = {}
    for event in sorted(events, key=lambda event: event.get("sequence", 0)):
        if pre := event.get("resourcePreEvent"):
            before[pre["metadata"]["urn"]] = pre["metadata"]["op"]
        elif done := event.get("resOutputsEvent"):
            meta = done["metadata"]
            if before.get(meta["urn"]) == "refresh":
                if _drifted(meta):
                    drifted.add(meta["urn"])
            else:
                steps.append(_step(meta))
        elif diag := event.get("diagnosticEvent"):
            if not diag.get("ephemeral"):
                message = _COLOR.sub("", f"{diag.get('prefix', '')}{diag.get('message', '')}")
                diagnostics.append({"severity": diag.get("severity", ""), "message": message})
        elif done := event.get("summaryEvent"):
            summary = done.get("resourceChanges") or {}
    data = {"steps": steps, "changeSummary": summary, "diagnostics": diagnostics}
    plan = changes.from_preview(data, changes._stack_from_source(source), cwd)
    numbers = {urn.rsplit("::", 1)[-1] for urn in drifted}
    marked = tuple(
        DriftRepair(c.kind, c.old, c.new, c.reasons) if c.number in numbers else c
        for c in plan.changes
    )
    return AppliedRun(replace(plan, changes=marked, errors=_without_echoes(plan.errors)))


def _without_echoes(errors: tuple[str, ...]) -> tuple[str, ...]:
    """The errors without the engine's "update failed", unless it is the only one."""
    return tuple(error for error in errors if error not in PHASE_ECHOES) or errors


def _drifted(meta: Mapping[str, Any]) -> bool:
    """Did the refresh find the line changed on the portal, or gone from it?"""
    old, new = ((meta.get(side) or {}).get("outputs") for side in ("old", "new"))
    if not isinstance(old, dict) or not isinstance(new, dict):
        return old != new
    number = meta.get("urn", "").rsplit("::", 1)[-1]
    return LineValues.from_props(old, number) != LineValues.from_props(new, number)


def _step(meta: Mapping[str, Any]) -> dict[str, Any]:
    """An event's step metadata in the shape of a preview's step."""
    return {
        "op": meta.get("op"),
        "urn": meta.get("urn", ""),
        "oldState": meta.get("old") or {},
        "newState": meta.get("new") or {},
        "replaceReasons": meta.get("keys") or [],
    }
