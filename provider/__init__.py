"""Bitrix24 external lines as Pulumi resources.

Imports nothing on purpose: `python -m provider.sandbox` must stay free of the
product's code, and the dynamic provider host should load only what it uses.
"""
