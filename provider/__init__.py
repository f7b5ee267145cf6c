"""Bitrix24 external lines as Pulumi resources.

The modules at this top level are the Pulumi layer: the dynamic provider
(`resource`, kept at this import path because every line's state holds a pickle
of `resource.ExternalLineProvider` by reference), its per-process connections
(`portals`, `moves`, `lifeline`, `failures`) and the program's reads of the engine
(`stackstate`, `configcheck`). The layers below and beside it:

    commands/    python -m provider <verb>              may import every layer
    (top level)  the Pulumi layer                       may import bitrix24
    stack/       the stack file, text to checked spec   may import bitrix24
    plan/        preview JSON to a review comment       imports nothing of ours
    bitrix24/    the REST client and the lines API      imports nothing of ours

The Pulumi layer, stack/ and plan/ do not import each other. `.importlinter`
states these contracts and tests/test_layers.py enforces them.

Imports nothing on purpose, so the dynamic provider host loads only what it uses.
"""
