"""The stack file: from the text of stacks/<stack>.yaml to a checked PortalSpec.

`yamlsource` reads YAML events keeping every value as written and where it was;
`stackfile` checks them by the rules of provider.bitrix24.rules and reports every
error with file, line and column; `guard` is the mass-delete guard; `crossstack`
checks all stack files together; `stacktext` writes stack-file text (export).

May import provider.bitrix24 only: the stack file knows what a portal holds, never
how Pulumi or the commands use it.
"""
