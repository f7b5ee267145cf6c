"""The sandbox's own HTTP API under /_sandbox/: not Bitrix24, for demos and subprocess tests.

Each route calls the Python API of `Sandbox` (portal.py), so both stay the same.
JSON in, JSON out; unknown things answer 404, bad input 400, with a readable message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from .faults import FaultRates
from .settings import DEFAULT_SCOPES, Settings

if TYPE_CHECKING:
    from .portal import Sandbox

Handler = Callable[["Sandbox", dict[str, str], dict[str, Any]], object]


def _fields(
    body: dict[str, Any], allowed: tuple[str, ...], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The body's keys, refusing unknown or missing ones with the list of good ones."""
    unknown = sorted(set(body) - set(allowed))
    missing = [name for name in required if name not in body]
    if unknown or missing:
        raise ValueError(f"unknown fields {unknown}, missing {missing}; fields: {list(allowed)}")
    return body


def _configure(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    return sb.configure(**_fields(body, tuple(Settings().as_dict()))).as_dict()


def _set_faults(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    return sb.set_faults(**_fields(body, tuple(FaultRates().as_dict()))).as_dict()


def _add_app(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("client_id", "client_secret", "scopes"), ("client_id", "client_secret"))
    app_id = sb.add_app(
        fields["client_id"], fields["client_secret"], tuple(fields.get("scopes", DEFAULT_SCOPES))
    )
    return {"client_id": fields["client_id"], "id": app_id}


def _add_line(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("NUMBER", "NAME", "CRM_AUTO_CREATE"), ("NUMBER",))
    return {
        "ID": sb.seed_line(
            args["app"],
            fields["NUMBER"],
            fields.get("NAME", ""),
            fields.get("CRM_AUTO_CREATE", "Y"),
        )
    }


def _rename_line(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    sb.rename_line(args["app"], args["number"], _fields(body, ("NAME",), ("NAME",))["NAME"])
    return {"NUMBER": args["number"], "NAME": body["NAME"]}


def _register_call(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    return {"ID": sb.register_call(args["app"], _fields(body, ("NUMBER",), ("NUMBER",))["NUMBER"])}


def _bind_event(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("event", "handler"))
    sb.bind_event(args["app"], **fields)
    return sb.handlers(args["app"])


def _place_call(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("NUMBER", "DAYS_AGO", "DURATION", "PHONE"), ("NUMBER",))
    options = {
        name: fields[key]
        for key, name in (("DAYS_AGO", "days_ago"), ("DURATION", "duration"), ("PHONE", "phone"))
        if key in fields
    }
    return {"CALL_ID": sb.place_call(args["app"], fields["NUMBER"], **options)}


def _deny_statistics(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    denied = _fields(body, ("denied",)).get("denied", True)
    if not isinstance(denied, bool):
        raise ValueError("denied must be true or false")
    sb.deny_statistics(args["app"], denied)
    return {"denied": denied}


def _add_webhook(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("user_id", "code", "scopes"), ("user_id", "code"))
    sb.add_webhook(fields["user_id"], fields["code"], tuple(fields.get("scopes", DEFAULT_SCOPES)))
    return {"user_id": str(fields["user_id"]), "code": fields["code"]}


def _add_sip_line(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    fields = _fields(body, ("NUMBER", "NAME"), ("NUMBER",))
    return {"ID": sb.add_sip_line(fields["NUMBER"], fields.get("NAME", ""))}


def _move(sb: Sandbox, args: dict[str, str], body: dict[str, Any]) -> object:
    sb.move_to(_fields(body, ("url",), ("url",))["url"])
    return {"moved_to": sb.moved_to}


_APP = "/_sandbox/apps/(?P<app>[^/]+)"
_LINE = _APP + "/lines/(?P<number>[^/]+)"
ROUTES: list[tuple[str, str, Handler, str]] = [
    ("GET", "/_sandbox/settings", lambda sb, a, b: sb.settings.as_dict(), "the switches"),
    ("POST", "/_sandbox/settings", _configure, 'change switches, e.g. {"rate": 0}'),
    ("GET", "/_sandbox/faults", lambda sb, a, b: sb.faults.rates.as_dict(), "fault rates"),
    ("POST", "/_sandbox/faults", _set_faults, 'inject faults, e.g. {"error500": 0.1}'),
    ("GET", "/_sandbox/apps", lambda sb, a, b: {"apps": sb.apps()}, "the applications"),
    ("POST", "/_sandbox/apps", _add_app, "register one: client_id, client_secret, scopes"),
    ("DELETE", _APP, lambda sb, a, b: sb.remove_app(a["app"]), "uninstall, lines and all"),
    (
        "POST",
        _APP + "/tokens",
        lambda sb, a, b: sb.issue_tokens(a["app"]),
        "a first token pair, as an installation gives",
    ),
    (
        "POST",
        _APP + "/codes",
        lambda sb, a, b: {"code": sb.issue_auth_code(a["app"])},
        "an authorization code (valid 30 s)",
    ),
    (
        "POST",
        _APP + "/revoke",
        lambda sb, a, b: {"revoked": sb.revoke_refresh_tokens(a["app"])},
        "kill its refresh tokens",
    ),
    ("GET", _APP + "/lines", lambda sb, a, b: sb.lines(a["app"]), "its lines, with IDs"),
    ("POST", _APP + "/lines", _add_line, "a line made by hand: NUMBER, NAME, CRM_AUTO_CREATE"),
    ("PATCH", _LINE, _rename_line, "rename a line by hand: NAME"),
    (
        "DELETE",
        _LINE,
        lambda sb, a, b: sb.delete_line(a["app"], a["number"]),
        "delete a line by hand",
    ),
    ("POST", _APP + "/calls", _register_call, "externalCall.register: a nameless line"),
    (
        "POST",
        _APP + "/history",
        _place_call,
        "place a call, registered and finished: NUMBER, DAYS_AGO, DURATION, PHONE",
    ),
    ("GET", _APP + "/history", lambda sb, a, b: sb.calls(a["app"]), "its calls' history rows"),
    ("GET", "/_sandbox/history", lambda sb, a, b: sb.calls(), "every history row"),
    (
        "POST",
        _APP + "/deny-statistics",
        _deny_statistics,
        'its user loses "Call Statistics - View": {"denied": true|false}',
    ),
    ("GET", _APP + "/events", lambda sb, a, b: sb.handlers(a["app"]), "its event handlers"),
    ("POST", _APP + "/events", _bind_event, "bind one: event, handler (OnExternalCallStart)"),
    (
        "DELETE",
        _APP + "/events/(?P<event>[^/]+)",
        lambda sb, a, b: sb.unbind_event(a["app"], a["event"]),
        "unbind every handler of the event",
    ),
    (
        "POST",
        _APP + "/collect",
        lambda sb, a, b: {"deleted": sb.collect_unused_lines(a["app"])},
        "the 90-day clean-up agent",
    ),
    ("POST", "/_sandbox/webhooks", _add_webhook, "an incoming webhook: user_id, code"),
    ("POST", "/_sandbox/sip", _add_sip_line, "a SIP connector's number: NUMBER, NAME"),
    ("POST", "/_sandbox/move", _move, "rename the portal: 302 to url"),
    (
        "POST",
        "/_sandbox/expire-tokens",
        lambda sb, a, b: {"expired": sb.expire_access_tokens()},
        "every access token expires now",
    ),
    ("GET", "/_sandbox/log", lambda sb, a, b: sb.request_log(), "the request log"),
    ("DELETE", "/_sandbox/log", lambda sb, a, b: sb.clear_log(), "forget it"),
]
"""(HTTP verb, path pattern, handler, what it does for --help). A handler returning None
answers {"ok": true}."""

_COMPILED = [(verb, re.compile(pattern + "/?"), handler) for verb, pattern, handler, _ in ROUTES]


def handle_admin(sb: Sandbox, verb: str, path: str, body: bytes) -> tuple[int, object]:
    """(status, JSON reply) for one admin request."""
    routes = {v: (m, h) for v, p, h in _COMPILED if (m := p.fullmatch(path))}
    if not routes:
        return 404, {"error": "NOT_FOUND", "error_description": f"No admin endpoint {path}"}
    if verb not in routes:
        return 405, {
            "error": "METHOD_NOT_ALLOWED",
            "error_description": f"{path} takes {sorted(routes)}",
        }
    match, handler = routes[verb]
    try:
        payload = json.loads(body) if body.strip() else {}
        if not isinstance(payload, dict):
            raise ValueError("the body must be a JSON object")
        args = {name: unquote(value) for name, value in match.groupdict().items()}
        result = handler(sb, args, payload)
    except KeyError as err:
        return 404, {"error": "NOT_FOUND", "error_description": err.args[0]}
    except (ValueError, TypeError) as err:
        return 400, {"error": "BAD_REQUEST", "error_description": str(err)}
    return 200, {"ok": True} if result is None else result
