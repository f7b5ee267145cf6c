"""The line methods, the registry of every REST method the portal knows (the others live
in application.py, externalcalls.py and statistic.py), and the checks every call passes.

`invoke` is the one way into a method, for a plain call and for each batch command
alike: webhook policy, scope and time budget are checked here, in the portal's order.
"""

from __future__ import annotations

import time

from .application import APPLICATION_METHODS
from .context import Caller, Context, Method, Page, Webhooks, business_error
from .errors import ApiError, wrong_auth_type
from .externalcalls import CALL_METHODS
from .params import php_string, php_trim
from .settings import Settings
from .statistic import STATISTIC_METHODS
from .store import NAME_MAX, NUMBER_MAX, LineExists


def _number(ctx: Context, params: dict[str, object]) -> str:
    number = php_trim(params.get("NUMBER"))
    if not number:
        raise business_error(ctx, "NUMBER should not be empty")
    return number


def _crm_flag(value: object) -> str:
    return "Y" if value == "Y" else "N"


def _line_add(ctx: Context, params: dict[str, object]) -> object:
    number = _number(ctx, params)
    name = php_string(params.get("NAME"))
    crm = None if ctx.settings.legacy_lines else params.get("CRM_AUTO_CREATE")
    # Rest\Helper::addExternalLine does not look first: the table's unique key refuses a
    # taken number (MySQL error 1062 becomes "Line already exists"), so where that key
    # does not hold, for a webhook's lines, a second add of a number makes a second line;
    # a value too long for its column fails the insert first ("DB error").
    if ctx.settings.db_error or len(number) > NUMBER_MAX or len(name) > NAME_MAX:
        raise business_error(ctx, "DB error")
    try:
        line_id = ctx.store.add_line(
            ctx.caller.pool, number, name, "Y" if crm is None else _crm_flag(crm)
        )
    except LineExists as err:
        raise business_error(ctx, "Line already exists") from err
    return {"ID": line_id}


def _sql_failure(ctx: Context) -> None:
    r"""Rest\Helper's update and delete do not catch the database's exception (its add
    does), so it reaches the REST server, which answers 500 ERROR_CORE."""
    if ctx.settings.sql_error:
        raise ApiError(500, "ERROR_CORE", "SQL query error!")


def _line_update(ctx: Context, params: dict[str, object]) -> object:
    if ctx.settings.legacy_lines:
        return _legacy_update(ctx, params)
    # The fields first, then the number: CVoxImplantRestService::updateExternalLine refuses
    # an update with no field before Rest\Helper::updateExternalLine looks at NUMBER.
    name, crm = params.get("NAME"), params.get("CRM_AUTO_CREATE")
    if name is None and crm is None:
        raise business_error(ctx, "There are no fields to update")
    number = _held_number(ctx, params)
    name = None if name is None else php_string(name)
    if name is not None and len(name) > NAME_MAX:
        raise business_error(ctx, "DB error")
    return _updated(ctx, number, name, None if crm is None else _crm_flag(crm))


def _legacy_update(ctx: Context, params: dict[str, object]) -> object:
    """voximplant before 23.0.0 (`avshatalov48/bitrix24-core-corp`, an older
    `lib/rest/helper.php`): `updateExternalLine($number, $name, ...)` writes
    `['NAME' => $name]` whatever was sent, so a missing NAME becomes empty, and the flag is
    not a parameter at all."""
    number = _held_number(ctx, params)
    return _updated(ctx, number, php_string(params.get("NAME")), None)


def _held_number(ctx: Context, params: dict[str, object]) -> str:
    """The NUMBER of an update, refused unless the caller holds a line with it."""
    number = _number(ctx, params)
    if not ctx.store.line(ctx.caller.pool, number):
        raise _not_found(ctx, number)
    return number


def _updated(ctx: Context, number: str, name: str | None, crm: str | None) -> object:
    """Write the given fields (None: leave as is) and answer with the line's ID as text."""
    _sql_failure(ctx)
    line_id = ctx.store.update_line(ctx.caller.pool, number, name, crm)
    if line_id is None:  # deleted between the check and the update
        raise _not_found(ctx, number)
    return {"ID": str(line_id)}


