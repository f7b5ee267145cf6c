"""telephony.externalCall.register and .finish: what a PBX integration does for every call.

From voximplant (`avshatalov48/bitrix24-core-corp`): the REST wrappers in
`classes/general/vi_rest.php` (registerExternalCall, finishExternalCall) and the work in
`lib/rest/helper.php` (Rest\\Helper::registerExternalCall, ::finishExternalCall):

- register looks the line up by the *calling* application and LINE_NUMBER, and adds it
  (number only: nameless, CRM_AUTO_CREATE Y) when that application has none; a line with
  that number in another application's set is never used;
- finish writes the call history's row: PORTAL_NUMBER the line's number, REST_APP_ID the
  registering application's ID, CALL_START_DATE the registered start.

The sandbox keeps no user directory and no CRM: every positive USER_ID is an active
user, and no CRM object is found or made. `Sandbox.place_call` and `register_call` run the
same functions as the REST methods.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from .context import Context, Method, Webhooks, business_error
from .dates import instant
from .errors import ApiError
from .params import php_int, php_string
from .store import NUMBER_MAX, App, LineExists, OpenCall, Store

CALL_TYPES = ("1", "2", "3", "4", "5")
"""CVoxImplantMain::getCallTypes: outgoing, incoming, incoming redirected, callback, info."""
DUPLICATE_WINDOW = 30 * 60.0
"""A register repeated within 30 minutes of the first call's start answers with its
CALL_ID instead of a new call (the docs' "Features of Re-registration")."""
REST_APP_MODE = "REST_APP"
"""CVoxImplantConfig::MODE_REST_APP: PORTAL_NUMBER is REST_APP:<application ID> for a call
registered without LINE_NUMBER."""


class CallRefused(ValueError):
    """The server refuses the call; its text is the REST error's description."""


@dataclass(frozen=True)
class Registration:
    """What a register call asks for, read and checked."""

    user_id: int
    phone_number: str
    call_type: str
    start: float
    line_number: str
    """The LINE_NUMBER as sent ("" for none); the line is looked up by it trimmed."""
    external_call_id: str | None = None
    crm_entity_type: str | None = None
    crm_entity_id: int | None = None


def _strip_letters(number: str) -> str:
    """CVoxImplantPhone::stripLetters: digits and # * + , ; only."""
    return "".join(c for c in number if c.isascii() and (c.isdigit() or c in "#*+,;"))


def line_for_call(store: Store, pool: str, number: str) -> int:
    """The ID of the pool's line with this number, added nameless with CRM_AUTO_CREATE Y
    when the pool has none (the look-up comes first, then the add)."""
    line = store.line(pool, number)
    if line is None:
        try:
            return store.add_line(pool, number, "", "Y")
        except LineExists:  # registered by a concurrent call since the look-up
            line = store.line(pool, number)
    assert line is not None
    return line.id


def _answer(call: OpenCall, crm_type: object) -> dict[str, object]:
    """register's reply; a new call casts an absent CRM type to "", a repeated one not."""
    return {
        "CALL_ID": call.call_id,
        "CRM_CREATED_LEAD": None,
        "CRM_CREATED_ENTITIES": [],
        "CRM_ENTITY_TYPE": crm_type,
        "CRM_ENTITY_ID": call.crm_entity_id or None,
    }


def register(
    store: Store, pool: str, app: App | None, reg: Registration, now: float
) -> dict[str, object]:
    """Rest\\Helper::registerExternalCall for the caller whose lines are `pool`."""
    phone = _strip_letters(reg.phone_number)
    if not phone:
        raise CallRefused("Unsupported phone number format")
    if reg.user_id <= 0:
        raise CallRefused("User is not found or is not active")
    line_id = None
    number = reg.line_number.strip()[:NUMBER_MAX]
    if number:
        line_id = line_for_call(store, pool, number)
    app_id = app.id if app else None
    call = OpenCall(
        call_id=f"externalCall.{secrets.token_hex(16)}.{int(now)}",
        external_call_id=reg.external_call_id,
        user_id=reg.user_id,
        incoming=reg.call_type,
        caller_id=phone,
        date_create=reg.start,
        rest_app_id=app_id,
        external_line_id=line_id,
        portal_number=number or f"{REST_APP_MODE}:{app_id if app_id is not None else ''}",
        crm_entity_type=reg.crm_entity_type if reg.crm_entity_id is not None else None,
        crm_entity_id=reg.crm_entity_id if reg.crm_entity_type is not None else None,
    )
    earlier = store.recent_call(call, now - DUPLICATE_WINDOW)
    if earlier is not None:
        return _answer(earlier, earlier.crm_entity_type)
    store.add_call(call)
    return _answer(call, call.crm_entity_type or "")


def _php_number(value: float) -> float | int:
    """A PHP float as json_encode writes it: 0.0 as 0."""
    return int(value) if value.is_integer() else value


def finish(
    store: Store,
    call_id: str,
    user_id: int,
    duration: int,
    *,
    status_code: str = "",
    cost: float = 0.0,
    currency: str = "",
    failed_reason: str = "",
    vote: int = 0,
) -> dict[str, object]:
    """Rest\\Helper::finishExternalCall: the history's row is written and the call ends.

    Returns the reply: the row as written, its CALL_START_DATE an empty object (the
    server's date object, which JSON renders so), and its new ID.
    """
    call = store.call(call_id)
    if call is None:  # the server's text lacks its closing parenthesis
        raise CallRefused("Call is not found (call should be registered prior to finishing")
    if user_id <= 0:
        raise CallRefused("User is not found or is not active")
    app = store.app_by_id(call.rest_app_id) if call.rest_app_id is not None else None
    row: dict[str, object] = {
        "CALL_ID": call.call_id,
        "EXTERNAL_CALL_ID": call.external_call_id,
        "PORTAL_USER_ID": user_id,
        "PHONE_NUMBER": call.caller_id,
        "PORTAL_NUMBER": call.portal_number,
        "INCOMING": call.incoming,
        "CALL_DURATION": duration,
        "CALL_START_DATE": call.date_create,
        "CALL_STATUS": 1 if duration > 0 else 0,
        "CALL_VOTE": vote,
        "COST": cost,
        "COST_CURRENCY": currency,
        "CALL_FAILED_CODE": status_code or ("200" if duration > 0 else "304"),
        "CALL_FAILED_REASON": failed_reason,
        "REST_APP_ID": call.rest_app_id,
        # getRestAppName: the application's menu name; a sandbox application has only
        # its client id to go by.
        "REST_APP_NAME": app.client_id if app else None,
        "CRM_ACTIVITY_ID": None,
        "COMMENT": None,
    }
    if call.crm_entity_type and call.crm_entity_id:
        row |= {"CRM_ENTITY_TYPE": call.crm_entity_type, "CRM_ENTITY_ID": call.crm_entity_id}
    row_id = store.add_statistic(row | {"CALL_CATEGORY": "external", "TRANSCRIPT_PENDING": "N"})
    store.delete_call(call.call_id)
    rest_app_id = call.rest_app_id
    return row | {
        "CALL_START_DATE": {},
        "COST": _php_number(cost),
        "REST_APP_ID": None if rest_app_id is None else str(rest_app_id),
        "ID": row_id,
    }


def _user_id(params: dict[str, object]) -> int:
    """USER_ID, or the user whose inner number USER_PHONE_INNER is: the sandbox's users
    have none, so USER_ID it is."""
    user_id = php_int(params.get("USER_ID"))
    if user_id == 0:
        raise CallRefused("USER_ID or USER_PHONE_INNER should be set")
    return user_id


def _call_type(value: object) -> str:
    """TYPE, compared loosely with the call types as PHP's in_array does: 2 and "2" alike."""
    text = php_string(value).strip()
    if isinstance(value, float) and value.is_integer():
        text = str(int(value))
    if text not in CALL_TYPES:
        raise CallRefused("Unknown TYPE")
    return text


def _optional_text(value: object) -> str | None:
    return None if value is None else php_string(value)


def _register(ctx: Context, params: dict[str, object]) -> object:
    now = time.time()
    try:
        user_id = _user_id(params)
        call_type = _call_type(params.get("TYPE"))
        start = now
        sent = params.get("CALL_START_DATE")
        if sent is not None and sent != "":
            parsed = instant(sent)
            if parsed is None:
                raise CallRefused("CALL_START_DATE should be in the ISO-8601 format")
            start = parsed
        crm_id = params.get("CRM_ENTITY_ID")
        registration = Registration(
            user_id=user_id,
            phone_number=php_string(params.get("PHONE_NUMBER")),
            call_type=call_type,
            start=start,
            line_number=php_string(params.get("LINE_NUMBER")),
            external_call_id=_optional_text(params.get("EXTERNAL_CALL_ID")),
            crm_entity_type=_optional_text(params.get("CRM_ENTITY_TYPE")),
            crm_entity_id=None if crm_id is None else php_int(crm_id),
        )
        return register(ctx.store, ctx.caller.pool, ctx.caller.app, registration, now)
    except CallRefused as err:
        raise business_error(ctx, str(err)) from err


def _finish(ctx: Context, params: dict[str, object]) -> object:
    try:
        user_id = _user_id(params)
        call_id = params.get("CALL_ID")
        if not isinstance(call_id, str):
            raise ApiError(400, "INVALID_ARGUMENT", "CALL_ID must be a string")
        return finish(
            ctx.store,
            call_id,
            user_id,
            php_int(params.get("DURATION")),
            status_code=php_string(params.get("STATUS_CODE")),
            cost=_float(params.get("COST")),
            currency=php_string(params.get("COST_CURRENCY")),
            failed_reason=php_string(params.get("FAILED_REASON")),
            vote=php_int(params.get("VOTE")),
        )
    except CallRefused as err:
        raise business_error(ctx, str(err)) from err


def _float(value: object) -> float:
    """PHP's (double) of a parameter, for COST: a number, or 0 when it is not one."""
    try:
        return float(php_string(value) or 0)
    except ValueError:
        return 0.0


CALL_METHODS = (
    Method("telephony.externalCall.register", _register, "telephony", Webhooks.SWITCH),
    Method("telephony.externalCall.finish", _finish, "telephony", Webhooks.SWITCH),
)
"""Both admit an application's token and an incoming webhook (the server checks for one
of the two); the docs say an application's only, as for the line methods."""
