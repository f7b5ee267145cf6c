"""Declares one ExternalLine per line of stacks/<stack>.yaml, and nothing else.

The stack file is checked whole before any resource is declared, so a bad file
fails `pulumi preview` with file:line:column and no call reaches the portal.
Then the mass-delete guard compares it with what the last run left in state:
a run that would delete or replace too many lines stops here, before the engine
can change anything, in `preview` and in a bare `pulumi up --yes` alike. So does
the in-use guard, for lines to be deleted that still carry calls.
"""

import sys
from pathlib import Path

import pulumi

from provider import callcheck, failures, lifeline, resource
from provider.bitrix24.errors import Bitrix24Error
from provider.configcheck import check_stack_config
from provider.resource import ExternalLine
from provider.stack import guard, inuse
from provider.stack.stackfile import load, stack_path
from provider.stackstate import previous_state

# The program ends when the CLI does, even under a language host that outlives a killed CLI
# (Pulumi's own, by up to 5 minutes): the exec script's argv names the engine's address.
lifeline.watch(sys.orig_argv)
try:
    check_stack_config()
    spec = load(stack_path(pulumi.get_stack(), Path(__file__).parent))
    declared = {line.number: spec.portal for line in spec.lines}
    previous = previous_state()
    warning = guard.check(guard.changes(previous.lines, declared), spec.allow_deletes, spec.path)
    # The in-use guard asks the portal, so it comes after every check that asks nothing.
    said = callcheck.check(spec, previous.lines, dry_run=pulumi.runtime.is_dry_run())
except Bitrix24Error as err:
    failures.stop(err)  # one message; exit 32, which the language host shows as nothing more
if warning:
    pulumi.log.warn(warning)
for text in inuse.stale(spec.retire, previous.lines, spec.path):
    pulumi.log.warn(text)
for text in said:
    pulumi.log.info(text)
for portal in previous.flagless:
    pulumi.log.warn(resource.flagless_warning(portal))

declared_lines = [
    ExternalLine(
        line.number,  # the logical name: re-ordering the file changes nothing
        portal=spec.portal,
        number=line.number,
        name=line.name,
        crm_auto_create=line.crm_auto_create,
        adopt=line.adopt,
        opts=pulumi.ResourceOptions(protect=line.protect),
    )
    for line in spec.lines
]
# Three short outputs that never grow in `preview --diff`: the line IDs are in state
# (`pulumi stack --show-ids`), and the guard reads the lines from state, not from here.
pulumi.export("portal", spec.portal)
pulumi.export("member_id", declared_lines[0].member_id)  # the portal's identity
pulumi.export("lines", len(declared_lines))