def _not_found(ctx: Context, number: str) -> ApiError:
    return business_error(ctx, f"Could not find line with number {number}")


def _line_get(ctx: Context, params: dict[str, object]) -> object:
    legacy = ctx.settings.legacy_lines  # older portals list NUMBER and NAME only
    return [
        {"NUMBER": line.number, "NAME": line.name}
        if legacy
        else {"NUMBER": line.number, "NAME": line.name, "CRM_AUTO_CREATE": line.crm_auto_create}
        for line in ctx.store.lines(ctx.caller.pool)
    ]


def _line_delete(ctx: Context, params: dict[str, object]) -> object:
    number = _number(ctx, params)
    if ctx.store.line(ctx.caller.pool, number):
        _sql_failure(ctx)
    if not ctx.store.delete_line(ctx.caller.pool, number):
        raise _not_found(ctx, number)
    return []


def _scope(ctx: Context, params: dict[str, object]) -> object:
    return list(ctx.caller.scopes)


METHODS = {
    method.name.lower(): method
    for method in (
        Method("telephony.externalLine.add", _line_add, "telephony", Webhooks.SWITCH),
        Method("telephony.externalLine.update", _line_update, "telephony", Webhooks.SWITCH),
        Method("telephony.externalLine.get", _line_get, "telephony", Webhooks.SWITCH),
        Method("telephony.externalLine.delete", _line_delete, "telephony", Webhooks.SWITCH),
        Method("scope", _scope, None, Webhooks.ALWAYS),
        *APPLICATION_METHODS,
        *CALL_METHODS,
        *STATISTIC_METHODS,
    )
}
"""Known methods by lower-cased name: Bitrix24 matches method names case-insensitively."""


def canonical_name(name: str) -> str:
    """The method's documented spelling when known, for the request log."""
    method = METHODS.get(name.lower())
    return method.name if method else name


def budget_key(settings: Settings, caller: Caller, method: str) -> tuple[str, str]:
    """Whose time budget a call of `method` spends: the caller's, or the portal's."""
    return ("portal" if settings.shared_time_budget else caller.pool, method)


def invoke(ctx: Context, name: str, params: dict[str, object]) -> dict[str, object]:
    """Run one method call after the portal's checks; charge its time to its budget.

    Returns the reply's parts: `result`, plus `next` and `total` for a list method.
    """
    method = METHODS.get(name.lower())
    if method is None:
        raise ApiError(404, "ERROR_METHOD_NOT_FOUND", "Method not found!")
    if ctx.caller.app is None and (
        method.webhooks is Webhooks.NEVER
        or (method.webhooks is Webhooks.SWITCH and not ctx.settings.webhooks_allowed)
    ):
        raise wrong_auth_type()
    if method.scope and method.scope not in ctx.caller.scopes:
        raise ApiError(
            403,
            "insufficient_scope",
            "The request requires higher privileges than provided by the access token",
        )
    key = budget_key(ctx.settings, ctx.caller, method.name)
    budget = ctx.settings.time_budget
    if budget and ctx.budget.status(key, time.time())[0] > budget:
        raise ApiError(
            429, "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit."
        )
    started = time.perf_counter()
    try:
        return _reply(method.run(ctx, params))
    finally:
        cost = ctx.settings.call_cost
        ctx.budget.charge(key, time.perf_counter() - started if cost is None else cost, time.time())


def _reply(result: object) -> dict[str, object]:
    """CRestServer::processResponse: a page's `next` (when there is one) and `total` move
    out of the result to sit beside it, as a batch command's do in result_next and
    result_total (modules/rest/classes/general/rest.php)."""
    if not isinstance(result, Page):
        return {"result": result}
    reply: dict[str, object] = {"result": result.rows}
    if result.next is not None:
        reply["next"] = result.next
    reply["total"] = result.total
    return reply
