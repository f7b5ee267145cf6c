"""`python -m sandbox`: run the sandbox portal until SIGINT or SIGTERM.

Prints one line, `Sandbox portal listening on http://HOST:PORT`, once it accepts
calls, so a script or a test can read the address (with --port 0) and go.
"""

from __future__ import annotations

import argparse
import re
import signal
import sqlite3
import sys
import threading

from .admin import ROUTES
from .faults import FaultRates
from .portal import Sandbox
from .references import REFERENCE_MODES
from .settings import BUSINESS_ERROR_CODES, DEFAULT_SCOPES, SYSTEM_ERRORS


def _app(text: str) -> tuple[str, str, tuple[str, ...]]:
    client_id, _, rest = text.partition(":")
    secret, _, scopes = rest.partition(":")
    if not client_id or not secret:
        raise argparse.ArgumentTypeError(f"expected CLIENT_ID:SECRET[:scope,scope], got {text!r}")
    return client_id, secret, tuple(scopes.split(",")) if scopes else DEFAULT_SCOPES


def _webhook(text: str) -> tuple[str, str, tuple[str, ...]]:
    user_id, _, rest = text.partition(":")
    code, _, scopes = rest.partition(":")
    if not user_id.isdigit() or not code:
        raise argparse.ArgumentTypeError(f"expected USER_ID:CODE[:scope,scope], got {text!r}")
    return user_id, code, tuple(scopes.split(",")) if scopes else DEFAULT_SCOPES


def _system_error(text: str) -> tuple[str, int]:
    code, _, status = text.partition(":")
    if code not in SYSTEM_ERRORS or (status and not status.isdigit()):
        raise argparse.ArgumentTypeError(
            f"expected CODE[:STATUS] with CODE one of {sorted(SYSTEM_ERRORS)}, got {text!r}"
        )
    return code, int(status or 0)


def _call(text: str) -> tuple[str, float]:
    number, at, days = text.rpartition("@") if "@" in text else (text, "", "0")
    try:
        days_ago = float(days)
    except ValueError:
        days_ago = -1.0
    if not number or days_ago < 0 or (at and not days):
        raise argparse.ArgumentTypeError(f"expected NUMBER[@DAYS_AGO], got {text!r}")
    return number, days_ago


def _rate(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"a fault rate is between 0 and 1, got {text}")
    return value


