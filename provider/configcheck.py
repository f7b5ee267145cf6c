"""The stack's `bitrix24:*` config, checked by the program before it declares anything.

The program runs in `preview` as in `up`, before any call to a portal, so what is
wrong in config fails the pull request's preview, not the deploy:

- A credential set without `--secret` is refused. `pulumi config set
  bitrix24:clientSecret X --plaintext` (or a hand-edited file) writes X in clear
  into Pulumi.<stack>.yaml, which lives next to the code and is usually committed.
  Only the program can tell: the engine passes it the list of secret config keys,
  while the provider receives every value decrypted and cannot see which were secret.
- The tuning settings (timeout, deadline, rate) are checked as the provider will
  read them, config first, then the environment.
- Webhook mode cannot see this provider's lines, so an `up` in it stops here, with one
  message, rather than once per line in the provider (which refuses every call to the
  lines too). A plain preview goes on: it makes no call to the lines.
"""

from __future__ import annotations

import os

import pulumi.runtime

from provider.bitrix24.auth import uses_webhook, webhook_refused
from provider.bitrix24.errors import InputError
from provider.bitrix24.settings import SETTINGS, tuning_from

CREDENTIALS = ("client_secret", "refresh_token", "access_token", "webhook_url")


def stack_config() -> dict[str, str]:
    """The stack's `bitrix24:*` config as the program sees it (secrets decrypted)."""
    config = {key: pulumi.runtime.get_config(key) for key, _ in SETTINGS.values()}
    return {key: value for key, value in config.items() if value is not None}


def check_stack_config() -> None:
    """InputError for the first credential set in config in clear, or a bad tuning value;
    CredentialsError for an `up` in webhook mode."""
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
    given = stack_config()
    tuning_from(given, os.environ)
    if not pulumi.runtime.is_dry_run() and uses_webhook(given, os.environ):
        raise webhook_refused()
