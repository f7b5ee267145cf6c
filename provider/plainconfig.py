"""Credentials set in the stack's config without `--secret` are refused by the program.

`pulumi config set bitrix24:clientSecret X` (no `--secret`) writes X in clear into
Pulumi.<stack>.yaml, a file that lives next to the code and is usually committed.
Only the program can tell: the engine passes it the list of secret config keys,
while the provider receives every value already decrypted and cannot see which
ones were secret. So the program checks, before it declares anything and so
before any call to a portal, in `preview` as in `up`.
"""

from __future__ import annotations

import pulumi.runtime

from provider.errors import InputError
from provider.settings import SETTINGS

CREDENTIALS = ("client_secret", "refresh_token", "access_token", "webhook_url")


def refuse_plain_credentials() -> None:
    """InputError for the first credential set in config in clear, with the fix."""
    for name in CREDENTIALS:
        key, env = SETTINGS[name]
        if pulumi.runtime.get_config(key) is not None and not pulumi.runtime.is_config_secret(key):
            raise InputError(
                key,
                "is stored in clear in the stack's config file (set without --secret), where "
                "anyone who can read the repository can use it",
                f"pulumi config set --secret {key} (type the value on stdin; this replaces "
                f"the clear one), or remove it with pulumi config rm {key} and export {env}; "
                "if the file was ever committed, replace the credential too",
            )
