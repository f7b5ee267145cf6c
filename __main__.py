"""Declares one ExternalLine per line of stacks/<stack>.yaml, and nothing else.

The stack file is checked whole before any resource is declared, so a bad file
fails `pulumi preview` with file:line:column and no call reaches the portal.
"""

from pathlib import Path

import pulumi

from provider.configcheck import check_stack_config
from provider.errors import InputError
from provider.resource import ExternalLine
from provider.stackfile import load, stack_path

try:
    check_stack_config()
    spec = load(stack_path(pulumi.get_stack(), Path(__file__).parent))
except InputError as err:
    raise pulumi.RunError(str(err)) from None

lines = {
    line.number: ExternalLine(
        line.number,  # the logical name: re-ordering the file changes nothing
        portal=spec.portal,
        number=line.number,
        name=line.name,
        crm_auto_create=line.crm_auto_create,
        adopt=line.adopt,
    )
    for line in spec.lines
}
pulumi.export("portal", spec.portal)
pulumi.export("line_ids", {number: line.id for number, line in lines.items()})
