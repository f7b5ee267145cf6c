"""`python -m provider auth`: the first token pair, a credentials check, a rotated token.

Every failure is one line on stderr naming the fix (exit 1). Nothing here prints a
secret, except `--print-refresh-token`, whose whole job is to hand the newest
refresh token to a pipeline's secret store.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from provider import portals
from provider.bitrix24 import application
from provider.bitrix24 import auth as credentials
from provider.bitrix24.application import Application
from provider.bitrix24.auth import AuthInfo
from provider.bitrix24.errors import Bitrix24Error, CredentialsError, InputError
from provider.stack import stackfile

PORTAL_FIX = "pass --portal https://<your-portal>.bitrix24.com"


def run(args: argparse.Namespace) -> int:
    try:
        if args.stray is not None and not args.code:
            raise InputError(
                "command line",
                "has an argument without an option",
                "see python -m provider auth --help",
            )
        config = stack_config(args.stack) if args.stack else {}
        if args.print_refresh_token:
            print(credentials.newest_refresh_token(config, os.environ))
            return 0
        if args.code:
            info = credentials.authorise(config, os.environ, *read_code(args.stray))
        else:
            before = credentials.chain_refreshed_at(config, os.environ)
            info, app = check(args, config)
    except Bitrix24Error as err:
        print(f"auth: {err}", file=sys.stderr)
        return 1
    show(info)
    if not args.code and info.mode == "oauth":
        show_application(app, info.portal)
        chain_age(before, info.refreshed_at, time.time())
    if info.mode == "oauth" and "telephony" not in info.scope.split(","):
        print(
            "auth: the application lacks the telephony scope. Fix: add it to the local "
            "application, then authorise again",
            file=sys.stderr,
        )
        return 1
    return 0


def read_code(stray: str | None) -> tuple[str, str | None]:
    """The authorization code from stdin, or a prompt on a terminal; never from argv,
    where it would stay in the shell's history and the process list. A pasted address
    (`...?code=...&server_domain=...`) is taken apart: (code, the OAuth server it names)."""
    if stray is not None:
        raise InputError(
            "--code",
            "takes no value: a code on the command line stays in the shell history",
            "run `python -m provider auth --code` and paste the code (or the whole address"
            " the portal redirected to) when asked, or pipe it in",
        )
    if sys.stdin.isatty():
        text = getpass.getpass("Authorization code (or the address the portal redirected to): ")
    else:
        text = sys.stdin.readline()
    text, server_domain = text.strip(), None
    if "code=" in text:
        query = parse_qs(urlsplit(text).query or text)
        text, server_domain = query.get("code", [""])[0], query.get("server_domain", [None])[0]
    if not text:
        raise InputError(
            "code",
            "is empty",
            "open https://<portal>/oauth/authorize/?client_id=<client id>, copy the code from"
            " the address it redirects to, and paste it within 30 seconds",
        )
    return text, server_domain


def check(
    args: argparse.Namespace, config: Mapping[str, str]
) -> tuple[AuthInfo, Application | None]:
    """Ask the portal who we are (its `scope` method) and, for an application, which one
    (`app.info`, `event.get`), connecting as the provider would.

    The portal is --portal, else the stack file's, else the one the credentials name
    (after `auth --code`, before any stack file exists)."""
    portal = args.portal
    if portal is None and args.stack:
        path = stackfile.stack_path(args.stack, Path(), must_exist=False)
        portal = stackfile.load(path).portal if path.is_file() else None
    portal = portal or credentials.known_portal(config, os.environ)
    if portal is None:
        raise InputError("portal", "is unknown: the credentials do not name it", PORTAL_FIX)
    client = portals.client_for(portal, config, os.environ)
    info = client.check()
    return info, application.who(client) if info.mode == "oauth" else None


def stack_config(stack: str) -> dict[str, str]:
    """The stack's decrypted config, as the engine would hand it to the provider."""
    command = f"`pulumi config --stack {stack}`"
    fix = "run it in the project folder after `source scripts/env.sh`, with the passphrase set"
    try:
        result = subprocess.run(
            ["pulumi", "config", "--show-secrets", "--json", "--stack", stack],
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError:
        raise CredentialsError("`pulumi` is not on PATH", fix) from None
    if result.returncode != 0:
        raise CredentialsError(f"{command} failed: {result.stderr.strip()}", fix)
    try:
        return {k: str(v.get("value", "")) for k, v in json.loads(result.stdout).items()}
    except (ValueError, AttributeError):
        raise CredentialsError(f"{command} printed no config as JSON", fix) from None


CHAIN_WARN_DAYS = 21
"""Days after which a chain that has not moved gets a warning: Bitrix24's training course
gives a refresh token 28 days, the REST docs 180; the shorter is the one to survive."""


def show(info: AuthInfo) -> None:
    expires = (
        time.strftime("valid until %Y-%m-%d %H:%M UTC", time.gmtime(info.expires))
        if info.expires
        else "expiry unknown"
    )
    who = f"application {info.client_id}" if info.client_id else "incoming webhook"
    print(f"portal      {info.portal or 'unknown'}")
    print(f"credential  {info.mode}, {who}")
    print(f"scope       {info.scope or 'unknown'}")
    print(f"access      {expires}")


def show_application(app: Application | None, portal: str) -> None:
    """Which application the lines belong to, and whether calls reach them."""
    if app is None:
        return
    handles = {True: "handled", False: "NOT handled", None: "unknown (event.get refused)"}
    print(f"application ID {app.id}, code {app.code or 'unknown'}")
    print(f"calls       {application.EVENT} {handles[app.handles_calls]}")
    warning = app.no_handler_warning(portal)
    if warning:
        print(f"auth: warning: {warning}", file=sys.stderr)


def chain_age(before: float | None, after: float | None, now: float) -> None:
    """When the refresh token last moved before this check (which may have moved it), and a
    warning while there is time to act: the age a pipeline's chain had reached."""
    renewed = "; renewed by this check" if after is not None and after != before else ""
    if before is None:
        print(f"refreshed   no record in the token store{renewed}")
        return
    days = (now - before) / 86400
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(before))
    print(f"refreshed   {when} ({days:.0f} days ago){renewed}")
    if days > CHAIN_WARN_DAYS:
        state = "had gone" if renewed else "has gone"
        print(
            f"auth: warning: the refresh token {state} {days:.0f} days unused, and a portal"
            " may let it lapse after 28. Fix: schedule the drift job of the pipelines in ci/"
            " (any run whose access token has expired refreshes the chain)",
            file=sys.stderr,
        )
