"""The ExternalLine resource and its dynamic provider: Pulumi semantics only.

What the portal can and cannot do decides the shape of the diff:
- NUMBER is the line's key and cannot be updated, so a new number (or a new
  portal) is a replacement. A new number is added before the old one is deleted
  (they never clash); a new portal address deletes first, since it may be the
  same portal renamed, and one application cannot hold a NUMBER twice.
- NAME and CRM_AUTO_CREATE update in place, sending only what changed.
- `adopt` only matters when the line is created: changing it changes nothing.

Pulumi pickles the provider into every resource's `__provider` input. Keeping
the class here, in an importable module, makes dill pickle it by reference:
a few dozen bytes, identical for every line, holding no secret, and new code
applies to old state. Do not rename this module or the class once state exists.
Credentials are read in `configure`, in the provider process, and kept in
`provider.portals`, never on the instance.
"""

from __future__ import annotations

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

from provider import portals, rules
from provider.errors import InputError, LineError, LineExists, LineNotFound
from provider.lines import Line

REPLACING = ("portal", "number")  # what the portal cannot change in place
UPDATING = ("name", "crm_auto_create")


class ExternalLineProvider(ResourceProvider):
    """Maps Pulumi's create/read/update/delete onto telephony.externalLine.*."""

    serialize_as_secret_always = False  # the pickle is a class reference: nothing to hide

    def configure(self, req: ConfigureRequest) -> None:
        portals.configure(req.config)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs, failures = normalise(news)
        return CheckResult(inputs, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACING if olds.get(key) != news.get(key)]
        updates = [key for key in UPDATING if olds.get(key) != news.get(key)]
        return DiffResult(
            changes=bool(replaces or updates),
            replaces=replaces,
            # A new number never clashes with the old one, so the new line is added first
            # and calls are not lost in between. A new portal address may be the same
            # portal renamed, whose application cannot hold the NUMBER twice.
            delete_before_replace="portal" in replaces,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        line = as_line(props)
        lines = portals.lines_for(props["portal"])
        if props.get("adopt") and lines.find(line.number) is not None:
            # Taking over (an exported file): the run's one cached `get` shows the line is
            # there, so update it to the declared values and take its ID; `add` would fail.
            return CreateResult(lines.adopt(line), outputs(props["portal"], line))
        try:
            line_id = lines.add(line)
        except LineExists as err:
            if not props.get("adopt"):
                raise with_fix(
                    err,
                    f"line {line.number} was made outside this stack (by hand, or by "
                    "telephony.externalCall.register); to manage it here, set `adopt: true` on "
                    "the line (or for the whole portal) in the stack file and run again: it "
                    "will be updated to the declared values",
                ) from err
            line_id = lines.adopt(line)
        return CreateResult(line_id, outputs(props["portal"], line))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        portal = props["portal"]
        found = portals.lines_for(portal).find(props["number"])
        if found is None:
            return ReadResult("", {})  # gone from the portal: refresh drops it from state
        outs = outputs(portal, found)
        return ReadResult(id_, outs, dict(outs))  # inputs too: the next diff starts from them

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        changed = {key: news[key] for key in UPDATING if olds.get(key) != news.get(key)}
        lines = portals.lines_for(news["portal"])
        try:
            lines.update(news["number"], **changed)
        except LineNotFound as err:
            raise with_fix(
                err,
                f"line {news['number']} was deleted outside Pulumi; run `pulumi up --refresh` "
                "to drop it from state and add it again",
            ) from err
        return UpdateResult(outputs(news["portal"], as_line(news)))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        portals.lines_for(props["portal"]).delete(props["number"])


class ExternalLine(Resource, module="bitrix24", name="ExternalLine"):
    """One external line of a Bitrix24 portal; its ID is the ID `add` returned."""

    portal: pulumi.Output[str]
    number: pulumi.Output[str]
    name: pulumi.Output[str]
    crm_auto_create: pulumi.Output[bool]

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


def with_fix(err: LineError, fix: str) -> LineError:
    """The same error, with what to do about it in this resource's terms."""
    return type(err)(err.method, err.status, err.code, err.description, number=err.number, fix=fix)


def as_line(props: dict[str, Any]) -> Line:
    return Line(props["number"], props["name"], bool(props["crm_auto_create"]))


def outputs(portal: str, line: Line) -> dict[str, Any]:
    """Everything delete and read need later: they receive outputs, not inputs."""
    return {
        "portal": portal,
        "number": line.number,
        "name": line.name,
        "crm_auto_create": line.crm_auto_create,
    }
