"""The ExternalLine resource and its dynamic provider: Pulumi semantics only.

What the portal can and cannot do decides the shape of the diff:
- NUMBER is the line's key and cannot be updated, so a new number is a
  replacement, the new line added before the old one is deleted (they never clash).
- A portal address spelled another way is no change (rules.portal normalises it).
  A new address of the same portal (its member_id, recorded in every line's
  outputs, is unchanged) is an in-place update with no line call at all; only
  another portal replaces the lines. Without credentials (a plain preview) the
  portal cannot be asked: the plan says so and shows an update, which `up` checks.
- NAME and CRM_AUTO_CREATE update in place. NAME is sent with every update, as
  voximplant before 23.0.0 writes it from the request even when it is absent (an
  empty name): the declared one if it changed, else the one the portal holds.
  CRM_AUTO_CREATE is sent only when it changed.
- On such a portal `get` has no CRM_AUTO_CREATE and its add and update ignore it:
  the line's outputs then say `crm_auto_create_managed: false`, keep the declared
  flag, and a change of it is no change (the program warns, from state).
- `adopt` only matters when the line is created: changing it changes nothing. A
  line that already exists exactly as declared is adopted without it: within one
  application's pool it is what a run killed after `add` leaves behind.
- `update` returns what the portal holds afterwards, not its inputs.
- Every method raises through `failures.reported`, so an error shows as one line.

Pulumi pickles the provider into every resource's `__provider` input. Keeping
the class here, in an importable module, makes dill pickle it by reference:
a few dozen bytes, identical for every line, holding no secret, and new code
applies to old state. Do not rename this module or the class once state exists.
Credentials are read in `configure`, in the provider process, and kept in
`provider.portals`, never on the instance.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)
from pulumi.output import Unknown

from provider import moves, portals
from provider.bitrix24 import rules, urls
from provider.bitrix24.errors import InputError, LineError, LineExists, LineNotFound
from provider.bitrix24.lines import Line, LinesApi
from provider.failures import reported

TYPE = "pulumi-python:dynamic/bitrix24:ExternalLine"  # the type token of ExternalLine below
log = logging.getLogger(__name__)

REPLACING = ("portal", "number")  # what the portal cannot change in place
UPDATING = ("name", "crm_auto_create")
UNMANAGED = "crm_auto_create_managed"
"""An output present (False) only on lines of a portal that does not keep the flag."""


class ExternalLineProvider(ResourceProvider):
    """Maps Pulumi's create/read/update/delete onto telephony.externalLine.*."""

    serialize_as_secret_always = False  # the pickle is a class reference: nothing to hide

    @reported
    def configure(self, req: ConfigureRequest) -> None:
        portals.configure(req.config)

    @reported
    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = normalise(news)
        if inputs.get("adopt") is False:
            del inputs["adopt"]  # the default: `preview --diff` shows `adopt` only when true
        return CheckResult(inputs, failures)

    @reported
    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        olds = {**olds, "portal": urls.respelled(olds.get("portal"))}
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        updates = [key for key in _updating(olds) if olds.get(key) != news.get(key)]
        if "portal" in replaces and moves.same_portal(olds, news["portal"]):
            replaces.remove("portal")
            updates.append("portal")
        # The new line is always added before the old one is deleted: a new number never
        # clashes with the old one, nor does a line on another portal, and calls are not
        # lost in between.
        return DiffResult(changes=bool(replaces or updates), replaces=replaces)

    @reported
    def create(self, props: dict[str, Any]) -> CreateResult:
        line = as_line(props)
        lines = portals.lines_for(props["portal"])
        if props.get("adopt") and lines.find(line.number) is not None:
            # Taking over (an exported file): the run's one cached `get` shows the line is
            # there, so update it to the declared values and take its ID; `add` would fail.
            line_id = lines.adopt(line)
            return CreateResult(line_id, _outputs(lines, props["portal"], line))
        try:
            line_id = lines.add(line)
        except LineExists as err:
            if not props.get("adopt"):
                held = lines.find(line.number, fresh=True)
                if held is None or not held.same(line):
                    raise with_fix(err, _not_ours(line, held)) from err
            line_id = lines.adopt(line)
            log.warning(
                "line %s already existed%s; adopted it (ID %s)",
                line.number,
                "" if props.get("adopt") else " exactly as declared, left by an interrupted run",
                line_id,
            )
        return CreateResult(line_id, _outputs(lines, props["portal"], line))

    @reported
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        portal = props["portal"]
        lines = portals.lines_for(portal)
        found = lines.find(props["number"])
        if found is None:
            return ReadResult("", {})  # gone from the portal: refresh drops it from state
        managed = found.crm_auto_create is not None
        if not managed:  # the portal keeps no flag: what state holds stands
            found = _recorded_flag(found, props)
        outs = outputs(portal, found, _identity(lines, props), managed=managed)
        if outs == {key: value for key, value in props.items() if key != "__provider"}:
            # Undrifted: the state keeps its inputs (`adopt` is not an output), so a refresh
            # shows no diff. Drifted: record what the portal holds; the next diff starts there.
            return ReadResult(id_, outs)
        inputs = {key: value for key, value in outs.items() if key not in ("member_id", UNMANAGED)}
        return ReadResult(id_, outs, inputs)

    @reported
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changed = {key: news[key] for key in _updating(olds) if olds.get(key) != news.get(key)}
        lines = portals.lines_for(news["portal"])
        managed = UNMANAGED not in olds and _flag_kept(lines)
        if not changed:  # a portal's new address alone needs no line call: the line is there
            # The move's check has just learnt the member_id if the state had none: keep it.
            held = as_line(olds)
            return UpdateResult(
                outputs(news["portal"], held, _identity(lines, olds), managed=managed)
            )
        crm = changed.get("crm_auto_create") if managed else None
        # NAME goes with every update, as older portals write it even when absent; unchanged,
        # it is the name the portal holds (the run's one `get`), so a rename by hand stands.
        name = news["name"] if "name" in changed else _held(lines, olds).name
        try:
            lines.update(news["number"], name=name, crm_auto_create=crm)
        except LineNotFound as err:
            raise with_fix(
                err,
                f"line {news['number']} was deleted outside Pulumi; run `pulumi up --refresh` "
                "to drop it from state and add it again",
            ) from err
        # What the portal holds now: the fields sent, the rest as last listed; the declared
        # flag where the portal keeps none.
        held = _held(lines, news)
        managed = managed and _flag_kept(lines)  # the find may have listed
        if held.crm_auto_create is None or not managed:
            held = _recorded_flag(held, news)
        return UpdateResult(outputs(news["portal"], held, _identity(lines, olds), managed=managed))

    @reported
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        portals.lines_for(props["portal"]).delete(props["number"])