def _routes() -> str:
    """What the sandbox answers besides the REST methods, for --help."""
    pages = [
        ("POST", "/rest/<method>", "the REST API (token in the body's auth)"),
        ("GET", "/oauth/token/", "the OAuth server: refresh and authorization_code grants"),
        ("GET", "/oauth/authorize/?client_id=ID", "consent page: 302 to an address with a code"),
    ]
    pages += [
        (verb, re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", path), what)
        for verb, path, _, what in ROUTES
    ]
    text = "\n".join(f"  {verb:<6} {path:<38} {what}" for verb, path, what in pages)
    return f"pages and the admin API (JSON in, JSON out):\n{text}"


def build_parser() -> argparse.ArgumentParser:
    """The command line; every switch maps to a Sandbox or Settings argument."""
    parser = argparse.ArgumentParser(
        prog="python -m sandbox",
        description="A Bitrix24 portal and its OAuth server on loopback (plain http), "
        "for tests and demos. Admin API under /_sandbox/ (not part of Bitrix24).",
        epilog=_routes(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    net = parser.add_argument_group("listening and state")
    net.add_argument("--host", default="127.0.0.1", help="address to bind (default %(default)s)")
    net.add_argument("--port", type=int, default=0, help="port; 0 picks a free one (default)")
    net.add_argument(
        "--state",
        metavar="FILE",
        help="SQLite file keeping apps, tokens, lines "
        "and the next line ID across restarts (default: in memory)",
    )
    net.add_argument("--access-log", action="store_true", help="print each request to stderr")

    who = parser.add_argument_group("callers")
    who.add_argument(
        "--app",
        metavar="CLIENT_ID:SECRET[:SCOPES]",
        type=_app,
        action="append",
        default=[],
        help="register an application (repeatable; scopes comma-separated, default telephony)",
    )
    who.add_argument(
        "--webhook",
        metavar="USER_ID:CODE[:SCOPES]",
        type=_webhook,
        action="append",
        default=[],
        help="create an incoming webhook (repeatable)",
    )
    who.add_argument(
        "--sip-line",
        metavar="NUMBER[:NAME]",
        type=lambda text: tuple(text.partition(":")[::2]),
        action="append",
        default=[],
        help="connect a SIP PBX number, which a webhook's externalLine.get lists (repeatable)",
    )
    who.add_argument(
        "--webhooks",
        choices=("allow", "deny"),
        default="allow",
        help="admit webhook calls to the externalLine methods (server source) or "
        "refuse them with WRONG_AUTH_TYPE (docs); default %(default)s",
    )
    who.add_argument(
        "--token-lifetime",
        type=float,
        default=3600.0,
        metavar="SECONDS",
        help="access token lifetime (default %(default)s)",
    )
    who.add_argument(
        "--refresh-lifetime",
        type=float,
        default=180 * 86400.0,
        metavar="SECONDS",
        help="refresh token lifetime: 180 days as the REST docs say (default), 2419200 for"
        " the training course's 28",
    )
    who.add_argument(
        "--refresh-keeps-access",
        action="store_true",
        help="let a refresh leave the old access token alive (by default it dies)",
    )

    demo = parser.add_argument_group(
        "calls, handled by the first --app (as the PBX integration's application)"
    )
    demo.add_argument(
        "--bind-handler",
        metavar="URL",
        nargs="?",
        const="https://pbx.example/handler",
        help="bind its OnExternalCallStart handler (default URL %(const)s), as the"
        " integration's installer does; a new application has none",
    )
    demo.add_argument(
        "--call",
        metavar="NUMBER[@DAYS_AGO]",
        type=_call,
        action="append",
        default=[],
        help="place a finished 60-second call on its line NUMBER, started DAYS_AGO days ago"
        " (default 0), making the line nameless if it has none (repeatable; placed on every"
        " start, so a --state file gathers them)",
    )
    demo.add_argument(
        "--deny-statistics",
        action="store_true",
        help='its user lacks "Call Statistics - View": voximplant.statistic.get answers 403',
    )

    portal = parser.add_argument_group("portal behaviour")
    portal.add_argument(
        "--error-code",
        choices=BUSINESS_ERROR_CODES,
        default="",
        help="`error` of business errors: '' as the server source, or "
        "ERROR_CORE as the docs (default '')",
    )
    portal.add_argument(
        "--require-https",
        action="store_true",
        help='answer every /rest call 400 INVALID_REQUEST "Https required"',
    )
    portal.add_argument(
        "--system-error",
        metavar="CODE[:STATUS]",
        type=_system_error,
        help=f"answer every /rest call with this system error: {', '.join(sorted(SYSTEM_ERRORS))}",
    )
    portal.add_argument(
        "--db-error", action="store_true", help='make every externalLine.add fail with "DB error"'
    )
    portal.add_argument(
        "--legacy-lines",
        action="store_true",
        help="the line methods of voximplant before 23.0.0: no CRM_AUTO_CREATE, and an"
        " update without NAME empties it",
    )
    portal.add_argument(
        "--legacy-statistic",
        action="store_true",
        help="voximplant.statistic.get of older voximplant: no `total` when nothing matches",
    )
    portal.add_argument(
        "--error-time-block",
        action="store_true",
        help="give error replies the time block too, as the docs say (the server does not)",
    )
    portal.add_argument(
        "--batch-references",
        choices=sorted(REFERENCE_MODES),
        default="scalars",
        help="how a $result[...] reference inside a longer batch value is replaced, by rest"
        " module version: "
        + "; ".join(f"{mode}: {what}" for mode, what in REFERENCE_MODES.items())
        + " (default %(default)s)",
    )
    portal.add_argument("--move-to", metavar="URL", help="answer /rest calls with 302 to URL")

    limits = parser.add_argument_group("limits")
    limits.add_argument(
        "--rate",
        type=float,
        default=2.0,
        help="leaky bucket drain per second; 0 disables (default %(default)s)",
    )
    limits.add_argument(
        "--burst", type=int, default=50, help="requests the bucket holds (default %(default)s)"
    )
    limits.add_argument(
        "--time-budget",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="execution seconds per method per window; 0 disables (default)",
    )
    limits.add_argument(
        "--call-cost",
        type=float,
        metavar="SECONDS",
        help="virtual seconds each call charges (default: measured time)",
    )
    limits.add_argument(
        "--budget-window",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="time-budget window, counted in 10 buckets (default %(default)s)",
    )

    faults = parser.add_argument_group("fault injection (/rest only; rates 0..1, sum <= 1)")
    for kind, what in (
        ("error500", "500 INTERNAL_SERVER_ERROR"),
        ("limit503", "503 QUERY_LIMIT_EXCEEDED regardless of the bucket"),
        ("slow", "apply, then wait --slow-seconds before replying"),
        ("drop", "close the connection before applying the call"),
        ("commit-drop", "apply the call, then close the connection without reply"),
        ("html502", "502 with an HTML page, as an overloaded front end sends"),
        ("commit-garbled", "apply the call, then reply 200 with the JSON cut off halfway"),
    ):
        faults.add_argument(f"--{kind}", type=_rate, default=0.0, metavar="RATE", help=what)
    faults.add_argument("--slow-seconds", type=float, default=5.0, help="default %(default)s")
    faults.add_argument("--fault-seed", type=int, default=1, help="default %(default)s")
    return parser


def _sandbox(args: argparse.Namespace) -> Sandbox:
    system_error, system_status = args.system_error or ("", 0)
    return Sandbox(
        host=args.host,
        port=args.port,
        state_path=args.state,
        access_log=args.access_log,
        faults=FaultRates(
            error500=args.error500,
            limit503=args.limit503,
            slow=args.slow,
            slow_seconds=args.slow_seconds,
            drop=args.drop,
            commit_drop=args.commit_drop,
            html502=args.html502,
            commit_garbled=args.commit_garbled,
            seed=args.fault_seed,
        ),
        token_lifetime=args.token_lifetime,
        refresh_lifetime=args.refresh_lifetime,
        refresh_ends_access=not args.refresh_keeps_access,
        rate=args.rate,
        burst=args.burst,
        time_budget=args.time_budget,
        call_cost=args.call_cost,
        budget_window=args.budget_window,
        error_code=args.error_code,
        webhooks_allowed=args.webhooks == "allow",
        require_https=args.require_https,
        system_error=system_error,
        system_status=system_status,
        db_error=args.db_error,
        error_time_block=args.error_time_block,
        legacy_lines=args.legacy_lines,
        legacy_statistic=args.legacy_statistic,
        batch_references=args.batch_references,
    )


def _play_calls(sb: Sandbox, args: argparse.Namespace) -> None:
    """--bind-handler, --deny-statistics and --call, for the first --app."""
    if not (args.bind_handler or args.deny_statistics or args.call):
        return
    if not args.app:
        raise ValueError("--bind-handler, --deny-statistics and --call need an --app")
    client_id = args.app[0][0]
    if args.bind_handler:
        sb.bind_event(client_id, handler=args.bind_handler)
    if args.deny_statistics:
        sb.deny_statistics(client_id)
    for number, days_ago in args.call:
        sb.place_call(client_id, number, days_ago=days_ago)


def main(argv: list[str] | None = None) -> int:
    """Run until SIGINT or SIGTERM; exit status 0 then, 2 on bad switches."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        sb = _sandbox(args)
        for client_id, secret, scopes in args.app:
            sb.add_app(client_id, secret, scopes)
        for user_id, code, scopes in args.webhook:
            sb.add_webhook(user_id, code, scopes)
        for number, name in args.sip_line:
            sb.add_sip_line(number, name)
        _play_calls(sb, args)
    except sqlite3.Error as err:
        parser.error(f"--state {args.state}: {err}")
    except ValueError as err:
        parser.error(str(err))
    sb.move_to(args.move_to)
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    try:
        sb.start()
    except OSError as err:
        print(
            f"python -m sandbox: cannot listen on {args.host}:{args.port}: {err}",
            file=sys.stderr,
        )
        return 1
    print(f"Sandbox portal listening on {sb.url}", flush=True)
    stopping.wait()
    sb.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
