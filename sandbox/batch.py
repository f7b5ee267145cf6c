"""The `batch` method: up to 50 method calls in one request.

The reply is HTTP 200 even when commands fail; each command passes the same checks
as a plain call (methods.invoke), so it spends its own method's time budget. A
command's parameters are decoded by params.parse_query, PHP's parse_str rules.
"""

from __future__ import annotations

import time

from .errors import ApiError
from .methods import Context, canonical_name, invoke
from .params import parse_query, php_truthy
from .timing import time_block

BATCH_MAX = 50
"""Commands allowed in one batch."""


def _php_array(items: dict[str, object]) -> object:
    """What PHP's json_encode makes of an array: [] when empty, a list when keys are 0..n-1."""
    if list(items) == [str(i) for i in range(len(items))]:
        return list(items.values())
    return items


def _commands(params: dict[str, object]) -> dict[str, str]:
    cmd = params.get("cmd") or {}
    if isinstance(cmd, list):
        cmd = {str(i): command for i, command in enumerate(cmd)}
    if not isinstance(cmd, dict):
        raise ApiError(400, "INVALID_REQUEST", "cmd must be an object of method calls")
    if len(cmd) > BATCH_MAX:
        raise ApiError(400, "ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded")
    return {str(key): str(command) for key, command in cmd.items()}


def run_batch(ctx: Context, params: dict[str, object]) -> tuple[dict[str, object], tuple[str, ...]]:
    """Run the commands in order; with `halt` true, stop after the first that fails.

    Returns the `result` and the methods run, for the request log.
    """
    halt = php_truthy(params.get("halt", 0))
    results: dict[str, object] = {}
    errors: dict[str, object] = {}
    times: dict[str, object] = {}
    ran: list[str] = []
    for key, command in _commands(params).items():
        # The command is read as a URL (path, query, #fragment), so an unencoded # ends it
        name, _, query = command.partition("#")[0].partition("?")
        ran.append(canonical_name(name))
        start = time.time()
        try:
            if name.lower() == "batch":
                raise ApiError(
                    405, "ERROR_BATCH_METHOD_NOT_ALLOWED", "Method is not allowed for batch usage"
                )
            results[key] = invoke(ctx, name, parse_query(query))
        except ApiError as err:
            errors[key] = err.body()
        finish = time.time()
        operating, reset_at = ctx.budget.status((ctx.caller.pool, canonical_name(name)), finish)
        times[key] = time_block(start, finish, finish - start, operating, reset_at)
        if halt and key in errors:
            break
    return {
        "result": _php_array(results),
        "result_error": _php_array(errors),
        "result_total": [],
        "result_next": [],
        "result_time": _php_array(times),
    }, tuple(ran)
