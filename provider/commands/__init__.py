"""`python -m provider <verb>`: validate, auth, export, plan, changed.

Each verb is a thin shell over the layers below: it parses arguments, calls the
stack, plan, Pulumi or Bitrix24 layer, and prints. `cli` owns the argument parser.

The top layer: it may import every other, and nothing imports it but provider.__main__.
"""