class ExternalLine(Resource, module="bitrix24", name="ExternalLine"):
    """One external line of a Bitrix24 portal; its ID is the ID `add` returned."""

    portal: pulumi.Output[str]
    number: pulumi.Output[str]
    name: pulumi.Output[str]
    crm_auto_create: pulumi.Output[bool]
    member_id: pulumi.Output[str]  # the portal's identity, "" when the credentials cannot tell

    def __init__(
        self,
        resource_name: str,
        *,
        portal: str,
        number: str,
        name: str | None = None,
        crm_auto_create: bool = True,
        adopt: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "portal": portal,
            "number": number,
            "name": name,
            "crm_auto_create": crm_auto_create,
            "adopt": adopt,
            "member_id": None,  # an output only
        }
        super().__init__(ExternalLineProvider(), resource_name, props, opts)


CHECKS = {
    "portal": rules.portal,
    "number": rules.number,
    "name": rules.name,
    "crm_auto_create": rules.crm_auto_create,
    "adopt": rules.adopt,
}


def normalise(news: dict[str, Any]) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Inputs as the portal will hold them, or a failure per property with its fix.

    A value computed from another resource is unknown during preview: it is checked
    when known, at `up`, rather than refused now.
    """
    inputs = dict(news)
    failures: list[CheckFailure] = []
    for key, rule in CHECKS.items():
        value = inputs.get(key)
        if isinstance(value, Unknown):
            continue
        if value is None and key in rules.DEFAULTS:
            value = rules.DEFAULTS[key]
        if value is None and key == "name":
            if "number" in {f.property for f in failures} or isinstance(inputs["number"], Unknown):
                continue  # nothing to derive a name from yet
            value = rules.default_name(inputs["number"])  # never nameless: see rules.name
        try:
            inputs[key] = rule(value)
        except InputError as err:
            failures.append(CheckFailure(key, f"{err.reason}. Fix: {err.fix}"))
    return inputs, failures


def _not_ours(line: Line, held: Line | None) -> str:
    """Why an existing line is not simply adopted, and how to take it over."""
    found = "" if held is None else f" as {_shown(held)}, not {_shown(line)}"
    return (
        f"line {line.number} exists on the portal{found}: made by hand, by "
        "telephony.externalCall.register, or by an interrupted run of another version of the "
        "stack file; to manage it here, set `adopt: true` on the line (or for the whole "
        "portal) in the stack file and run again: it will be updated to the declared values"
    )


def _shown(line: Line) -> str:
    return f"{line.name!r} with CRM_AUTO_CREATE {'Y' if line.crm_auto_create else 'N'}"


def with_fix(err: LineError, fix: str) -> LineError:
    """The same error, with what to do about it in this resource's terms."""
    return type(err)(err.method, err.status, err.code, err.description, number=err.number, fix=fix)


