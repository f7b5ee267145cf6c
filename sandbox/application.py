"""The methods about the calling application itself: app.info and its event handlers.

From the rest module (`avshatalov48/bitrix-core-business`): `CRestProvider::appInfo` in
`modules/rest/classes/general/rest_provider.php`, and `Bitrix\\Rest\\Api\\Event` in
`modules/rest/lib/api/event.php`. Every application here is authorised by the portal's
administrator (user 1), so the rules for users without admin rights are not played.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .context import Context, Method, Webhooks
from .errors import ApiError
from .params import php_int, php_string

LICENSE = "en_pro100"
"""The portal's plan as app.info names it: its language, then the plan's code."""

EVENT_SCOPES = {
    "ONEXTERNALCALLSTART": "telephony",
    "ONEXTERNALCALLBACKSTART": "telephony",
    "ONVOXIMPLANTCALLINIT": "telephony",
    "ONVOXIMPLANTCALLSTART": "telephony",
    "ONVOXIMPLANTCALLEND": "telephony",
    "ONAPPINSTALL": None,
    "ONAPPUPDATE": None,
    "ONAPPUNINSTALL": None,
    "ONAPPTEST": None,
}
"""The events a handler can be bound to, upper-cased as the rest module keys them, with
the scope whose token may bind them (None: any token). voximplant's come from
CVoxImplantRestService::OnRestServiceBuildDescription (`classes/general/vi_rest.php`)."""


def _app_info(ctx: Context, params: dict[str, object]) -> object:
    app = ctx.caller.app
    if app is None:  # an incoming webhook: its scopes and the plan, nothing of an application
        return {"SCOPE": list(ctx.caller.scopes), "LICENSE": LICENSE}
    plan = LICENSE.partition("_")[2]
    return {
        "ID": app.id,
        "CODE": app.client_id,  # a local application's CODE is its client_id (AppTable)
        "VERSION": 1,
        "STATUS": "L",
        "INSTALLED": True,
        "PAYMENT_EXPIRED": "N",
        "DAYS": None,
        "LANGUAGE_ID": LICENSE.partition("_")[0],
        "LICENSE": LICENSE,
        "LICENSE_TYPE": plan,
        "LICENSE_FAMILY": plan.rstrip("0123456789"),
    }


def _upper_keys(params: dict[str, object]) -> dict[str, object]:
    """array_change_key_case($query, CASE_UPPER): the methods read their parameters so."""
    return {str(key).upper(): value for key, value in params.items()}


def _argument_missing(name: str) -> ApiError:
    """Bitrix\\Main\\ArgumentNullException as the REST server renders it."""
    return ApiError(400, "ERROR_ARGUMENT", f"Argument '{name}' is null or empty")


def _event_and_type(params: dict[str, object]) -> tuple[str, str]:
    """EVENT upper-cased, and EVENT_TYPE (online or offline; online when empty)."""
    event = php_string(params.get("EVENT")).upper()
    if not event:
        raise _argument_missing("EVENT")
    event_type = php_string(params.get("EVENT_TYPE")).lower() or "online"
    if event_type not in ("online", "offline"):
        raise ApiError(400, "ERROR_ARGUMENT", "Value must be one of {online|offline}")
    return event, event_type


def _check_handler(handler: str) -> None:
    """HandlerHelper::checkCallback: a host with a dot in it, over http or https."""
    parts = urlsplit(handler)
    host = parts.hostname or ""
    if host.find(".") <= 0:
        raise ApiError(400, "ERROR_WRONG_HANDLER_URL", "Wrong handler URL")
    if parts.scheme not in ("http", "https"):
        raise ApiError(400, "ERROR_UNSUPPORTED_PROTOCOL", "Unsupported handler protocol")


def _event_bind(ctx: Context, params: dict[str, object]) -> object:
    assert ctx.caller.app is not None  # Webhooks.NEVER keeps webhook calls out
    params = _upper_keys(params)
    event, event_type = _event_and_type(params)
    handler, user_id = php_string(params.get("HANDLER")), max(php_int(params.get("AUTH_TYPE")), 0)
    if event_type == "offline":  # kept for the application to fetch: no address, no user
        handler, user_id = "", 0
    elif not handler:
        raise _argument_missing("HANDLER")
    if handler:
        _check_handler(handler)
    scope = EVENT_SCOPES.get(event, "")
    if scope == "" or (scope and scope not in ctx.caller.scopes):
        raise ApiError(400, "ERROR_EVENT_NOT_FOUND", "Event not found")
    if not ctx.store.bind_event(ctx.caller.app.client_id, event, handler, user_id):
        raise ApiError(400, "ERROR_CORE", "Unable to set event handler: Handler already binded")
    return True


def _event_unbind(ctx: Context, params: dict[str, object]) -> object:
    assert ctx.caller.app is not None
    params = _upper_keys(params)
    event, event_type = _event_and_type(params)
    handler = php_string(params.get("HANDLER"))
    # An administrator removes every user's handler unless AUTH_TYPE names one.
    auth_type = params.get("AUTH_TYPE")
    user_id = None if auth_type is None else php_int(auth_type)
    if event_type == "offline":
        handler, user_id = "", None
    elif not handler:
        raise _argument_missing("HANDLER")
    count = ctx.store.unbind_events(ctx.caller.app.client_id, event, handler, user_id)
    return {"count": count}


def _event_get(ctx: Context, params: dict[str, object]) -> object:
    assert ctx.caller.app is not None
    return [
        {"event": h.event, "handler": h.handler, "auth_type": str(h.user_id), "offline": 0}
        if h.handler
        else {"event": h.event, "connector_id": "", "offline": 1}
        for h in ctx.store.handlers(ctx.caller.app.client_id)
    ]


APPLICATION_METHODS = (
    Method("app.info", _app_info, None, Webhooks.ALWAYS),
    Method("event.bind", _event_bind, None, Webhooks.NEVER),
    Method("event.unbind", _event_unbind, None, Webhooks.NEVER),
    Method("event.get", _event_get, None, Webhooks.NEVER),
)
"""Methods of the global scope: any application token may call them."""