def as_line(props: dict[str, Any]) -> Line:
    return Line(props["number"], props["name"], bool(props["crm_auto_create"]))


def _recorded_flag(line: Line, props: dict[str, Any]) -> Line:
    """`line` with the flag of `props`: what a portal that keeps no flag is recorded with."""
    return dataclasses.replace(line, crm_auto_create=bool(props["crm_auto_create"]))


def _identity(lines: LinesApi, props: dict[str, Any]) -> str:
    """The portal's member_id as this run knows it, else the one state already holds: kept
    when the credentials of this run cannot tell."""
    return lines.identity() or str(props.get("member_id") or "")


def outputs(portal: str, line: Line, member_id: str, *, managed: bool = True) -> dict[str, Any]:
    """Everything delete, read and a later diff need: they receive outputs, not inputs.
    `managed` False marks a line of a portal that does not keep CRM_AUTO_CREATE."""
    outs = {
        "portal": portal,
        "number": line.number,
        "name": line.name,
        "crm_auto_create": line.crm_auto_create,
        "member_id": member_id,
    }
    return outs if managed else {**outs, UNMANAGED: False}


def _flag_kept(lines: LinesApi) -> bool:
    """Whether the portal keeps CRM_AUTO_CREATE; until a `get` has listed a line, assume so,
    as every current portal does."""
    return lines.crm_manageable() is not False


def _outputs(lines: LinesApi, portal: str, line: Line) -> dict[str, Any]:
    """A created line's outputs, marked when this portal's `get` has shown it keeps no flag."""
    managed = _flag_kept(lines)
    return outputs(portal, line, lines.identity(), managed=managed)


def _held(lines: LinesApi, props: dict[str, Any]) -> Line:
    """The line as the portal lists it, else as state last recorded it."""
    return lines.find(props["number"]) or as_line(props)


def _updating(olds: dict[str, Any]) -> tuple[str, ...]:
    """The fields an update can change: not the flag where the portal does not keep it."""
    return ("name",) if olds.get(UNMANAGED) is False else UPDATING


def flagless_warning(portal: str) -> str:
    """What a run says, once, about a portal that does not keep CRM_AUTO_CREATE."""
    return (
        f"{portal} does not keep CRM_AUTO_CREATE (its telephony module is older than"
        " voximplant 23.0.0: its lines list no flag, and add and update ignore it), so the"
        " stack file's crm_auto_create is recorded but not applied there, and changing it"
        " shows no change. Fix: none needed; to manage the flag, update the portal's"
        " modules, then run pulumi up --refresh"
    )
